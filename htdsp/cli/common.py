"""What every command shares: the parser, option types with their ranges, input options,
warnings, and the outputs of a run."""

import argparse
import math
import re
import sys

from htdsp import limits
from htdsp.errors import EXIT_USAGE, InputError, with_names
from htdsp.units import parse_freq, parse_time

#: the library's parameter names and the options that set them: a library message names
#: `rate_hz`, the command line says --rate (:func:`htdsp.errors.with_names`)
OPTIONS = {
    "rate_hz": "--rate", "center_hz": "--center", "fmt": "--format", "dt_name": "--datatype",
    "channel_hz": "--channel", "offset_hz": "--offset", "bandwidth_hz": "--bandwidth",
    "deviation_hz": "--deviation", "squelch": "--squelch", "window_s": "--window",
    "tone_hz": "--tone", "cal_db": "--cal-db",
}


def say(text):
    """A library message in the command line's words (its options)."""
    return with_names(text, OPTIONS)


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr (exit code 2), like every other error."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def arg_type(fn, name):
    """An argparse type from a parser that raises ValueError / InputError."""
    def conv(text):
        try:
            return fn(text)
        except (ValueError, InputError) as e:
            raise argparse.ArgumentTypeError(getattr(e, "problem", None) or str(e)) from None
    conv.__name__ = name
    return conv


def freq(text):
    """A frequency (suffixes k, M, G), any sign."""
    return parse_freq(text)


def _in(rng):
    def check(text, parse=parse_freq):
        v = parse(text)
        why = rng.problem(v)
        if why:
            raise ValueError(why)
        return v
    return check


def freq_list(text):
    """A comma list of frequencies (``-25k,30k``)."""
    return [parse_freq(part.strip()) for part in str(text).split(",")]


def time_s(text):
    v = parse_time(text)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"must be a positive time, got {text!r}")
    return v


def number(text, rng=None):
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {text!r}")
    if rng is not None and rng.problem(v):
        raise ValueError(rng.problem(v))
    return v


def channels_spec(text):
    """``all``, ``auto`` or a range ``LO-HI`` of channel frequencies (``145.0M-146.0M``):
    ``(kind, lo_hz, hi_hz)``."""
    t = str(text).strip()
    if t.lower() in ("all", "auto"):
        return (t.lower(), None, None)
    parts = t.split("-")
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"give all, auto or a range LO-HI such as 145.0M-146.0M, got {text!r}")
    lo, hi = parse_freq(parts[0]), parse_freq(parts[1])
    if not (0 < lo <= hi):
        raise ValueError(f"the range must run from a lower to a higher frequency, got {text!r}")
    return ("range", lo, hi)


FREQ = arg_type(freq, "frequency")
CHANNELS = arg_type(channels_spec, "channel selection")
FREQ_LIST = arg_type(freq_list, "frequency list")
RATE = arg_type(_in(limits.SAMPLE_RATE), "sample rate")
CENTER = arg_type(_in(limits.CENTER_FREQ), "centre frequency")
BANDWIDTH = arg_type(_in(limits.BANDWIDTH), "bandwidth")
AUDIO_RATE = arg_type(_in(limits.AUDIO_RATE), "audio rate")
WINDOW = arg_type(lambda t: _in(limits.WINDOW)(t, parse_time), "window")
TIME_OUT = arg_type(lambda t: _in(limits.TIME_OUT)(t, parse_time), "time-out")
LO_PPM = arg_type(lambda t: number(t, limits.LO_PPM), "LO error")
SIM_DURATION = arg_type(lambda t: _in(limits.SIM_DURATION)(t, parse_time), "duration")
LIVE_DURATION = arg_type(lambda t: _in(limits.LIVE_DURATION)(t, parse_time), "duration")
TIME = arg_type(time_s, "time")
NUMBER = arg_type(number, "number")
CAL_DB = arg_type(lambda t: number(t, limits.CAL_DB), "calibration")
PROBABILITY = arg_type(lambda t: number(t, limits.PROBABILITY), "probability")
DEEMPH_US = arg_type(lambda t: number(t, limits.DEEMPHASIS_US), "time constant")


def positive(text):
    v = parse_freq(text)
    if not v > 0:
        raise ValueError(f"must be positive: {text!r}")
    return v


POSITIVE_FREQ = arg_type(positive, "frequency")


def port(text, lo=0):
    try:
        v = int(text)
    except ValueError:
        raise ValueError(f"not a port number: {text!r}") from None
    if not lo <= v <= 65535:
        raise ValueError(f"port {v} is outside {lo}-65535")
    return v


PORT = arg_type(port, "port")


def add_input_options(p):
    """The input overrides every command that reads a recording accepts."""
    g = p.add_argument_group("input (override what the recording says)")
    g.add_argument("--format", choices=["cu8", "cs8", "cs16", "cf32"],
                   help="sample format of a raw file (default: from the extension)")
    g.add_argument("--rate", type=RATE, metavar="HZ",
                   help="sample rate, e.g. 2.4M (default: SigMF, WAV header or file name; "
                   f"{limits.SAMPLE_RATE.describe()})")
    g.add_argument("--center", type=CENTER, metavar="HZ",
                   help="centre frequency, e.g. 144.47M (default: SigMF or file name)")
    g.add_argument("--swap-iq", action="store_true", help="exchange I and Q (Q written first)")


