"""CTCSS: detect and identify sub-audible tones (50-tone table plus 150.0 Hz), reverse bursts.

The discriminator output is low-passed and decimated to about 1 kHz. Every ``hop_s`` (20 ms) the
last ``window_s`` (200 ms, mean removed) is correlated with every tone of the table; the
strongest is refined by the phase advance between the two halves of the window (so 150.0 and
151.4 Hz, 1.4 Hz apart, are told apart by frequency, not by leakage) and accepted when the
table tone nearest the refined frequency is the strongest correlator itself, lies within
``tolerance_hz`` of it (``close_fraction`` of the gap to its nearest neighbour where that is
tighter: 0.42 Hz for 150.0 / 151.4), holds at least ``min_fraction`` of the window's power (the
tone dominates the sub-audible band; voice is removed above 300 Hz), its amplitude is at least
``min_level`` (3 % of rated deviation: CTCSS is sent at about 10 %; the 100 Hz mains hum on the
bundled real recording, which has no CTCSS, is at 0.1-0.2 %) and its four quarter-window
phasors add coherently (``min_coherence``: one steady sinusoid; a window holding a reverse
burst's phase flip reads, by its split spectrum, as a table neighbour 4 Hz away, and two
stations doubling beat: both are refused, never named). A tone is declared after ``confirm``
agreeing hops and dropped after ``drop`` hops without it (11: a window's worth and one, since
a fade or a click spoils every window it lies in; so a fade, or the windows holding the flip,
do not end it before its reverse burst is seen).

A reverse burst (the tone's phase flipped by 120-180 degrees at unkey, for 80-150 ms) is seen,
at the held tone's frequency, as a jump of more than ``burst_rad`` between the phase of the
newest two hops and that of two hops ending two hops earlier, provided the flipped phase holds
over both newest hops and the tone keeps its level and dominates its hops on both sides: a
fade, a click or the carrier's end (noise in the discriminator) is not a burst.
"""

import functools

import numpy as np

from htdsp.kernels import ctcss_analyse_kernel
from htdsp.rx.subaudible import HopDecoder
from htdsp.standards import CTCSS_TONES_HZ

TONES = np.array(CTCSS_TONES_HZ)
#: each table tone's distance to its nearest neighbour, Hz
_GAPS_HZ = np.array([min(abs(t - u) for u in TONES if u != t) for t in TONES])
#: hop readings kept for measurement (an hour of 20 ms hops; 6 MB at most)
READINGS_KEPT = 180_000
_TONE_LIST = [float(t) for t in TONES]
_INDEX = {t: i for i, t in enumerate(_TONE_LIST)}


class HopReadings:
    """The decoder's hop readings ``(hop, tone_hz, freq_hz, amplitude)``: a growing numpy
    record array (17 bytes a reading, not a 170-byte tuple: the tone as its index in the
    table, the refined frequency and the amplitude in float32, 7 digits, beyond what is
    reported) holding the newest ``maxlen``; a streaming score drops the ones no transmission
    still needs (:meth:`forget_before`). Iterates as tuples, oldest first."""

    DTYPE = np.dtype([("hop", np.int64), ("tone", np.uint8), ("freq", np.float32),
                      ("amp", np.float32)])

    def __init__(self, maxlen=READINGS_KEPT):
        self.maxlen = int(maxlen)
        self._a = np.empty(256, dtype=self.DTYPE)
        self._i0 = 0                      # the oldest kept
        self._n = 0                       # one past the newest

    def append(self, reading):
        if self._n == self._a.size:
            live = self._a[self._i0:self._n]
            grown = np.empty(max(256, 2 * live.size), dtype=self.DTYPE)
            grown[:live.size] = live
            self._a, self._i0, self._n = grown, 0, live.size
        hop, tone, freq, amp = reading
        self._a[self._n] = (hop, _INDEX[tone], freq, amp)
        self._n += 1
        if self._n - self._i0 > self.maxlen:
            self._i0 += 1

    def forget_before(self, hop):
        """Drop the readings of hops before ``hop``."""
        live = self._a["hop"][self._i0:self._n]
        self._i0 += int(np.searchsorted(live, hop, "left"))

    def __len__(self):
        return self._n - self._i0

    def __iter__(self):
        for hop, k, freq, amp in self._a[self._i0:self._n].tolist():
            yield hop, _TONE_LIST[k], freq, amp

    def __copy__(self):
        new = HopReadings(self.maxlen)
        new._a = self._a.copy()
        new._i0, new._n = self._i0, self._n
        return new


