#!/usr/bin/env python3
"""A local OCI registry for the image pull tests: Debian's docker-registry on 127.0.0.1
with a self-signed certificate, test images pushed into it by skopeo.

What it does, in order:
  1. makes a temporary directory (cordon-registry-*) for everything below;
  2. makes a self-signed certificate for CN=localhost, IP 127.0.0.1 (openssl req), which
     the registries serve and which signs the tokens;
  3. builds OCI image layouts:
       busybox  one linux/amd64 manifest, two gzip layers: /bin/busybox from busybox-static
                with a symlink per applet, then /etc/image-file;
       multi    an image index with a linux/amd64 and a linux/arm64 manifest, each with a
                layer of its own (/etc/arch says which);
       corrupt, truncated  linux/amd64 images whose one layer each (random bytes, shared
                with no other image) the tests damage in the registry's storage;
       big      with --big MIB: one layer of MIB MiB of random bytes (throughput);
  4. starts the anonymous registry (storage in the temp dir) and pushes the three images
     with `skopeo copy` (--all for the index);
  5. with --token: starts a token server (HTTPS, python http.server) that checks Basic
     credentials and answers a JWT signed RS256 with the certificate's key, and a second
     registry with `auth: token:` trusting that certificate, and pushes busybox to it as
     private/busybox;
  6. with --basic: a third registry with `auth: htpasswd:` (bcrypt, from python's crypt),
     answering Basic challenges, with busybox pushed as private/busybox;
     with --proxy: an HTTPS proxy in front of the anonymous registry that ignores Range
     (it always fetches and sends the whole blob, 200) and answers blob requests of
     test/multi with a 307 to the registry itself; it logs one line per request
     ("GET PATH range=RANGE -> STATUS") to proxy.log. It also serves test/busybox as
     test/foreign, whose blobs it redirects (307) to a foreign HTTPS server on another
     port: that one answers every blob request 401 with
     'Bearer realm="https://127.0.0.1:ITS_PORT/token"', answers its /token with a token,
     and logs one line per request ("GET PATH auth=SCHEME|- -> STATUS") to foreign.log;
  7. prints one JSON line describing all of it (ports, CA, storage, credentials, digests,
     layouts) and waits until its stdin closes (or SIGTERM/SIGINT);
  8. stops every process it started, by PID (SIGTERM, then SIGKILL after 10 s), and removes
     the temp dir. Steps 1-7 failing also end here, with the reason on stderr and exit 1.

Children get PR_SET_PDEATHSIG: if this script is killed outright they die with it.
Only 127.0.0.1 is used; nothing goes to the internet.

Usage: test_registry.py [--token] [--basic] [--proxy] [--big MIB] [--busybox PATH]
"""
import argparse
import base64
import ctypes
import gzip
import hashlib
import http.client
import http.server
import io
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # bcrypt for htpasswd; deprecated in 3.11, still there

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
TOKEN_USER = "cordon"
TOKEN_SERVICE = "cordon-test-registry"
TOKEN_ISSUER = "cordon-test-issuer"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Layout:
    """An OCI image layout directory being built."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"))
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def blob(self, data, media_type):
        digest = sha256(data)
        with open(os.path.join(self.path, "blobs", "sha256", digest[7:]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def layer(self, entries):
        """entries: (name, kind, payload): kind "file" (bytes), "dir", "symlink" (target)."""
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, kind, payload in entries:
                info = tarfile.TarInfo(name)
                info.mtime = 0
                if kind == "dir":
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                elif kind == "symlink":
                    info.type, info.linkname = tarfile.SYMTYPE, payload
                    tar.addfile(info)
                else:
                    info.size, info.mode = len(payload), 0o755
                    tar.addfile(info, io.BytesIO(payload))
        tar_bytes = raw.getvalue()
        desc = self.blob(gzip.compress(tar_bytes, compresslevel=1, mtime=0), OCI_LAYER_GZIP)
        return desc, sha256(tar_bytes)

    def image(self, arch, layers):
        """layers: list of (descriptor, diff_id). Returns the manifest's descriptor."""
        config = {
            "created": "2026-01-01T00:00:00Z",
            "architecture": arch,
            "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
        }
        cdesc = self.blob(json.dumps(config).encode(), OCI_CONFIG)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": cdesc,
            "layers": [l for l, _ in layers],
        }
        mdesc = self.blob(json.dumps(manifest).encode(), OCI_MANIFEST)
        mdesc["platform"] = {"os": "linux", "architecture": arch}
        return mdesc, cdesc

    def tag(self, desc, tag):
        entry = dict(desc)
        entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}, f)


