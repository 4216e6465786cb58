#!/usr/bin/env python3
"""Runs the shell examples of README.md and docs/*.md against the built binaries.

The convention (tests/docs/README.md says it at length):

  ```sh            the block is a script: run with bash -e -o pipefail; it must exit 0
  ```console       `$ ` lines are commands (a trailing `\\` continues one); the lines below
                   a command are its output (stdout and stderr together), compared line by
                   line; `...` in a line matches any text, a line of `...` any lines
  ```sh norun: WHY       shown, never run; the reason is required
  ```sh xfail: WHY       run, expected to fail (an example some other change must fix);
                         passing is an error too, so the tag goes as soon as it is fixed
  ```sh repo       (or ```console repo) runs in the repository's root instead: for
                   examples about the source tree, which must not write there
  ```text, ```json, ...  not shell: never run
  ```              (no tag) an error: every fence says what it holds

Each runnable block runs in a fresh temporary folder (also its HOME), in a fresh bash,
with a timeout. Shell variables a block sets are kept for the later blocks of the same
file, as in a terminal that follows the page. The runner runs in a mount namespace of its
own where its temporary folder and /run/cordon are private tmpfs (the host's
/run/cordon/slots bound into the latter), and a PID namespace of its own whose PID 1 it is, so that nothing it started
outlives it. Each file gets a fresh `cordon daemon` at the default socket
/run/cordon/cordon.sock, as an installed one would be, started before its first runnable
block and stopped after its last.
"""

import argparse
import ctypes
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SHELL_LANGS = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*(.*?)\s*$")
NS_MARK = "CORDON_DOCS_NAMESPACE"
ROOT = None  # this run's folder: every folder the runner makes is inside it
LIBC = ctypes.CDLL(None, use_errno=True)


def die_with_runner(sig):
    """A preexec_fn: the child gets sig when the runner dies (PR_SET_PDEATHSIG)."""
    return lambda: LIBC.prctl(1, sig)


class Stopped(Exception):
    pass


def on_signal(signum, _frame):
    raise Stopped("stopped by signal %d" % signum)


class Block:
    def __init__(self, path, line, lang, attrs, body):
        self.path, self.line, self.lang, self.attrs, self.body = path, line, lang, attrs, body
        self.mode = "run"
        self.reason = ""
        self.in_repo = False
        m = re.match(r"^(repo\b\s*)?((norun|xfail)\b:?\s*(.*))?$", attrs)
        self.known = m is not None
        if m:
            self.in_repo = m.group(1) is not None
            if m.group(3):
                self.mode, self.reason = m.group(3), m.group(4).strip()

    def where(self):
        return "%s:%d" % (self.path, self.line)


def parse(path, rel):
    """The fenced blocks of a Markdown file; errors for blocks that break the convention."""
    blocks, errors = [], []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3)
        start = i + 1
        body = []
        i += 1
        while i < len(lines):
            c = FENCE.match(lines[i])
            if c and c.group(2)[0] == fence[0] and len(c.group(2)) >= len(fence) and not c.group(3):
                break
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        lang, _, attrs = info.partition(" ")
        if not lang:
            errors.append("%s:%d: a fence without a tag: say what it holds (sh, console, text, "
                          "json, ...; tests/docs/README.md)" % (rel, start))
            continue
        if lang not in SHELL_LANGS:
            continue
        b = Block(rel, start, lang, attrs.strip(), body)
        if b.mode in ("norun", "xfail") and not b.reason:
            errors.append("%s:%d: `%s` needs its reason (```%s %s: WHY)" %
                          (rel, start, b.mode, lang, b.mode))
        elif not b.known:
            errors.append("%s:%d: unknown fence attributes '%s' (repo, norun: WHY, xfail: WHY)" %
                          (rel, start, b.attrs))
        blocks.append(b)
    return blocks, errors


def console_commands(block):
    """[(line, command, expected output lines)] of a console block."""
    cmds, errors = [], []
    cur = None
    i = 0
    body = block.body
    while i < len(body):
        line = body[i]
        if line.startswith("$ ") or line == "$":
            text = line[2:]
            n = block.line + 1 + i
            while text.endswith("\\") and i + 1 < len(body):
                i += 1
                nxt = body[i]
                text += "\n" + (nxt[2:] if nxt.startswith("> ") else nxt)
            cur = [n, text, []]
            cmds.append(cur)
        elif cur is None:
            if line.strip():
                errors.append("%s:%d: output before the first `$ ` command" %
                              (block.path, block.line + 1 + i))
        else:
            cur[2].append(line)
        i += 1
    for c in cmds:
        while c[2] and not c[2][-1].strip():
            c[2].pop()
    return cmds, errors