def tone_tolerances_hz(tolerance_hz, close_fraction):
    """How far from each table tone its refined frequency may lie, Hz: ``tolerance_hz``, or
    ``close_fraction`` of the gap to the nearest other tone where that is smaller (a tone 1.4 Hz
    from its neighbour leaves each 0.42 Hz, so that an estimate pulled by noise falls between
    them, not on the other).

    Examples
    --------
    >>> tol = tone_tolerances_hz(0.6, 0.3)
    >>> [round(float(tol[list(TONES).index(f)]), 2) for f in (67.0, 150.0, 151.4, 254.1)]
    [0.6, 0.42, 0.42, 0.6]
    """
    return np.minimum(float(tolerance_hz), float(close_fraction) * _GAPS_HZ)


@functools.lru_cache(maxsize=16)
def _correlators(w, fs_c):
    """``cos`` and ``-sin`` of every table tone over a window, as contiguous float64 (tone,
    sample) matrices for the compiled analysis, shared by the decoders of a rate."""
    n = np.arange(w)
    e = np.exp(-2j * np.pi * TONES[:, None] * n[None, :] / fs_c)
    # shared, so never written to; left writeable all the same: Numba compiles a read-only
    # array's loops without the aliasing facts that let them vectorise (3.0 vs 2.2 us a hop)
    return np.ascontiguousarray(e.real), np.ascontiguousarray(e.imag)


class CTCSSDetector(HopDecoder):
    """Streaming CTCSS decoder on the discriminator output (channel rate ``fs``, scaled so that
    1.0 is the rated deviation, as :class:`htdsp.NFMReceiver`'s discriminator).

    ``process(disc)`` returns, for every hop completed, ``(tone_hz or None, burst)``;
    :attr:`hop_samples` is the hop at the channel rate.
    """

    def __init__(self, fs, *, window_s=0.2, hop_s=0.02, tolerance_hz=0.6, close_fraction=0.3,
                 min_fraction=0.4, min_level=0.03, min_coherence=0.96, confirm=2, drop=11,
                 burst_rad=2.2):
        fs_d = float(fs) / max(1, int(round(float(fs) / 1000.0)))
        self._front(fs, 1000.0, 4, 280.0, 300.0, 700.0, round(window_s * fs_d),
                    round(hop_s * fs_d))
        self.fs_c = self.fs_d
        self.tolerance_hz = tolerance_hz
        self.close_fraction = close_fraction
        self.min_fraction = min_fraction
        self.min_level = min_level
        self.min_coherence = min_coherence
        self.confirm = confirm
        self.drop = drop
        self.burst_rad = burst_rad
        self._tol = tone_tolerances_hz(tolerance_hz, close_fraction)
        self._c, self._s = _correlators(self.w, self.fs_c)
        self._work = np.empty(self.w)
        self.reset()

    def _reset_decisions(self):
        super()._reset_decisions()
        self._holdoff = 0
        self._reading = None
        #: (hop index, table tone Hz, refined frequency Hz, amplitude) of every hop that
        #: identified the tone held (the newest READINGS_KEPT): tone level and frequency error.
        #: A hop's identification that is not (or not yet) the held tone is not a reading: a
        #: single hop is no evidence of a tone
        self.readings = HopReadings()

    @property
    def tone(self):
        """The tone held now (Hz), or None."""
        return self.held

    def _analyse(self, y):
        """One hop: the window ``y`` (its last sample is the hop's end)."""
        k, burst, f_est, amp = ctcss_analyse_kernel(
            y, self._c, self._s, TONES, self._tol, self.fs_c, self.min_fraction,
            self.min_level, self.min_coherence, self.hop,
            0.0 if self.held is None else float(self.held), self.burst_rad, self._work)
        self._reading = (self.hops, float(TONES[k]), f_est, amp) if k >= 0 else None
        return (float(TONES[k]) if k >= 0 else None), bool(burst)

    def _update(self, tone, burst):
        if burst and self.held is not None:
            self._drop()
            self._holdoff = self.w // self.hop + 1   # windows still holding the flip
            return None, True
        if self._holdoff > 0:
            self._holdoff -= 1
            return None, False
        held = self._confirm(tone)
        if tone is not None and held == tone:
            self.readings.append(self._reading)
        return held, False
