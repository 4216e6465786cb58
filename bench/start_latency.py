#!/usr/bin/env python3
"""Start-to-exit latency of `cordon run -- /bin/true`, side by side with bwrap.

Three peers are timed in the same process, interleaved round by round, so
that drift (thermal, cache, background load) hits all of them alike:

  floor      plain fork+exec of /bin/true (what spawning costs at all)
  cordon     CORDON run -- /bin/true (every default: namespaces, slot, cgroup limits)
  cordon-no-cgroup
             CORDON run --no-cgroup -- /bin/true: the same without the cgroup, so
             the difference is what cgroup setup and teardown cost
  bwrap   bwrap --unshare-all --die-with-parent --ro-bind /usr /usr ... /bin/true

Each sample is time.perf_counter_ns() around os.posix_spawn() .. os.waitpid().
Every run's exit status is checked; a failing run aborts the benchmark.

Exit status: 0 ok; 1 cordon/bwrap ratio above --max-ratio; 2 --max-ratio was
asked but a peer is missing; 3 a run failed.
"""

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

DEFAULT_RUNS = 200
QUICK_RUNS = 30
DEFAULT_WARMUP = 20
TRUE_BIN = "/bin/true"
# Top-level host paths that bwrap must provide besides /usr: a symlink when the
# host has one (merged /usr), a read-only bind when the host has a directory.
ROOT_ENTRIES = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

EXIT_RATIO = 1
EXIT_CANNOT_CHECK = 2
EXIT_RUN_FAILED = 3


class RunFailed(Exception):
    """A benchmarked command exited non-zero (or was killed)."""


def default_cordon():
    """$CORDON if set, else ../build/cmd/cordon relative to this script."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("CORDON") or os.path.join(
        here, os.pardir, "build", "cmd", "cordon")


def bwrap_argv(bwrap):
    """The bwrap command line, mirroring the host's root layout."""
    argv = [bwrap, "--unshare-all", "--die-with-parent",
            "--ro-bind", "/usr", "/usr"]
    for name in ROOT_ENTRIES:
        path = "/" + name
        if os.path.islink(path) and os.path.realpath(path).startswith("/usr/"):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", os.path.realpath(path), path]
    return argv + ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                   TRUE_BIN]


def build_peers(cordon):
    """Return (peers, missing): peers maps name -> argv, missing name -> why."""
    peers, missing = {"floor": [TRUE_BIN]}, {}
    cordon = os.path.abspath(cordon)
    if os.path.isfile(cordon) and os.access(cordon, os.X_OK):
        peers["cordon"] = [cordon, "run", "--", TRUE_BIN]
        peers["cordon-no-cgroup"] = [cordon, "run", "--no-cgroup", "--", TRUE_BIN]
    else:
        missing["cordon"] = f"no executable at {cordon} (build it, or pass --cordon / $CORDON)"
    bwrap = shutil.which("bwrap")
    if bwrap:
        peers["bwrap"] = bwrap_argv(bwrap)
    else:
        missing["bwrap"] = "bwrap not found on PATH (apt-get install bubblewrap)"
    return peers, missing


def run_once(argv, devnull, errfile):
    """Spawn argv, wait for it, return elapsed ns; raise RunFailed on failure.

    stdin/stdout go to /dev/null; stderr goes to errfile (a regular file that
    stays empty on success) so a failing run's own stderr can be reported.
    Python's fds are close-on-exec, so the child inherits only fds 0-2.
    """
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 0),
               (os.POSIX_SPAWN_DUP2, devnull, 1),
               (os.POSIX_SPAWN_DUP2, errfile.fileno(), 2)]
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter_ns() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        errfile.seek(0)
        stderr = errfile.read().decode(errors="replace").strip()
        how = f"exit {code}" if code > 0 else f"signal {-code}"
        raise RunFailed(f"run failed ({how}): {' '.join(argv)}\n"
                        f"stderr: {stderr or '(empty)'}")
    if os.fstat(errfile.fileno()).st_size:  # stderr noise from a good run
        errfile.seek(0)  # the child shared this offset; rewind, then cut
        errfile.truncate()
    return elapsed


def measure(peers, runs, warmup):
    """Interleave the peers for warmup+runs rounds; return name -> samples (ns).

    The order rotates each round (A B C, B C A, ...) so no peer always runs
    right after another. Warm-up rounds are run and checked but not recorded.
    """
    names = list(peers)
    samples = {name: [] for name in names}
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        with tempfile.TemporaryFile() as errfile:
            for rnd in range(warmup + runs):
                shift = rnd % len(names)
                for name in names[shift:] + names[:shift]:
                    elapsed = run_once(peers[name], devnull, errfile)
                    if rnd >= warmup:
                        samples[name].append(elapsed)
    finally:
        os.close(devnull)
    return samples


