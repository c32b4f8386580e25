#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh), then configures and builds r1c.
#   BUILD_DIR     build tree (default: build)
#   R1C_SANITIZE  ON for an ASan/UBSan build
#   R1C_TARGETS   targets to build (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-19/build/utils/lit/lit.py \
  -DR1C_SANITIZE="${R1C_SANITIZE:-OFF}" \
  ${R1C_CMAKE_ARGS:-} >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -- ${R1C_TARGETS:-}
