"""``htdsp`` run in the test's own process, its output captured, shaped as ``subprocess.run``
returns it: a usage error or a bad file needs no interpreter of its own to show its exit code
and its one line (2-3 s of imports each). Tests of what needs a process (signals, the console
entry point, a pipe closed early) still start one."""

import contextlib
import io
import subprocess

from htdsp.cli import main


def run_cli(*args, text=False):
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    argv = [str(a) for a in args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    o, e = out.buffer.getvalue(), err.buffer.getvalue()
    if text:
        o, e = o.decode(), e.decode()
    return subprocess.CompletedProcess(argv, code, o, e)
