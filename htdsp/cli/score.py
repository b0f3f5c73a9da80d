"""``htdsp score``: captures in, a verdict with numbers out."""

import os
import sys

from htdsp.cli import common, scoring
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
    s.add_argument("inputs", nargs="+", metavar="PATH", help="recordings (any readable format)")
    common.add_input_options(s)
    scoring.add_score_options(s)
    s.set_defaults(func=run)


def _channels(args, rec):
    """``[(offset_hz, chosen)]`` for one recording (see ``htdsp score --help``)."""
    from htdsp.score import strongest_channel

    if args.offset is not None:
        offs = [(o, "given") for o in args.offset]
    elif args.channel is not None:
        if rec.center_freq_hz is None:
            raise InputError("centre frequency unknown; give --center (or use --offset)",
                             rec.path)
        offs = [(c - rec.center_freq_hz, "given") for c in args.channel]
    else:
        try:
            off, _, _ = strongest_channel(rec, args.bandwidth)
        except ValueError as e:
            raise InputError(str(e), rec.path) from None
        offs = [(off, "strongest")]
    for off, _ in offs:
        if abs(off) + args.bandwidth / 2 > rec.sample_rate_hz / 2:
            raise InputError(f"channel at {off:+.0f} Hz (+-{args.bandwidth / 2:.0f} Hz) is "
                             f"outside the captured band of +-{rec.sample_rate_hz / 2:.0f} Hz",
                             rec.path)
    return offs


def run(args):
    from htdsp.io.outputs import InputFiles, OutputSet
    from htdsp.score import scan_recording

    st = scoring.setup(args)
    warn = common.Warner("score")
    errors = []

    def bad(path, e):
        print(f"htdsp score: error: {e}", file=sys.stderr)
        errors.append({"path": str(path), "error": getattr(e, "problem", None) or str(e)})

    recs = []
    for p in args.inputs:                        # every input checked before any work
        try:
            rec = common.open_input(args, p)
            warn(rec)
            recs.append(rec)
        except HtdspError as e:
            bad(p, e)
    with OutputSet(InputFiles(recs)) as outputs:
        reports = scoring.Reports(args, outputs)
        plans = []
        for rec in recs:
            try:
                plans.append((rec, _channels(args, rec), reports.annotation_target(rec)))
            except InputError as e:
                if e.problem.startswith("--annotate"):
                    raise
                bad(rec.path, e)
        captures, runs_all, wfs = [], [], []
        for rec, chans, annotate in plans:
            for off, chosen in chans:
                if chosen == "strongest" and not args.quiet:
                    f = (f"{(rec.center_freq_hz + off) / 1e6:.4f} MHz" if rec.center_freq_hz
                         else f"offset {off / 1e3:+.3f} kHz")
                    print(f"htdsp score: {rec.path}: no channel given, scoring the strongest "
                          f"carrier at {f}", file=sys.stderr)
            bar, update = common.progress(args, rec.samples, os.path.basename(rec.path))
            try:
                sc = scan_recording(
                    rec, chans, bandwidth_hz=args.bandwidth, deviation_hz=args.deviation,
                    tone_hz=st.tone_hz, squelch=args.squelch, window_s=args.window,
                    cal_db=args.cal_db, progress=update, waterfall=bool(args.html))
            except (InputError, ValueError) as e:
                bad(rec.path, e if isinstance(e, InputError) else InputError(str(e), rec.path))
                continue
            finally:
                if bar is not None:
                    bar.close()
            warn(rec)
            runs = sc.finish()
            entries = scoring.entries(args, rec, runs, st, health=sc.health.summary(),
                                      annotate_path=annotate)
            captures += entries
            runs_all += runs
            wfs += [sc.waterfall] * len(runs)
        if not captures:                         # nothing could be scored: no report either
            outputs.abort()
            return EXIT_USAGE
        return scoring.finish(args, captures, runs_all, wfs, st, reports, errors=errors)
