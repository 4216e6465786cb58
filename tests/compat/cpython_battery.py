#!/usr/bin/env python3
"""CPython stdlib compatibility battery: what a program loses inside `cordon run`.

Runs a list of CPython regression-test modules once on the host and once inside a
sandbox with cordon's defaults (host view, root inside), records the outcome of every
test case on both sides, and reports each loss: a case that passes on the host but
fails, errors, is skipped or does not run inside. Each loss is run once more, alone,
in a fresh sandbox; one that passes then is reported as unstable, not as a loss.

Exit status: 0 when every loss is in the allowlist; 1 when a loss is not; 2 when the
battery itself could not run (a sandbox that did not start, a module that passed
nothing on the host); 77 (skip) when not root or when CPython's test suite (Debian:
libpython3.11-testsuite) is missing.
"""

import argparse
import concurrent.futures
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = "regrtest_driver.py"
SANDBOX_DRIVER_DIR = "/opt/cordon-compat"  # read-only bind of this folder inside
SKIP = 77

# The modules that exercise what a sandbox changes: identity and ownership, limits,
# processes and signals, terminals, file systems, sockets, threads. With each, the
# seconds it took on the host of a busy 2-core machine, to start the longest first.
MODULES = {
    "test_multiprocessing_forkserver": 110, "test_subprocess": 80, "test_signal": 63,
    "test_io": 42, "test_tarfile": 35, "test_socket": 30, "test_threading": 28,
    "test_selectors": 19, "test_os": 18, "test_eintr": 18, "test_posix": 10,
    "test_mailbox": 10, "test_pathlib": 9, "test_tempfile": 6, "test_wait3": 6,
    "test_fork1": 6, "test_wait4": 6, "test_threadsignals": 5, "test_shutil": 4,
    "test_time": 3, "test_platform": 3, "test_select": 2, "test_uuid": 2,
    "test_posixpath": 2, "test_resource": 2, "test_fcntl": 2, "test_pty": 2,
    "test_getpass": 1, "test_mmap": 1, "test_syslog": 1, "test_epoll": 1, "test_stat": 1,
    "test_pwd": 1, "test_grp": 1,
}

# Cases left out on both sides, never compared: they change the host itself when run as
# root there, or they do not end on the host, or they cost more time than they add.
EXCLUDED = {
    "test_socket": [
        "test_sethostname",  # renames the host for a moment
        "*VSOCK*",           # blocks forever on a VM guest with AF_VSOCK and no peer
    ],
    "test_time": [
        "test_clock_settime", "test_monotonic_settime",  # set the host's clock (-1 h)
    ],
    "test_multiprocessing_forkserver": [
        # Time: the same API over threads and through a manager process, barriers and
        # connection.wait() (sleeps), and one case that starts 100 processes (35 s
        # here). What runs real processes through the fork server (locks, semaphores,
        # queues, pipes, shared memory, listeners, pools, the resource tracker) stays.
        "WithThreads*", "WithManager*", "TestSyncManagerTypes", "*TestBarrier", "TestWait",
        "test_many_processes",
    ],
}

# Resources enabled on both sides: subprocess only. Not "network" (the internet: none
# here, and only loopback inside), not "largefile" (multi-GB files), not "cpu" (slow).
REGRTEST_ARGS = ["-u", "subprocess"]
MODULE_TIMEOUT = 400  # regrtest's own per-module watchdog (dumps tracebacks, exits)

# Only what the tests need beyond cordon's defaults, so that the defaults under test
# (no capabilities, seccomp, RLIMIT_FSIZE, RLIMIT_NOFILE, network, /proc, /sys, ...)
# stay as they are: time for the slowest module, memory, tasks and disk for the
# heaviest, and the host's CPUs.
SANDBOX_OPTIONS = ["--time", "15m", "--memory", "2G", "--disk", "1G", "--pids", "4096",
                   "--cpus", str(os.cpu_count() or 1)]
HOST_TIMEOUT = 900

# One environment for both sides: what cordon gives inside (PATH, HOME, LANG).
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LANG = "C.UTF-8"

