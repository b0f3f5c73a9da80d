"""The ``htdsp`` command line. Each command calls the public API and formats the result.

Exit codes (shared by every command): 0 success / requirements met, 1 a requirement failed,
2 bad input or usage, 3 the live source was lost.
"""

import argparse
import os
import sys
import time

from htdsp import __version__
from htdsp.errors import EXIT_OK, EXIT_USAGE, HtdspError, InputError
from htdsp.units import parse_freq


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr (exit code 2), like every other error."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _freq(text):
    try:
        return parse_freq(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _positive_freq(text):
    v = _freq(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return v


def _time(text):
    from htdsp.units import parse_time

    try:
        v = parse_time(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return v


def _pair(text, name):
    try:
        a, b = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"{name} takes two numbers separated by a comma, got {text!r}") from None
    return a, b


def _add_input_options(p):
    """The input overrides every command that reads a recording accepts."""
    g = p.add_argument_group("input (override what the recording says)")
    g.add_argument("--format", choices=["cu8", "cs8", "cs16", "cf32"],
                   help="sample format of a raw file (default: from the extension)")
    g.add_argument("--rate", type=_positive_freq, metavar="HZ",
                   help="sample rate, e.g. 2.4M (default: SigMF, WAV header or file name)")
    g.add_argument("--center", type=_positive_freq, metavar="HZ",
                   help="centre frequency, e.g. 144.47M (default: SigMF or file name)")
    g.add_argument("--swap-iq", action="store_true", help="exchange I and Q (Q written first)")


class _Warner:
    """Prints each warning of a recording once, as one line on stderr."""

    def __init__(self, command):
        self.command = command
        self._shown = {}

    def __call__(self, rec, extra=()):
        seen = self._shown.setdefault(rec.path, 0)
        for w in [*rec.warnings[seen:], *extra]:
            print(f"htdsp {self.command}: warning: {rec.path}: {w}", file=sys.stderr)
        self._shown[rec.path] = len(rec.warnings)


def _open_input(args, path):
    from htdsp.io import open_recording

    return open_recording(path, fmt=args.format, rate_hz=args.rate, center_hz=args.center,
                          swap_iq=args.swap_iq)


def _add_channel_options(p, *, many=False, required=True, title="channel"):
    """--channel / --offset (one, or a comma list with ``many``), --bandwidth, --deviation."""
    g = p.add_argument_group(title)
    sel = g.add_mutually_exclusive_group(required=required)
    if many:
        sel.add_argument("--channel", type=_freq_list, metavar="HZ[,HZ...]",
                         help="channel frequencies, e.g. 144.5M,145.0M (one pass, each scored)")
        sel.add_argument("--offset", type=_freq_list, metavar="HZ[,HZ...]",
                         help="channel offsets from the centre frequency")
    else:
        sel.add_argument("--channel", type=_positive_freq, metavar="HZ",
                         help="channel frequency, e.g. 144.5M (needs --center)")
        sel.add_argument("--offset", type=_freq, metavar="HZ",
                         help="channel offset from the centre frequency, e.g. 30k")
    g.add_argument("--bandwidth", type=_positive_freq, default=12500.0, metavar="HZ",
                   help="channel bandwidth: 12.5k (default), 20k, 25k")
    g.add_argument("--deviation", type=_positive_freq, metavar="HZ",
                   help="rated peak deviation (default from the bandwidth: 2.5k, 4k, 5k)")


def build_parser():
    parser = _Parser(prog="htdsp", description="Is your handheld radio link reliable? "
                     "Narrowband-FM receive chain and link measurements from RTL-SDR IQ.")
    parser.add_argument("--version", action="version", version=f"htdsp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    d = sub.add_parser("demod", help="demodulate an NFM channel to audio (WAV or raw s16le)",
                       description="Demodulate one narrowband-FM channel of a recording to "
                       "16-bit audio. Streams the input in constant memory.")
    d.add_argument("input", metavar="IN", help="recording: .sigmf-meta, .sigmf, .wav, or raw "
                   ".cu8 .cs8 .cs16 .cf32 .cfile")
    d.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output .wav, or - for raw 16-bit little-endian mono on stdout")
    _add_input_options(d)
    _add_channel_options(d)
    a = d.add_argument_group("audio")
    a.add_argument("--deemph-us", type=float, default=750.0, metavar="US",
                   help="de-emphasis time constant in microseconds: 750 (NFM, default), 75, "
                   "0 = off")
    a.add_argument("--audio-rate", type=_positive_freq, default=48000.0, metavar="HZ",
                   help="audio sample rate: 8000, 16000, 24000 or 48000 (default)")
    q = d.add_argument_group("squelch")
    q.add_argument("--squelch", metavar="SPEC",
                   help="power | power:DB | power:-40dbfs | noise | noise:DB, joined by ',' "
                   "(all must hold). Defaults: power 6 dB above the tracked noise floor, noise "
                   "8 dB of quieting; 3 dB hysteresis, 4 ms attack, 200 ms hang")
    q.add_argument("--events", metavar="FILE",
                   help="write transmissions as JSON lines (- for stdout), or as SigMF "
                   "annotations in FILE.sigmf-meta beside the recording's data")
    q.add_argument("--gate", action="store_true",
                   help="drop the audio while the squelch is closed (default: keep it, zeroed)")
    d.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    d.set_defaults(func=cmd_demod)

    i = sub.add_parser("info", help="describe recordings: format, rate, level, clipping, DC, IQ "
                       "imbalance, SigMF captures and annotations",
                       description="Read each recording once (streamed) and report its "
                       "format and metadata and the statistics of its samples.")
    i.add_argument("inputs", nargs="+", metavar="FILE", help="recordings")
    _add_input_options(i)
    i.add_argument("--json", action="store_true",
                   help="print one JSON object (schema htdsp.info/1, see README)")
    i.set_defaults(func=cmd_info)

    c = sub.add_parser("convert", help="convert a recording between formats, keeping metadata",
                       description="Convert any readable recording to SigMF (.sigmf-meta, "
                       ".sigmf), WAV I/Q (.wav) or raw (.cu8 .cs8 .cs16 .cf32), streamed. "
                       "SigMF keeps all metadata; WAV keeps the rate; raw keeps nothing.")
    c.add_argument("input", metavar="IN")
    c.add_argument("output", metavar="OUT")
    _add_input_options(c)
    c.add_argument("--datatype", choices=["cu8", "cs8", "cs16", "cf32"],
                   help="sample type of a SigMF or WAV output (default: the input's)")
    c.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    c.set_defaults(func=cmd_convert)

    from htdsp.sim.scenarios import SCENARIOS

    listing = "\n".join(f"  {name:<17} {desc}" for name, (_, desc) in SCENARIOS.items())
    s = sub.add_parser(
        "simulate", help="simulate HT transmissions through a terrain/flood channel into an "
        "RTL-SDR, as SigMF with ground truth",
        description="Write a SigMF recording of a named scenario, with its ground truth "
        "(keyed intervals, offsets, deviation, tones, CNR every 10 ms) in the metadata. The "
        "options after the common ones override the scenario's first transmitter, its path "
        "and the front end.",
        epilog="scenarios:\n" + listing, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--scenario", required=True, choices=list(SCENARIOS), metavar="NAME",
                   help="one of the scenarios listed below")
    s.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="OUT.sigmf-meta (or OUT.sigmf for an archive)")
    s.add_argument("--cnr", type=float, metavar="DB", help="mean CNR in the channel bandwidth")
    s.add_argument("--duration", type=_time, default=10.0, metavar="S",
                   help="length (default 10 s; 500ms, 2min ...)")
    s.add_argument("--rate", type=_positive_freq, default=2.4e6, metavar="HZ",
                   help="sample rate (default 2.4M)")
    s.add_argument("--center", type=_positive_freq, default=145.2e6, metavar="HZ",
                   help="centre frequency (default 145.2M)")
    s.add_argument("--datatype", choices=["cu8", "cs8", "cs16", "cf32"], default="cu8")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    o = s.add_argument_group("scenario overrides")
    o.add_argument("--offset", type=_freq, metavar="HZ", help="channel offset from the centre")
    o.add_argument("--bandwidth", type=_positive_freq, metavar="HZ")
    o.add_argument("--modulation", choices=["tone", "multitone", "speech", "silence"])
    o.add_argument("--tone", type=_positive_freq, metavar="HZ", help="test tone frequency")
    o.add_argument("--tx-deviation", type=_positive_freq, metavar="HZ",
                   help="peak deviation of the message")
    o.add_argument("--freq-error", type=_freq, metavar="HZ", help="transmitter carrier error")
    o.add_argument("--ctcss", type=float, metavar="HZ", help="CTCSS tone")
    o.add_argument("--dcs", metavar="CODE", help="DCS code, e.g. D023N")
    o.add_argument("--keyed", metavar="A-B[,A-B]|random",
                   help="keyed intervals in s, e.g. 1-4,6-9, or 'random' (a seeded PTT "
                   "schedule: overs of 2-8 s, gaps of 1-5 s)")
    o.add_argument("--fading", choices=["none", "rayleigh", "rician"])
    o.add_argument("--k-factor", type=float, metavar="DB", help="Rician K")
    o.add_argument("--doppler", type=float, metavar="HZ", help="maximum Doppler shift")
    o.add_argument("--speed", type=float, metavar="M/S", help="speed of the mobile")
    o.add_argument("--shadowing", type=float, metavar="DB", help="log-normal sigma")
    o.add_argument("--ppm", type=float, help="receiver LO error")
    o.add_argument("--gain", type=float, metavar="DB", help="extra front-end gain (overdrive)")
    o.add_argument("--dc-offset", metavar="I,Q", help="front-end DC offset, full-scale units")
    o.add_argument("--iq-imbalance", metavar="DB,DEG", help="front-end IQ imbalance")
    o.add_argument("--gap", action="append", default=[], metavar="T:N",
                   help="drop N samples at T seconds (repeatable)")
    o.add_argument("--impulses", type=float, metavar="PER_S", help="impulsive noise rate")
    s.set_defaults(func=cmd_simulate)

    _add_score_parser(sub)
    _add_replay_parser(sub)
    _add_live_parser(sub)
    return parser


def _freq_list(text):
    out = []
    for part in str(text).split(","):
        out.append(_freq(part.strip()))
    return out


def _add_score_options(s, live=False):
    """The options ``htdsp score`` and ``htdsp live`` share."""
    from htdsp.measure import WINDOW_S

    _add_channel_options(s, many=True, required=live,
                         title="channel" if live else
                         "channel (default: the strongest NFM carrier, reported)")
    m = s.add_argument_group("measurement")
    m.add_argument("--tone", default="auto", metavar="auto|HZ|none",
                   help="test tone for SINAD: detect (default), a frequency, or none (the "
                        "tone-free SNR only)")
    m.add_argument("--squelch", metavar="SPEC",
                   help="what marks a transmission (default noise,ctcss,dcs; power instead "
                        "of noise where the channel rate is too low for the noise squelch)")
    m.add_argument("--window", type=_time, default=WINDOW_S, metavar="S",
                   help="measurement window (default 100ms)")
    m.add_argument("--cal-db", type=float, metavar="DB",
                   help="calibration: dBm = dBFS + DB (reports RSSI in dBm)")
    j = s.add_argument_group("judgement")
    j.add_argument("--criterion", default="sinad>=20", metavar="EXPR",
                   help="per window (default sinad>=20, DAQ 3.4; the tone-free SNR stands in "
                        "for SINAD without a tone)")
    j.add_argument("--require", action="append", metavar="EXPR",
                   help="per capture, repeatable (default availability>=0.95)")
    j.add_argument("--daq-table", metavar="FILE",
                   help="JSON with lists sinad_db and daq (default: TSB-88 practice table)")
    j.add_argument("--area-reliability", type=float, default=0.95, metavar="P",
                   help="area target for several locations (default 0.95)")
    j.add_argument("--confidence", type=float, default=0.95, metavar="P",
                   help="confidence of the one-sided Wilson bound (default 0.95)")
    o = s.add_argument_group("output")
    o.add_argument("--json", metavar="FILE", help="the report as JSON (schema htdsp.score/1); "
                                                  "- for stdout")
    o.add_argument("--csv", metavar="FILE", help="the per-window series")
    o.add_argument("--html", metavar="FILE", help="a self-contained HTML report with plots")
    o.add_argument("--annotate", action="store_true",
                   help="write NAME.scored.sigmf-meta beside each "
                   + ("recording" if live else "input")
                   + " with the transmissions and their measurements")
    o.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar, meter or summary")


def _add_score_parser(sub):
    s = sub.add_parser(
        "score", help="score captures: availability, SINAD, DAQ, verdict (JSON, CSV, HTML)",
        description="Measure every transmission of one or more captures and judge the link: "
                    "per window against --criterion, per capture against --require; several "
                    "captures are several test locations (area reliability with a Wilson "
                    "bound). Exit 0 when every requirement is met, 1 when one fails, 2 for bad "
                    "input or usage.")
    s.add_argument("inputs", nargs="+", metavar="PATH", help="recordings (any readable format)")
    _add_input_options(s)
    _add_score_options(s)
    s.set_defaults(func=cmd_score)


def _add_replay_parser(sub):
    r = sub.add_parser(
        "replay", help="serve a recording over the rtl_tcp protocol (for SDR software, tests)",
        description="An rtl_tcp-compatible server: clients (SDR++, GNU Radio's osmosdr "
                    "source, htdsp live --rtltcp) get the recording as cu8, from its start. "
                    "Binds to loopback unless --host says otherwise. Ctrl-C stops it.")
    r.add_argument("input", metavar="FILE", help="recording (any readable format)")
    _add_input_options(r)
    r.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    r.add_argument("--port", type=int, default=1234, help="TCP port (default 1234; 0: any)")
    r.add_argument("--loop", action="store_true", help="repeat the recording without end")
    r.add_argument("--realtime", action="store_true", help="pace to the sample rate")
    r.add_argument("-q", "--quiet", action="store_true", help="no log lines")
    r.set_defaults(func=cmd_replay)


def _add_live_parser(sub):
    v = sub.add_parser(
        "live", help="score a live dongle or rtl_tcp stream with a terminal meter, recording it",
        description="Receive from an RTL-SDR (pyrtlsdr) or an rtl_tcp server, show a live "
                    "meter, record to SigMF as it goes, and write the same report as htdsp "
                    "score at the end (--duration or Ctrl-C). Exit 0/1 by the requirements, 2 "
                    "usage or bad input, 3 the source was lost (recording and report are "
                    "still finalised).")
    src = v.add_argument_group("source").add_mutually_exclusive_group(required=True)
    src.add_argument("--rtlsdr", nargs="?", const=0, type=int, metavar="INDEX",
                     help="an RTL-SDR dongle (device index, default 0)")
    src.add_argument("--rtltcp", metavar="HOST:PORT", help="an rtl_tcp server")
    t = v.add_argument_group("tuning")
    t.add_argument("--center", type=_positive_freq, required=True, metavar="HZ",
                   help="centre frequency, e.g. 144.47M")
    t.add_argument("--rate", type=_positive_freq, default=2.4e6, metavar="HZ",
                   help="sample rate (default 2.4M)")
    t.add_argument("--gain", default="auto", metavar="DB|auto", help="tuner gain (default auto)")
    t.add_argument("--ppm", type=int, default=0, help="frequency correction, ppm")
    t.add_argument("--bias-tee", action="store_true", help="power an LNA through the antenna")
    t.add_argument("--duration", type=_time, metavar="S", help="stop after this long")
    rec = v.add_argument_group("recording")
    rec.add_argument("--record", metavar="OUT.sigmf-meta", help="record to SigMF as it runs")
    rec.add_argument("--record-mode", choices=["full", "channel", "squelched"], default="full",
                     help="full: every sample; channel: the first channel at its low rate; "
                          "squelched: only the transmissions (default full)")
    rec.add_argument("--rotate", type=_time, metavar="S", help="a new file every S seconds")
    rec.add_argument("--min-free", type=float, default=100.0, metavar="MIB",
                     help="stop recording when the disk has less free space (default 100)")
    v.add_argument("--play", action="store_true", help="play the first channel's audio")
    _add_score_options(v, live=True)
    v.set_defaults(func=cmd_live)


def _channel_offset(args, rec):
    if args.offset is not None:
        return args.offset
    center = rec.center_freq_hz
    if center is None:
        raise InputError("centre frequency unknown; give --center (or use --offset)", rec.path)
    return args.channel - center


class _EventSink:
    """Events as JSON lines (a file or stdout), or SigMF annotations beside the recording."""

    def __init__(self, path, rec, rx):
        import os

        self.path, self.rec, self.rx = path, rec, rx
        self.annotations = []
        if path.endswith(".sigmf-meta"):
            here = os.path.dirname(os.path.abspath(path))
            if here != os.path.dirname(os.path.abspath(rec.data_path)) or \
                    rec.container == "sigmf-archive":
                raise InputError("SigMF event annotations describe the recording in place: "
                                 "write them beside its data file", path)
            self._f = None
        elif path == "-":
            self._f = sys.stdout
        else:
            try:
                self._f = open(path, "w", encoding="utf-8")
            except OSError as e:
                raise InputError(f"cannot write: {e.strerror}", path) from None

    def write(self, events):
        import json

        from htdsp.squelch import event_annotation, with_utc

        for e in events:
            e = with_utc(e, self.rec.datetime)
            if self._f is None:
                ch = self.rx.offset_hz + (self.rec.center_freq_hz or 0.0)
                self.annotations.append(event_annotation(
                    e, ch if self.rec.center_freq_hz else None, self.rx.bandwidth_hz))
            else:
                self._f.write(json.dumps(e) + "\n")
                self._f.flush()

    def close(self):
        import json
        import os

        if self._f is None:
            from sigmf.validate import validate

            g = {"core:datatype": self.rec.datatype, "core:version": "1.2.0",
                 "core:sample_rate": self.rec.sample_rate_hz,
                 "core:dataset": os.path.basename(self.rec.data_path),
                 "core:extensions": [{"name": "htdsp", "version": "1.0.0", "optional": True}]}
            caps = [{"core:sample_start": 0}]
            if self.rec.center_freq_hz is not None:
                caps[0]["core:frequency"] = self.rec.center_freq_hz
            meta = {"global": g, "captures": caps, "annotations": self.annotations}
            validate(meta)
            with open(self.path, "w", encoding="utf-8") as f:
                json.dump(meta, f, indent=2)
        elif self._f is not sys.stdout:
            self._f.close()


def cmd_demod(args):
    from htdsp.io import AudioWriter
    from htdsp.receiver import NFMReceiver

    warn = _Warner("demod")
    rec = _open_input(args, args.input)
    warn(rec)
    offset = _channel_offset(args, rec)
    if args.deemph_us < 0:
        raise InputError(f"--deemph-us must be >= 0, got {args.deemph_us}")
    if (args.events or args.gate) and not args.squelch:
        raise InputError("--events and --gate need --squelch")
    if args.events == "-" and args.output == "-":
        raise InputError("audio and events cannot both go to stdout")
    try:
        rx = NFMReceiver(rec.sample_rate_hz, offset, bandwidth_hz=args.bandwidth,
                         deviation_hz=args.deviation, audio_fs=args.audio_rate,
                         deemph_tau_s=args.deemph_us * 1e-6,
                         input_format=rec.format or "cf32", squelch=args.squelch)
    except ValueError as e:
        raise InputError(str(e), rec.path) from None
    sink = _EventSink(args.events, rec, rx) if args.events else None
    n_events = 0

    def emit(audio, events):
        nonlocal n_events
        out.write(audio[rx.last_gate] if args.gate else audio)
        n_events += len(events)
        if sink:
            sink.write(events)

    with AudioWriter(args.output, rx.audio_fs) as out:
        for _, chunk in rec.chunks():
            audio = rx.process(chunk)
            emit(audio, rx.pop_events() if rx.squelch is not None else [])
        if rx.squelch is not None:
            emit(rx.flush(), rx.finish())
    if sink:
        sink.close()
    warn(rec)
    if not args.quiet:
        where = "stdout" if args.output == "-" else args.output
        clip = f", {out.clipped} samples clipped" if out.clipped else ""
        sq = f", {n_events} transmissions" if rx.squelch is not None else ""
        print(f"htdsp demod: {rec.path}: {rec.duration_s:.3f} s at {rec.sample_rate_hz:.0f} S/s "
              f"-> {where}: {out.samples / rx.audio_fs:.3f} s of audio at {rx.audio_fs:.0f} Hz"
              f"{clip}{sq}", file=sys.stderr)
    return EXIT_OK


def cmd_info(args):
    import json

    from htdsp.info import describe, format_text

    warn = _Warner("info")
    results = []
    failed = False
    for path in args.inputs:
        try:
            rec = _open_input(args, path)
            warn(rec)
            results.append(describe(rec))
            warn(rec)
        except HtdspError as e:
            print(f"htdsp info: error: {e}", file=sys.stderr)
            failed = True
    if args.json:
        print(json.dumps({"schema": "htdsp.info/1", "htdsp_version": __version__,
                          "files": results}, indent=2))
    else:
        print("\n\n".join(format_text(r) for r in results))
    return EXIT_USAGE if failed else EXIT_OK


def cmd_convert(args):
    import os

    from htdsp.io import open_writer

    warn = _Warner("convert")
    rec = _open_input(args, args.input)
    warn(rec)
    if os.path.exists(args.output) and os.path.samefile(args.output, rec.data_path):
        raise InputError("output would overwrite the input", args.output)
    writer, notes = open_writer(args.output, rec, args.datatype)
    for n in notes:
        print(f"htdsp convert: warning: {args.output}: {n}", file=sys.stderr)
    # same datatype: pass the elements through (lossless, no requantisation)
    with writer:
        for _, chunk in rec.chunks(raw=writer.dt == rec.dt):
            writer.write(chunk)
    warn(rec)
    if not args.quiet:
        print(f"htdsp convert: {rec.path} ({rec.datatype}) -> {args.output} "
              f"({writer.dt.name}): {writer.samples} samples, {rec.duration_s:.3f} s",
              file=sys.stderr)
    return EXIT_OK


def _apply_overrides(sc, a):
    """Command-line overrides onto a preset scenario (first transmitter, its path, front end)."""
    from dataclasses import replace

    sc.fs, sc.center_hz, sc.datatype, sc.seed = a.rate, a.center, a.datatype, a.seed
    for attr, val in (("cnr_db", a.cnr), ("channel_offset_hz", a.offset),
                      ("bandwidth_hz", a.bandwidth)):
        if val is not None:
            setattr(sc, attr, val)
    tx = sc.transmitters[0]
    for attr, val in (("modulation", a.modulation), ("tone_hz", a.tone),
                      ("deviation_hz", a.tx_deviation), ("freq_error_hz", a.freq_error),
                      ("ctcss_hz", a.ctcss), ("dcs_code", a.dcs)):
        if val is not None:
            setattr(tx, attr, val)
    if a.keyed == "random":
        tx.keyed = "random"
    elif a.keyed:
        try:
            tx.keyed = [tuple(float(v) for v in part.split("-")) for part in a.keyed.split(",")]
        except ValueError:
            raise InputError(f"--keyed takes intervals like 1-4,6-9, got {a.keyed!r}") from None
    ch = sc.channel_of(0)
    changes = {k: v for k, v in (("fading", a.fading), ("k_factor_db", a.k_factor),
                                 ("doppler_hz", a.doppler), ("speed_mps", a.speed),
                                 ("shadow_sigma_db", a.shadowing)) if v is not None}
    if changes:
        sc.channels = [replace(ch, **changes)] + [sc.channel_of(k)
                                                  for k in range(1, len(sc.transmitters))]
    fe = sc.frontend
    if a.ppm is not None:
        fe.ppm = a.ppm
    if a.gain is not None:
        fe.gain_db = a.gain
    if a.dc_offset:
        fe.dc_offset = _pair(a.dc_offset, "--dc-offset")
    if a.iq_imbalance:
        fe.iq_amplitude_db, fe.iq_phase_deg = _pair(a.iq_imbalance, "--iq-imbalance")
    for g in a.gap:
        try:
            t, n = g.split(":")
            fe.gaps.append((float(t), int(n)))
        except ValueError:
            raise InputError(f"--gap takes T:N (seconds:samples), got {g!r}") from None
    if a.impulses is not None:
        sc.impulses = {"rate_hz": a.impulses, "level_dbfs": -6.0, "duration_s": 5e-6}


def cmd_simulate(args):
    from htdsp.sim.engine import simulate
    from htdsp.sim.scenarios import scenario

    sc = scenario(args.scenario, args.duration)
    _apply_overrides(sc, args)
    out = args.output
    if not out.endswith((".sigmf-meta", ".sigmf")):
        raise InputError("simulate writes SigMF: name the output .sigmf-meta or .sigmf", out)
    truth = simulate(sc, out)
    if not args.quiet:
        ch = truth["global"]["htdsp:channel"]
        fe = truth["global"]["htdsp:frontend"]
        print(f"htdsp simulate: {out}: {sc.name}, {sc.duration_s:g} s at {sc.fs:.0f} S/s "
              f"({sc.datatype}), channel {ch['freq_hz'] / 1e6:.4f} MHz, CNR {ch['cnr_db']} dB "
              f"(realised {ch['cnr_realised_db']}), {len(truth['annotations'])} "
              f"transmissions, clipping {fe['clipping_fraction']}", file=sys.stderr)
    return EXIT_OK


def _score_channels(args, rec):
    """``[(offset_hz, chosen)]`` for one recording (see ``htdsp score --help``)."""
    from htdsp.score import strongest_channel

    if args.offset is not None:
        return [(o, "given") for o in args.offset]
    if args.channel is not None:
        if rec.center_freq_hz is None:
            raise InputError("centre frequency unknown; give --center (or use --offset)",
                             rec.path)
        return [(c - rec.center_freq_hz, "given") for c in args.channel]
    try:
        off, _, _ = strongest_channel(rec, args.bandwidth)
    except ValueError as e:
        raise InputError(str(e), rec.path) from None
    return [(off, "strongest")]


def _progress(args, total, desc):
    if args.quiet or not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="S", unit_scale=True, desc=desc, file=sys.stderr, leave=False)
    state = {"done": 0}

    def update(n):
        bar.update(n - state["done"])
        state["done"] = n
    return bar, update


