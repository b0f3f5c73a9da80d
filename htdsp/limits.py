"""The ranges htdsp supports for every rate, frequency, bandwidth, window and duration.

Each is checked before any work starts, whether the value comes from an option or from a
recording's metadata, so that no step's cost can depend on a parameter's magnitude without a
bound (a sample rate of 1e30 Hz once made the chain planner loop for ever) and every error says
the range. Why these bounds:

- sample rate 8 kHz to 64 MHz: the chain needs at least 1.2 x the channel bandwidth; 64 MS/s
  covers every common SDR (RTL-SDR 3.2, HackRF 20, bladeRF / USRP B2xx 61.44); the chain
  planner takes 0.4 s at 61.44 MS/s and grows with the rate.
- channel bandwidth 2.5 kHz to 250 kHz: narrowband voice to wide data (the planner's filters
  need a few taps at the low end; 200 kHz covers FSK telemetry and broadcast FM).
- audio rate 8 kHz to 192 kHz; de-emphasis 0 to 10 ms.
- measurement window 10 ms to 10 s: whole 1 ms blocks; each window keeps a histogram and a
  tone fit of its length.
- centre frequency 0 to 300 GHz; calibration -300 to +300 dB.

The RTL-SDR itself takes 225 001 to 300 000 and 900 001 to 3 200 000 S/s (measurement.md 6).
"""

import math
from dataclasses import dataclass

from htdsp.errors import InputError


def format_quantity(value, unit):
    """``2400000, "Hz"`` -> ``'2.4 MHz'``; ``0.1, "s"`` -> ``'100 ms'``.

    Examples
    --------
    >>> format_quantity(2.4e6, "Hz"), format_quantity(12500, "Hz"), format_quantity(0.01, "s")
    ('2.4 MHz', '12.5 kHz', '10 ms')
    >>> format_quantity(1e30, "Hz")
    '1e+30 Hz'
    """
    v = float(value)
    if not math.isfinite(v):
        return f"{v} {unit}"
    if unit == "Hz":
        for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= scale and abs(v) < 1e15:
                return f"{v / scale:g} {prefix}Hz"
        return f"{v:g} Hz"
    if unit == "s":
        if 0 < abs(v) < 1:
            return f"{v * 1e3:g} ms"
        if abs(v) >= 3600 and abs(v) < 1e9:
            return f"{v / 3600:g} h"
        return f"{v:g} s"
    return f"{v:g} {unit}".rstrip()


@dataclass(frozen=True)
class Range:
    """A supported range ``[lo, hi]`` of one quantity (``lo_open`` / ``hi_open``: that end
    itself excluded).

    Examples
    --------
    >>> SAMPLE_RATE.describe(), PROBABILITY.describe(), SIM_DURATION.describe()
    ('8 kHz to 64 MHz', 'between 0 and 1, exclusive', 'above 0 s, up to 24 h')
    """

    name: str
    lo: float
    hi: float
    unit: str = ""
    lo_open: bool = False
    hi_open: bool = False

    def describe(self):
        lo, hi = format_quantity(self.lo, self.unit), format_quantity(self.hi, self.unit)
        if self.lo_open and self.hi_open:
            return f"between {lo} and {hi}, exclusive"
        if self.lo_open:
            return f"above {lo}, up to {hi}"
        return f"{lo} to {hi}"

    def problem(self, value):
        """None when ``value`` is in range, else what is wrong (one phrase)."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"{self.name} {value!r} is not a number"
        if not math.isfinite(v):
            return f"{self.name} {value!r} is not a finite number"
        if v > self.hi or v < self.lo or (self.lo_open and v == self.lo) \
                or (self.hi_open and v == self.hi):
            return (f"{self.name} {format_quantity(v, self.unit)} is outside the supported "
                    f"range ({self.describe()})")
        return None

    def check(self, value, path=None):
        """``value`` as a float, or :class:`InputError` naming the range (and ``path``)."""
        why = self.problem(value)
        if why is not None:
            raise InputError(why, path)
        return float(value)


SAMPLE_RATE = Range("sample rate", 8e3, 64e6, "Hz")
CENTER_FREQ = Range("centre frequency", 0.0, 300e9, "Hz")
BANDWIDTH = Range("channel bandwidth", 2.5e3, 250e3, "Hz")
AUDIO_RATE = Range("audio rate", 8e3, 192e3, "Hz")
DEEMPHASIS_US = Range("de-emphasis time constant", 0.0, 10000.0, "us")
WINDOW = Range("measurement window", 0.01, 10.0, "s")
CAL_DB = Range("calibration", -300.0, 300.0, "dB")
#: ``--lo-ppm``: a receiver's LO error (an RTL-SDR's crystal: tens of ppm, hundreds at worst)
LO_PPM = Range("LO error", -1000.0, 1000.0, "ppm")
#: ``--time-out``: a net's time-out timer (radios offer 15 s to 10 min)
TIME_OUT = Range("time-out timer", 1.0, 3600.0, "s")
#: ``htdsp simulate --duration`` (the output's size is also checked against the free space)
SIM_DURATION = Range("duration", 0.0, 24 * 3600.0, "s", lo_open=True)
#: ``htdsp live --duration`` and ``--rotate``
LIVE_DURATION = Range("duration", 0.0, 366 * 24 * 3600.0, "s", lo_open=True)
PROBABILITY = Range("probability", 0.0, 1.0, "", lo_open=True, hi_open=True)
PORT = Range("TCP port", 0, 65535)
#: RTL-SDR sample rates (measurement.md 6)
RTL_RATES = ((225_001.0, 300_000.0), (900_001.0, 3_200_000.0))


def check_rtl_rate(rate_hz):
    """An RTL-SDR rate, or :class:`InputError` naming the two bands the dongle takes."""
    r = SAMPLE_RATE.check(rate_hz)
    if not any(lo <= r <= hi for lo, hi in RTL_RATES):
        raise InputError(f"an RTL-SDR takes 225001-300000 or 900001-3200000 S/s, not "
                         f"{r:.0f}")
    return r
