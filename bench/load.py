"""Throughput and density: many sandboxes, one after another or all at once.

throughput(peer, workers, seconds)
    `workers` threads each start the peer's /bin/true back to back for `seconds`;
    the result is the number finished inside the window per second. Whatever a
    system defers (the kernel frees a network namespace in a workqueue, a cgroup
    after an RCU grace period) runs on the same CPUs during the window, so it is
    counted in the figure, as long as the window is much longer than one start.

density(peer, count)
    Starts `count` sandboxes that each print one line and then sleep, waits for
    every line (so each sandbox is really running), and reads: the host's memory
    in use (MemTotal - MemAvailable) before and with all of them, the RSS and PSS
    of the per-sandbox host processes (cordon's supervisor, bwrap's parent, ...),
    and how long it took until the last one was up. Then it ends them all.
"""

import os
import resource
import signal
import subprocess
import tempfile
import threading
import time

READY_CMD = ["/bin/sh", "-c", "echo ready; exec /bin/sleep 100000"]


class LoadFailed(Exception):
    """A sandbox of the load run failed."""


def throughput(peer, workers, seconds, first_id=100000):
    """Sandboxes started and finished per second by `workers` parallel loops."""
    deadline = time.monotonic() + seconds
    done = [0] * workers
    errors = []
    ids = iter(range(first_id, first_id + 10**7))
    lock = threading.Lock()

    def loop(slot):
        while time.monotonic() < deadline and not errors:
            with lock:
                run_id = next(ids)
            if hasattr(peer, "call"):  # a service's call, no exec on our side
                code, err = peer.call(["/bin/true"], devnull, errfiles[slot].fileno()), b""
                if code != 0:
                    errfiles[slot].seek(0)
                    err = errfiles[slot].read()
            else:
                proc = subprocess.run(peer.argv(["/bin/true"], run_id),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, check=False)
                code, err = proc.returncode, proc.stderr
            peer.cleanup(run_id)
            if code != 0:
                errors.append(f"{peer.name}: exit {code}: "
                              f"{err.decode(errors='replace').strip()[:300]}")
                return
            if time.monotonic() <= deadline:
                done[slot] += 1

    devnull = os.open(os.devnull, os.O_RDWR)
    errfiles = [tempfile.TemporaryFile() for _ in range(workers)]  # a failure's stderr
    start = time.monotonic()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os.close(devnull)
    for f in errfiles:
        f.close()
    if errors:
        raise LoadFailed(errors[0])
    window = min(time.monotonic(), deadline) - start
    return {"workers": workers, "seconds": round(window, 3), "finished": sum(done),
            "per_second": sum(done) / window if window > 0 else 0.0}


class _Launched:
    """A sandbox started through a launcher peer, with the Popen calls density() makes.
    Its stdout is a pipe of ours; ending it is hanging up (the sandbox gets SIGHUP)."""

    def __init__(self, peer, command):
        r, w = os.pipe()
        try:
            self._sock = peer.start(command, w, w)
        finally:
            os.close(w)
        self.stdout = os.fdopen(r, "rb")
        self.pid = None

    def poll(self):
        return None if self._sock is not None else 0

    def send_signal(self, _sig):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    kill = send_signal

    def wait(self, timeout=None):
        """Until the sandbox's processes are gone: its end of our pipe closes."""
        self.send_signal(None)
        deadline = time.monotonic() + (timeout or 3600)
        while self.stdout.read(65536):
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("launcher sandbox", timeout)
        return 0


def _mem_used_kib():
    info = {}
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            key, value = line.split(":", 1)
            info[key] = int(value.split()[0])
    return info["MemTotal"] - info["MemAvailable"]


def _rss_pss_kib(pid):
    """(RSS, PSS) of one process in KiB, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            fields = {}
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                    fields[parts[0][:-1]] = int(parts[1])
        return fields.get("Rss", 0), fields.get("Pss", 0)
    except OSError:
        return None


def _raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))


def _settle(seconds=1.0):
    """Lets deferred frees of earlier work (netns, cgroups) finish before a memory reading."""
    time.sleep(seconds)


def density(peer, count, first_id=200000, progress=None, timeout=300):
    """Keeps `count` idle sandboxes of `peer` at once; returns the readings."""
    _raise_nofile(count * 2 + 256)
    _settle()
    before = _mem_used_kib()
    procs = []
    t0 = time.monotonic()
    try:
        for i in range(count):
            if hasattr(peer, "start"):
                procs.append(_Launched(peer, READY_CMD))
                continue
            procs.append(subprocess.Popen(peer.argv(READY_CMD, first_id + i),
                                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL))
        for n, p in enumerate(procs, 1):
            # One line per sandbox: "ready" comes from inside, after its whole start.
            line = p.stdout.readline()
            if line.strip() != b"ready":
                raise LoadFailed(f"{peer.name}: sandbox {n} of {count} did not start "
                                 f"(exit {p.poll()})")
            if time.monotonic() - t0 > timeout:
                raise LoadFailed(f"{peer.name}: {count} sandboxes not up in {timeout} s")
            if progress and n % 100 == 0:
                progress(f"  {peer.name}: {n}/{count} up")
        up_s = time.monotonic() - t0
        _settle(0.5)
        with_all = _mem_used_kib()
        hosts = (peer.host_processes() if hasattr(peer, "host_processes")
                 else [p.pid for p in procs])
        rss = [r for r in (_rss_pss_kib(pid) for pid in hosts) if r is not None]
    finally:
        t1 = time.monotonic()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for i, p in enumerate(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p.stdout.close()
            peer.cleanup(first_id + i)
        down_s = time.monotonic() - t1
    # A launcher's children include its warm supervisors (refilled meanwhile): more
    # than one per sandbox is fine, fewer means some were gone early.
    if len(rss) < count:
        raise LoadFailed(f"{peer.name}: {count - len(rss)} host processes were gone early")
    return {
        "count": count,
        "start_all_s": round(up_s, 3),
        "stop_all_s": round(down_s, 3),
        "host_mem_per_sandbox_kib": round((with_all - before) / count, 1),
        "host_process_rss_kib": round(sum(r for r, _ in rss) / len(rss), 1),
        "host_process_pss_kib": round(sum(p for _, p in rss) / len(rss), 1),
    }