def _score_setup(args):
    """Check and parse the options score and live share: ``(criterion, requirements, tone_hz,
    daq_table)``."""
    from htdsp.score import SUMMARY_METRICS, WINDOW_METRICS, load_daq_table, parse_expr
    from htdsp.squelch import parse_spec

    try:
        criterion = parse_expr(args.criterion, WINDOW_METRICS)
        requirements = [parse_expr(r, SUMMARY_METRICS)
                        for r in (args.require or ["availability>=0.95"])]
    except ValueError as e:
        raise InputError(f"{e}") from None
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
    for name, v in (("--area-reliability", args.area_reliability),
                    ("--confidence", args.confidence)):
        if not 0 < v < 1:
            raise InputError(f"{name} must be between 0 and 1, got {v}")
    if args.squelch:
        try:
            parse_spec(args.squelch)
        except ValueError as e:
            raise InputError(f"--squelch: {e}") from None
    try:
        daq_table = load_daq_table(args.daq_table)
    except (OSError, ValueError) as e:
        raise InputError(str(getattr(e, "strerror", None) or e), args.daq_table) from None
    return criterion, requirements, tone_hz, daq_table


def _score_entries(args, rec, runs, setup, lost_samples=0, command="score"):
    """Judge the runs of one recording; returns its ``captures`` entries."""
    from htdsp import report
    from htdsp.score import judge
    from htdsp.squelch import with_utc

    criterion, requirements, _, daq_table = setup
    entries = []
    for run in runs:
        run.events = [with_utc(e, rec.datetime) for e in run.events]
        tx, summary = judge(run.meter, run.events, criterion, requirements, daq_table,
                            lost_samples=lost_samples, geolocation=rec.geolocation)
        spec = args.squelch or ",".join(t.kind if t.open_db is None else
                                        f"{t.kind}:{t.open_db}" for t in run.rx.squelch.terms)
        entries.append(report.capture_entry(rec, run, tx, summary, spec))
    if args.annotate:
        try:
            out = report.write_annotations(rec, entries)
        except (ValueError, OSError) as e:
            raise InputError(f"--annotate: {e}", rec.path) from None
        if not args.quiet:
            print(f"htdsp {command}: wrote {out}", file=sys.stderr)
    return entries


