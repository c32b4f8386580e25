#!/usr/bin/env bash
# Runs on a machine with an NVIDIA GPU, where r1c itself cannot be built: builds
# the runtime and r1c-run; checks and times the GEMM and convolution shapes
# against torch.matmul / conv2d (cuBLAS / cuDNN) and torch.compile
# (scripts/gpu_check_shapes.py); runs each model's sm_90 artifact that
# scripts/gpu-check-prepare.sh wrote to .gpucheck/ against its reference outputs,
# times PyTorch eager and torch.compile on the same models (bench/onnx_torch.py),
# and writes $OUT/gpu-check.md, gpu-check.json and gpu-check.log.
#
#   OUT=DIR bash scripts/gpu-check.sh        (from the repository root)
#
# The run has a budget (GPU_CHECK_BUDGET_S, default 480 s) and every step a time
# limit within it; a step that fails or runs out of time is reported in its row,
# the next one still runs, and the report is always written. Without a GPU it
# still builds the runtime and writes a report that says so.
set -uo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
budget=${GPU_CHECK_BUDGET_S:-480}
deadline=$((start + budget))
out=${OUT:-/tmp/gpu-check-out}
work=${GPU_CHECK_WORK:-/tmp/gpu-check-work}
build=${GPU_CHECK_BUILD:-/tmp/r1c-build}
python=${PYTHON:-python3}
mkdir -p "$out"
rm -rf "$work"
mkdir -p "$work"
exec > >(tee "$out/gpu-check.log") 2>&1
tee_pid=$!
# Compile caches start empty, so torch.compile times are those of a first compile.
export TORCHINDUCTOR_CACHE_DIR="$work/inductor-cache" TRITON_CACHE_DIR="$work/triton-cache"

# Seconds left for a step: its own cap, less what the later steps keep back.
left() {
  local cap=$1 keep=${2:-20} rest
  rest=$((deadline - $(date +%s) - keep))
  ((rest < cap)) && cap=$rest
  ((cap < 1)) && cap=1
  echo "$cap"
}
step() { echo; echo "== $* ($(($(date +%s) - start)) s)"; }

write_report() {
  step "report"
  timeout 60 "$python" scripts/gpu_check.py report --work "$work" --out "$out" >/dev/null ||
    echo "error: the report could not be written"
  echo "wrote $out/gpu-check.md and $out/gpu-check.json in $(($(date +%s) - start)) s"
  # The log is complete only once tee has drained.
  exec >&- 2>&-
  wait "$tee_pid" 2>/dev/null
}
trap write_report EXIT

if [[ ! -f .gpucheck/manifest.json ]]; then
  echo "error: no .gpucheck/manifest.json: run scripts/gpu-check-prepare.sh where r1c is built, and carry .gpucheck"
fi

step "machine"
gpus=$(timeout 30 nvidia-smi -L 2>&1)
echo "$gpus"
has_gpu=0
grep -q '^GPU' <<<"$gpus" && has_gpu=1
timeout "$(left 150)" "$python" scripts/gpu_check.py env --work "$work" ||
  [[ $? == 3 ]] || echo "error: recording the machine's versions failed"

# The runtime alone, as the runtime.builds_without_compiler test configures it
# (test/runtime/build_runtime_only.cmake), but only the r1c-run target.
step "build the runtime and r1c-run (R1C_BUILD_COMPILER=OFF, Release) in $build"
build_start=$(date +%s)
status="ok"
timeout "$(left 120)" cmake -S . -B "$build" -G Ninja -DR1C_BUILD_COMPILER=OFF \
  -DCMAKE_BUILD_TYPE=Release >"$work/build.log" 2>&1
rc=$?
if ((rc != 0)); then
  status="failed: cmake configure, exit status $rc"
else
  timeout "$(left 300)" cmake --build "$build" --target r1c-run >>"$work/build.log" 2>&1
  rc=$?
  ((rc != 0)) && status="failed: building r1c-run, exit status $rc"
fi
((rc == 124)) && status+=" (the time limit)"
echo "$status $(($(date +%s) - build_start))" >"$work/build.status"
if [[ $status == ok ]]; then
  echo "built $build/bin/r1c-run in $(($(date +%s) - build_start)) s"
else
  echo "error: the runtime build $status; the end of $work/build.log:"
  tail -n 30 "$work/build.log"
fi

if ((has_gpu == 0)); then
  echo "no GPU: r1c-run on CUDA and the PyTorch timings are skipped"
  exit 0
fi

if [[ $status == ok && -f .gpucheck/manifest.json ]]; then
  # The GEMM and convolution shapes first: they hold the acceptance numbers
  # (fp16 GEMM 4096^3 against torch.matmul). At most GPU_CHECK_SHAPES_S seconds.
  shapes_cap=${GPU_CHECK_SHAPES_S:-180}
  step "GEMM and convolution shapes: r1c, torch.matmul / conv2d, torch.compile (scripts/gpu_check_shapes.py)"
  shapes_limit=$(left "$shapes_cap" 60)
  timeout "$shapes_limit" "$python" scripts/gpu_check_shapes.py run --r1c-run "$build/bin/r1c-run" \
    --work "$work" --deadline $(($(date +%s) + shapes_limit - 10)) ||
    echo "error: gpu_check_shapes.py stopped with exit status $? (124: the time budget)"
fi

if [[ $status == ok && -f .gpucheck/manifest.json ]]; then
  # r1c first, keeping half the budget (at most four minutes) back for PyTorch.
  keep=$((budget / 2 < 240 ? budget / 2 : 240))
  step "r1c-run --device=cuda on each artifact"
  timeout "$(left 300 "$keep")" "$python" scripts/gpu_check.py run-r1c --r1c-run "$build/bin/r1c-run" \
    --work "$work" --timeout 60 --deadline $((deadline - keep)) ||
    echo "error: run-r1c stopped with exit status $?"
fi

if [[ -f .gpucheck/manifest.json ]]; then
  step "PyTorch eager and torch.compile (bench/onnx_torch.py)"
  timeout "$(left 600 15)" "$python" bench/onnx_torch.py bench --work "$work/torch" --out "$work/torch.json" \
    --compile-timeout 120 --deadline $((deadline - 25)) ||
    echo "error: bench/onnx_torch.py stopped with exit status $? (124: the time budget)"
fi
