"""``htdsp score``: captures in, a verdict with numbers out."""

import os
import sys

from htdsp.cli import archive, common, scoring
from htdsp.errors import EXIT_USAGE, HtdspError, InputError


def add_parser(sub):
    s = sub.add_parser(
        "score", help="score captures: availability, SINAD, DAQ, verdict (JSON, CSV, HTML)",
        description="Measure every transmission of one or more captures and judge the link: "
                    "per window against --criterion, per capture against --require; several "
                    "captures are several test locations (area reliability with a Wilson "
                    "bound). Exit 0 when every requirement is met, 1 when one fails, 2 for bad "
                    "usage, or when any input is bad or unusable (a dead dongle, a stuck ADC: "
                    "never a pass); the other inputs are still scored and reported.")
    s.add_argument("inputs", nargs="+", metavar="PATH",
                   help="recordings (any readable format), directories (their recordings, "
                   "recursively), globs, manifests (NAME.manifest.csv)")
    common.add_input_options(s)
    scoring.add_score_options(s)
    archive.add_archive_options(s)
    s.set_defaults(func=run)


def capture_channels(args, rec):
    """The channels of one recording (see ``htdsp score --help``)."""
    from htdsp.measure.spectrum import strongest_channel
    from htdsp.pipeline import Channel

    if getattr(args, "channels", None) is not None:
        return _band(args, rec)
    if args.offset is not None:
        chans = [Channel(o) for o in args.offset]
    elif args.channel is not None:
        if rec.center_freq_hz is None:
            raise InputError("centre frequency unknown; give --center (or use --offset)",
                             rec.path)
        chans = [Channel(c - rec.center_freq_hz) for c in args.channel]
    else:
        try:
            off, _, _ = strongest_channel(rec, args.bandwidth)
        except ValueError as e:
            raise InputError(str(e), rec.path) from None
        chans = [Channel(off, "strongest")]
    for c in chans:
        if abs(c.offset_hz) + args.bandwidth / 2 > rec.sample_rate_hz / 2:
            raise InputError(f"channel at {c.offset_hz:+.0f} Hz (+-{args.bandwidth / 2:.0f} Hz)"
                             f" is outside the captured band of +-{rec.sample_rate_hz / 2:.0f}"
                             " Hz", rec.path)
    return chans


def _band(args, rec):
    """``--channels``: the raster's channels in the usable band, as a :class:`Channel` each
    (all of them watched in one pass; ``auto`` reports the used ones only)."""
    from htdsp.measure.activity import raster_offsets
    from htdsp.pipeline import Channel

    kind, lo, hi = args.channels
    try:
        offs = raster_offsets(rec.sample_rate_hz, rec.center_freq_hz,
                              args.raster or args.bandwidth, args.bandwidth, lo, hi)
    except ValueError as e:
        raise InputError(str(e), rec.path) from None
    if offs.size == 0:
        raise InputError(f"--channels {kind if kind != 'range' else f'{lo:.0f}-{hi:.0f}'}: no "
                         "raster channel lies in the usable band", rec.path)
    return [Channel(float(o), kind) for o in offs]


def _band_session(args, sc, src, chans):
    """A session watching a band's channels (activity first: the full chain on a channel
    only once its carrier is seen, back-dated)."""
    from htdsp.measure.activity import BandFrontEnd

    front = BandFrontEnd(src.info.sample_rate_hz, [c.offset_hz for c in chans],
                         args.bandwidth, input_format=src.format,
                         window_s=sc.settings.window_s)
    return sc.session(src.info, src.format, [], front, band=chans[0].chosen)


def _band_done(args, rec, session):
    """After a band's pass: say which channels were used (``auto``); an ``auto`` band with
    none is an input with nothing to score."""
    fe = session.front
    if session.band != "auto":
        return
    used = [p.offset_hz for p in fe.paths]
    if not args.quiet:
        where = ", ".join(f"{(rec.center_freq_hz + o) / 1e6:.4f}" for o in sorted(used))
        print(f"htdsp score: {rec.path}: --channels auto: {len(used)} of "
              f"{fe.offsets_hz.size} channels active{': ' + where + ' MHz' if where else ''}",
              file=sys.stderr)
    if not used:
        why = session.health.summary().get("unusable")
        raise InputError(f"unusable capture: {why}" if why else
                         "--channels auto: no carrier seen in any channel of the band "
                         "(try --channels all)", rec.path)