def _score_outputs(args, captures, runs_all, wfs, setup):
    """Aggregate, write the reports, print the table; returns the exit code."""
    from htdsp import report
    from htdsp.errors import EXIT_CRITERIA
    from htdsp.score import area_summary

    criterion, requirements, _, daq_table = setup
    # a location is a capture: it passes when all its channels do
    by_path = {}
    for c in captures:
        by_path.setdefault(c["source"]["path"], []).append(c["summary"]["verdict"])
    verdicts = ["pass" if all(v == "pass" for v in vs) else "fail" for vs in by_path.values()]
    aggregate = area_summary(verdicts, args.confidence, args.area_reliability)
    doc = report.document(captures, aggregate, criterion, requirements, args.window,
                          daq_table)
    try:
        if args.json:
            report.write_json(doc, args.json)
        if args.csv:
            report.write_csv(doc, args.csv)
        if args.html:
            report.write_html(doc, runs_all, wfs, criterion, args.html)
    except OSError as e:
        raise InputError(f"cannot write: {e.strerror}", e.filename) from None
    if not args.quiet:
        _score_table(doc, sys.stdout if sys.stdout.isatty() and args.json != "-"
                     else sys.stderr)
    failed = (aggregate["verdict"] == "fail") if len(verdicts) > 1 else verdicts[0] == "fail"
    return EXIT_CRITERIA if failed else EXIT_OK


