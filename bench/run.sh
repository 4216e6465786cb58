#!/usr/bin/env bash
# The whole benchmark in one command: install the peers (Debian packages), build cordon if
# needed, and run bench/bench.py with its results written to bench/results/ (or --out).
# Options are bench.py's (bench/bench.py --help), e.g. --quick or --only latency.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
case "${1:-}" in
  -h|--help)
    echo "usage: bench/run.sh [bench.py options]  (installs the peers, builds, measures)"
    echo "default output: bench/results/ (results.md, results.json, latency.png, throughput.png)"
    exit 0 ;;
esac
"$here/setup.sh"
if [ ! -x "$root/build/cmd/cordon" ]; then
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$root/build" -j"$(nproc)" --target cordon
fi
out=()
case " $* " in *" --out "*) ;; *) out=(--out "$root/bench/results") ;; esac
exec python3 "$here/bench.py" "${out[@]}" "$@"
