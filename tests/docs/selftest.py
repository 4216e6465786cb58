#!/usr/bin/env python3
"""The docs runner can fail: run_examples.py on fixtures/fails.md must report each broken
example at its file:line, and on fixtures/passes.md must pass. Same arguments as
run_examples.py's --bin-dir and --source-dir."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(bin_dir, md, *extra):
    p = subprocess.run([sys.executable, os.path.join(HERE, "run_examples.py"), "--bin-dir",
                        bin_dir, "--source-dir", HERE, *extra, "fixtures/" + md],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def main():
    bin_dir = sys.argv[sys.argv.index("--bin-dir") + 1]
    problems = []
    status, out = run(bin_dir, "passes.md")
    if status != 0 or "xfail fixtures/passes.md:24" not in out:
        problems.append("passes.md: exit %d, expected 0 and one xfail" % status)
    status, out = run(bin_dir, "fails.md", "--timeout", "3")
    expected = [
        "fixtures/fails.md:4: `echo hello` printed other output.",
        "fixtures/fails.md:10: `false` exited 1",
        "fixtures/fails.md:13: exited 3; output:\nbefore",
        "NOT_SET_ANYWHERE: unbound variable",
        "fixtures/fails.md:22: passes now: remove its `xfail` tag",
        "fixtures/fails.md:26: a fence without a tag",
        "fixtures/fails.md:30: `norun` needs its reason",
        "fixtures/fails.md:34: did not end within 3 s",
        "8 failed:",
    ]
    if status != 1:
        problems.append("fails.md: exit %d, expected 1" % status)
    problems += ["fails.md: no '%s'" % e for e in expected if e not in out]
    if problems:
        print("\n".join(problems) + "\n--- the runner's output:\n" + out)
        return 1
    print("the runner passes what works and reports each broken example at its line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