def cmd_score(args):
    from htdsp.score import score_recording

    setup = _score_setup(args)
    warn = _Warner("score")
    recs = [_open_input(args, p) for p in args.inputs]      # every input checked first
    plans = []
    for rec in recs:
        warn(rec)
        if rec.samples == 0:
            raise InputError("no samples", rec.path)
        plans.append(_score_channels(args, rec))
    captures, runs_all, wfs = [], [], []
    for rec, chans in zip(recs, plans, strict=True):
        for off, chosen in chans:
            if chosen == "strongest" and not args.quiet:
                f = (f"{(rec.center_freq_hz + off) / 1e6:.4f} MHz" if rec.center_freq_hz
                     else f"offset {off:+.0f} Hz")
                print(f"htdsp score: {rec.path}: no channel given, scoring the strongest "
                      f"carrier at {f}", file=sys.stderr)
        bar, update = _progress(args, rec.samples, os.path.basename(rec.path))
        try:
            runs, wf = score_recording(
                rec, chans, bandwidth_hz=args.bandwidth, deviation_hz=args.deviation,
                tone_hz=setup[2], squelch=args.squelch, window_s=args.window,
                cal_db=args.cal_db, progress=update, waterfall=bool(args.html))
        except ValueError as e:
            raise InputError(str(e), rec.path) from None
        finally:
            if bar is not None:
                bar.close()
        warn(rec)
        entries = _score_entries(args, rec, runs, setup)
        warn(rec, [(f"{e['channel']['freq_hz'] / 1e6:.4f} MHz: " if len(entries) > 1
                    and e["channel"]["freq_hz"] else "") + msg
                   for e in entries for msg in e["summary"].get("warnings", [])])
        captures += entries
        runs_all += runs
        wfs += [wf] * len(runs)
    return _score_outputs(args, captures, runs_all, wfs, setup)


