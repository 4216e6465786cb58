#!/usr/bin/env python3
"""Builds the archives tests/integration/image_test.cc imports, into OUTDIR: a busybox rootfs
as plain tarballs, an OCI image layout (directory and tar) of two layers whose upper one
holds a whiteout and an opaque directory, a runnable image of three layers whose config
sets every field `run --image` applies (run_image_test.cc), a docker save archive sharing the lower layer,
a corrupt OCI layout (a blob that does not match its digest), a truncated tarball, and
hostile layers. Everything is written here by hand (tarfile, json, hashlib), no docker.

Usage: image_fixtures.py OUTDIR BUSYBOX
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

APPLETS = ["sh", "ls", "cat", "echo"]


def info(name, type_=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, size=0, **kw):
    t = tarfile.TarInfo(name)
    t.type, t.mode, t.uid, t.gid, t.size, t.mtime = type_, mode, uid, gid, size, 1700000000
    for k, v in kw.items():
        setattr(t, k, v)
    return t


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    """entries: (TarInfo, bytes or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for ti, data in entries:
            if data is not None:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                tf.addfile(ti)
    return buf.getvalue()


def base_layer(busybox):
    bb = open(busybox, "rb").read()
    e = [(info("./", tarfile.DIRTYPE, 0o755), None),
         (info("bin/", tarfile.DIRTYPE, 0o755), None),
         (info("bin/busybox", mode=0o755), bb)]
    for a in APPLETS:
        e.append((info("bin/" + a, tarfile.SYMTYPE, 0o777, linkname="busybox"), None))
    e += [(info("bin/hardbox", tarfile.LNKTYPE, 0o755, linkname="bin/busybox"), None),
          (info("etc/", tarfile.DIRTYPE, 0o755), None),
          (info("etc/motd", mode=0o640, uid=1000, gid=1001), b"hello from the image\n"),
          (info("etc/gone"), b"removed by the upper layer\n"),
          (info("opaq/", tarfile.DIRTYPE, 0o755), None),
          (info("opaq/old"), b"hidden by the opaque marker\n")]
    return tar_bytes(e)


def upper_layer():
    return tar_bytes([(info("etc/", tarfile.DIRTYPE, 0o755), None),
                      (info("etc/.wh.gone"), b""),
                      (info("opaq/", tarfile.DIRTYPE, 0o755), None),
                      (info("opaq/.wh..wh..opq"), b""),
                      (info("opaq/new"), b"new\n"),
                      (info("fifo", tarfile.FIFOTYPE, 0o600), None)])


def sha(b):
    return hashlib.sha256(b).hexdigest()


DEFAULT_CONFIG = {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"], "WorkingDir": "/"}

# The runnable image's config (run_image_test.cc): every field `run --image` applies.
APP_CONFIG = {"Env": ["PATH=/bin", "GREETING=hello from config", "EMPTY="],
              "User": "app", "WorkingDir": "/srv/app",
              "Entrypoint": ["/bin/sh", "-c"],
              "Cmd": ["echo cmd-ran; id -u; id -g; pwd; echo $GREETING; echo $HOME"]}


def config(diff_ids, cfg=None):
    return json.dumps({"architecture": "amd64", "os": "linux",
                       "config": cfg if cfg is not None else DEFAULT_CONFIG,
                       "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]}}).encode()


def app_layer():
    """On top of the base layer: accounts for the image's User, more applets, and the
    working directory owned by that user."""
    e = [(info("bin/", tarfile.DIRTYPE, 0o755), None)]
    for a in ["id", "env", "touch", "stat", "sleep", "dd", "rm", "chmod", "mkdir"]:
        e.append((info("bin/" + a, tarfile.SYMTYPE, 0o777, linkname="busybox"), None))
    e += [(info("etc/", tarfile.DIRTYPE, 0o755), None),
          (info("etc/passwd"), b"root:x:0:0:root:/root:/bin/sh\napp:x:1500:1500::/home/app:/bin/sh\n"),
          (info("etc/group"), b"root:x:0:\nstaff:x:50:\napp:x:1500:\n"),
          (info("srv/", tarfile.DIRTYPE, 0o755), None),
          (info("srv/app/", tarfile.DIRTYPE, 0o755, uid=1500, gid=1500), None),
          (info("srv/app/data", mode=0o644, uid=1500, gid=1500), b"shipped with the image\n"),
          (info("home/", tarfile.DIRTYPE, 0o755), None),
          (info("home/app/", tarfile.DIRTYPE, 0o700, uid=1500, gid=1500), None)]
    return tar_bytes(e)


def oci_layout(out, layers, name, corrupt=False, cfg=None):
    """layers: (uncompressed tar, gzip it?)."""
    os.makedirs(out + "/blobs/sha256")
    blobs, descs = {}, []
    for tar, gz in layers:
        blob = gzip.compress(tar, mtime=0) if gz else tar
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else ""),
                      "digest": "sha256:" + sha(blob), "size": len(blob)})
        blobs[sha(blob)] = blob
    cfg = config([sha(t) for t, _ in layers], cfg)
    blobs[sha(cfg)] = cfg
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": "sha256:" + sha(cfg), "size": len(cfg)},
                      "layers": descs}).encode()
    blobs[sha(man)] = man
    for h, b in blobs.items():
        if corrupt and h == descs[-1]["digest"][7:]:
            b = b[:-1] + bytes([b[-1] ^ 1])
        open(f"{out}/blobs/sha256/{h}", "wb").write(b)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": "sha256:" + sha(man), "size": len(man),
                            "platform": {"os": "linux", "architecture": "amd64"},
                            "annotations": {"io.containerd.image.name": name}}]}
    open(out + "/index.json", "w").write(json.dumps(index))
    open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')


