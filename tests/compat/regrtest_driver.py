"""Run CPython's regrtest and report the outcome of every test case as JSON lines.

Usage: python3.11 regrtest_driver.py [REGRTEST ARGUMENT]...

The same file runs on the host and inside a sandbox (cpython_battery.py starts both).
It runs regrtest in this process (no -j) with hooks on the result class that the
regression suite uses, and writes one JSON object per line to the file descriptor that
was stdout when it started:

  {"t": "case", "id": ..., "outcome": "pass|fail|error|skip|xfail|xpass", "message": ...,
   "s": seconds}
  {"t": "module", "name": ..., "outcome": "pass|fail|skip|crash|...", "message": ...}
  {"t": "end", "exit": regrtest's exit status}

A case that fails only in subtests is reported once, as a failure, with the first
failing subtest in its message; a skipped subtest gets a line of its own (with "parent"),
since its test case still passes otherwise. Class and module fixtures that fail or skip
are reported under unittest's own ids ("setUpClass (test.test_x.Cls)").

Everything the tests print goes to stderr (stdout is moved there), so the records
cannot interleave with test output. Records are written as they happen: a run that
crashes or is killed still leaves what it reached, and the missing "end" says so.
"""

import faulthandler
import fcntl
import json
import os
import sys
import time
import traceback

MAX_DETAIL = 4000

# Keep the original stdout for the records (close-on-exec, far from the low fds that
# tests open and close), then send fd 1 to stderr for everything else.
_RECORDS_FD = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 900)
os.dup2(2, 1)


def emit(record):
    line = (json.dumps(record, ensure_ascii=True) + "\n").encode()
    try:
        while line:
            line = line[os.write(_RECORDS_FD, line):]
    except OSError:
        pass  # a test closed the descriptor: the missing records show up as such


def first_line(text, limit=300):
    text = (text or "").strip()
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def describe(err):
    etype, value, tb = err
    only = "".join(traceback.format_exception_only(etype, value))
    full = "".join(traceback.format_exception(etype, value, tb))
    if len(full) > MAX_DETAIL:
        full = "...\n" + full[-MAX_DETAIL:]
    return first_line(only), full


def install_hooks():
    import unittest
    from test.support import testresult
    from test.libregrtest import runtest

    cls = testresult.RegressionTestResult
    state = {}  # id of the running test -> {"done": bool, "sub": [(msg, detail)], "subskip": bool}

    def test_id(test):
        try:
            return test.id()
        except Exception:
            return str(test)

    def parent_of(test):
        case = getattr(test, "test_case", None)
        return test_id(case) if case is not None else None

    def record(test, outcome, message="", detail=None):
        rec = {"t": "case", "id": test_id(test), "outcome": outcome, "message": message}
        st = state.get(rec["id"])
        if st is not None:
            rec["s"] = round(time.monotonic() - st["t0"], 3)
        if detail:
            rec["detail"] = detail
        parent = parent_of(test)
        if parent is not None:
            rec["parent"] = parent
        elif st is not None:
            st["done"] = True
        emit(rec)

    def wrap(name, fn):
        original = getattr(cls, name)

        def hooked(self, *args):
            try:
                fn(*args)
            except Exception as exc:  # never break the run over a record
                emit({"t": "driver-error", "where": name, "message": repr(exc)})
            return original(self, *args)

        setattr(cls, name, hooked)

    def on_start(test):
        state[test_id(test)] = {"done": False, "sub": [], "t0": time.monotonic()}

    def on_stop(test):
        st = state.pop(test_id(test), None)
        if st is None or st["done"]:
            return
        if st["sub"]:
            outcome, message, detail = st["sub"][0]
            more = len(st["sub"]) - 1
            if more:
                message += f" (and {more} more failing subtest{'s' if more > 1 else ''})"
            emit({"t": "case", "id": test_id(test), "outcome": outcome,
                  "message": message, "detail": detail,
                  "s": round(time.monotonic() - st["t0"], 3)})
        else:
            # Neither a success nor a failure was reported: a subtest was skipped (its
            # own line says so) and the rest of the case passed.
            emit({"t": "case", "id": test_id(test), "outcome": "pass", "message": "",
                  "s": round(time.monotonic() - st["t0"], 3)})

    def on_subtest(test, subtest, err):
        if err is None:
            return
        st = state.get(test_id(test))
        if st is None:
            return
        message, detail = describe(err)
        outcome = "fail" if issubclass(err[0], test.failureException) else "error"
        desc = test_id(subtest)[len(test_id(test)):].strip()
        st["sub"].append((outcome, f"{desc}: {message}", detail))

    wrap("startTest", on_start)
    wrap("stopTest", on_stop)
    wrap("addSuccess", lambda test: record(test, "pass"))
    wrap("addFailure", lambda test, err: record(test, "fail", *describe(err)))
    wrap("addError", lambda test, err: record(test, "error", *describe(err)))
    wrap("addSkip", lambda test, reason: record(test, "skip", first_line(str(reason))))
    wrap("addExpectedFailure", lambda test, err: record(test, "xfail", describe(err)[0]))
    wrap("addUnexpectedSuccess", lambda test: record(test, "xpass"))
    wrap("addSubTest", on_subtest)

    # The outcome of each test module, with the reason when the whole module is skipped
    # (a missing resource, a SkipTest at import) or cannot be imported.
    original_inner2 = runtest._runtest_inner2

    def inner2(ns, test_name):
        try:
            result = original_inner2(ns, test_name)
        except unittest.SkipTest as exc:
            emit({"t": "module", "name": test_name, "outcome": "skip",
                  "message": first_line(str(exc))})
            raise
        except BaseException as exc:
            message, detail = describe(sys.exc_info())
            outcome = "fail" if isinstance(exc, Exception) and "TestFailed" in type(exc).__name__ else "crash"
            emit({"t": "module", "name": test_name, "outcome": outcome,
                  "message": message, "detail": detail})
            raise
        emit({"t": "module", "name": test_name, "outcome": "ran", "message": ""})
        return result

    runtest._runtest_inner2 = inner2


def main():
    install_hooks()
    from test.libregrtest import main as regrtest_main  # the function

    sys.argv = ["regrtest"] + sys.argv[1:]
    code = 0
    try:
        regrtest_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    # regrtest arms a watchdog for a slow interpreter exit; the records are out, so
    # leave at once instead (lingering test threads cannot hang the exit either).
    faulthandler.cancel_dump_traceback_later()
    emit({"t": "end", "exit": code})
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