def summarize(samples):
    """Median, p90 (nearest rank) and min in milliseconds."""
    ordered = sorted(samples)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {"median_ms": statistics.median(ordered) / 1e6,
            "p90_ms": p90 / 1e6, "min_ms": ordered[0] / 1e6}


def render(stats, missing, ratio):
    """The markdown table, missing-peer notes and the ratio line."""
    base = stats.get("bwrap", {}).get("median_ms")
    lines = ["| system | median ms | p90 ms | min ms | median / bwrap |",
             "|---|---:|---:|---:|---:|"]
    for name, st in stats.items():
        rel = f"{st['median_ms'] / base:.2f}" if base else "n/a"
        lines.append(f"| {name} | {st['median_ms']:.3f} | {st['p90_ms']:.3f} "
                     f"| {st['min_ms']:.3f} | {rel} |")
    lines += [f"| {name} | skipped: {why} | | | |" for name, why in missing.items()]
    lines.append("")
    lines.append(f"ratio cordon/bwrap: {ratio:.2f}" if ratio is not None else
                 "ratio cordon/bwrap: n/a (" + ", ".join(missing) + " missing)")
    if "cordon" in stats and "cordon-no-cgroup" in stats:
        cost = stats["cordon"]["median_ms"] - stats["cordon-no-cgroup"]["median_ms"]
        lines.append(f"cgroup setup+teardown: {cost:.3f} ms of cordon's median")
    return "\n".join(lines)


def parse_args(argv):
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Time start-to-exit of `cordon run -- /bin/true` against "
                    "bwrap and a plain fork+exec floor, interleaved.",
        epilog="Exit status: 0 ok; 1 ratio above --max-ratio; 2 --max-ratio "
               "asked but a peer is missing; 3 a benchmarked run failed.")
    parser.add_argument("--runs", type=int, default=None,
                        help=f"timed runs per peer (default {DEFAULT_RUNS})")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_RUNS} runs, for CI (--runs wins if given)")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP,
                        help=f"uncounted warm-up runs per peer (default {DEFAULT_WARMUP})")
    parser.add_argument("--cordon", default=default_cordon(),
                        help="cordon binary (default: $CORDON, else "
                             "../build/cmd/cordon relative to this script)")
    parser.add_argument("--json", metavar="FILE", help="write results as JSON")
    parser.add_argument("--max-ratio", type=float, metavar="R",
                        help="exit 1 if cordon median / bwrap median > R "
                             "(default: no check)")
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = QUICK_RUNS if args.quick else DEFAULT_RUNS
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be >= 1 and --warmup >= 0")
    if args.max_ratio is not None and args.max_ratio <= 0:
        parser.error("--max-ratio must be > 0")
    return args


def main(argv=None):
    """Run the benchmark; return the process exit status."""
    args = parse_args(argv)
    peers, missing = build_peers(args.cordon)
    print(f"start-to-exit of /bin/true: {args.runs} runs/peer after "
          f"{args.warmup} warm-up, interleaved; {platform.node()} "
          f"{platform.release()}, {os.cpu_count()} CPUs\n")
    try:
        samples = measure(peers, args.runs, args.warmup)
    except RunFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_RUN_FAILED
    stats = {name: summarize(s) for name, s in samples.items()}
    ratio = None
    if "cordon" in stats and "bwrap" in stats:
        ratio = stats["cordon"]["median_ms"] / stats["bwrap"]["median_ms"]
    print(render(stats, missing, ratio))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"runs": args.runs, "warmup": args.warmup,
                       "kernel": platform.release(), "cpus": os.cpu_count(),
                       "ratio_cordon_bwrap": ratio, "max_ratio": args.max_ratio,
                       "missing": missing,
                       "peers": {n: {"argv": peers[n], **stats[n],
                                     "samples_ns": samples[n]} for n in stats}},
                      out, indent=2)
            out.write("\n")
    if args.max_ratio is None:
        return 0
    if ratio is None:
        print(f"error: --max-ratio {args.max_ratio} asked but cannot compute "
              f"the ratio: {'; '.join(missing.values())}", file=sys.stderr)
        return EXIT_CANNOT_CHECK
    if ratio > args.max_ratio:
        print(f"error: cordon/bwrap median ratio {ratio:.2f} exceeds "
              f"--max-ratio {args.max_ratio}", file=sys.stderr)
        return EXIT_RATIO
    return 0


if __name__ == "__main__":
    sys.exit(main())