def score_recording(args, sc, rec, src, chans, bad, warn):
    """One recording through a session of ``sc`` (a :class:`htdsp.pipeline.Scoring`, or an
    archive task's stand-in): its ``captures[]`` entries, or None when it could not be
    scored (``bad(path, error)`` was told why). Its messages go to stderr."""
    for c in chans:
        if c.chosen == "strongest" and not args.quiet:
            f = (f"{(rec.center_freq_hz + c.offset_hz) / 1e6:.4f} MHz"
                 if rec.center_freq_hz else f"offset {c.offset_hz / 1e3:+.3f} kHz")
            print(f"htdsp score: {rec.path}: no channel given, scoring the "
                  f"strongest carrier at {f}", file=sys.stderr)
    try:
        if getattr(args, "channels", None) is not None:
            # every channel from one filter bank, not a full-rate filter each
            session = _band_session(args, sc, src, chans)
        else:
            session = sc.session(src.info, src.format, chans)
    except ValueError as e:
        bad(rec.path, InputError(str(e), rec.path))
        return None
    scoring.told_squelch(args, session, "score")
    bar, update = common.progress(args, rec.samples, os.path.basename(rec.path))
    try:
        session.run(src, progress=update)
    except (InputError, ValueError) as e:
        e = e if isinstance(e, InputError) else InputError(str(e), rec.path)
        bad(rec.path, e)
        session.discard()
        return None
    finally:
        if bar is not None:
            bar.close()
    warn(rec)
    try:
        if session.band is not None:
            _band_done(args, rec, session)
    except InputError as e:
        bad(rec.path, e)
        session.discard()
        return None
    try:
        entries = session.finish()
    except (ValueError, OSError) as e:    # the annotations could not be written
        raise InputError(f"--annotate: {e}", rec.path) from None
    scoring.told_squelch(args, session, "score")
    scoring.report_capture(session, entries, "score")
    return entries


def run(args):
    from htdsp.io.outputs import InputFiles, OutputSet
    from htdsp.pipeline import Scoring
    from htdsp.sources import FileSource

    if archive.wanted(args):
        return archive.run(args)
    st = scoring.settings(args)
    warn = common.Warner("score")
    errors = []

    def bad(path, e):
        common.error_line("score", e)
        errors.append((str(path), getattr(e, "problem", None) or str(e)))

    recs = []
    for p in args.inputs:                        # every input checked before any work
        try:
            rec = common.open_input(args, p)
            warn(rec)
            recs.append(rec)
        except HtdspError as e:
            bad(p, e)
    with OutputSet(InputFiles(recs)) as outputs:
        reports = scoring.Reports(args, outputs, "score")
        plans = []
        for rec in recs:
            src = FileSource(rec, copy=False)
            try:
                plans.append((rec, src, capture_channels(args, rec)))
                target = reports.annotation_target(src.info)
                if target is not None:
                    reports.annotations[rec.path] = target
            except InputError as e:
                if e.problem.startswith("--annotate"):
                    raise
                bad(rec.path, e)
        sinks = list(reports.sinks)
        if args.annotate:
            sinks.append(reports.annotation_sink())
        sc = Scoring(st, sinks, confidence=args.confidence,
                     area_reliability=args.area_reliability)
        scored = 0
        try:
            for rec, src, chans in plans:
                entries = score_recording(args, sc, rec, src, chans, bad, warn)
                if entries is not None:
                    sc.add(entries)
                    scored += 1
        except BaseException:
            sc.abort()
            raise
        if not scored:                           # nothing could be scored: no report either
            sc.abort()
            outputs.abort()
            return EXIT_USAGE
        for path, problem in errors:
            sc.error(path, common.say(problem))
        return scoring.conclude(args, sc, outputs, "score")