def cmd_replay(args):
    import signal

    from htdsp.replay import ReplayServer

    rec = _open_input(args, args.input)
    _Warner("replay")(rec)
    if rec.samples == 0:
        raise InputError("no samples", rec.path)

    def log(msg):
        if not args.quiet:
            print(f"htdsp replay: {msg}", file=sys.stderr, flush=True)

    server = ReplayServer(rec, args.host, args.port, loop=args.loop, realtime=args.realtime,
                          log=log)
    try:
        server.bind()
    except OSError as e:
        raise InputError(f"cannot listen on {args.host}:{args.port}: {e.strerror}") from None
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    # always said (even with --quiet): a script waits for this line to learn the port
    print(f"htdsp replay: serving {rec.path} ({rec.sample_rate_hz:.0f} S/s as cu8) on "
          f"{args.host}:{server.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
    return EXIT_OK


def _live_source(args, log):
    from htdsp.sources import RtlSdrSource, RtlTcpSource

    gain = args.gain.strip().lower()
    if gain != "auto":
        try:
            gain = float(gain)
        except ValueError:
            raise InputError(f"--gain takes a number of dB or auto, got {args.gain!r}") \
                from None
    if args.rtltcp is not None:
        host, _, port = args.rtltcp.rpartition(":")
        if not host or not port.isdigit():
            raise InputError(f"--rtltcp takes HOST:PORT, got {args.rtltcp!r}")
        return RtlTcpSource(host, int(port), args.center, args.rate,
                            gain_db=None if gain == "auto" else gain, ppm=args.ppm, log=log)
    return RtlSdrSource(args.rtlsdr, args.center, args.rate, gain_db=gain, ppm=args.ppm,
                        bias_tee=args.bias_tee)


def cmd_live(args):
    import datetime as _dt
    import types

    from htdsp.live import AudioPlayer, LiveDisplay, Recorder
    from htdsp.score import Scorer
    from htdsp.sources import SourceLost

    setup = _score_setup(args)
    interactive = sys.stderr.isatty() and not args.quiet
    messages = []

    def log(msg):
        messages.append(msg)
        if not args.quiet and not interactive:
            print(f"htdsp live: {msg}", file=sys.stderr, flush=True)

    offsets = (args.offset if args.offset is not None
               else [c - args.center for c in args.channel])
    for off in offsets:
        if abs(off) + args.bandwidth / 2 > args.rate / 2:
            raise InputError(f"channel at {off:+.0f} Hz is outside the +-{args.rate / 2:.0f} Hz "
                             "band")
    try:
        scorer = Scorer(args.rate, "cu8", [(o, "given") for o in offsets],
                        center_freq_hz=args.center, bandwidth_hz=args.bandwidth,
                        deviation_hz=args.deviation, tone_hz=setup[2], squelch=args.squelch,
                        window_s=args.window, cal_db=args.cal_db, waterfall=bool(args.html))
    except ValueError as e:
        raise InputError(str(e)) from None
    player = None
    if args.play:
        try:
            player = AudioPlayer(scorer.runs[0].rx.audio_fs)
        except ValueError as e:
            raise InputError(str(e)) from None
    start = _dt.datetime.now(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    source = _live_source(args, log)
    recorder = None
    if args.record:
        r0 = scorer.runs[0]
        try:
            recorder = Recorder(args.record, args.record_mode, fs=args.rate,
                                center_hz=args.center, fmt="cu8",
                                metadata={**source.metadata, "ppm": args.ppm,
                                          "gain": args.gain},
                                channel_fs=r0.rx.channel_fs, channel_hz=r0.freq_hz,
                                rotate_s=args.rotate, min_free_bytes=args.min_free * 2**20,
                                log=log, datetime=start)
        except ValueError as e:
            raise InputError(str(e), args.record) from None
    display = LiveDisplay() if interactive else None
    limit = None if args.duration is None else int(round(args.duration * args.rate))
    code = None
    t0 = time.monotonic()
    try:
        with source:
            for ch in source:
                data = ch.data
                if limit is not None and ch.index + data.size // 2 > limit:
                    data = data[: 2 * max(0, limit - ch.index)]
                if data.size:
                    audio = scorer.feed(data, ch.lost)
                    if recorder is not None:
                        r0 = scorer.runs[0]
                        recorder.write(data, ch.index, ch.lost, r0.meter.last_channel,
                                       r0.rx.squelch.is_open)
                    if player is not None:
                        player.write(audio)
                if display is not None:
                    display.events.clear()
                    display.events.extend(scorer.runs[0].events[-display.events.maxlen:])
                    display.draw(display.render(scorer, source, recorder,
                                                time.monotonic() - t0))
                if limit is not None and ch.index + ch.data.size // 2 >= limit:
                    break
    except SourceLost as e:
        print(f"htdsp live: error: {e}; finalising what was received", file=sys.stderr)
        code = e.exit_code
    except KeyboardInterrupt:
        print("htdsp live: stopped; finalising", file=sys.stderr)
    finally:
        if recorder is not None:
            recorder.close()
        if player is not None:
            player.close()
    runs = scorer.finish()
    n = scorer.samples
    path = (recorder.files[0] if recorder is not None and recorder.files and
            args.record_mode == "full" and not args.rotate else
            f"rtl_tcp://{args.rtltcp}" if args.rtltcp else f"rtlsdr://{args.rtlsdr}")
    rec = types.SimpleNamespace(
        path=path, datatype="cu8", sample_rate_hz=args.rate, center_freq_hz=args.center,
        duration_s=n / args.rate, samples=n, description=f"htdsp live from {source.metadata}",
        datetime=start, geolocation=None, container="sigmf",
        data_path=(recorder.files[0][: -len(".sigmf-meta")] + ".sigmf-data"
                   if recorder is not None and recorder.files else path))
    if args.annotate and (recorder is None or args.record_mode != "full" or args.rotate):
        log("--annotate needs one full recording (--record without --rotate): skipped")
        args.annotate = False
    entries = _score_entries(args, rec, runs, setup, lost_samples=scorer.lost,
                             command="live")
    if recorder is not None and recorder.stopped and not args.quiet:
        print(f"htdsp live: recording stopped early: {recorder.stopped}", file=sys.stderr)
    result = _score_outputs(args, entries, runs, [scorer.waterfall] * len(runs), setup)
    return code if code is not None else result


def _score_table(doc, out):
    def f(v, nd=1, bound=None):
        if v is None:
            return "-"
        return {"lower": ge, "upper": le}.get(bound, "") + f"{v:.{nd}f}"

    # a bound reads "≥ 49.1" (">= 49.1" where the stream cannot write the sign)
    ge, le = "\u2265 ", "\u2264 "
    try:
        if getattr(out, "encoding", None):
            (ge + le).encode(out.encoding)
    except (UnicodeEncodeError, LookupError):
        ge, le = ">= ", "<= "

    rows = [("capture", "channel MHz", "tx", "avail %", "SINAD/SNR p50", "DAQ", "CNR dB",
             "verdict")]
    for c in doc["captures"]:
        s, ch = c["summary"], c["channel"]
        rows.append((os.path.basename(c["source"]["path"]),
                     f(ch["freq_hz"] / 1e6, 4) if ch["freq_hz"] else f"{ch['offset_hz']:+.0f}",
                     str(s["transmissions"]),
                     f(s["availability"] * 100 if s["availability"] is not None else None),
                     f(s["quality_db_p50"], 1, s.get("bounds", {}).get("quality_db_p50")),
                     f(s["daq"], 1, s.get("bounds", {}).get("daq")), f(s["cnr_db"]),
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


def main(argv=None):
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"htdsp {args.command}"
    try:
        return args.func(args)
    except HtdspError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        # the reader of our stdout went away (| head, aplay closed): not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
