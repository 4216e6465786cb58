#!/usr/bin/env python3
"""cordon side by side with its peers, in one run: latency, throughput, density,
the breakdown of a cordon start, and the overhead inside a sandbox.

Every peer that bench/peers.py can set up on this machine is measured in the
same run, interleaved round by round, so the machine's drift hits all alike:
floor (fork+exec), unshare (the same namespaces), cordon (every default),
cordon-no-cgroup (the one opt-out), bwrap, crun, runsc (gVisor, ptrace), lxc.
Missing peers are listed with the reason (bench/setup.sh installs them).

Parts (--only picks some; default all):
  latency     start-to-exit of /bin/true: median, p90 (--runs, default 200)
  throughput  sandboxes finished per second with 1 and 2 workers (--seconds, 20)
  density     N idle sandboxes at once (--density, default 1000): memory, time
  breakdown   where a cordon start's time goes, step by step
  inside      a syscall loop, a fork+exec loop, file creation: inside vs outside

Outputs: markdown on stdout and in OUT/results.md, OUT/results.json, and the
charts OUT/latency.png and OUT/throughput.png (gnuplot).

Exit status: 0 ok; 1 a ratio over --max-ratio; 2 a ratio asked but a peer is
missing; 3 a benchmarked run failed.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import breakdown  # noqa: E402
import load  # noqa: E402
import peers as peers_mod  # noqa: E402
import report  # noqa: E402
from timing import RunFailed, run_once, summarize  # noqa: E402

PARTS = ("latency", "throughput", "density", "breakdown", "inside")
QUICK_PARTS = ("latency", "throughput")
THROUGHPUT_SYSTEMS = ("floor", "unshare", "cordon", "cordon-launcher", "cordon-no-cgroup",
                      "bwrap", "crun",
                      "runsc", "lxc")
DENSITY_SYSTEMS = ("cordon", "cordon-launcher", "bwrap")
EXIT_RATIO, EXIT_CANNOT_CHECK, EXIT_RUN_FAILED = 1, 2, 3


def log(msg):
    """Progress goes to stderr, so stdout stays the report."""
    print(msg, file=sys.stderr, flush=True)


def measure_latency(peers, runs, warmup):
    """Interleaved start-to-exit samples (ns) per peer; the order rotates each round."""
    names = list(peers)
    samples = {n: [] for n in names}
    devnull = os.open(os.devnull, os.O_RDWR)
    run_id = 0
    try:
        with tempfile.TemporaryFile() as errfile:
            for rnd in range(warmup + runs):
                shift = rnd % len(names)
                for name in names[shift:] + names[:shift]:
                    peer = peers[name]
                    run_id += 1
                    start = time.perf_counter_ns()
                    if hasattr(peer, "call"):  # a service's call, no exec on our side
                        code = peer.call(["/bin/true"], devnull, errfile.fileno())
                        if code != 0:
                            errfile.seek(0)
                            raise RunFailed(f"{name}: exit {code}; stderr: "
                                            + errfile.read().decode(errors="replace").strip())
                    else:
                        run_once(peer.argv(["/bin/true"], run_id), devnull, errfile)
                    peer.cleanup(run_id)  # a sandbox is not gone until its leftovers are
                    if rnd >= warmup:
                        samples[name].append(time.perf_counter_ns() - start)
                if rnd % 50 == 49:
                    log(f"  latency: round {rnd + 1}/{warmup + runs}")
    finally:
        os.close(devnull)
    return samples


def ratio(results, a, b, key):
    """results[a][key] / results[b][key], or None."""
    try:
        return results[a][key] / results[b][key]
    except (KeyError, ZeroDivisionError, TypeError):
        return None


def parse_args(argv):
    """Command-line options."""
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status: 0 ok; 1 a ratio over --max-ratio; 2 a ratio asked but "
               "a peer is missing; 3 a benchmarked run failed.")
    p.add_argument("--only", default=None,
                   help=f"comma-separated parts of {','.join(PARTS)} (default: all; "
                        f"with --quick: {','.join(QUICK_PARTS)})")
    p.add_argument("--quick", action="store_true",
                   help="a few seconds, for CI: 30 runs, 2 s of throughput, no density")
    p.add_argument("--runs", type=int, help="latency: timed runs per system (default 200)")
    p.add_argument("--warmup", type=int, default=None, help="latency: uncounted runs (20)")
    p.add_argument("--seconds", type=float, help="throughput: window per measure (20)")
    p.add_argument("--density", type=int, help="density: idle sandboxes at once (1000)")
    p.add_argument("--systems", help="only these systems (comma-separated names)")
    p.add_argument("--cordon", default=breakdown.default_cordon(), help="cordon binary")
    p.add_argument("--out", metavar="DIR", help="write results.md, results.json, charts")
    p.add_argument("--max-ratio", type=float, metavar="R",
                   help="exit 1 if cordon's median start-to-exit exceeds R x bwrap's")
    args = p.parse_args(argv)
    args.parts = tuple(args.only.split(",")) if args.only else (
        QUICK_PARTS if args.quick else PARTS)
    bad = [x for x in args.parts if x not in PARTS]
    if bad:
        p.error(f"unknown part(s) {','.join(bad)}; choose from {','.join(PARTS)}")
    args.runs = args.runs or (30 if args.quick else 200)
    args.warmup = args.warmup if args.warmup is not None else (5 if args.quick else 20)
    args.seconds = args.seconds or (2.0 if args.quick else 20.0)
    args.density = args.density or (50 if args.quick else 1000)
    if args.runs < 1 or args.warmup < 0 or args.seconds <= 0 or args.density < 1:
        p.error("--runs, --seconds and --density must be positive, --warmup >= 0")
    if args.max_ratio is not None and args.max_ratio <= 0:
        p.error("--max-ratio must be > 0")
    return args


def run_parts(args, peers, out):
    """Runs the chosen parts; fills out[...] and returns the markdown sections."""
    md = []
    if "latency" in args.parts:
        log(f"latency: {args.runs} runs x {len(peers)} systems after {args.warmup} warm-up")
        samples = measure_latency(peers, args.runs, args.warmup)
        out["latency"] = {n: summarize(s) for n, s in samples.items()}
        md += ["## Start-to-exit of /bin/true", "",
               report.latency_table(out["latency"], out["missing"]), ""]
    if "throughput" in args.parts:
        chosen = [n for n in THROUGHPUT_SYSTEMS if n in peers]
        if args.quick:
            chosen = [n for n in ("cordon", "cordon-launcher", "bwrap") if n in peers]
        out["throughput"] = {}
        for workers in (1, 2):
            for name in chosen:
                log(f"throughput: {name}, {workers} worker(s), {args.seconds:g} s")
                r = load.throughput(peers[name], workers, args.seconds)
                out["throughput"].setdefault(name, {})[workers] = r
        md += ["## Throughput: sandboxes of /bin/true finished per second", "",
               report.throughput_table(out["throughput"]), ""]
    if "density" in args.parts:
        out["density"] = {}
        for name in (n for n in DENSITY_SYSTEMS if n in peers):
            log(f"density: {args.density} idle {name} sandboxes")
            out["density"][name] = load.density(peers[name], args.density, progress=log)
        md += [f"## Density: {args.density} idle sandboxes at once", "",
               report.density_table(out["density"]), ""]
    if "breakdown" in args.parts:
        runs = min(args.runs, 100)
        log(f"breakdown: {runs} runs of cordon run --json -- /bin/true")
        out["breakdown_us"] = breakdown.measure(args.cordon, runs)
        md += ["## Where a cordon start's time goes", "", breakdown.render(out["breakdown_us"]),
               ""]
    if "inside" in args.parts:
        import inside_overhead  # noqa: E402 (compiles a static helper; only when asked)
        log("inside: workloads inside vs outside")
        try:
            r = inside_overhead.run(os.path.abspath(args.cordon), quick=args.quick)
        except inside_overhead.RunFailed as err:
            raise RunFailed(str(err)) from err
        out["inside"] = r
        md += ["## Overhead inside a sandbox (median of interleaved rounds)", "",
               inside_overhead.render(r["stats"], r["files_fs"], r["missing"]), ""]
    return md


def main(argv=None):
    """Runs the benchmark; returns the exit status."""
    args = parse_args(argv)
    out = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                    "machine": platform.machine()},
           "parts": list(args.parts)}
    with tempfile.TemporaryDirectory(prefix="cordon-bench-") as work:
        peers, missing = peers_mod.discover(work, os.path.abspath(args.cordon))
        if args.systems:
            keep = args.systems.split(",")
            peers = {n: p for n, p in peers.items() if n in keep}
            missing = {n: w for n, w in missing.items() if n in keep}
        out["systems"] = {n: {"description": p.description,
                              "argv": p.argv(["/bin/true"], 0)} for n, p in peers.items()}
        out["missing"] = missing
        for name, why in missing.items():
            log(f"skipped {name}: {why}")
        try:
            md = run_parts(args, peers, out)
        except (RunFailed, load.LoadFailed, breakdown.BreakdownFailed) as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_RUN_FAILED
        finally:
            peers_mod.stop_launchers()
    lat = out.get("latency", {})
    thr = {n: per.get(2) for n, per in out.get("throughput", {}).items()}
    ratios = {
        "latency_cordon_vs_bwrap": ratio(lat, "cordon", "bwrap", "median_ms"),
        "latency_cordon_launcher_vs_bwrap": ratio(lat, "cordon-launcher", "bwrap", "median_ms"),
        "throughput_2w_cordon_vs_bwrap": ratio(thr, "cordon", "bwrap", "per_second"),
        "throughput_2w_cordon_launcher_vs_bwrap": ratio(thr, "cordon-launcher", "bwrap",
                                                        "per_second"),
    }
    for peer in ("crun", "runsc", "lxc", "unshare"):
        ratios[f"latency_cordon_vs_{peer}"] = ratio(lat, "cordon", peer, "median_ms")
    out["ratios"] = {k: v for k, v in ratios.items() if v is not None}
    head = [f"# cordon bench, {out['date']}", "",
            f"{platform.node()}: kernel {platform.release()}, {os.cpu_count()} CPUs. "
            f"Command: `python3 bench/bench.py {' '.join(argv or sys.argv[1:])}`", ""]
    ratio_lines = ["## Ratios", ""] + [f"- {k}: {v:.2f}" for k, v in out["ratios"].items()]
    text = "\n".join(head + md + ratio_lines) + "\n"
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        made, problems = report.charts(args.out, out.get("latency"), out.get("throughput"))
        for p in problems:
            log(f"chart: {p}")
        out["charts"] = made
        with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
            f.write(text + "".join(f"\n![{m}]({m})\n" for m in made))
        with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        log(f"wrote {args.out}/results.md, results.json {' '.join(made)}")
    if args.max_ratio is None:
        return 0
    r = out["ratios"].get("latency_cordon_vs_bwrap")
    if r is None:
        print(f"error: --max-ratio asked but no cordon/bwrap latency ratio "
              f"({'; '.join(missing.values()) or 'latency not measured'})", file=sys.stderr)
        return EXIT_CANNOT_CHECK
    if r > args.max_ratio:
        print(f"error: cordon/bwrap median {r:.2f} exceeds --max-ratio {args.max_ratio}",
              file=sys.stderr)
        return EXIT_RATIO
    return 0


if __name__ == "__main__":
    sys.exit(main())
