#!/usr/bin/env python3
"""The overhead of running inside a sandbox: syscalls, fork+exec, file creation.

bench/inside_load.c (built here with `gcc -O2 -static`, or given with --load-bin)
times three workloads itself, so sandbox start and teardown are not in the figures:

  syscalls   N raw getppid() calls and N 64-byte reads of /dev/zero (ns per call):
             what the seccomp filter adds to every syscall
  forkexec   N times fork + execve(/bin/true) + waitpid (us per iteration): process
             creation and exec in the sandbox's namespaces and cgroup, under its filter
  files      N files of 4 KiB created in the writable space, stat'ed, unlinked (us per
             file and phase): /tmp inside each sandbox, a fresh directory under
             --host-dir (default: the host's temp dir) outside

Each workload runs in each system:

  outside    directly on the host
  cordon     CORDON run --bind DIR:/bench -- /bench/inside_load ... (every default:
             namespaces, cgroup limits, the default seccomp allowlist)
  cordon-unconfined
             the same with --seccomp unconfined (only with --unconfined): the
             difference to cordon is what the filter costs
  bwrap      bwrap --unshare-all --die-with-parent --ro-bind /usr /usr <root links>
             --proc /proc --dev /dev --tmpfs /tmp --ro-bind DIR /bench (if installed;
             no seccomp filter, no cgroup)

Runs are interleaved: each round runs every workload in every system, the order of
the systems rotating from round to round, so drift hits all systems alike. The table
shows the median over the rounds. One uncounted warm-up round at a tenth of each N
comes first. Every run's exit status and output are checked; a failing run aborts.

The filesystem each `files` run wrote to is reported: the host's /tmp may be a disk
filesystem (ext4 here) while the sandboxes' /tmp is a tmpfs, which is not like with
like; --host-dir /dev/shm puts the outside run on a tmpfs too.

Exit status: 0 ok; 1 a run failed, or inside_load could not be built; 2 usage error.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import peers  # bwrap's command line, shared with bench.py

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "inside_load.c")
INSIDE_DIR = "/bench"              # where the load program's directory is bound inside
LOAD_NAME = "inside_load"
SANDBOX_TMP = "/tmp"               # the writable layer inside cordon and bwrap
RUN_TIMEOUT = 600                  # seconds; one run taking longer is a failure

# (workload, metric key in inside_load's JSON, label, unit)
METRICS = (
    ("syscalls", "getppid_ns", "getppid", "ns/call"),
    ("syscalls", "read_ns", "read 64 B /dev/zero", "ns/call"),
    ("forkexec", "iter_us", "fork+exec+wait", "us/iter"),
    ("files", "create_us", "create+write 4 KiB", "us/file"),
    ("files", "stat_us", "stat", "us/file"),
    ("files", "unlink_us", "unlink", "us/file"),
)
WORKLOADS = ("syscalls", "forkexec", "files")
DEFAULT_N = {"syscalls": 1_000_000, "forkexec": 1000, "files": 5000}
QUICK_N = {"syscalls": 200_000, "forkexec": 200, "files": 1000}
DEFAULT_ROUNDS = 5
QUICK_ROUNDS = 2


class RunFailed(Exception):
    """A benchmarked run exited non-zero, timed out or printed no result."""


def default_cordon():
    """$CORDON if set, else ../build/cmd/cordon relative to this script."""
    return os.environ.get("CORDON") or os.path.join(HERE, os.pardir, "build", "cmd", "cordon")


def prepare_load(load_bin, workdir):
    """Put a static inside_load in workdir (built from SOURCE, or a copy of load_bin).

    workdir is made world-readable: it is bound read-only into the sandboxes, whose
    users are unprivileged IDs on the host.
    """
    os.chmod(workdir, 0o755)
    dest = os.path.join(workdir, LOAD_NAME)
    if load_bin:
        shutil.copy(load_bin, dest)
    else:
        gcc = shutil.which("gcc")
        if not gcc:
            raise RunFailed("gcc not found on PATH: install it, or pass --load-bin")
        cmd = [gcc, "-O2", "-static", "-Wall", "-o", dest, SOURCE]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise RunFailed(f"building inside_load failed: {' '.join(cmd)}\n{out.stderr}")
    os.chmod(dest, 0o755)
    return dest


def build_systems(cordon, load_path, unconfined):
    """Return (systems, missing).

    systems maps name -> (argv prefix, path of inside_load in it, files dir or None
    for the host's fresh temp dir); missing maps name -> why it is skipped.
    """
    load_dir = os.path.dirname(load_path)
    inside = f"{INSIDE_DIR}/{LOAD_NAME}"
    systems, missing = {"outside": ([], load_path, None)}, {}
    cordon = os.path.abspath(cordon)
    if os.path.isfile(cordon) and os.access(cordon, os.X_OK):
        bind = ["--bind", f"{load_dir}:{INSIDE_DIR}:ro"]
        systems["cordon"] = ([cordon, "run"] + bind + ["--"], inside, SANDBOX_TMP)
        if unconfined:
            systems["cordon-unconfined"] = (
                [cordon, "run", "--seccomp", "unconfined"] + bind + ["--"], inside, SANDBOX_TMP)
    else:
        missing["cordon"] = f"no executable at {cordon} (build it, or pass --cordon / $CORDON)"
    bwrap = shutil.which("bwrap")
    if bwrap:
        systems["bwrap"] = (peers.bwrap_prefix(bwrap, ["--ro-bind", load_dir, INSIDE_DIR,
                                                       "--chdir", "/"]),
                            inside, SANDBOX_TMP)
    else:
        missing["bwrap"] = "bwrap not found on PATH (apt-get install bubblewrap)"
    return systems, missing


def workload_args(workload, n, exec_path, files_dir):
    """inside_load's arguments for one run."""
    if workload == "syscalls":
        return ["syscalls", str(n)]
    if workload == "forkexec":
        return ["forkexec", str(n), exec_path]
    return ["files", str(n), files_dir]


def run_once(system, workload, n, exec_path, host_dir):
    """Run one workload in one system; return inside_load's result (a dict)."""
    prefix, load, files_dir = system
    made = None
    if workload == "files" and files_dir is None:  # outside: a fresh, empty directory
        made = files_dir = tempfile.mkdtemp(prefix="inside_overhead.", dir=host_dir)
    argv = prefix + [load] + workload_args(workload, n, exec_path, files_dir)
    try:
        out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired as err:
        raise RunFailed(f"run timed out after {RUN_TIMEOUT} s: {' '.join(argv)}") from err
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)
    if out.returncode != 0:
        how = f"exit {out.returncode}" if out.returncode > 0 else f"signal {-out.returncode}"
        raise RunFailed(f"run failed ({how}): {' '.join(argv)}\n"
                        f"stderr: {out.stderr.strip() or '(empty)'}")
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1])
        if result.get("mode") != workload:
            raise ValueError(f"mode {result.get('mode')!r}")
    except (IndexError, ValueError) as err:
        raise RunFailed(f"no result line from {' '.join(argv)} ({err})\n"
                        f"stdout: {out.stdout.strip() or '(empty)'}") from err
    return result


