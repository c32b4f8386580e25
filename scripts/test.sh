#!/usr/bin/env bash
# Sets up, builds r1c (and an ASan/UBSan build of r1c and the runtime's
# tests), and runs every test with CTest. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# The sanitizer tree needs r1c, for the corpus of broken models, and the
# runtime's tests, for corrupt artifacts and wrong inputs.
BUILD_DIR=build-sanitize R1C_SANITIZE=ON R1C_TARGETS="r1c r1rt-tests r1rt-session-tests" \
  bash scripts/build.sh
R1C_CMAKE_ARGS="-DR1C_SANITIZED_R1C=$PWD/build-sanitize/bin/r1c" bash scripts/build.sh

log=$(mktemp)
set +e
ctest --test-dir build --output-on-failure -j2 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$log")
failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$log")
rm -f "$log"
if [ -z "$total" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
echo "$((total - failed)) passed, $failed failed"
exit "$status"
