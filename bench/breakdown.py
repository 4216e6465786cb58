"""Where the time of one `cordon run -- /bin/true` goes, step by step.

cordon's --json result carries "timings_us": the marks of isolate/timeline.h, taken
on one clock by the supervisor, the sandbox's PID 1 and the command's process before
its execve (docs/result.md). This module runs cordon N times, times each run from
outside as well, and gives the median of every step. What the marks cannot see (the
exec of cordon itself, its C++ start-up, printing the result, its exit) is the
outside time minus "prepare" and "total", reported as "cordon_process".
"""

import json
import os
import statistics
import subprocess
import time

# The critical path in order (isolate/timeline.h); "total" covers slot..teardown.
STEPS = ["prepare", "slot", "cgroup_create", "clone", "id_maps", "mounts", "child_setup",
         "fork_command", "seccomp_load", "exec_and_run", "sandbox_exit", "teardown"]
WHAT = {
    "prepare": "validate the spec, compile the plan, pick the seccomp program",
    "slot": "lock a free ID slot (flock)",
    "cgroup_create": "create the cgroup(s) and write the limits",
    "clone": "clone3 with every namespace (user, mount, pid, net, ipc, uts, time)",
    "id_maps": "write uid_map/gid_map, open host trees, send the go",
    "mounts": "mount plan: staging tmpfs, host view, /etc, /dev, /proc, pivot_root",
    "child_setup": "hostname, loopback, setsid, workdir, rlimits, drop capabilities",
    "fork_command": "PID 1 vforks the command's process",
    "seccomp_load": "load the seccomp filter",
    "exec_and_run": "execve of /bin/true, its run and exit, until PID 1 reaps it",
    "sandbox_exit": "PID 1's exit (the kernel tears down namespaces, mounts) until seen",
    "teardown": "read accounting, kill and remove the cgroup, release the slot",
    "cordon_process": "exec of cordon, start-up, result output, exit (outside the marks)",
}


class BreakdownFailed(Exception):
    """A cordon run failed or printed no timings."""


def measure(cordon, runs, extra=()):
    """Medians (µs) of each step over `runs` runs of `cordon run --json -- /bin/true`."""
    per_step = {name: [] for name in STEPS + ["total", "cordon_process", "outside_total"]}
    for _ in range(runs):
        start = time.perf_counter_ns()
        proc = subprocess.run([cordon, "run", "--json", *extra, "--", "/bin/true"],
                              stdin=subprocess.DEVNULL, capture_output=True, check=False)
        outside_us = (time.perf_counter_ns() - start) / 1e3
        if proc.returncode != 0:
            raise BreakdownFailed(f"cordon exit {proc.returncode}: "
                                  f"{proc.stderr.decode(errors='replace').strip()[:300]}")
        try:
            timings = json.loads(proc.stdout)["timings_us"]
        except (ValueError, KeyError) as err:
            raise BreakdownFailed(f"no timings in cordon's result: {err}") from err
        for name in STEPS + ["total"]:
            if name in timings:
                per_step[name].append(timings[name])
        per_step["outside_total"].append(outside_us)
        per_step["cordon_process"].append(
            outside_us - timings.get("total", 0) - timings.get("prepare", 0))
    return {name: statistics.median(v) for name, v in per_step.items() if v}


def render(medians):
    """A markdown table of the steps, with each one's share of the outside total."""
    total = medians.get("outside_total") or 1
    lines = ["| step | median µs | share | what |", "|---|---:|---:|---|"]
    for name in STEPS + ["cordon_process"]:
        if name in medians:
            lines.append(f"| {name} | {medians[name]:.0f} | {100 * medians[name] / total:.0f}% "
                         f"| {WHAT[name]} |")
    lines.append(f"| **start-to-exit, from outside** | {total:.0f} | 100% | |")
    lines.append("")
    lines.append("Medians of each step taken separately: they need not add up to the total.")
    return "\n".join(lines)


def default_cordon():
    """$CORDON if set, else ../build/cmd/cordon relative to this script."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("CORDON") or os.path.join(here, os.pardir, "build", "cmd", "cordon")