GOOD = {"pass", "xfail"}
RANK = {"error": 5, "fail": 5, "crash": 5, "missing": 4, "skip": 3, "xpass": 2,
        "xfail": 1, "pass": 0}


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Run CPython stdlib test modules on the host and inside `cordon run`, "
                    "and report every test case that passes on the host but not inside.",
        epilog="Exit status: 0 no unexplained loss, 1 unexplained losses, 2 the battery "
               "could not run, 77 skipped (not root, or no CPython test suite).")
    p.add_argument("--cordon", default=os.environ.get("CORDON", "build/cmd/cordon"),
                   help="the cordon binary (default: $CORDON or build/cmd/cordon)")
    p.add_argument("--modules", help="comma-separated test modules (default: the %d of "
                   "the battery, listed in README.md)" % len(MODULES))
    p.add_argument("--python", default="/usr/bin/python3.11",
                   help="the interpreter whose test suite runs (default %(default)s)")
    p.add_argument("--allowlist", default=os.path.join(HERE, "allowed_losses.txt"),
                   help="losses that cannot hold in a sandbox (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=6,
                   help="test modules run at once, host and sandbox runs together "
                        "(default %(default)s)")
    p.add_argument("--no-rerun", action="store_true",
                   help="do not run each loss again alone to confirm it")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object on stdout instead of the table")
    p.add_argument("--keep", metavar="DIR",
                   help="keep each run's records and stderr in DIR (created)")
    p.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    return p.parse_args(argv)


def log(args, msg):
    if args.verbose:
        print(f"battery: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# The allowlist


def load_allowlist(path):
    """Lines of 'ID-OR-GLOB  REASON'; '#' starts a comment line. A reason is required."""
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) < 2 or not parts[1].strip():
                raise ValueError(f"{path}:{n}: an entry needs a test id and a reason")
            entries.append({"pattern": parts[0], "reason": parts[1].strip(), "used": 0})
    return entries


def allowed(entries, case_id):
    for e in entries:
        if fnmatch.fnmatchcase(case_id, e["pattern"]):
            e["used"] += 1
            return e["reason"]
    return None


# ---------------------------------------------------------------------------------------
# One run: the driver's JSON lines, on the host or inside a sandbox


class Run:
    def __init__(self, side, module):
        self.side, self.module = side, module
        self.cases = {}      # id -> {"outcome", "message", "detail", "parent"}
        self.fixtures = {}   # "setUpClass (test.test_x.C)" -> record
        self.module_rec = None
        self.end = None
        self.status = None   # exit status of the process (cordon's, on the inside)
        self.how = ""        # how the run ended, when it ended early
        self.seconds = 0.0

    def add(self, rec):
        t = rec.get("t")
        if t == "end":
            self.end = rec
        elif t == "module":
            self.module_rec = rec
        elif t == "case":
            cid = rec["id"]
            table = self.fixtures if " (" in cid and "parent" not in rec else self.cases
            old = table.get(cid)
            # A case can be reported twice (the test and its tearDown): keep the worst.
            if old is None or RANK.get(rec["outcome"], 5) > RANK.get(old["outcome"], 5):
                table[cid] = rec

    def parse(self, text):
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    self.add(json.loads(line))
                except ValueError:
                    pass

    def lookup(self, case_id, parent=None):
        """The outcome of CASE_ID in this run, explained when it did not run."""
        rec = self.cases.get(case_id)
        if rec is not None:
            return rec["outcome"], rec.get("message", ""), rec.get("detail", "")
        if parent is not None:
            rec = self.cases.get(parent)
            if rec is not None:
                return rec["outcome"], rec.get("message", ""), rec.get("detail", "")
        cls = (parent or case_id).rsplit(".", 1)[0]
        mod = "test." + self.module
        for key in (f"setUpClass ({cls})", f"setUpModule ({mod})"):
            rec = self.fixtures.get(key)
            if rec is not None:
                return (rec["outcome"], f"{key.split(' ')[0]}: {rec.get('message', '')}",
                        rec.get("detail", ""))
        m = self.module_rec
        if m is not None and m["outcome"] in ("skip", "crash"):
            word = "module skipped" if m["outcome"] == "skip" else "module failed"
            return ("skip" if m["outcome"] == "skip" else "error",
                    f"{word}: {m.get('message', '')}", m.get("detail", ""))
        if self.end is None:
            return "missing", f"did not run: {self.how or 'the run ended early'}", ""
        return "missing", "did not run", ""


