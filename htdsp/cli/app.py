"""The command line application: the parser of every command, :func:`main` and exit codes
(the table is in :mod:`htdsp.cli`).

:func:`htdsp.cli.entry` blocks SIGINT and SIGTERM before importing this module, and
:func:`main` unblocks them once its handlers are in place: a signal at any moment from the
first line of htdsp's code is answered with its one line and exit code, never a traceback.
"""

import os
import signal
import sys
import threading
import warnings

from htdsp import __version__
from htdsp.errors import EXIT_OK, HtdspError

#: exit codes of interrupted batch commands (128 + the signal's number, as shells report them)
EXIT_SIGINT = 130
EXIT_SIGTERM = 143

#: the signals that stop a batch command
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

COMMANDS = ("demod", "info", "convert", "simulate", "score", "replay", "live")


class Terminated(BaseException):
    """SIGTERM (systemd, ``docker stop``, CI timeouts): unwinds like Ctrl-C, so every output
    in progress is removed or finalised, then exits 143. A BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` swallows it."""


#: the stop signal this process has had (a C extension's import can turn the exception it
#: raised into an ImportError: numpy's does; the signal still decides the exit)
_STOPPED = []


def _raise_terminated(signum, frame):
    _STOPPED.append(signum)
    raise Terminated()


def _raise_interrupt(signum, frame):
    _STOPPED.append(signum)
    raise KeyboardInterrupt()


def build_parser():
    import importlib

    from htdsp.cli.common import Parser

    parser = Parser(prog="htdsp", description="Is your handheld radio link reliable? "
                    "Narrowband-FM receive chain and link measurements from RTL-SDR IQ.")
    parser.add_argument("--version", action="version", version=f"htdsp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"htdsp.cli.{name}").add_parser(sub)
    return parser


def one_line_warning(message, category, filename, lineno, file=None, line=None):
    """A library's warning as one line on stderr, like everything htdsp says (an archive's
    workers show theirs so too)."""
    print(f"htdsp: warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv=None):
    """Run the command line; returns the exit code."""
    in_main = threading.current_thread() is threading.main_thread()
    _STOPPED.clear()                   # (main may run many times in one process: a test's)
    old_term = signal.signal(signal.SIGTERM, _raise_terminated) if in_main else None
    old_int = (signal.signal(signal.SIGINT, _raise_interrupt)
               if in_main and signal.getsignal(signal.SIGINT) is signal.default_int_handler
               else None)
    prog = "htdsp"
    try:
        if in_main:
            # blocked by entry() while the command line loaded: one that came meanwhile is
            # raised here, inside the handling below
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        with warnings.catch_warnings():
            # a library's warning is one line, like everything htdsp says; numpy's arithmetic
            # warnings are about intermediate values (every result is checked to be finite)
            warnings.showwarning = one_line_warning
            warnings.simplefilter("ignore", RuntimeWarning)
            from htdsp.cli.common import join_negative_values

            parser = build_parser()
            argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
            try:
                args = parser.parse_args(join_negative_values(argv, parser))
            except SystemExit as e:          # --help, --version, a usage error (printed)
                return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
            prog = f"htdsp {args.command}"
            return args.func(args)
    except HtdspError as e:
        from htdsp.cli.common import say
        from htdsp.io.outputs import OutputExists

        hint = " (--force replaces it)" if isinstance(e, OutputExists) else ""
        print(f"{prog}: error: {say(e)}{hint}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        # the reader of our stdout went away (| head, aplay closed): not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_SIGINT
    except Terminated:
        print(f"{prog}: terminated", file=sys.stderr)
        return EXIT_SIGTERM
    except Exception:
        if not _STOPPED:
            raise
        # the signal's exception, turned into another by the C code it landed in
        term = _STOPPED[-1] == signal.SIGTERM
        print(f"{prog}: {'terminated' if term else 'interrupted'}", file=sys.stderr)
        return EXIT_SIGTERM if term else EXIT_SIGINT
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, old_term)
            if old_int is not None:
                signal.signal(signal.SIGINT, old_int)
