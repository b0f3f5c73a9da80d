"""CTCSS: detect and identify sub-audible tones (50-tone table plus 150.0 Hz), reverse bursts.

The discriminator output is low-passed and decimated to about 1 kHz. Every ``hop_s`` (20 ms) the
last ``window_s`` (200 ms, mean removed) is correlated with every tone of the table; the
strongest is refined by the phase advance between the two halves of the window (so 150.0 and
151.4 Hz, 1.4 Hz apart, are told apart by frequency, not by leakage) and accepted when it is
within ``tolerance_hz`` of a table tone and holds at least ``min_fraction`` of the window's power
(the tone dominates the sub-audible band; voice is removed above 300 Hz) and its amplitude is at
least ``min_level`` (3 % of rated deviation: CTCSS is sent at about 10 %; the 100 Hz mains hum
on the bundled real recording, which has no CTCSS, is at 0.1-0.2 %). A tone is declared
after ``confirm`` agreeing hops and dropped after ``confirm`` failing ones. A reverse burst (the
tone's phase flipped by 120-180 degrees at unkey) shows as a jump of more than ``burst_rad``
between the phase of the last hop and that of a two-hop reference ending two hops earlier,
while the tone is still strong.
"""

import collections
import functools

import numpy as np

from htdsp.kernels import ctcss_analyse_kernel
from htdsp.sim.tables import CTCSS_TONES_HZ
from htdsp.subaudible import HopDecoder

TONES = np.array(CTCSS_TONES_HZ)
#: hop readings kept for measurement (an hour of 20 ms hops)
READINGS_KEPT = 180_000


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

    def __init__(self, fs, *, window_s=0.2, hop_s=0.02, tolerance_hz=0.6, min_fraction=0.4,
                 min_level=0.03, confirm=2, burst_rad=2.2):
        fs_d = float(fs) / max(1, int(round(float(fs) / 1000.0)))
        self._front(fs, 1000.0, 4, 280.0, 300.0, 700.0, round(window_s * fs_d),
                    round(hop_s * fs_d))
        self.fs_c = self.fs_d
        self.tolerance_hz = tolerance_hz
        self.min_fraction = min_fraction
        self.min_level = min_level
        self.confirm = confirm
        self.burst_rad = burst_rad
        self._c, self._s = _correlators(self.w, self.fs_c)
        self._work = np.empty(self.w)
        self.reset()

    def _reset_decisions(self):
        super()._reset_decisions()
        self._holdoff = 0
        #: (hop index, table tone Hz, refined frequency Hz, amplitude) of every hop that
        #: identified a tone (the newest READINGS_KEPT): tone level and frequency error
        self.readings = collections.deque(maxlen=READINGS_KEPT)

    @property
    def tone(self):
        """The tone held now (Hz), or None."""
        return self.held

    def _analyse(self, y):
        """One hop: the window ``y`` (its last sample is the hop's end)."""
        k, burst, f_est, amp = ctcss_analyse_kernel(
            y, self._c, self._s, TONES, self.fs_c, self.tolerance_hz, self.min_fraction,
            self.min_level, self.hop, self.tone is not None, self.burst_rad, self._work)
        if k >= 0:
            self.readings.append((self.hops, float(TONES[k]), f_est, amp))
        return (float(TONES[k]) if k >= 0 else None), bool(burst)

    def _update(self, tone, burst):
        if burst and self.held is not None:
            self._drop()
            self._holdoff = self.w // self.hop + 1   # windows still holding the flip
            return None, True
        if self._holdoff > 0:
            self._holdoff -= 1
            return None, False
        return self._confirm(tone), False
