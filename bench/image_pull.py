#!/usr/bin/env python3
"""Pull and import throughput of `cordon image`, side by side with a peer in the same run.

Starts the tests' local registry (tests/registry/test_registry.py: Debian's
docker-registry on 127.0.0.1 with a self-signed certificate) with one image of one layer
of MIB MiB of random bytes, then alternates, ROUNDS times:
  pull    `cordon image pull` into a fresh store  vs  `skopeo copy docker://... oci:DIR`
  import  `cordon image import` of that OCI layout into a fresh store  vs  `tar -x` of its
          layer blob (GNU tar; what an unpack costs without a store)
and prints the median MB/s of each and the ratio cordon/peer (above 1: cordon is faster).
Nothing leaves the machine.

Usage: bench/image_pull.py [--cordon PATH] [--mib N] [--rounds N] [--json]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(argv, **kw):
    t0 = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cordon", default=os.path.join(ROOT, "build/cmd/cordon"))
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not shutil.which("skopeo"):
        sys.exit("bench/image_pull.py: needs skopeo (scripts/setup.sh installs it)")
    reg = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/registry/test_registry.py"),
                            "--big", str(a.mib)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    try:
        info = json.loads(reg.stdout.readline())
        host, ca = info["anon"]["host"], info["ca"]
        big = info["images"]["big"]
        size_mb = sum(big["layer_sizes"]) / 1e6
        work = tempfile.mkdtemp(prefix="cordon-bench-pull-")
        certs = os.path.join(work, "certs")
        os.makedirs(certs)
        shutil.copy(ca, os.path.join(certs, "ca.crt"))
        ref = f"{host}/test/big:latest"
        rows = {"pull": ([], []), "import": ([], [])}
        for i in range(a.rounds):
            store = os.path.join(work, f"store{i}")
            layout = os.path.join(work, f"layout{i}")
            rows["pull"][0].append(timed([a.cordon, "image", "pull", ref, "--ca-file", ca,
                                          "--store", store]))
            rows["pull"][1].append(timed(["skopeo", "copy", "--src-cert-dir", certs,
                                          f"docker://{ref}", f"oci:{layout}:latest"]))
            rows["import"][0].append(timed([a.cordon, "image", "import", layout, "--store",
                                            store + "-import"]))
            blob = os.path.join(layout, "blobs/sha256", big["layers"][0].split(":")[1])
            out = os.path.join(work, f"untar{i}")
            os.makedirs(out)
            rows["import"][1].append(timed(["tar", "-xf", blob, "-C", out]))
            for d in (store, store + "-import", layout, out):
                shutil.rmtree(d, ignore_errors=True)
        report = {"layer_mb": round(size_mb, 1), "rounds": a.rounds}
        for what, (ours, peer) in rows.items():
            o, p = statistics.median(ours), statistics.median(peer)
            report[what] = {"cordon_mb_s": round(size_mb / o, 1), "peer_mb_s": round(size_mb / p, 1),
                            "peer": "skopeo copy" if what == "pull" else "tar -x",
                            "ratio": round(p / o, 2)}
        if a.json:
            print(json.dumps(report))
        else:
            for what in ("pull", "import"):
                r = report[what]
                print(f"{what:7} cordon {r['cordon_mb_s']:7.1f} MB/s   {r['peer']:12} "
                      f"{r['peer_mb_s']:7.1f} MB/s   ratio {r['ratio']:.2f}")
        shutil.rmtree(work, ignore_errors=True)
    finally:
        reg.stdin.close()
        reg.wait(timeout=60)


if __name__ == "__main__":
    main()