def measure(systems, sizes, rounds, warmup, exec_path, host_dir):
    """Interleave the systems; return name -> workload -> list of results.

    Round r runs each workload in every system, the systems' order rotated by r. The
    warm-up round (if any) runs at a tenth of each size and is checked, not recorded.
    """
    names = list(systems)
    results = {name: {w: [] for w in WORKLOADS} for name in names}
    plan = [(False, rnd) for rnd in range(warmup)] + [(True, rnd) for rnd in range(rounds)]
    for recorded, rnd in plan:
        shift = rnd % len(names)
        for workload in WORKLOADS:
            n = sizes[workload] if recorded else max(1, sizes[workload] // 10)
            for name in names[shift:] + names[:shift]:
                res = run_once(systems[name], workload, n, exec_path, host_dir)
                if recorded:
                    results[name][workload].append(res)
    return results


def summarize(results):
    """name -> metric key -> {median, min, max, samples}; and name -> files fs type."""
    stats, fs = {}, {}
    for name, per_workload in results.items():
        stats[name] = {}
        for workload, key, _, _ in METRICS:
            values = [r[key] for r in per_workload[workload]]
            stats[name][key] = {"median": statistics.median(values), "min": min(values),
                                "max": max(values), "samples": values}
        fs[name] = sorted({r["fs"] for r in per_workload["files"]})
    return stats, fs


def render(stats, fs, missing):
    """The markdown table and the notes under it."""
    others = [name for name in stats if name != "outside"]
    head = "| workload | metric | outside |"
    rule = "|---|---|---:|"
    for name in others:
        head += f" {name} | {name}/outside |"
        rule += "---:|---:|"
    lines = [head, rule]
    for workload, key, label, unit in METRICS:
        base = stats["outside"][key]["median"]
        row = f"| {workload} | {label} ({unit}) | {base:.2f} |"
        for name in others:
            med = stats[name][key]["median"]
            row += f" {med:.2f} | {med / base:.2f} |" if base else f" {med:.2f} | n/a |"
        lines.append(row)
    lines.append("")
    lines.append("files written on: " + ", ".join(
        f"{name} {'/'.join(kinds)}" for name, kinds in fs.items()))
    sandbox_kinds = {k for name in others for k in fs[name]}
    if sandbox_kinds and set(fs["outside"]) != sandbox_kinds:
        lines.append("note: outside and inside wrote to different filesystem types, so the "
                     "files rows are not like with like (try --host-dir /dev/shm)")
    for name, why in missing.items():
        lines.append(f"skipped {name}: {why}")
    return "\n".join(lines)


def run(cordon, quick=False):
    """For bench.py: every workload with the defaults (or --quick sizes), the outside
    files on /dev/shm, a tmpfs like the sandboxes' /tmp. Raises RunFailed."""
    args = parse_args((["--quick"] if quick else []) +
                      ["--cordon", cordon, "--host-dir", "/dev/shm"])
    with tempfile.TemporaryDirectory(prefix="inside_overhead.bin.") as workdir:
        load = prepare_load(None, workdir)
        systems, missing = build_systems(cordon, load, False)
        results = measure(systems, args.sizes, args.rounds, args.warmup, args.exec_path,
                          args.host_dir)
    stats, fs = summarize(results)
    return {"rounds": args.rounds, "sizes": args.sizes, "stats": stats, "files_fs": fs,
            "missing": missing}


def parse_args(argv):
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Time syscalls, fork+exec and file creation inside cordon and bwrap "
                    "against the same outside, interleaved (see the module docstring).",
        epilog="Exit status: 0 ok; 1 a run failed or inside_load could not be built; "
               "2 usage error.")
    parser.add_argument("--rounds", type=int, default=None,
                        help=f"timed rounds (default {DEFAULT_ROUNDS}, {QUICK_ROUNDS} with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds at smaller sizes (" + ", ".join(
                            f"{w} {n}" for w, n in QUICK_N.items()) + "); explicit options win")
    parser.add_argument("--syscalls-n", type=int, metavar="N",
                        help=f"calls of each syscall per run (default {DEFAULT_N['syscalls']})")
    parser.add_argument("--forkexec-n", type=int, metavar="N",
                        help=f"fork+exec iterations per run (default {DEFAULT_N['forkexec']})")
    parser.add_argument("--files-n", type=int, metavar="N",
                        help=f"files per run (default {DEFAULT_N['files']})")
    parser.add_argument("--warmup", type=int, default=1, metavar="R",
                        help="uncounted warm-up rounds at a tenth of each size (default 1)")
    parser.add_argument("--exec", dest="exec_path", default="/bin/true", metavar="PATH",
                        help="program the forkexec workload runs, the same path outside and "
                             "inside (default /bin/true)")
    parser.add_argument("--host-dir", default=tempfile.gettempdir(), metavar="DIR",
                        help="outside, files go to a fresh directory under DIR "
                             "(default: the temp dir, %(default)s)")
    parser.add_argument("--unconfined", action="store_true",
                        help="also run cordon with --seccomp unconfined, to separate the "
                             "filter's cost")
    parser.add_argument("--load-bin", metavar="PATH",
                        help="a static inside_load to use instead of building bench/inside_load.c")
    parser.add_argument("--cordon", default=default_cordon(),
                        help="cordon binary (default: $CORDON, else ../build/cmd/cordon "
                             "relative to this script)")
    parser.add_argument("--json", metavar="FILE", help="also write every number as JSON")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS
    base = QUICK_N if args.quick else DEFAULT_N
    args.sizes = {w: getattr(args, f"{w}_n") or base[w] for w in WORKLOADS}
    if args.rounds < 1 or args.warmup < 0 or min(args.sizes.values()) < 1:
        parser.error("--rounds and every size must be >= 1, --warmup >= 0")
    if args.load_bin and not os.path.isfile(args.load_bin):
        parser.error(f"--load-bin {args.load_bin}: no such file")
    if not os.path.isdir(args.host_dir):
        parser.error(f"--host-dir {args.host_dir}: not a directory")
    return args