def busybox_layer(layout, busybox):
    with open(busybox, "rb") as f:
        binary = f.read()
    applets = subprocess.run([busybox, "--list"], check=True, capture_output=True,
                             text=True).stdout.split()
    entries = [("bin", "dir", None), ("bin/busybox", "file", binary)]
    entries += [("bin/" + a, "symlink", "busybox") for a in sorted(set(applets)) if a != "busybox"]
    return layout.layer(entries)


def build_images(root, busybox, big_mib):
    images = {}
    # busybox: two layers.
    lay = Layout(os.path.join(root, "busybox"))
    base = busybox_layer(lay, busybox)
    top = lay.layer([("etc", "dir", None), ("etc/image-file", "file", b"from-image\n")])
    m, c = lay.image("amd64", [base, top])
    lay.tag(m, "latest")
    images["busybox"] = {"layout": lay.path, "repo": "test/busybox", "tag": "latest",
                         "manifest": m["digest"], "config": c["digest"],
                         "layers": [base[0]["digest"], top[0]["digest"]],
                         "layer_sizes": [base[0]["size"], top[0]["size"]]}
    # multi: an index of amd64 and arm64.
    lay = Layout(os.path.join(root, "multi"))
    per_arch = {}
    manifests = []
    for arch in ("arm64", "amd64"):  # amd64 second: the client must search, not take [0]
        layer = lay.layer([("etc", "dir", None), ("etc/arch", "file", arch.encode() + b"\n")])
        m, c = lay.image(arch, [layer])
        manifests.append(m)
        per_arch[arch] = {"manifest": m["digest"], "config": c["digest"],
                          "layers": [layer[0]["digest"]]}
    index = lay.blob(json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                 "manifests": manifests}).encode(), OCI_INDEX)
    lay.tag(index, "latest")
    images["multi"] = {"layout": lay.path, "repo": "test/multi", "tag": "latest",
                       "index": index["digest"], **{a: v for a, v in per_arch.items()}}
    # corrupt, truncated: one layer of random bytes no other image shares, each.
    for name in ("corrupt", "truncated"):
        lay = Layout(os.path.join(root, name))
        layer = lay.layer([("data", "file", os.urandom(64 * 1024))])
        m, c = lay.image("amd64", [layer])
        lay.tag(m, "latest")
        images[name] = {"layout": lay.path, "repo": "test/" + name, "tag": "latest",
                        "manifest": m["digest"], "config": c["digest"],
                        "layers": [layer[0]["digest"]]}
    if big_mib:
        # big: one layer of random (incompressible) bytes, for throughput.
        lay = Layout(os.path.join(root, "big"))
        layer = lay.layer([("data", "file", os.urandom(big_mib << 20))])
        m, c = lay.image("amd64", [layer])
        lay.tag(m, "latest")
        images["big"] = {"layout": lay.path, "repo": "test/big", "tag": "latest",
                         "manifest": m["digest"], "config": c["digest"],
                         "layers": [layer[0]["digest"]], "layer_sizes": [layer[0]["size"]]}
    return images


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Runner:
    def __init__(self, root):
        self.root = root
        self.procs = []
        self.servers = []

    def start(self, argv, log):
        out = open(log, "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             preexec_fn=die_with_parent)
        out.close()
        self.procs.append(p)
        return p

    def stop(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()
        for p in self.procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()


def start_registry(run, name, cert, key, auth=None, auth_kind="token"):
    port = free_port()
    storage = os.path.join(run.root, name + "-storage")
    os.makedirs(storage)
    config = os.path.join(run.root, name + ".yml")
    lines = [
        "version: 0.1",
        "log:",
        "  level: info",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {storage}",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "  tls:",
        f"    certificate: {cert}",
        f"    key: {key}",
    ]
    if auth:
        lines += ["auth:", f"  {auth_kind}:"] + [f"    {k}: {v}" for k, v in auth.items()]
    with open(config, "w") as f:
        f.write("\n".join(lines) + "\n")
    log = os.path.join(run.root, name + ".log")
    p = run.start(["docker-registry", "serve", config], log)
    ctx = ssl.create_default_context(cafile=cert)
    deadline = time.monotonic() + 60
    while True:
        if p.poll() is not None:
            raise RuntimeError(f"{name}: docker-registry exited {p.returncode}: "
                               + open(log).read()[-2000:])
        try:
            urllib.request.urlopen(f"https://127.0.0.1:{port}/v2/", context=ctx, timeout=5)
            break
        except urllib.error.HTTPError:
            break  # 401: up, and asking for a token
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: not listening on 127.0.0.1:{port} after 60 s")
            time.sleep(0.1)
    return {"host": f"127.0.0.1:{port}", "storage": storage, "log": log, "pid": p.pid}


def push(layout, tag, dest, cert_dir, all_images=False, creds=None):
    argv = ["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-cert-dir", cert_dir]
    if all_images:
        argv.append("--all")
    if creds:
        argv += ["--dest-creds", creds]
    argv += [f"oci:{layout}:{tag}", f"docker://{dest}"]
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"skopeo copy to {dest}: exit {r.returncode}: {r.stderr}")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token_handler(cert, key, password):
    with open(cert) as f:
        pem = f.read()
    der = ssl.PEM_cert_to_DER_cert(pem)

    def sign(claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input,
                             capture_output=True, check=True).stdout
        return signing_input.decode() + "." + b64url(sig)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            sys.stderr.write("token-server: " + (fmt % args) + "\n")

        def answer(self, status, body, extra=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            from urllib.parse import urlparse, parse_qs
            url = urlparse(self.path)
            if url.path != "/token":
                return self.answer(404, {"error": "not found"})
            auth = self.headers.get("Authorization", "")
            ok = False
            if auth.startswith("Basic "):
                try:
                    user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                    ok = user == TOKEN_USER and pw == password
                except ValueError:
                    ok = False
            if not ok:
                return self.answer(401, {"error": "bad credentials"},
                                   [("WWW-Authenticate", 'Basic realm="cordon-test"')])
            q = parse_qs(url.query)
            access = []
            for scope in q.get("scope", []):
                for one in scope.split(" "):
                    parts = one.split(":")
                    if len(parts) == 3 and parts[0] == "repository":
                        access.append({"type": "repository", "name": parts[1],
                                       "actions": [a for a in parts[2].split(",")
                                                   if a in ("pull", "push")]})
            now = int(time.time())
            claims = {"iss": TOKEN_ISSUER, "sub": TOKEN_USER, "aud": q.get("service", [""])[0],
                      "exp": now + 600, "nbf": now - 60, "iat": now,
                      "jti": base64.b16encode(os.urandom(8)).decode(), "access": access}
            token = sign(claims)
            self.answer(200, {"token": token, "access_token": token, "expires_in": 600})

    return Handler


def start_token_server(run, cert, key, password):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             make_token_handler(cert, key, password))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    run.servers.append(server)
    return f"https://127.0.0.1:{server.server_address[1]}/token"


def serve_https(run, cert, key, handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    run.servers.append(server)
    return f"127.0.0.1:{server.server_address[1]}"


def start_foreign(run, cert, key):
    """Blob storage on another origin that answers 401 naming a realm of its own."""
    log_path = os.path.join(run.root, "foreign.log")
    lock = threading.Lock()
    host = None

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            auth = self.headers.get("Authorization", "-").split(" ")[0]
            if self.path.startswith("/token"):
                status, body, extra = 200, b'{"token": "foreign-token"}', []
            else:
                status, body = 401, b'{"errors": [{"code": "UNAUTHORIZED"}]}'
                extra = [("WWW-Authenticate", f'Bearer realm="https://{host}/token",'
                                              'service="foreign",scope="repository:x:pull"')]
            with lock, open(log_path, "a") as f:
                f.write(f"GET {self.path} auth={auth} -> {status}\n")
            self.send_response(status)
            for k, v in extra:
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    host = serve_https(run, cert, key, Handler)
    return {"host": host, "log": log_path}


def start_proxy(run, cert, key, upstream, foreign):
    """HTTPS in front of upstream: Range ignored, test/multi's blobs redirected, test/foreign
    an alias of test/busybox whose blobs redirect to foreign."""
    ctx_up = ssl.create_default_context(cafile=cert)
    log_path = os.path.join(run.root, "proxy.log")
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def note(self, status):
            with lock, open(log_path, "a") as f:
                f.write(f"GET {self.path} range={self.headers.get('Range', '-')} -> {status}\n")

        def do_GET(self):
            if self.path.startswith("/v2/test/multi/blobs/"):
                self.note(307)
                self.send_response(307)
                self.send_header("Location", f"https://{upstream}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.startswith("/v2/test/foreign/blobs/"):
                self.note(307)
                self.send_response(307)
                self.send_header("Location", f"https://{foreign}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = self.path.replace("/v2/test/foreign/", "/v2/test/busybox/", 1)
            conn = http.client.HTTPSConnection(upstream, context=ctx_up, timeout=60)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() in ("accept", "authorization")}  # never Range
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            conn.close()
            self.note(r.status)
            self.send_response(r.status)
            for k in ("Content-Type", "Docker-Content-Digest", "WWW-Authenticate"):
                if r.getheader(k):
                    self.send_header(k, r.getheader(k))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return {"host": serve_https(run, cert, key, Handler), "log": log_path}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--token", action="store_true", help="also a registry with token auth")
    ap.add_argument("--basic", action="store_true", help="also a registry with htpasswd auth")
    ap.add_argument("--proxy", action="store_true", help="also a Range-ignoring proxy")
    ap.add_argument("--big", type=int, default=0, metavar="MIB",
                    help="also an image with one random layer of MIB MiB")
    ap.add_argument("--busybox", default="/bin/busybox", help="a static busybox")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="cordon-registry-")
    run = Runner(root)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    status = 0
    try:
        cert, key = os.path.join(root, "cert.pem"), os.path.join(root, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        cert_dir = os.path.join(root, "certs.d")
        os.makedirs(cert_dir)
        shutil.copy(cert, os.path.join(cert_dir, "ca.crt"))
        images = build_images(os.path.join(root, "layouts"), args.busybox, args.big)
        anon = start_registry(run, "anon", cert, key)
        for name in [n for n in ("busybox", "multi", "corrupt", "truncated", "big") if n in images]:
            im = images[name]
            push(im["layout"], im["tag"], f"{anon['host']}/{im['repo']}:{im['tag']}", cert_dir,
                 all_images=(name == "multi"))
        info = {"root": root, "ca": cert, "anon": anon, "images": images}
        if args.token:
            password = base64.b16encode(os.urandom(12)).decode()
            realm = start_token_server(run, cert, key, password)
            tok = start_registry(run, "token", cert, key, {
                "realm": realm, "service": TOKEN_SERVICE, "issuer": TOKEN_ISSUER,
                "rootcertbundle": cert})
            im = images["busybox"]
            push(im["layout"], im["tag"], f"{tok['host']}/private/busybox:{im['tag']}", cert_dir,
                 creds=f"{TOKEN_USER}:{password}")
            info["token"] = dict(tok, realm=realm, user=TOKEN_USER, password=password,
                                 repo="private/busybox")
        if args.basic:
            password = base64.b16encode(os.urandom(12)).decode()
            htpasswd = os.path.join(root, "htpasswd")
            with open(htpasswd, "w") as f:
                f.write(f"{TOKEN_USER}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))}\n")
            bas = start_registry(run, "basic", cert, key,
                                 {"realm": "cordon-test", "path": htpasswd}, "htpasswd")
            im = images["busybox"]
            push(im["layout"], im["tag"], f"{bas['host']}/private/busybox:{im['tag']}", cert_dir,
                 creds=f"{TOKEN_USER}:{password}")
            info["basic"] = dict(bas, user=TOKEN_USER, password=password, repo="private/busybox")
        if args.proxy:
            info["foreign"] = start_foreign(run, cert, key)
            info["proxy"] = start_proxy(run, cert, key, anon["host"], info["foreign"]["host"])
        print(json.dumps(info), flush=True)
        # Until stdin closes (the test ended, however) or a signal.
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), stop.set()),
                         daemon=True).start()
        stop.wait()
    except Exception as e:  # noqa: BLE001 -- every failure is reported, then cleaned up
        print(f"test_registry: {e}", file=sys.stderr, flush=True)
        status = 1
    finally:
        run.stop()
        shutil.rmtree(root, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