def line_matches(pattern, actual):
    parts = pattern.split("...")
    return re.fullmatch(".*".join(re.escape(p) for p in parts), actual, re.S) is not None


def output_matches(expected, actual):
    """expected: lines with `...` wildcards; a line of `...` matches any lines."""
    exp = [e.rstrip() for e in expected]
    act = [a.rstrip() for a in actual]
    memo = {}

    def go(i, j):
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(exp):
            r = j == len(act)
        elif exp[i].strip() == "...":
            r = any(go(i + 1, k) for k in range(j, len(act) + 1))
        else:
            r = j < len(act) and line_matches(exp[i], act[j]) and go(i + 1, j + 1)
        memo[(i, j)] = r
        return r

    return go(0, 0)


PROLOGUE = r"""
__docs_base=" $(compgen -v | tr '\n' ' ') "
__docs_save() {
  local v
  for v in $(compgen -v); do
    case "$__docs_base" in *" $v "*) continue ;; esac
    case "$v" in __docs_*|BASH_*|FUNCNAME|PIPESTATUS|_) continue ;; esac
    declare -p "$v" 2>/dev/null
  done > "$__DOCS_VARS.new" && mv "$__DOCS_VARS.new" "$__DOCS_VARS"
}
trap '__docs_s=$?; __docs_save; exit $__docs_s' EXIT
if [ -f "$__DOCS_VARS" ]; then . "$__DOCS_VARS"; fi
"""


def script_for(block):
    if block.lang != "console":
        return "set -eu -o pipefail\n" + PROLOGUE + "\n".join(block.body) + "\n", None
    cmds, errors = console_commands(block)
    s = ["exec 2>&1", "set -u -o pipefail", PROLOGUE]
    for k, (_, text, _) in enumerate(cmds):
        s.append(text)
        s.append("printf '\\n@@DOCS-END %d %%d@@\\n' $?" % k)
    return "\n".join(s) + "\n", (cmds, errors)


def run_block(block, env, timeout, src):
    """None when it went as the docs say, else the message naming file:line."""
    script, console = script_for(block)
    if console and console[1]:
        return "\n".join(console[1])
    work = tempfile.mkdtemp(prefix="block-", dir=ROOT)
    e = dict(env, HOME=work)
    try:
        p = subprocess.Popen(["bash", "-c", script, "docs-example"],
                             cwd=src if block.in_repo else work, env=e,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True,
                             preexec_fn=die_with_runner(signal.SIGKILL))
        try:
            out, _ = p.communicate(timeout=timeout)
        except Stopped:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            return "%s: did not end within %d s; output:\n%s" % (
                block.where(), timeout, out.decode(errors="replace"))
        finally:
            # Whatever the example left running in its process group (its own, by
            # start_new_session) ends with it.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        text = out.decode(errors="replace")
        block.output = re.sub(r"\n@@DOCS-END \d+ \d+@@\n", "\n", text)
        if console is None:
            if p.returncode != 0:
                return "%s: exited %d; output:\n%s" % (block.where(), p.returncode, text)
            return None
        cmds = console[0]
        pieces = re.split(r"\n@@DOCS-END (\d+) (\d+)@@\n", text)
        outs = {}
        for k in range(1, len(pieces) - 1, 3):
            outs[int(pieces[k])] = (pieces[k - 1], int(pieces[k + 1]))
        for k, (line, cmd, expected) in enumerate(cmds):
            if k not in outs:
                return "%s:%d: `%s` did not finish (exit %d); output:\n%s" % (
                    block.path, line, cmd, p.returncode, pieces[-1] if pieces else text)
            got, status = outs[k]
            got_lines = got.split("\n") if got else []
            while got_lines and not got_lines[-1].strip():
                got_lines.pop()
            if status != 0:
                return "%s:%d: `%s` exited %d (show a failure with `; echo $?`); output:\n%s" % (
                    block.path, line, cmd, status, got)
            if not output_matches(expected, got_lines):
                return "%s:%d: `%s` printed other output.\n--- the docs\n%s\n--- printed\n%s" % (
                    block.path, line, cmd, "\n".join(expected), "\n".join(got_lines))
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