def driver_args(module, match=None):
    args = list(REGRTEST_ARGS) + ["--timeout", str(MODULE_TIMEOUT)]
    for pat in EXCLUDED.get(module, []):
        args += ["-i", pat]
    for pat in match or []:
        args += ["-m", pat]
    return args + [module]


def describe_status(status, result):
    if result and result.get("reason") not in (None, "exited"):
        return f"sandbox ended: {result.get('reason')} (exit {status})"
    if status is not None and status < 0:
        return f"killed by {signal.Signals(-status).name}"
    if status is not None and status > 128:
        try:
            return f"killed by {signal.Signals(status - 128).name}"
        except ValueError:
            pass
    return f"exit {status}"


def keep_records(work, run, tag, data):
    with open(os.path.join(work, f"{run.side}-{run.module}{tag}.jsonl"), "wb") as f:
        f.write(data)


def run_host(args, work, module, match=None, tag=""):
    run = Run("host", module)
    home = os.path.join(work, "home")
    tmp = os.path.join(work, "tmp")
    env = {"PATH": PATH, "HOME": home, "LANG": LANG, "TMPDIR": tmp}
    cmd = [args.python, os.path.join(HERE, DRIVER)] + driver_args(module, match)
    t0 = time.monotonic()
    with open(os.path.join(work, f"host-{module}{tag}.stderr"), "wb") as err:
        try:
            p = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=err, timeout=HOST_TIMEOUT,
                               start_new_session=True)  # no controlling terminal, as inside
            out, run.status = p.stdout, p.returncode
        except subprocess.TimeoutExpired as e:
            out, run.status, run.how = e.stdout or b"", None, "host timeout"
    run.seconds = time.monotonic() - t0
    keep_records(work, run, tag, out)
    run.parse(out.decode("utf-8", "replace"))
    if not run.how:
        run.how = describe_status(run.status, None)
    return run


def run_inside(args, work, module, match=None, tag=""):
    run = Run("inside", module)
    result_file = os.path.join(work, f"inside-{module}{tag}.result.json")
    cmd = [args.cordon, "run", *SANDBOX_OPTIONS,
           "--bind", f"{HERE}:{SANDBOX_DRIVER_DIR}", "--result-file", result_file, "--",
           args.python, f"{SANDBOX_DRIVER_DIR}/{DRIVER}"] + driver_args(module, match)
    env = {"PATH": os.environ.get("PATH", PATH), "LANG": LANG}
    t0 = time.monotonic()
    with open(os.path.join(work, f"inside-{module}{tag}.stderr"), "wb") as err:
        p = subprocess.run(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=err)
    run.seconds = time.monotonic() - t0
    run.status = p.returncode
    result = None
    try:
        with open(result_file, encoding="utf-8") as f:
            result = json.load(f)
    except (OSError, ValueError):
        pass
    keep_records(work, run, tag, p.stdout)
    run.parse(p.stdout.decode("utf-8", "replace"))
    run.how = describe_status(run.status, result)
    return run


# ---------------------------------------------------------------------------------------
# Comparison


def module_of(case_id, modules):
    for m in modules:
        if case_id.startswith(f"test.{m}."):
            return m
    return case_id.split(".")[1] if case_id.count(".") else case_id


