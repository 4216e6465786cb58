#!/usr/bin/env bash
# The whole test suite: set up (idempotent), build, run every test under CTest, then the
# quick benchmark guard. Integration tests start real sandboxes and need root; run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"

# Not a timing assertion: trips only on a gross regression (cordon slower than 4x bwrap).
python3 bench/start_latency.py --cordon "$BUILD_DIR/cmd/cordon" --quick --max-ratio 4
