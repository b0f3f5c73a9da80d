"""What ``htdsp score`` and ``htdsp live`` share: their options, the settings they give the
pipeline, the report files (checked before the work, written by the pipeline's sinks,
committed after it), the messages of a capture, the summary table and the exit code."""

import os
import sys

from htdsp.cli import common
from htdsp.errors import EXIT_CRITERIA, EXIT_OK, EXIT_USAGE, InputError


def add_score_options(s, live=False):
    """The options ``htdsp score`` and ``htdsp live`` share."""
    from htdsp.metrics import REQUIREMENT_METRICS, WINDOW_METRICS, WINDOW_S

    common.add_channel_options(s, many=True, required=live,
                               title="channel" if live else
                               "channel (default: the strongest NFM carrier, reported)")
    m = s.add_argument_group("measurement")
    m.add_argument("--tone", default="auto", metavar="auto|HZ|none",
                   help="test tone for SINAD: detect (default), a frequency, or none (the "
                        "tone-free SNR only)")
    m.add_argument("--squelch", metavar="SPEC",
                   help="what marks a transmission (default noise,ctcss,dcs; power instead of "
                   "noise where the channel rate is too low for the noise squelch). "
                   + common.SQUELCH_HELP)
    m.add_argument("--window", type=common.WINDOW, default=WINDOW_S, metavar="S",
                   help="measurement window (default 100ms; 10ms to 10s)")
    m.add_argument("--cal-db", type=common.CAL_DB, metavar="DB",
                   help="calibration: dBm = dBFS + DB (reports RSSI in dBm)")
    j = s.add_argument_group("judgement")
    j.add_argument("--criterion", default="sinad>=20", metavar="EXPR",
                   help="per window, METRIC OP NUMBER with OP one of >= > <= < == (default "
                   "sinad>=20, DAQ 3.4; sinad is the tone SINAD, else the tone-free SNR). "
                   f"Metrics: {', '.join(WINDOW_METRICS)}")
    j.add_argument("--require", action="append", metavar="EXPR",
                   help="per capture, repeatable, the same grammar (default "
                   "availability>=0.95). Metrics: " + ", ".join(REQUIREMENT_METRICS))
    j.add_argument("--daq-table", metavar="FILE",
                   help="JSON with lists sinad_db and daq (default: TSB-88 practice table)")
    j.add_argument("--area-reliability", type=common.PROBABILITY, default=0.95, metavar="P",
                   help="area target for several locations (default 0.95)")
    j.add_argument("--confidence", type=common.PROBABILITY, default=0.95, metavar="P",
                   help="confidence of the one-sided Wilson bound (default 0.95)")
    n = s.add_argument_group("stations on a net")
    n.add_argument("--roster", metavar="FILE",
                   help="the net's stations (TOML: [[station]] name, ani, ctcss_hz, "
                   "carrier_error_hz, reference, notes); others get labels (station-3)")
    n.add_argument("--ani", default="all", metavar="LIST|all|none",
                   help="ANI (PTT-ID) schemes to decode: dtmf, selcall, mdc1200 (comma-separated; "
                   "default all); none leaves station identity to the fingerprint")
    n.add_argument("--lo-ppm", type=common.LO_PPM, metavar="PPM",
                   help="the receiver's known LO error, ppm (as htdsp simulate --ppm: + is an "
                   "LO running high, which reads every carrier low): removed from carrier "
                   "errors before stations are compared across captures")
    n.add_argument("--time-out", type=common.TIME_OUT, default=60.0, metavar="S",
                   help="the net's time-out timer: overs longer are reported (default 60s)")
    o = s.add_argument_group("output (reports replace an earlier file atomically)")
    o.add_argument("--json", metavar="FILE", help="the report as JSON (schema htdsp.score/3); "
                                                  "- for stdout")
    o.add_argument("--csv", metavar="FILE", help="the per-window series")
    o.add_argument("--events-csv", metavar="FILE",
                   help="one row per transmission, with its station")
    o.add_argument("--html", metavar="FILE", help="a self-contained HTML report with plots")
    o.add_argument("--jsonl", metavar="FILE",
                   help="JSON lines: every window and transmission as it is judged, then each "
                   "channel's summary (field type: window, transmission, summary); - for "
                   "stdout, flushed line by line")
    o.add_argument("--annotate", action="store_true",
                   help="write NAME.scored.sigmf-meta beside each "
                   + ("recording" if live else "input")
                   + " with the transmissions and their measurements")
    o.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar, meter or summary")