def compare(host, inside):
    """Every case that is good on the host and not good inside."""
    losses = []
    seen = set()
    for cid, rec in host.cases.items():
        if rec["outcome"] not in GOOD or "parent" in rec:
            continue
        outcome, message, detail = inside.lookup(cid)
        seen.add(cid)
        if outcome not in GOOD:
            losses.append({"id": cid, "host": rec["outcome"], "inside": outcome,
                           "message": message, "detail": detail})
    # A skipped subtest has its own record; its case passes otherwise. A subtest passing
    # on the host has no record there: it counts as its case's outcome.
    for cid, rec in inside.cases.items():
        parent = rec.get("parent")
        if parent is None or cid in seen or parent in {l["id"] for l in losses}:
            continue
        h_outcome = host.lookup(cid, parent)[0]
        if h_outcome in GOOD and rec["outcome"] not in GOOD:
            losses.append({"id": cid, "host": h_outcome, "inside": rec["outcome"],
                           "message": rec.get("message", ""), "detail": rec.get("detail", "")})
    # Class and module clean-ups that fail only inside.
    for key, rec in inside.fixtures.items():
        if key.startswith(("tearDownClass", "tearDownModule")) and rec["outcome"] != "pass" \
                and key not in host.fixtures:
            losses.append({"id": key, "host": "pass", "inside": rec["outcome"],
                           "message": rec.get("message", ""), "detail": rec.get("detail", "")})
    return losses


def rerun_patterns(loss):
    cid = loss["id"]
    if cid.startswith(("tearDownClass (", "tearDownModule (")):
        return [cid.split("(", 1)[1].rstrip(")") + ".*"]
    return [cid.split(" ", 1)[0]]  # a subtest's id is its case's id, a space, its params


# ---------------------------------------------------------------------------------------


def preflight(args):
    if os.geteuid() != 0:
        return "not root: cordon run needs root on the host"
    if not os.access(args.python, os.X_OK):
        return f"{args.python} is missing (Debian: python3.11)"
    code = "import test.libregrtest, test.support, test.test_os"
    if subprocess.run([args.python, "-c", code], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        return f"CPython's test suite is missing for {args.python} " \
               "(Debian: libpython3.11-testsuite)"
    return None


def main(argv):
    args = parse_args(argv)
    why = preflight(args)
    if why:
        print(f"battery: SKIP: {why}", file=sys.stderr)
        return SKIP
    if not os.access(args.cordon, os.X_OK):
        print(f"battery: {args.cordon}: not an executable (--cordon)", file=sys.stderr)
        return 2
    args.cordon = os.path.abspath(args.cordon)
    modules = [m.strip() for m in args.modules.split(",")] if args.modules else list(MODULES)
    modules = [m for m in modules if m]
    try:
        allowlist = load_allowlist(args.allowlist)
    except ValueError as e:
        print(f"battery: {e}", file=sys.stderr)
        return 2

    t_start = time.monotonic()
    work = tempfile.mkdtemp(prefix="cordon-compat-")
    os.makedirs(os.path.join(work, "home"))
    os.makedirs(os.path.join(work, "tmp"))
    try:
        report = battery(args, work, modules, allowlist)
    finally:
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for name in os.listdir(work):
                if name.endswith((".stderr", ".json", ".jsonl")):
                    shutil.copy(os.path.join(work, name), args.keep)
        shutil.rmtree(work, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - t_start, 1)

    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
    else:
        print_report(report)
    if report["errors"]:
        return 2
    return 1 if report["unexplained"] else 0


def battery(args, work, modules, allowlist):
    jobs = []
    for m in sorted(modules, key=lambda m: -MODULES.get(m, 10)):
        jobs += [("host", m), ("inside", m)]
    runs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_host if side == "host" else run_inside, args, work, m):
                   (side, m) for side, m in jobs}
        for fut in concurrent.futures.as_completed(futures):
            side, m = futures[fut]
            run = runs[(side, m)] = fut.result()
            log(args, f"{side:6} {m}: {len(run.cases)} cases in {run.seconds:.0f}s ({run.how})")

    errors = []
    report_modules = {}
    losses = []
    for m in modules:
        host, inside = runs[("host", m)], runs[("inside", m)]
        h_good = sum(r["outcome"] in GOOD for r in host.cases.values() if "parent" not in r)
        i_good = sum(r["outcome"] in GOOD for r in inside.cases.values() if "parent" not in r)
        report_modules[m] = {
            "host": {"cases": len(host.cases), "good": h_good, "seconds": round(host.seconds, 1),
                     "ended": "completed" if host.end else host.how},
            "inside": {"cases": len(inside.cases), "good": i_good,
                       "seconds": round(inside.seconds, 1),
                       "ended": "completed" if inside.end else inside.how},
        }
        if h_good == 0:
            errors.append(f"{m}: no case passed on the host ({host.how}); "
                          "see its stderr with --keep")
        if inside.status in (64, 66, 125, 126, 127) and not inside.cases:
            errors.append(f"{m}: the sandbox did not run the module ({inside.how})")
        for loss in compare(host, inside):
            loss["module"] = m
            losses.append(loss)

    # Each loss once more, alone: what passes now was the load, not the sandbox.
    if losses and not args.no_rerun:
        by_module = {}
        for loss in losses:
            by_module.setdefault(loss["module"], []).append(loss)
        for m, ls in by_module.items():
            pats = sorted({p for l in ls for p in rerun_patterns(l)})
            again = run_inside(args, work, m, match=pats, tag=".rerun")
            log(args, f"rerun  {m}: {len(pats)} cases ({again.how})")
            for l in ls:
                if l["id"].startswith(("tearDownClass (", "tearDownModule (")):
                    rec = again.fixtures.get(l["id"])
                    outcome = rec["outcome"] if rec else "pass"
                else:
                    parent = l["id"].split(" ", 1)[0] if " " in l["id"] else None
                    outcome = again.lookup(l["id"], parent)[0]
                l["rerun"] = outcome
                l["unstable"] = outcome in GOOD

    unexplained = 0
    for l in losses:
        l["allowed"] = None if l.get("unstable") else allowed(allowlist, l["id"])
        if not l.get("unstable") and l["allowed"] is None:
            unexplained += 1
    stale = [e["pattern"] for e in allowlist if e["used"] == 0]
    return {
        "python": args.python,
        "cordon": args.cordon,
        "sandbox_options": SANDBOX_OPTIONS,
        "regrtest_args": REGRTEST_ARGS,
        "modules": report_modules,
        "losses": losses,
        "unexplained": unexplained,
        "allowed": sum(1 for l in losses if l["allowed"]),
        "unstable": sum(1 for l in losses if l.get("unstable")),
        "unused_allowlist_entries": stale,
        "errors": errors,
    }