class Daemon:
    """`cordon daemon` at the default socket of this mount namespace's /run/cordon."""

    SOCKET = "/run/cordon/cordon.sock"

    def __init__(self, cordon, env):
        self.dir = tempfile.mkdtemp(prefix="daemon-", dir=ROOT)
        self.log = os.path.join(self.dir, "daemon.log")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [cordon, "daemon", "--config", "/dev/null", "--state-dir", self.dir + "/state",
                 "--images-dir", self.dir + "/images", "--netns-pool", "2"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env,
                preexec_fn=die_with_runner(signal.SIGTERM))

    def wait_ready(self, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            with open(self.log, errors="replace") as f:
                if "listening on" in f.read():
                    return True
            time.sleep(0.05)
        return False

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def private_mounts():
    """ROOT and /run/cordon become tmpfs of this mount namespace (the host's slot locks bound
    into /run/cordon/slots): what the examples write goes with the namespace."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700", "cordon-docs", ROOT], check=True)
    os.makedirs("/run/cordon/slots", exist_ok=True)
    stage = tempfile.mkdtemp(prefix="run-", dir=ROOT)
    cmds = [["mount", "-t", "tmpfs", "-o", "mode=0755", "cordon-docs", stage],
            ["mkdir", stage + "/slots"],
            ["mount", "--bind", "/run/cordon/slots", stage + "/slots"],
            ["mount", "--move", stage, "/run/cordon"]]
    for c in cmds:
        subprocess.run(c, check=True)
    os.rmdir(stage)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin-dir", required=True, help="the folder of cordon and cordon-client")
    ap.add_argument("--source-dir", required=True, help="the repository's root")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per block")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every block's output")
    ap.add_argument("files", nargs="*", help="Markdown files (default: README.md docs/*.md)")
    args = ap.parse_args()

    if os.environ.get(NS_MARK) != "1":
        os.environ[NS_MARK] = "1"
        # A mount namespace for the private /run/cordon; a PID namespace whose PID 1 is
        # this runner, so that when it dies, by any signal, every process it started
        # (daemon, examples, their sandboxes) dies with it; --kill-child, so that it dies
        # when unshare is killed (a CTest timeout).
        argv = ["unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                "--mount-proc", "--kill-child=SIGKILL", sys.executable,
                os.path.abspath(__file__)] + sys.argv[1:]
        os.execvp("unshare", argv)
    global ROOT
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        ROOT = tempfile.mkdtemp(prefix="cordon-docs-")
        private_mounts()
        return run_files(args)
    except Stopped as e:
        print("docs examples: %s" % e)
        return 1
    finally:
        if ROOT:
            subprocess.run(["umount", "--lazy", ROOT], stderr=subprocess.DEVNULL)
            shutil.rmtree(ROOT, ignore_errors=True)


def run_files(args):

    src = os.path.abspath(args.source_dir)
    bindir = os.path.abspath(args.bin_dir)
    files = args.files or (["README.md"] +
                           sorted(os.path.relpath(p, src)
                                  for p in glob.glob(os.path.join(src, "docs", "*.md"))))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CORDON_") and k not in ("HOME",)}
    env["PATH"] = bindir + ":" + os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    env.setdefault("LANG", "C.UTF-8")

    failures, ran, skipped, xfailed = [], 0, 0, 0
    for rel in files:
        blocks, errors = parse(os.path.join(src, rel), rel)
        failures += errors
        runnable = [b for b in blocks if b.mode != "norun"]
        skipped += len(blocks) - len(runnable)
        if not runnable:
            continue
        daemon = Daemon(os.path.join(bindir, "cordon"), env)
        state = tempfile.mkdtemp(prefix="vars-", dir=ROOT)
        try:
            if not daemon.wait_ready():
                failures.append("%s: the daemon did not start; its log:\n%s" %
                                (rel, daemon.log_text()))
                continue
            fenv = dict(env, __DOCS_VARS=os.path.join(state, "vars.sh"))
            for b in runnable:
                t0 = time.monotonic()
                err = run_block(b, fenv, args.timeout, src)
                ran += 1
                took = time.monotonic() - t0
                if b.mode == "xfail":
                    if err is None:
                        print("FAIL %s (%.1fs): passes, but is tagged xfail" % (b.where(), took))
                        failures.append("%s: passes now: remove its `xfail` tag (%s)" %
                                        (b.where(), b.reason))
                    else:
                        xfailed += 1
                        print("xfail %s (%.1fs): %s\n    %s" %
                              (b.where(), took, b.reason,
                               "\n    ".join(err.strip().split("\n")[:3])))
                    continue
                print("%s %s (%.1fs)" % ("ok  " if err is None else "FAIL", b.where(), took))
                if args.verbose:
                    print("".join("    " + l + "\n" for l in getattr(b, "output", "").split("\n")))
                if err is not None:
                    failures.append(err)
        finally:
            daemon.stop()
            shutil.rmtree(state, ignore_errors=True)

    print("\n%d blocks run, %d expected failures, %d not run (norun)" % (ran, xfailed, skipped))
    if failures:
        print("\n%d failed:\n" % len(failures))
        for f in failures:
            print(f + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
