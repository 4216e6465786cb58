"""The outputs of bench.py: markdown tables and gnuplot charts (PNG)."""

import os
import shutil
import subprocess


def latency_table(stats, missing, base="bwrap"):
    """Start-to-exit medians and p90 per system, with the ratio to `base`."""
    ref = stats.get(base, {}).get("median_ms")
    lines = [f"| system | median ms | p90 ms | min ms | median / {base} |",
             "|---|---:|---:|---:|---:|"]
    for name, st in stats.items():
        rel = f"{st['median_ms'] / ref:.2f}" if ref else "n/a"
        lines.append(f"| {name} | {st['median_ms']:.2f} | {st['p90_ms']:.2f} "
                     f"| {st['min_ms']:.2f} | {rel} |")
    lines += [f"| {name} | skipped: {why} | | | |" for name, why in missing.items()]
    return "\n".join(lines)


def throughput_table(results, base="bwrap"):
    """Sandboxes finished per second, per system and number of workers."""
    workers = sorted({w for per in results.values() for w in per})
    head = " | ".join(f"{w} worker{'s' if w > 1 else ''} /s" for w in workers)
    lines = [f"| system | {head} | {workers[-1]} workers / {base} |",
             "|---|" + "---:|" * (len(workers) + 1)]
    ref = results.get(base, {}).get(workers[-1], {}).get("per_second")
    for name, per in results.items():
        cells = " | ".join(f"{per[w]['per_second']:.0f}" if w in per else "" for w in workers)
        top = per.get(workers[-1], {}).get("per_second")
        rel = f"{top / ref:.2f}" if ref and top else "n/a"
        lines.append(f"| {name} | {cells} | {rel} |")
    return "\n".join(lines)


def density_table(results):
    """Idle sandboxes kept at once: memory per sandbox and time to start them all."""
    lines = ["| system | sandboxes | all up in s | host memory / sandbox KiB "
             "| host process RSS KiB | host process PSS KiB | all stopped in s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, d in results.items():
        lines.append(f"| {name} | {d['count']} | {d['start_all_s']:.2f} "
                     f"| {d['host_mem_per_sandbox_kib']:.0f} | {d['host_process_rss_kib']:.0f} "
                     f"| {d['host_process_pss_kib']:.0f} | {d['stop_all_s']:.2f} |")
    return "\n".join(lines)


def _gnuplot(script, out_dir):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "gnuplot not found (apt-get install gnuplot-nox: bench/setup.sh)"
    proc = subprocess.run([gnuplot], input=script.encode(), cwd=out_dir,
                          capture_output=True, check=False)
    if proc.returncode != 0:
        return "gnuplot failed: " + proc.stderr.decode(errors="replace").strip()[:300]
    return None


def charts(out_dir, latency, throughput):
    """latency.png and throughput.png in out_dir; returns the files made and problems."""
    made, problems = [], []
    if latency:
        with open(os.path.join(out_dir, "latency.dat"), "w", encoding="utf-8") as f:
            for name, st in latency.items():
                f.write(f"\"{name}\" {st['median_ms']:.4f} {st['p90_ms']:.4f}\n")
        err = _gnuplot("""set terminal pngcairo size 900,480 font ',10' noenhanced
set output 'latency.png'
set title 'Start-to-exit of /bin/true (median and p90, ms, log scale; lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel 'ms'
set logscale y
set xtics rotate by -30
set grid ytics
plot 'latency.dat' using 2:xtic(1) title 'median', '' using 3 title 'p90'
""", out_dir)
        (problems.append(err) if err else made.append("latency.png"))
    if throughput:
        workers = sorted({w for per in throughput.values() for w in per})
        with open(os.path.join(out_dir, "throughput.dat"), "w", encoding="utf-8") as f:
            for name, per in throughput.items():
                cells = " ".join(f"{per[w]['per_second']:.2f}" if w in per else "0"
                                 for w in workers)
                f.write(f"\"{name}\" {cells}\n")
        plots = ", ".join(
            f"'throughput.dat' using {i + 2}" + (":xtic(1)" if i == 0 else "")
            + f" title '{w} worker{'s' if w > 1 else ''}'" for i, w in enumerate(workers))
        err = _gnuplot(f"""set terminal pngcairo size 900,480 font ',10' noenhanced
set output 'throughput.png'
set title 'Sandboxes of /bin/true finished per second (higher is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel 'per second'
set yrange [0:*]
set xtics rotate by -30
set grid ytics
plot {plots}
""", out_dir)
        (problems.append(err) if err else made.append("throughput.png"))
    return made, problems