def settings(args):
    """The pipeline's :class:`htdsp.pipeline.Settings` from the options (usage errors name
    the option)."""
    from htdsp.metrics import REQUIREMENT_METRICS, WINDOW_METRICS, parse_expr
    from htdsp.pipeline import Settings
    from htdsp.rx.squelch import parse_spec
    from htdsp.score import load_daq_table
    from htdsp.units import parse_freq

    try:
        criterion = parse_expr(args.criterion, WINDOW_METRICS)
    except ValueError as e:
        raise InputError(f"--criterion: {e}") from None
    try:
        requirements = [parse_expr(r, REQUIREMENT_METRICS)
                        for r in (args.require or ["availability>=0.95"])]
    except ValueError as e:
        raise InputError(f"--require: {e}") from None
    tone = args.tone.strip().lower()
    if tone == "none":
        tone_hz = None
    elif tone == "auto":
        tone_hz = "auto"
    else:
        try:
            tone_hz = parse_freq(tone)
        except ValueError:
            raise InputError(f"--tone takes auto, none or a frequency, got {args.tone!r}") \
                from None
        if not 50.0 <= tone_hz <= 20e3:
            raise InputError(f"--tone {args.tone}: a test tone lies in 50 Hz to 20 kHz")
    if args.squelch:
        try:
            parse_spec(args.squelch)
        except ValueError as e:
            raise InputError(f"--squelch: {e}") from None
    try:
        daq_table = load_daq_table(args.daq_table)
    except (OSError, ValueError) as e:
        raise InputError(str(getattr(e, "strerror", None) or e), args.daq_table) from None
    if args.json == "-" and args.jsonl == "-":
        raise InputError("--json - and --jsonl - cannot both write to stdout")
    from htdsp.rx.ani import SCHEMES
    from htdsp.stations import load_roster

    ani = args.ani.strip().lower()
    schemes = (tuple(SCHEMES) if ani == "all" else () if ani == "none" else
               tuple(dict.fromkeys(a.strip() for a in ani.split(",") if a.strip())))
    bad = [a for a in schemes if a not in SCHEMES]
    if bad or not (schemes or ani == "none"):
        raise InputError(f"--ani takes all, none or a list of {', '.join(SCHEMES)}; "
                         f"got {args.ani!r}")
    roster = tuple(load_roster(args.roster)) if args.roster else ()
    return Settings(bandwidth_hz=args.bandwidth, deviation_hz=args.deviation, tone_hz=tone_hz,
                    squelch=args.squelch, window_s=args.window, cal_db=args.cal_db,
                    criterion=criterion, requirements=requirements, daq_table=daq_table,
                    waterfall=bool(args.html), ani=schemes, roster=roster,
                    time_out_s=args.time_out, lo_ppm=getattr(args, "lo_ppm", None))


class Reports:
    """The report files of a run, checked and opened (as temporary files) before any work so a
    bad path fails at once, and the sinks that write them; committed by the caller's
    :class:`htdsp.io.outputs.OutputSet` at the end."""

    def __init__(self, args, outputs, command):
        from htdsp.sinks.document import JsonSink
        from htdsp.sinks.html import HtmlSink
        from htdsp.sinks.jsonl import JsonLinesSink
        from htdsp.sinks.table import CsvSink, EventsCsvSink

        self.args = args
        self.outputs = outputs
        self.command = command
        self.sinks = []

        def warn(m):
            common.warn_line(command, m)

        for opt, value, make in (("--json", args.json, lambda f: JsonSink(f, warn=warn)),
                                 ("--csv", args.csv, CsvSink),
                                 ("--events-csv", args.events_csv, EventsCsvSink),
                                 ("--html", args.html, HtmlSink),
                                 ("--jsonl", args.jsonl, lambda f: JsonLinesSink(f, warn=warn))):
            if not value:
                continue
            f = sys.stdout if value == "-" else outputs.open(value, "w", what=opt).file
            self.sinks.append(make(f))
        self.annotations = {}

    def annotation_target(self, info):
        """Check the ``--annotate`` output of a capture now; its path, or None without
        --annotate."""
        from htdsp.sinks.annotations import annotations_possible, scored_meta_path

        if not self.args.annotate:
            return None
        why = annotations_possible(info)
        if why:
            raise InputError(f"--annotate: {why}", info.path)
        path = self.outputs.check(scored_meta_path(info), what="--annotate")
        return path

    def annotation_sink(self, info_for=None):
        """The sink writing the ``--annotate`` files (``self.annotations``: capture path ->
        output), or None without --annotate."""
        from htdsp.sinks.annotations import AnnotationSink

        if not self.args.annotate:
            return None

        def done(path):
            if not self.args.quiet:
                print(f"htdsp {self.command}: wrote {path}", file=sys.stderr)
        return AnnotationSink(self.annotations, done=done, info_for=info_for)


def told_squelch(args, session, command):
    """Say once when the --squelch SPEC got a carrier term added (a band's session may have
    no run yet: it is told at its end)."""
    if not session.runs:
        return
    sq = session.runs[0].rx.squelch
    if sq.added_term is not None and args.squelch and not getattr(args, "_told_spec", 0):
        args._told_spec = 1
        common.warn_line(command, f"--squelch {args.squelch} has no carrier term: using "
                         f"{sq.spec}")


