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
    g = p.add_argument_group("input (describe the recording)")
    g.add_argument("--format", choices=["cu8", "cs8", "cs16", "cf32"],
                   help="sample format of a raw file (default: from the extension)")
    g.add_argument("--rate", type=_positive_freq, metavar="HZ",
                   help="sample rate of the input, e.g. 2.4M")
    g.add_argument("--center", type=_positive_freq, metavar="HZ",
                   help="centre frequency of the input, e.g. 144.47M")


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
    d.add_argument("input", metavar="IN", help="recording (raw .cu8 .cs8 .cs16 .cf32 .cfile)")
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
    return parser


def _channel_offset(args, rec):
    if args.offset is not None:
        return args.offset
    center = rec.center_freq_hz
    if center is None:
        raise InputError("centre frequency unknown; give --center (or use --offset)", rec.path)
    return args.channel - center


def cmd_demod(args):
    from htdsp.io import AudioWriter, open_raw
    from htdsp.receiver import NFMReceiver

    rec = open_raw(args.input, fmt=args.format, rate_hz=args.rate, center_hz=args.center)
    for w in rec.warnings:
        print(f"htdsp demod: warning: {rec.path}: {w}", file=sys.stderr)
    offset = _channel_offset(args, rec)
    if args.deemph_us < 0:
        raise InputError(f"--deemph-us must be >= 0, got {args.deemph_us}")
    try:
        rx = NFMReceiver(rec.sample_rate_hz, offset, bandwidth_hz=args.bandwidth,
                         deviation_hz=args.deviation, audio_fs=args.audio_rate,
                         deemph_tau_s=args.deemph_us * 1e-6, input_format=rec.format)
    except ValueError as e:
        raise InputError(str(e), rec.path) from None
    with AudioWriter(args.output, rx.audio_fs) as out:
        for chunk in rec.chunks():
            out.write(rx.process(chunk))
    if not args.quiet:
        where = "stdout" if args.output == "-" else args.output
        clip = f", {out.clipped} samples clipped" if out.clipped else ""
        print(f"htdsp demod: {rec.path}: {rec.duration_s:.3f} s at {rec.sample_rate_hz:.0f} S/s "
              f"-> {where}: {out.samples / rx.audio_fs:.3f} s of audio at {rx.audio_fs:.0f} Hz"
              f"{clip}", file=sys.stderr)
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
