#!/usr/bin/env python3
"""The cost of cordon's seccomp filter on syscall-heavy code, inside versus outside.

bench/syscall_loop (static, built with the project) times N calls of one syscall itself,
so process and sandbox start are not in the figure. It runs, interleaved round by round:

  outside     directly on the host
  unconfined  cordon run --seccomp unconfined (namespaces, cgroup, no filter)
  default     cordon run (the default allowlist)
  report      cordon run --seccomp-report (denials go to the supervisor; allowed calls
              take the same path through the filter)

and prints the median nanoseconds per call of each, with the ratio to outside.
"""

import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, os.pardir, "build")


def contexts(cordon, loop_dir):
    bind = ["--bind", f"{loop_dir}:/bench"]
    return {
        "outside": [],
        "unconfined": [cordon, "run", "--seccomp", "unconfined"] + bind + ["--"],
        "default": [cordon, "run"] + bind + ["--"],
        "report": [cordon, "run", "--seccomp-report"] + bind + ["--"],
    }


def run_once(prefix, loop_path, syscall, calls):
    """ns per call reported by one run of syscall_loop."""
    exe = "/bench/syscall_loop" if prefix else loop_path
    out = subprocess.run(prefix + [exe, syscall, str(calls)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"error: {' '.join(prefix + [exe])} failed ({out.returncode}): {out.stderr}")
    return float(out.stdout.split()[0])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cordon", default=os.environ.get("CORDON", os.path.join(BUILD, "cmd", "cordon")))
    p.add_argument("--loop", default=os.path.join(BUILD, "bench", "syscall_loop"))
    p.add_argument("--calls", type=int, default=2_000_000)
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args()
    loop = os.path.abspath(args.loop)
    ctx = contexts(os.path.abspath(args.cordon), os.path.dirname(loop))
    print(f"ns per call, median of {args.rounds} interleaved rounds of {args.calls} calls\n")
    print("| syscall | " + " | ".join(ctx) + " | default / outside |")
    print("|---|" + "---:|" * (len(ctx) + 1))
    for syscall in ("getpid", "read-zero"):
        samples = {name: [] for name in ctx}
        for _ in range(args.rounds):
            for name, prefix in ctx.items():
                samples[name].append(run_once(prefix, loop, syscall, args.calls))
        med = {name: statistics.median(v) for name, v in samples.items()}
        cells = " | ".join(f"{med[n]:.1f}" for n in ctx)
        print(f"| {syscall} | {cells} | {med['default'] / med['outside']:.2f} |")


if __name__ == "__main__":
    main()
