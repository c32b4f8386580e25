#!/usr/bin/env bash
# Writes .gpucheck/, what scripts/gpu-check.sh needs on a GPU machine that has
# no r1c: for each of the five models at check size, in float32 and float16, the
# sm_90 artifact, random inputs, ONNX Runtime reference outputs and a manifest;
# and the sm_90 artifacts of the GEMM and convolution shapes
# (scripts/gpu_check_shapes.py: no inputs, the GPU machine draws them).
#
#   bash scripts/gpu-check-prepare.sh [--r1c PATH] [--limit-mib N] [--keep-going]
#
# --r1c defaults to build/bin/r1c. --keep-going writes the folder even when some
# models do not compile (their rows then say why). Exits 1 when the folder is
# over --limit-mib (default 45): everything in it is copied to the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."

r1c=build/bin/r1c
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --r1c) r1c="$2"; shift 2 ;;
    --r1c=*) r1c="${1#--r1c=}"; shift ;;
    --limit-mib|--compile-timeout) extra+=("$1" "$2"); shift 2 ;;
    --limit-mib=*|--compile-timeout=*|--keep-going) extra+=("$1"); shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ ! -x "$r1c" ]]; then
  echo "error: no r1c at '$r1c': build it (bash scripts/build.sh) or pass --r1c PATH" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/r1c-gpucheck.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 scripts/gpu_check.py prepare --r1c "$r1c" --check-dir .gpucheck --work "$work" "${extra[@]}"
echo "carry .gpucheck to the GPU machine and run: bash scripts/gpu-check.sh"
