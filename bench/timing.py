"""Timing one sandbox run from outside, and summarizing samples (bench.py's latency)."""

import math
import os
import statistics
import time


class RunFailed(Exception):
    """A benchmarked command exited non-zero (or was killed)."""


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


def summarize(samples):
    """Median, p90 (nearest rank) and min in milliseconds."""
    ordered = sorted(samples)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {"median_ms": statistics.median(ordered) / 1e6,
            "p90_ms": p90 / 1e6, "min_ms": ordered[0] / 1e6}
