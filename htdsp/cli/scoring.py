"""What ``htdsp score`` and ``htdsp live`` share: their options, the judgement set-up, the
reports (checked before the work, written atomically after it) and the summary table."""

import os
import sys
from dataclasses import dataclass

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
    o = s.add_argument_group("output (reports replace an earlier file atomically)")
    o.add_argument("--json", metavar="FILE", help="the report as JSON (schema htdsp.score/2); "
                                                  "- for stdout")
    o.add_argument("--csv", metavar="FILE", help="the per-window series")
    o.add_argument("--html", metavar="FILE", help="a self-contained HTML report with plots")
    o.add_argument("--annotate", action="store_true",
                   help="write NAME.scored.sigmf-meta beside each "
                   + ("recording" if live else "input")
                   + " with the transmissions and their measurements")
    o.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar, meter or summary")


@dataclass
class Setup:
    """The parsed judgement options."""

    criterion: object
    requirements: list
    tone_hz: object
    daq_table: tuple


def setup(args):
    """Check and parse the options score and live share."""
    from htdsp.metrics import REQUIREMENT_METRICS, WINDOW_METRICS, parse_expr
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
    return Setup(criterion, requirements, tone_hz, daq_table)


class Reports:
    """The report files of a run: checked and opened (as temporary files) before any work, so
    a bad path fails at once; written and renamed into place at the end."""

    def __init__(self, args, outputs):
        self.args = args
        self.outputs = outputs
        self.json = self.csv = self.html = None
        if args.json and args.json != "-":
            self.json = outputs.open(args.json, "w", what="--json")
        if args.csv:
            self.csv = outputs.open(args.csv, "w", what="--csv")
        if args.html:
            self.html = outputs.open(args.html, "w", what="--html")

    def annotation_target(self, rec):
        """Check ``rec``'s ``--annotate`` output now; its path, or None without --annotate."""
        from htdsp import report

        if not self.args.annotate:
            return None
        why = report.annotations_possible(rec)
        if why:
            raise InputError(f"--annotate: {why}", rec.path)
        return self.outputs.check(report.scored_meta_path(rec), what="--annotate")

    def write(self, doc, runs_all, wfs, criterion, command):
        from htdsp import report

        def warn(m):
            common.warn_line(command, m)
        if self.args.json == "-":
            report.write_json(doc, "-", warn)
        elif self.json is not None:
            report.write_json(doc, self.json.file, warn)
        if self.csv is not None:
            report.write_csv(doc, self.csv.file)
        if self.html is not None:
            report.write_html(doc, runs_all, wfs, criterion, self.html.file)
        self.outputs.commit()


def entries(args, rec, runs, st, *, health, annotate_path=None, lost_samples=0,
            command="score"):
    """Judge the runs of one recording; returns its ``captures`` entries."""
    from htdsp import report
    from htdsp.rx.squelch import with_utc
    from htdsp.score import judge, no_transmission_reason

    out = []
    for run in runs:
        sq = run.rx.squelch
        if sq.added_term is not None and args.squelch and not getattr(args, "_told_spec", 0):
            args._told_spec = 1                       # once per run, not per capture
            common.warn_line(command, f"--squelch {args.squelch} has no carrier term: using "
                             f"{sq.spec}")
        run.events = [with_utc(e, rec.datetime) for e in run.events]
        tx, summary = judge(run.meter, run.events, st.criterion, st.requirements, st.daq_table,
                            lost_samples=lost_samples, geolocation=rec.geolocation,
                            health=health)
        where = (f"{run.freq_hz / 1e6:.4f} MHz" if run.freq_hz else
                 f"offset {run.offset_hz / 1e3:+.3f} kHz")
        if summary["unusable"] and health.get("samples_checked"):
            print(f"htdsp {command}: error: {rec.path}: unusable capture: "
                  f"{summary['unusable']}", file=sys.stderr)
        elif not tx:
            why = no_transmission_reason(run.meter, [t.kind for t in run.rx.squelch.terms],
                                         rec.duration_s)
            summary["warnings"].append(f"no transmission found at {where}: {why}")
        for w in summary["warnings"]:
            common.warn_line(command, w, rec.path)
        out.append(report.capture_entry(rec, run, tx, summary, run.rx.squelch.spec))
    if annotate_path is not None:
        try:
            report.write_annotations(rec, out, annotate_path)
        except (ValueError, OSError) as e:
            raise InputError(f"--annotate: {e}", rec.path) from None
        if not args.quiet:
            print(f"htdsp {command}: wrote {annotate_path}", file=sys.stderr)
    return out


def finish(args, captures, runs_all, wfs, st, reports, *, errors=(), command="score"):
    """Aggregate, write the reports, print the table; returns the exit code (2 when any input
    was bad or unusable, else by the verdict)."""
    from htdsp import report
    from htdsp.score import area_summary

    # a location is a capture: it passes when all its channels do
    by_path = {}
    for c in captures:
        by_path.setdefault(c["source"]["path"], []).append(c["summary"]["verdict"])
    verdicts = [("unusable" if "unusable" in vs else
                 "pass" if all(v == "pass" for v in vs) else "fail") for vs in by_path.values()]
    aggregate = area_summary(verdicts, args.confidence, args.area_reliability)
    doc = report.document(captures, aggregate, st.criterion, st.requirements, args.window,
                          st.daq_table, errors=list(errors))
    reports.write(doc, runs_all, wfs, st.criterion, command)
    if not args.quiet and captures:
        table(doc, sys.stdout if sys.stdout.isatty() and args.json != "-" else sys.stderr)
    if errors or "unusable" in verdicts:
        return EXIT_USAGE
    if not verdicts:
        return EXIT_USAGE
    failed = (aggregate["verdict"] == "fail") if len(verdicts) > 1 else verdicts[0] != "pass"
    return EXIT_CRITERIA if failed else EXIT_OK


def table(doc, out):
    """The summary table of a score (one row per capture and channel); a value that is an
    estimator's limit reads "≥ 49.1" (">= 49.1" where the stream cannot write the sign)."""
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
    for c in doc["captures"]:
        s, ch = c["summary"], c["channel"]
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
    a = doc["aggregate"]
    if a["locations"] > 1:
        print(f"area: {a['passing']}/{a['locations']} locations pass, Wilson lower bound "
              f"{f(a['wilson_lower'] * 100 if a['wilson_lower'] is not None else None)} % "
              f"at {a['confidence'] * 100:.0f} % confidence (target "
              f"{a['area_reliability'] * 100:.0f} %): {a['verdict']}", file=out)