def report_capture(session, entries, command):
    """A finished capture's messages: an unusable capture's error line, every warning."""
    path = session.info.path
    for e in entries:
        s = e["summary"]
        if s["unusable"] and session.health_summary.get("samples_checked"):
            common.error_line(command, f"{path}: unusable capture: {s['unusable']}")
        for w in s["warnings"]:
            common.warn_line(command, w, path)


def conclude(args, scoring, outputs, command="score"):
    """Finish the score (the sinks write their ends), commit the reports, print the table;
    returns the exit code (2 when any input was bad or unusable, else by the verdict)."""
    doc = scoring.finish()
    outputs.commit()
    verdicts = scoring.verdicts()
    if not args.quiet and doc["captures"]:
        out = (sys.stdout if sys.stdout.isatty() and "-" not in (args.json, args.jsonl)
               else sys.stderr)
        table(doc, out)
        band_table(doc, out)
    if doc["errors"] or "unusable" in verdicts or not verdicts:
        return EXIT_USAGE
    failed = (doc["aggregate"]["verdict"] == "fail") if len(verdicts) > 1 \
        else verdicts[0] != "pass"
    return EXIT_CRITERIA if failed else EXIT_OK


def table(doc, out):
    """The summary table of a score (one row per capture and channel, a band's unused ones
    counted, not listed); a value that is an estimator's limit reads "≥ 49.1" (">= 49.1"
    where the stream cannot write the sign)."""
    ge, le = "\u2265 ", "\u2264 "
    try:
        if getattr(out, "encoding", None):
            (ge + le).encode(out.encoding)
    except (UnicodeEncodeError, LookupError):
        ge, le = ">= ", "<= "

    def f(v, nd=1, bound=None):
        if v is None:
            return "-"
        return {"lower": ge, "upper": le}.get(bound, "") + f"{v:.{nd}f}"

    rows = [("capture", "channel", "tx", "avail %", "SINAD/SNR p50", "DAQ", "CNR dB",
             "verdict")]
    unused = 0
    for c in doc["captures"]:
        s, ch = c["summary"], c["channel"]
        if ch.get("activity") == "idle" and not s["unusable"]:
            unused += 1                  # (a band's unused channel: in the band's table)
            continue
        rows.append((os.path.basename(c["source"]["path"]),
                     f"{ch['freq_hz'] / 1e6:.4f} MHz" if ch["freq_hz"] else
                     f"offset {ch['offset_hz'] / 1e3:+.3f} kHz",
                     str(s["transmissions"]),
                     f(s["availability"] * 100 if s["availability"] is not None else None),
                     f(s["quality_db_p50"], 1, (s.get("bounds") or {}).get("quality_db_p50")),
                     f(s["daq"], 1, (s.get("bounds") or {}).get("daq")), f(s["cnr_db"]),
                     s["verdict"]))
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(v.ljust(w[i]) if i == 0 else v.rjust(w[i]) for i, v in enumerate(r)),
              file=out)
    if unused:
        print(f"(and {unused} unused channels of the band, not judged: in the band table)",
              file=out)
    a = doc["aggregate"]
    if a["locations"] > 1:
        print(f"area: {a['passing']}/{a['locations']} locations pass, Wilson lower bound "
              f"{f(a['wilson_lower'] * 100 if a['wilson_lower'] is not None else None)} % "
              f"at {a['confidence'] * 100:.0f} % confidence (target "
              f"{a['area_reliability'] * 100:.0f} %): {a['verdict']}", file=out)


def band_table(doc, out):
    """The band's table of a ``--channels`` score: per channel its share of the capture on the
    air, its transmissions and talk time, and its best and worst link (a transmission's SINAD,
    else SNR, median)."""
    from htdsp.pipeline import BAND_CHOICES

    caps = [c for c in doc["captures"] if c["channel"]["chosen"] in BAND_CHOICES]
    if not caps:
        return

    def f(v, nd=1):
        return "-" if v is None else f"{v:.{nd}f}"

    rows = [("capture", "channel", "busy %", "tx", "talk s", "best dB", "worst dB")]
    for c in caps:
        s = c["summary"]
        rows.append((os.path.basename(c["source"]["path"]),
                     f"{c['channel']['freq_hz'] / 1e6:.4f} MHz",
                     f(s["busy_fraction"] * 100 if s.get("busy_fraction") is not None
                       else None), str(s["transmissions"]), f(s["talk_time_s"]),
                     f(s["best_link_db"]), f(s["worst_link_db"])))
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print("band:", file=out)
    for r in rows:
        print("  ".join(v.ljust(w[i]) if i == 0 else v.rjust(w[i]) for i, v in enumerate(r)),
              file=out)