def print_report(report):
    mods = report["modules"]
    w = max(len(m) for m in mods) if mods else 10
    print(f"{'module':{w}}  host-pass  inside-pass  losses  host-s  inside-s")
    for m, r in mods.items():
        n = sum(1 for l in report["losses"] if l["module"] == m and not l.get("unstable"))
        note = "" if r["inside"]["ended"] == "completed" else f"  (inside: {r['inside']['ended']})"
        if r["host"]["ended"] != "completed":
            note += f"  (host: {r['host']['ended']})"
        print(f"{m:{w}}  {r['host']['good']:9}  {r['inside']['good']:11}  {n:6}  "
              f"{r['host']['seconds']:6.0f}  {r['inside']['seconds']:8.0f}{note}")
    print()
    current = None
    for l in sorted(report["losses"], key=lambda l: (l["module"], l["id"])):
        if l["module"] != current:
            current = l["module"]
            print(current)
        short = l["id"][len(f"test.{current}."):] if l["id"].startswith(f"test.{current}.") \
            else l["id"]
        tag = "unstable" if l.get("unstable") else ("allowed" if l["allowed"] else "LOSS")
        print(f"  {tag:8} {l['inside']:7} {short}")
        print(f"           {l['message']}")
        if l["allowed"]:
            print(f"           allowed: {l['allowed']}")
    if report["unused_allowlist_entries"]:
        print("\nallowlist entries that matched no loss: "
              + ", ".join(report["unused_allowlist_entries"]))
    for e in report["errors"]:
        print(f"ERROR: {e}")
    print(f"\n{report['unexplained']} unexplained losses, {report['allowed']} allowed, "
          f"{report['unstable']} unstable (passed when run again alone); "
          f"{report['seconds']:.0f}s")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
