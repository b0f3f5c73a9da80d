"""``htdsp live``: score a dongle or an rtl_tcp stream as it arrives, recording it."""

import signal
import sys
import threading

from htdsp import limits
from htdsp.cli import common, scoring
from htdsp.errors import EXIT_SOURCE_LOST, InputError

#: channels of a --channels band a live run starts (each runs the whole chain to the end,
#: 12-15 ms per s of 2.4 MS/s input on one core of this project's VM; the bank watching every
#: channel 25-30): a carrier beyond them is listed, not scored
LIVE_MAX_ACTIVE = 16


def add_parser(sub):
    v = sub.add_parser(
        "live", help="score a live dongle or rtl_tcp stream with a terminal meter, recording it",
        description="Receive from an RTL-SDR (pyrtlsdr) or an rtl_tcp server, show a live "
                    "meter, record to SigMF as it goes, and write the same report as htdsp "
                    "score at the end (--duration, Ctrl-C or SIGTERM: the recording and every "
                    "report are finalised first; a second signal waits for them). Exit 0/1 by "
                    "the requirements, 2 usage or bad input, 3 the source was lost or is "
                    "unusable (recording and report are still finalised).")
    src = v.add_argument_group("source").add_mutually_exclusive_group(required=True)
    src.add_argument("--rtlsdr", nargs="?", const=0, type=int, metavar="INDEX",
                     help="an RTL-SDR dongle (device index, default 0)")
    src.add_argument("--rtltcp", metavar="HOST:PORT",
                     help="an rtl_tcp server ([::1]:1234 for IPv6)")
    t = v.add_argument_group("tuning")
    t.add_argument("--center", type=common.CENTER, required=True, metavar="HZ",
                   help="centre frequency, e.g. 144.47M")
    t.add_argument("--rate", type=common.RATE, default=2.4e6, metavar="HZ",
                   help="sample rate (default 2.4M; a dongle takes 225001-300000 or "
                   "900001-3200000)")
    t.add_argument("--gain", default="auto", metavar="DB|auto", help="tuner gain (default auto)")
    t.add_argument("--ppm", type=int, default=0, help="frequency correction, ppm (-1000..1000)")
    t.add_argument("--bias-tee", action="store_true", help="power an LNA through the antenna")
    t.add_argument("--duration", type=common.LIVE_DURATION, metavar="S",
                   help="stop after this long")
    rec = v.add_argument_group("recording")
    rec.add_argument("--record", metavar="OUT.sigmf-meta", help="record to SigMF as it runs")
    rec.add_argument("--record-mode", choices=["full", "channel", "squelched"], default="full",
                     help="full: every sample; channel: the first channel at its low rate; "
                          "squelched: only the transmissions (default full)")
    rec.add_argument("--rotate", type=common.LIVE_DURATION, metavar="S",
                     help="a new file every S seconds")
    rec.add_argument("--min-free", type=common.arg_type(lambda t: common.number(
        t, limits.Range("free space", 0.0, 1e9, "MiB")), "size"), default=100.0, metavar="MIB",
        help="stop recording when the disk has less free space (default 100)")
    common.add_force_option(rec, "an existing recording of the same name")
    v.add_argument("--play", action="store_true", help="play the first channel's audio")
    scoring.add_score_options(v, live=True)
    v.set_defaults(func=run)


def _source(args, log):
    from htdsp.sources import RtlSdrSource, RtlTcpSource

    gain = args.gain.strip().lower()
    if gain != "auto":
        try:
            gain = common.number(gain, limits.Range("gain", 0.0, 100.0, "dB"))
        except ValueError as e:
            raise InputError(f"--gain takes a number of dB or auto: {e}") from None
    if not -1000 <= args.ppm <= 1000:
        raise InputError(f"--ppm {args.ppm} is outside -1000..1000")
    if args.rtltcp is not None:
        host, port = args._rtltcp
        return RtlTcpSource(host, port, args.center, args.rate,
                            gain_db=None if gain == "auto" else gain, ppm=args.ppm, log=log)
    return RtlSdrSource(args.rtlsdr, args.center, args.rate, gain_db=gain, ppm=args.ppm,
                        bias_tee=args.bias_tee)


