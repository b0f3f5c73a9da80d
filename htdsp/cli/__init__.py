"""The ``htdsp`` command line: one module per command; each parses its options, calls the
library and formats the result. The parser and :func:`main` are in :mod:`htdsp.cli.app`.

Exit codes, shared by every command (README "Exit codes"):

==== ======================================================================================
0    success; every requirement met
1    a requirement failed
2    bad input or usage: one line on stderr naming the file and the problem; for ``score``,
     also when any input was bad or unusable (the other inputs are still scored and reported)
3    a live source was lost or is unusable (a server delivering another rate than asked)
130  a batch command interrupted by SIGINT (Ctrl-C)
143  a batch command stopped by SIGTERM
==== ======================================================================================

``htdsp live`` stopped by SIGINT or SIGTERM finalises its recording and every report and exits
by its verdict (0 or 1).

This package loads nothing until a name is asked for (PEP 562), and :func:`entry` blocks
SIGINT and SIGTERM before it loads the application: a Ctrl-C at any moment after the
interpreter hands over gets the same one line and 130, even in the first milliseconds, while
the command line's own modules load (a traceback from a class statement, before).
"""

import os
import sys

#: names this package gives, from :mod:`htdsp.cli.app`
_FROM_APP = ("COMMANDS", "EXIT_SIGINT", "EXIT_SIGTERM", "STOP_SIGNALS", "Terminated",
             "build_parser", "main")


def __getattr__(name):
    if name not in _FROM_APP:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from htdsp.cli import app

    value = globals()[name] = getattr(app, name)
    return value


def __dir__():
    return sorted({*globals(), *_FROM_APP})


def entry():
    """The ``htdsp`` console script and ``python -m htdsp.cli``: :func:`main`, then exit.

    An interrupted run exits with exactly 130 / 143: CPython remembers a KeyboardInterrupt
    that passed through C code (during an import, say) even when it was handled, and would
    then end the process by SIGINT at exit instead of with the code main returned.
    """
    import signal

    # held until main() has its handlers in place (it unblocks them): only the command line
    # does this, never a program that imports htdsp
    signal.pthread_sigmask(signal.SIG_BLOCK, (signal.SIGINT, signal.SIGTERM))
    cli = sys.modules[__name__]                # main as it is now (a test may replace it)
    code = cli.main()
    # the work is over, its outputs committed or removed: a signal from here on (the
    # interpreter's shutdown takes a few tenths of a second) must not turn a finished run into
    # a death by signal with no word said
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT, signal.SIGTERM))
    if code in (cli.EXIT_SIGINT, cli.EXIT_SIGTERM):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)