def dir_tar(src, dst):
    with tarfile.open(dst, "w") as tf:
        for name in sorted(os.listdir(src)):
            tf.add(os.path.join(src, name), arcname=name)


def docker_save(dst, layers, tags):
    cfg = config([sha(t) for t in layers])
    entries = [(info(sha(cfg) + ".json"), cfg)]
    names = []
    # As docker save (before 25) writes it: a directory named by a 64-hex ID per layer.
    for t in layers:
        d = sha(b"dir" + t)
        entries.append((info(f"{d}/", tarfile.DIRTYPE, 0o755), None))
        entries.append((info(f"{d}/layer.tar"), t))
        names.append(f"{d}/layer.tar")
    man = json.dumps([{"Config": sha(cfg) + ".json", "RepoTags": tags, "Layers": names}]).encode()
    entries.append((info("manifest.json"), man))
    open(dst, "wb").write(tar_bytes(entries))


def xattr_layer():
    """A file with xattrs as libarchive's pax keys carry them (base64 values): a user one
    (kept), a trusted one and user.overlay.opaque (dropped), and a revision 2 file
    capability, cap_net_raw permitted and effective (kept in its namespaced form)."""
    import base64
    import struct
    cap_v2 = struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0)
    x = {"user.note": b"kept", "trusted.evil": b"dropped", "user.overlay.opaque": b"y",
         "security.capability": cap_v2}
    t = info("ping", mode=0o755)
    t.pax_headers = {"LIBARCHIVE.xattr." + k: base64.b64encode(v).decode() for k, v in x.items()}
    return tar_bytes([(t, b"#!/bin/sh\n")])


def hostile(out):
    h = {}
    h["dotdot"] = tar_bytes([(info("../x"), b"x")])
    h["abs"] = tar_bytes([(info("/abs"), b"x")])
    h["symlink"] = tar_bytes([(info("l", tarfile.SYMTYPE, 0o777, linkname="/"), None),
                              (info("l/etc/pwned"), b"x")])
    h["device"] = tar_bytes([(info("null", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3), None)])
    h["many"] = tar_bytes([(info(f"f{i}"), b"") for i in range(200)])
    h["hardlink"] = tar_bytes([(info("l", tarfile.SYMTYPE, 0o777, linkname="/etc"), None),
                               (info("h", tarfile.LNKTYPE, 0o644, linkname="l/passwd"), None)])
    h["hardabs"] = tar_bytes([(info("h", tarfile.LNKTYPE, 0o644, linkname="/etc/passwd"), None)])
    h["bigid"] = tar_bytes([(info("f", uid=70000), b"x")])
    for k, v in h.items():
        open(f"{out}/hostile-{k}.tar", "wb").write(v)
    # A 10 GB sparse file: GNU tar stores only its (empty) data map.
    sp = out + "/sparse-src"
    os.makedirs(sp)
    with open(sp + "/big", "wb") as f:
        f.truncate(10 * 1000 * 1000 * 1000)
    subprocess.run(["tar", "--sparse", "-C", sp, "-cf", out + "/hostile-sparse.tar", "big"], check=True)
    shutil.rmtree(sp)


def main():
    out, busybox = sys.argv[1], sys.argv[2]
    base, upper = base_layer(busybox), upper_layer()
    open(out + "/rootfs.tar.gz", "wb").write(gzip.compress(base, mtime=0))
    import lzma
    open(out + "/rootfs.tar.xz", "wb").write(lzma.compress(base))
    if shutil.which("zstd"):
        open(out + "/rootfs.tar", "wb").write(base)
        subprocess.run(["zstd", "-q", "-f", out + "/rootfs.tar", "-o", out + "/rootfs.tar.zst"], check=True)
    oci_layout(out + "/oci", [(base, True), (upper, False)], "example.com/test/oci:1")
    dir_tar(out + "/oci", out + "/oci.tar")
    oci_layout(out + "/app", [(base, True), (upper, False), (app_layer(), True)],
               "example.com/test/app:1", cfg=APP_CONFIG)
    # Hostile: /home and /tmp are symlinks to host paths (under OUTDIR, which the test
    # watches); a sandbox's start must make nothing through them.
    evil = tar_bytes([(info("home", tarfile.SYMTYPE, 0o777, linkname=out + "/host-home"), None),
                      (info("tmp", tarfile.SYMTYPE, 0o777, linkname=out + "/host-tmp"), None)])
    oci_layout(out + "/evil", [(base, True), (evil, False)], "example.com/test/evil:1",
               cfg={"Env": ["PATH=/bin"], "User": "4242", "Cmd": ["/bin/sh", "-c", "true"]})
    oci_layout(out + "/corrupt", [(base, True), (upper, False)], "example.com/test/bad:1", corrupt=True)
    other = tar_bytes([(info("other"), b"only in the docker image\n")])
    docker_save(out + "/docker.tar", [base, other], ["test/docker:1"])
    full = gzip.compress(base, mtime=0)
    open(out + "/truncated.tar.gz", "wb").write(full[: len(full) // 2])
    open(out + "/xattrs.tar", "wb").write(xattr_layer())
    hostile(out)


if __name__ == "__main__":
    main()