def add_force_option(p, what="an existing recording"):
    p.add_argument("--force", action="store_true",
                   help=f"replace {what} (never the input itself); without it an existing "
                   "output is refused")


def add_channel_options(p, *, many=False, required=True, title="channel"):
    """--channel / --offset (one, or a comma list with ``many``), --bandwidth, --deviation."""
    g = p.add_argument_group(title)
    sel = g.add_mutually_exclusive_group(required=required)
    if many:
        sel.add_argument("--channel", type=FREQ_LIST, metavar="HZ[,HZ...]",
                         help="channel frequencies, e.g. 144.5M,145.0M (one pass, each scored)")
        sel.add_argument("--offset", type=FREQ_LIST, metavar="HZ[,HZ...]",
                         help="channel offsets from the centre frequency, e.g. -25k,30k")
        sel.add_argument("--channels", type=CHANNELS, metavar="all|auto|LO-HI",
                         help="channels of the raster (n x --raster), from one filter bank: "
                         "all inside the usable band (less 10 %% of the captured band at each "
                         "edge, where the dongle's filter rolls off, and the channel on the "
                         "centre's spike), auto (those of them where a carrier was seen), or a "
                         "range such as 145.0M-146.0M; needs the centre frequency")
    else:
        sel.add_argument("--channel", type=POSITIVE_FREQ, metavar="HZ",
                         help="channel frequency, e.g. 144.5M (needs --center)")
        sel.add_argument("--offset", type=FREQ, metavar="HZ",
                         help="channel offset from the centre frequency, e.g. 30k or -107k")
    g.add_argument("--bandwidth", type=BANDWIDTH, default=12500.0, metavar="HZ",
                   help="channel bandwidth: 12.5k (default), 20k, 25k "
                   f"({limits.BANDWIDTH.describe()})")
    g.add_argument("--deviation", type=POSITIVE_FREQ, metavar="HZ",
                   help="rated peak deviation (default from the bandwidth: 2.5k, 4k, 5k)")
    if many:
        g.add_argument("--raster", type=POSITIVE_FREQ, metavar="HZ",
                       help="channel spacing of --channels (default: --bandwidth)")


#: the squelch grammar, for every command's help
SQUELCH_HELP = (
    "terms joined by ',' (all must hold): power | power:DB (dB above the tracked noise "
    "floor, default 6) | power:-40dbfs | noise | noise:DB (dB of quieting, default 8) | "
    "ctcss (decode the tone) | ctcss:123.0 (tone squelch) | dcs (decode the code) | "
    "dcs:D023N (code squelch). 3 dB hysteresis, 4 ms attack, 200 ms hang. A SPEC of decode "
    "terms only gets the carrier term added (noise, or power at low channel rates)")


class Warner:
    """Prints each warning of a recording once, as one line on stderr."""

    def __init__(self, command):
        self.command = command
        self._shown = {}

    def __call__(self, rec, extra=()):
        seen = self._shown.setdefault(rec.path, 0)
        for w in [*rec.warnings[seen:], *extra]:
            print(f"htdsp {self.command}: warning: {rec.path}: {say(w)}", file=sys.stderr)
        self._shown[rec.path] = len(rec.warnings)


def warn_line(command, text, path=None):
    where = f"{path}: " if path else ""
    print(f"htdsp {command}: warning: {where}{say(text)}", file=sys.stderr)


def error_line(command, text):
    """One error line on stderr, in the command line's words."""
    print(f"htdsp {command}: error: {say(text)}", file=sys.stderr)


def open_input(args, path):
    from htdsp.io import open_recording

    return open_recording(path, fmt=args.format, rate_hz=args.rate, center_hz=args.center,
                          swap_iq=args.swap_iq)


def channel_offset(args, rec):
    if args.offset is not None:
        return args.offset
    center = rec.center_freq_hz
    if center is None:
        raise InputError("centre frequency unknown; give --center (or use --offset)", rec.path)
    return args.channel - center


def progress(args, total, desc):
    """A progress bar on a terminal (stderr), or ``(None, None)``."""
    if args.quiet or not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="S", unit_scale=True, desc=desc, file=sys.stderr, leave=False)
    state = {"done": 0}

    def update(n):
        bar.update(n - state["done"])
        state["done"] = n
    return bar, update


def plural(n, word, many=None):
    """``1 transmission``, ``2 transmissions``."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


_NEGATIVE = re.compile(r"^-(\d|\.\d)")


def join_negative_values(argv, parser):
    """``--offset -30k`` -> ``--offset=-30k``: argparse takes a token that starts with ``-`` and
    is not a plain number (``-30k``, ``-25k,30k``) for an option, so a negative frequency with a
    suffix would be "expected one argument". Applied to every option that takes a value."""
    takes = set()

    def collect(p):
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for sp in a.choices.values():
                    collect(sp)
            elif a.option_strings and a.nargs is None and \
                    isinstance(a, (argparse._StoreAction, argparse._AppendAction)):
                takes.update(s for s in a.option_strings if s.startswith("--"))
    collect(parser)
    out = []
    i = 0
    argv = list(argv)
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            out += argv[i:]
            break
        if tok in takes and i + 1 < len(argv) and _NEGATIVE.match(argv[i + 1]):
            out.append(f"{tok}={argv[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out
