"""The ``htdsp`` command line. Each command calls the public API and formats the result.

Exit codes (shared by every command): 0 success / requirements met, 1 a requirement failed,
2 bad input or usage, 3 the live source was lost.
"""

import argparse
import os
import sys

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


def _add_channel_options(p):
    g = p.add_argument_group("channel")
    sel = g.add_mutually_exclusive_group(required=True)
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
    return parser


def _channel_offset(args, rec):
    if args.offset is not None:
        return args.offset
    center = rec.center_freq_hz
    if center is None:
        raise InputError("centre frequency unknown; give --center (or use --offset)", rec.path)
    return args.channel - center


def cmd_demod(args):
    from htdsp.io import AudioWriter
    from htdsp.receiver import NFMReceiver

    warn = _Warner("demod")
    rec = _open_input(args, args.input)
    warn(rec)
    offset = _channel_offset(args, rec)
    if args.deemph_us < 0:
        raise InputError(f"--deemph-us must be >= 0, got {args.deemph_us}")
    try:
        rx = NFMReceiver(rec.sample_rate_hz, offset, bandwidth_hz=args.bandwidth,
                         deviation_hz=args.deviation, audio_fs=args.audio_rate,
                         deemph_tau_s=args.deemph_us * 1e-6,
                         input_format=rec.format or "cf32")
    except ValueError as e:
        raise InputError(str(e), rec.path) from None
    with AudioWriter(args.output, rx.audio_fs) as out:
        for _, chunk in rec.chunks():
            out.write(rx.process(chunk))
    warn(rec)
    if not args.quiet:
        where = "stdout" if args.output == "-" else args.output
        clip = f", {out.clipped} samples clipped" if out.clipped else ""
        print(f"htdsp demod: {rec.path}: {rec.duration_s:.3f} s at {rec.sample_rate_hz:.0f} S/s "
              f"-> {where}: {out.samples / rx.audio_fs:.3f} s of audio at {rx.audio_fs:.0f} Hz"
              f"{clip}", file=sys.stderr)
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
