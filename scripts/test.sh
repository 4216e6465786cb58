#!/usr/bin/env bash
# The whole test suite: set up (idempotent), build, the unit tests under sanitizers, a
# quick benchmark guard, then every other test under CTest (its summary closes the output).
# Integration tests start real sandboxes and need root: run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

# build/ without the unit tests: they run once, below, under the sanitizers.
CMAKE_ARGS="${CMAKE_ARGS:-} -DCORDON_UNIT_TESTS=OFF" scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}

# The unit tests (the pure code) under AddressSanitizer and UndefinedBehaviorSanitizer.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCORDON_SANITIZE=ON -DCORDON_UNIT_TESTS=ON >/dev/null
cmake --build build-asan -j"$(nproc)" --target unit_tests
build-asan/tests/unit/unit_tests --gtest_brief=1

# The quick benchmark (a few seconds): prints the ratios against the peers installed
# (bwrap here; bench/setup.sh adds crun, runsc, lxc). Not a timing assertion: it trips
# only on a gross regression, cordon's median start-to-exit over twice bwrap's.
python3 bench/bench.py --cordon "$BUILD_DIR/cmd/cordon" --quick --max-ratio 2

ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"