class _Stop(BaseException):
    """SIGINT or SIGTERM during the run: stop receiving, then finalise."""


def _describe(source, args):
    md = source.metadata
    where = f"rtl_tcp {args.rtltcp}" if args.rtltcp else f"RTL-SDR #{args.rtlsdr}"
    parts = [f"gain {args.gain}", f"ppm {args.ppm}"]
    if md.get("tuner_type") is not None:
        parts.insert(0, f"tuner type {md['tuner_type']}")
    return f"htdsp live from {where} ({', '.join(parts)})"


def run(args):
    import datetime as _dt

    from htdsp.io.outputs import OutputSet
    from htdsp.pipeline import Channel, Scoring
    from htdsp.sinks.annotations import scored_meta_path
    from htdsp.sinks.recorder import Recorder, RecorderSink
    from htdsp.sinks.terminal import AudioPlayer, DisplaySink, LiveDisplay, PlayerSink
    from htdsp.sources import SourceInfo, SourceLost, parse_host_port

    st = scoring.settings(args)
    if args.rtltcp is not None:
        try:
            args._rtltcp = parse_host_port(args.rtltcp)
        except ValueError as e:
            raise InputError(f"--rtltcp: {e}") from None
    else:
        limits.check_rtl_rate(args.rate)
    interactive = sys.stderr.isatty() and not args.quiet
    messages = []

    def log(msg):
        messages.append(msg)
        if not args.quiet and not interactive:
            print(f"htdsp live: {msg}", file=sys.stderr, flush=True)

    band = getattr(args, "channels", None)
    if band is not None:
        from htdsp.measure.activity import raster_offsets

        kind, lo, hi = band
        offsets = list(raster_offsets(args.rate, args.center, args.raster or args.bandwidth,
                                      args.bandwidth, lo, hi))
        if not offsets:
            raise InputError("--channels: no raster channel lies in the usable band")
        if args.record and args.record_mode == "channel":
            raise InputError("--record-mode channel records one channel; with --channels "
                             "record the band (full, or squelched: while any channel is open)")
    else:
        offsets = (args.offset if args.offset is not None
                   else [c - args.center for c in args.channel])
    for off in offsets:
        if abs(off) + args.bandwidth / 2 > args.rate / 2:
            raise InputError(f"channel at {off:+.0f} Hz is outside the +-{args.rate / 2:.0f} Hz "
                             "band")
    outputs = OutputSet(overwrite_recordings=args.force)
    if args.annotate and (not args.record or args.record_mode != "full" or args.rotate):
        log("--annotate needs one full recording (--record without --rotate): skipped")
        args.annotate = False
    if args.record:
        outputs.check(args.record, what="--record", samples=True)
    reports = scoring.Reports(args, outputs, "live")        # checked before the source opens
    one_file = bool(args.record) and args.record_mode == "full" and not args.rotate
    data_path = args.record[: -len(".sigmf-meta")] + ".sigmf-data" if args.record else None
    if args.annotate:
        reports.annotations[args.record] = outputs.check(scored_meta_path(SourceInfo(
            path=args.record, datatype="cu8", sample_rate_hz=args.rate, data_path=data_path)),
            what="--annotate")
    session = recorder = player = None
    try:
        if args.play:                            # before the source: no device left open
            try:
                player = AudioPlayer(48000.0)
            except ValueError as e:
                raise InputError(str(e)) from None
        start = _dt.datetime.now(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
        source = _source(args, log)
        address = f"rtl_tcp://{args.rtltcp}" if args.rtltcp else f"rtlsdr://{args.rtlsdr}"
        info = SourceInfo(path=args.record if one_file else address, datatype="cu8",
                          sample_rate_hz=args.rate, center_freq_hz=args.center,
                          datetime=start, container="sigmf" if args.record else None,
                          data_path=data_path if one_file else None)
        sinks = []
        if args.record:
            try:
                recorder = Recorder(args.record, args.record_mode, fs=args.rate,
                                    center_hz=args.center, fmt="cu8",
                                    metadata={**source.metadata, "ppm": args.ppm,
                                              "gain": args.gain},
                                    channel_fs=None, channel_hz=None, rotate_s=args.rotate,
                                    min_free_bytes=args.min_free * 2**20, log=log,
                                    datetime=start, overwrite=args.force, what="--record")
            except ValueError as e:
                raise InputError(str(e), args.record) from None
            sinks.append(RecorderSink(recorder))
        sinks += reports.sinks
        if args.annotate:
            # the annotations describe the recording, once it holds something
            sinks.append(reports.annotation_sink(
                info_for=lambda s: s.info if recorder is not None and recorder.files else None))
        if player is not None:
            sinks.append(PlayerSink(player))
        if interactive:
            sinks.append(DisplaySink(LiveDisplay(), source, recorder))
        sc = Scoring(st, sinks, confidence=args.confidence,
                     area_reliability=args.area_reliability)
        try:
            if band is not None:
                # every channel watched through one filter bank, the whole chain on those
                # where a carrier appears (back-dated), at most LIVE_MAX_ACTIVE
                from htdsp.measure.activity import BandFrontEnd

                front = BandFrontEnd(args.rate, offsets, args.bandwidth, input_format="cu8",
                                     window_s=st.window_s, max_active=LIVE_MAX_ACTIVE)
                session = sc.session(info, "cu8", [], front, band=band[0])
            else:
                session = sc.session(info, "cu8", [Channel(float(o)) for o in offsets])
        except ValueError as e:
            raise InputError(str(e)) from None
        scoring.told_squelch(args, session, "live")
        if recorder is not None and session.runs:   # a channel recording: the first channel
            r0 = session.runs[0]
            recorder.channel_fs, recorder.channel_hz = r0.rx.channel_fs, r0.freq_hz
    except BaseException:
        if session is not None:
            session.scoring.abort()
        elif player is not None:
            player.close()
        outputs.abort()
        raise
    limit = None if args.duration is None else int(round(args.duration * args.rate))
    code = None
    in_main = threading.current_thread() is threading.main_thread()
    stops = {}

    def stop(signum, frame):
        raise _Stop(signum)

    def wait(signum, frame):
        if not stops.get("said"):
            stops["said"] = True
            print("htdsp live: finishing the recording and the reports; one moment",
                  file=sys.stderr, flush=True)

    if in_main:
        stops["old"] = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            with source:
                session.run(source, limit_samples=limit)
        except SourceLost as e:
            common.error_line("live", f"{e}; finalising what was received")
            code = e.exit_code
        except (_Stop, KeyboardInterrupt):
            print("htdsp live: stopped; finalising", file=sys.stderr)
        # finalising: a second signal must not leave half-written files
        if in_main:
            for s in (signal.SIGINT, signal.SIGTERM):
                signal.signal(s, wait)
        session.info.description = _describe(source, args)
        if not one_file or recorder is None or not recorder.files:
            session.info.path = address
        try:
            entries = session.finish()
        except (ValueError, OSError) as e:       # the annotations could not be written
            raise InputError(f"--annotate: {e}", args.record) from None
        scoring.told_squelch(args, session, "live")
        if session.band is not None and not entries:
            common.error_line("live", "--channels auto: no carrier seen in any channel of the "
                              "band: nothing to score")
        scoring.report_capture(session, entries, "live")
        if recorder is not None and recorder.stopped and not args.quiet:
            print(f"htdsp live: recording stopped early: {recorder.stopped}", file=sys.stderr)
        sc.add(entries)
        result = scoring.conclude(args, sc, outputs, "live")
        if session.health_summary["unusable"] and code is None:
            code = EXIT_SOURCE_LOST           # a live source that delivers nothing usable
        return code if code is not None else result
    except BaseException:
        sc.abort()
        outputs.abort()
        raise
    finally:
        if in_main and "old" in stops:
            for s, h in stops["old"].items():
                signal.signal(s, h)
