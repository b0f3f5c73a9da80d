"""Parsing of frequencies and times as written on the command line (measurement.md 2b)."""

import math
import re

_FREQ = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([kKMG]?)(?:hz|Hz|HZ)?\s*$")
_FREQ_MULT = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
_TIME = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(ms|s|min|h)?\s*$")
_TIME_MULT = {None: 1.0, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}


def parse_freq(text):
    """A frequency in Hz from text with an optional suffix ``k``, ``M``, ``G`` (and ``Hz``).

    Examples
    --------
    >>> parse_freq("146.52M"), parse_freq("12.5k"), parse_freq("2400000"), parse_freq("-30kHz")
    (146520000.0, 12500.0, 2400000.0, -30000.0)
    """
    m = _FREQ.match(str(text))
    if not m:
        raise ValueError(f"not a frequency: {text!r} (examples: 146.52M, 12.5k, 2400000)")
    value = float(m.group(1)) * _FREQ_MULT[m.group(2)]
    if not math.isfinite(value):
        raise ValueError(f"not a finite frequency: {text!r}")
    return value


def parse_time(text):
    """A duration in seconds from text with an optional suffix ``ms``, ``s``, ``min``, ``h``.

    Examples
    --------
    >>> parse_time("100ms"), parse_time("2"), parse_time("1.5min")
    (0.1, 2.0, 90.0)
    """
    m = _TIME.match(str(text))
    if not m:
        raise ValueError(f"not a time: {text!r} (examples: 100ms, 2.5, 10min)")
    return float(m.group(1)) * _TIME_MULT[m.group(2)]
