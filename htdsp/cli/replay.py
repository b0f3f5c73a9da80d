"""``htdsp replay``: serve a recording over the rtl_tcp protocol."""

import sys

from htdsp.cli import common
from htdsp.errors import EXIT_OK, InputError


def add_parser(sub):
    r = sub.add_parser(
        "replay", help="serve a recording over the rtl_tcp protocol (for SDR software, tests)",
        description="An rtl_tcp-compatible server: clients (SDR++, GNU Radio's osmosdr "
                    "source, htdsp live --rtltcp) get the recording as cu8, from its start. "
                    "A client that asks for another sample rate or centre frequency than the "
                    "recording's is dropped (with a log line): it would get samples it cannot "
                    "interpret. Binds to loopback unless --host says otherwise (IPv4 or IPv6). "
                    "Ctrl-C or SIGTERM stops it.")
    r.add_argument("input", metavar="FILE", help="recording (any readable format)")
    common.add_input_options(r)
    r.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; ::1 for IPv6 loopback)")
    r.add_argument("--port", type=common.PORT, default=1234,
                   help="TCP port (default 1234; 0: any free port)")
    r.add_argument("--loop", action="store_true", help="repeat the recording without end")
    r.add_argument("--realtime", action="store_true", help="pace to the sample rate")
    r.add_argument("-q", "--quiet", action="store_true", help="no log lines")
    r.set_defaults(func=run)


def run(args):
    import signal

    from htdsp.replay import ReplayServer

    rec = common.open_input(args, args.input)
    common.Warner("replay")(rec)

    def log(msg):
        if not args.quiet:
            print(f"htdsp replay: {msg}", file=sys.stderr, flush=True)

    server = ReplayServer(rec, args.host, args.port, loop=args.loop, realtime=args.realtime,
                          log=log)
    try:
        server.bind()
    except OSError as e:
        raise InputError(f"cannot listen on {args.host}:{args.port}: "
                         f"{e.strerror or e}") from None
    old = signal.signal(signal.SIGTERM, lambda *_: server.stop())
    # always said (even with --quiet): a script waits for this line to learn the port
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"htdsp replay: serving {rec.path} ({rec.sample_rate_hz:.0f} S/s as cu8) on "
          f"{host}:{server.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
    finally:
        signal.signal(signal.SIGTERM, old)
    return EXIT_OK