def main(argv=None):
    """Run the benchmark; return the process exit status."""
    args = parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="inside_overhead.bin.") as workdir:
        try:
            load = prepare_load(args.load_bin, workdir)
            systems, missing = build_systems(args.cordon, load, args.unconfined)
            print(f"inside versus outside: median of {args.rounds} interleaved rounds "
                  f"(+{args.warmup} warm-up); sizes " +
                  ", ".join(f"{w} {n}" for w, n in args.sizes.items()) +
                  f"; {platform.node()} {platform.release()}, {os.cpu_count()} CPUs\n",
                  flush=True)
            results = measure(systems, args.sizes, args.rounds, args.warmup,
                              args.exec_path, args.host_dir)
        except RunFailed as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    stats, fs = summarize(results)
    elapsed = time.monotonic() - started
    print(render(stats, fs, missing))
    print(f"\ntotal time {elapsed:.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"rounds": args.rounds, "warmup": args.warmup, "sizes": args.sizes,
                       "exec": args.exec_path, "host_dir": args.host_dir,
                       "kernel": platform.release(), "cpus": os.cpu_count(),
                       "elapsed_s": elapsed, "missing": missing, "files_fs": fs,
                       "systems": {name: {"argv_prefix": systems[name][0],
                                          "metrics": stats[name]} for name in stats}},
                      out, indent=2)
            out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
