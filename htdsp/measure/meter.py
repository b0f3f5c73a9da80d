"""Signal-quality measurement, per window (default 100 ms) and per transmission.

A :class:`Meter` rides on an :class:`htdsp.NFMReceiver`: it sees the channel-filtered IQ, the
discriminator output and the audio (before the squelch gate) of every chunk, and produces one
record per window. Numbers and their definitions (measurement.md 2, 2b, 4):

- ``rssi_dbfs``: channel power, 10 log10(mean |x|^2) after the channel filter (0 dBFS: a
  full-scale complex sinusoid); ``rssi_dbm`` = ``rssi_dbfs + cal_db`` when a calibration is
  given.
- ``noise_floor_dbfs_hz`` and ``noise_floor_dbfs`` (in ``bandwidth_hz``): the noise power of
  windows with the squelch closed and no carrier by the moments test below (median of the last
  50), divided by the channel filter's noise bandwidth. A window's noise power comes from its
  1 ms block powers, not its mean power, so a bursty signal the moments test and the squelch
  miss (OOK pulses of a few ms) cannot raise it: starting from the 5th percentile of the blocks
  (the lower order statistic, scaled by the 5 % point of the noise's block distribution),
  blocks above the noise's 99.9 %
  point are dropped and the rest averaged, three times (the block sums of the channel-filtered
  noise are Gamma distributed with the filter's equivalent degrees of freedom, from its taps;
  the truncation is corrected exactly); a window with under 10 % of its blocks left gives no
  estimate. Until a noise-only window is seen, the lower of the window's M2M4 noise and its
  block estimate stands in (``noise_method``: ``closed_squelch``, ``m2m4`` or ``blocks``).
- ``cnr_db``: carrier power over the noise in ``bandwidth_hz`` (the filter's noise bandwidth
  corrected). With a known floor: (P - N) / N; otherwise the M2M4 moment estimator on the
  constant-envelope FM signal: C = sqrt(2 M2^2 - M4), N = M2 - C (``cnr_method``).
- ``second_carrier_db``: two stations keyed at once. Two carriers ``a``, ``b`` beat: the
  envelope of their sum is no longer constant, and with the noise ``N`` known (a noise-only
  window seen), ``S^2 - (2 M2^2 - M4) = 2 a^2 b^2`` for ``S = M2 - N`` (for one carrier and
  Gaussian noise it is 0: the M2M4 identity), so ``rho = 2 a^2 b^2 / S^2`` reads 0.5 at
  equal levels and 0.059 with one 15 dB down. Measured on 5 ms sub-windows (a fade barely
  changes the envelope in 5 ms; the beat of two FM carriers, hundreds of Hz or more, runs
  many times); the window is doubled when a quarter of them or fewer read under
  ``DOUBLING_INDEX``, and ``second_carrier_db`` is then the weaker carrier's level below the
  stronger. Doubled windows are not counted (two stations at once is not either one's link).
- ``freq_error_hz`` (and ``_ppm`` of the channel frequency): the mean frequency, as the angle of
  the mean lag product x[n] conj(x[n-1]) of the channel (FM clicks, which bias the
  discriminator's mean toward zero at low CNR, barely move it); the noise's own lag product is
  removed first: measured on noise-only windows (median of the last 50) or, before any,
  computed from the channel filter (a flat noise spectrum assumed).
- ``deviation_peak_hz`` (99.9th percentile of |f - mean|) and ``deviation_rms_hz``, of the
  discriminator low-passed at 3.4 kHz (as a service monitor reads deviation: the noise the
  discriminator puts out beyond the modulation band is not deviation).
- With a test tone (``tone_hz``: a frequency, ``"auto"`` or None): the tone is fitted (its
  frequency refined, amplitude, phase and DC by least squares) and subtracted; ``sinad_db`` =
  total / residual power of the audio (300-3000 Hz as the receiver is set); ``sinad_cmsg_db``
  and ``sinad_psoph_db`` weight tone and residual by C-message and ITU-T O.41 (the residual's
  spectrum weighted bin by bin); ``thd_pct`` from harmonics 2-5; ``hum_noise_db`` = residual
  less harmonics, over the tone. ``auto`` takes the strongest 250-3400 Hz component when it
  holds at least 40 % of the audio power and three consecutive windows agree on its frequency
  within 1 Hz (a sung vowel in speech holds one window, a test tone holds them all). A given
  frequency counts in a window only when the fitted tone holds at least 10 % of the audio power
  and lands within 5 Hz of it (a real tone at 0 dB CNR, 0.3-0.7 dB SINAD, holds 7-24 % within
  1.4 Hz; noise, simulated speech and the bundled voice capture hold at most 3.7 %); otherwise
  the window has no tone numbers and ``tone_missing`` is true (None without a given frequency).
- ``snr_db``: the tone-free estimate for voice traffic, on the SINAD scale of the standard test
  tone (1 kHz at 60 % of rated deviation): what a SINAD meter would read at this channel
  quality, so on a tone signal ``snr_db`` and ``sinad_db`` agree. Two estimates, each of which
  can only read low when its assumption fails, and the higher is taken:
  ``snr_oob_db``: the discriminator's noise above the voice band (8-16 kHz, where a clean
  transmitter puts nothing) through a calibrated table (:mod:`htdsp.sim.calibrate`, fitted on
  one set of simulated scenarios and seeds, tested on another); loud speech leaves distortion
  products there, so it reads low on voice at high CNR. ``snr_m2m4_db``: the window's M2M4
  CNR through the receiver's CNR -> SINAD table; an envelope that varies within the window
  (fast fading, a transmitter's AM) reads as noise, so it reads low there.
- ``clipping_fraction`` (elements at an ADC rail) and ``dc_offset_dbfs`` (the mean I/Q of the
  input, in dBFS) of the raw integer input (None for complex or float input, which has no ADC
  rails); per window of input samples.
- ``keyed``: fraction of the window's squelch frames open; ``gap``: the window touches lost
  samples (its numbers are null).
- ``start_s`` / ``end_s``: input times of the window (the channel filter's delay removed); the
  first window starts at 0 (its channel samples before that are the filter filling).
- ``bounds``: the fields whose value is an estimator's limit, not a measurement: ``"lower"``
  (the true value is at least this) or ``"upper"`` (at most this). The tone-free table
  (``snr_oob_db``) ends at the calibration's 42 dB CNR (49.1 dB) and 0.2 dB, the CNR -> SINAD
  table (``snr_m2m4_db``) at 40 dB CNR (47.1 dB) and -4 dB; ``snr_db`` inherits the bound of
  the estimate it takes; ``deviation_peak_hz`` is a lower bound when the percentile falls in
  the histogram's end bin (4 rated deviations). Percentiles over windows are bounds when a
  bounded value could move them (they are null when bounds of both kinds could). Not bounds:
  the tone SINAD (a fit, no table), CNR (M2M4 reads no noise: null; the floor method: no
  limit), and DAQ at 1 or 5, the ends of its scale (a DAQ is a bound only when its SINAD is one
  and the table does not saturate there).

Per transmission (:func:`transmission_summary`): means, percentiles, the CTCSS tone's level and
frequency error (when the squelch runs the CTCSS decoder) and fading (envelope
percentiles, fade depth, Rician K by moments, level crossing rate and average fade duration at
rho = r / r_rms, a Doppler estimate from the LCR at rho = 1 assuming Rayleigh).

Every number that cannot be measured is None, never NaN or infinite.
"""

import math
from collections import deque

import numpy as np
from scipy.special import gammainc, gammaincinv

from htdsp.dsp.convert import format_of_dtype
from htdsp.dsp.iir import BiquadFilter, butter_sos
from htdsp.kernels import (
    FORMAT_SCALES,
    block_moments_kernel,
    block_moments_state,
    frame_energy_kernel,
    frame_energy_state,
    raw_levels_kernel,
    raw_levels_state,
    tone_fit_kernel,
    window_hist_kernel,
    window_hist_state,
)
from htdsp.records import WindowRecord
from htdsp.standards import (  # noqa: F401 - weighting and calibrations re-exported
    C_MESSAGE_DB,
    PSOPHOMETRIC_DB,
    cnr_sinad_table,
    tone_free_table,
    weighting_power,
)

WINDOW_S = 0.1
BLOCK_S = 0.001
#: histogram of the discriminator, in rated deviations: [-DEV_RANGE, DEV_RANGE) in DEV_BINS
DEV_RANGE = 4.0
DEV_BINS = 1024
DEV_PERCENTILE = 99.9
DEV_LOWPASS_HZ = 3400.0
#: the tone-free estimate's band (the noise squelch's), Hz
OOB_BAND_HZ = (8000.0, 16000.0)
#: a tone must hold this share of the audio power (auto detection)
TONE_MIN_FRACTION = 0.4
TONE_SEARCH_HZ = (250.0, 3400.0)
#: auto detection: a tone counts once this many consecutive windows agree within TONE_STEADY_HZ
TONE_STEADY_WINDOWS = 3
TONE_STEADY_HZ = 1.0
#: the standard test tone: 1 kHz at 60 % of rated deviation -> 0.6 on the audio scale
STANDARD_TONE_POWER = 0.6**2 / 2
#: a window is noise-only (for the floor) when the M2M4 carrier is below this share of power
NOISE_ONLY_CARRIER_FRACTION = 0.3
#: doubling: 1 ms blocks per sub-window whose envelope excess is measured (5 ms: a fade
#: barely moves the envelope in it, two carriers beat many times)
DOUBLING_SUB_BLOCKS = 5
#: doubling: a sub-window's excess over this holds a second carrier (0.03: one 18 dB down;
#: one carrier through Rayleigh fading at 30 m/s reads under 0.011 in 95 % of windows)
DOUBLING_INDEX = 0.03
#: doubling: the window is doubled when this percentile of its sub-windows' excess is over
DOUBLING_PERCENTILE = 25
FLOOR_MEMORY = 50
#: the noise floor from a window's 1 ms block powers (module docstring): the start (a quantile
#: of the blocks), the noise's upper tail dropped as signal, the passes, the blocks needed
FLOOR_START_QUANTILE = 0.05
FLOOR_TAIL = 1e-3
FLOOR_PASSES = 3
FLOOR_MIN_BLOCKS = 0.1

#: a given tone (``tone_hz`` a frequency) is there when its fit holds this share of the audio
#: power (0.46 dB SINAD) within TONE_GIVEN_HZ of it (measured: module docstring)
TONE_PRESENT_FRACTION = 0.1
TONE_GIVEN_HZ = 5.0
N_HARMONICS = 4
RHO_LEVELS = (0.1, 0.3, 0.5, 1.0)
#: the channel envelope kept (1 ms blocks, float32: 4 kB a second), s: the fading statistics of
#: a longer transmission are those of its last ENVELOPE_KEEP_S
ENVELOPE_KEEP_S = 300.0
#: the Doppler estimate needs real fading: above this K the envelope's wiggles are noise
DOPPLER_MAX_K_DB = 10.0


def input_window(fs, fs_c, window_s=WINDOW_S):
    """A window in input samples at input rate ``fs`` (the raw levels' window)."""
    return max(1, int(round(window_samples(fs_c, window_s)[1] / fs_c * fs)))


def window_samples(fs_c, window_s=WINDOW_S):
    """``(block, window)``: the 1 ms block and the window (whole blocks) in channel samples at
    ``fs_c`` (a channel started late starts on a window's edge: its windows are those of the
    channel measured from the start)."""
    block = max(1, int(round(BLOCK_S * fs_c)))
    return block, block * max(1, int(round(window_s * fs_c / block)))


def db(p):
    """10 log10(p), or None when p is not a positive finite number."""
    return 10.0 * math.log10(p) if (p is not None and p > 0 and math.isfinite(p)) else None


def finite(v, nd=None):
    """``v`` as a float, or None when it is missing, NaN or infinite (rounded to ``nd``)."""
    if v is None:
        return None
    v = float(v)
    if not math.isfinite(v):
        return None
    return round(v, nd) if nd is not None else v


def clamped_interp(x, xs, ys):
    """``np.interp(x, xs, ys)`` and, where a table's end clamped it, which bound the value is:
    ``(y, bound)``, bound ``"lower"`` (the curve rises beyond that end), ``"upper"`` (it falls)
    or None (inside the table, or a flat end).

    Examples
    --------
    >>> clamped_interp(5.0, [0.0, 1.0, 2.0], [0.0, 10.0, 20.0])
    (20.0, 'lower')
    >>> clamped_interp(-1.0, [0.0, 1.0], [5.0, 3.0])
    (5.0, 'lower')
    >>> clamped_interp(0.5, [0.0, 1.0], [5.0, 3.0])
    (4.0, None)
    """
    y = float(np.interp(x, xs, ys))
    slope = 0.0
    if x < xs[0]:
        slope = -(ys[1] - ys[0])                # outward is toward lower x
    elif x > xs[-1]:
        slope = ys[-1] - ys[-2]
    return y, ("lower" if slope > 0 else "upper" if slope < 0 else None)


def combine_max(cands):
    """The larger of estimates that can each only read low, with bounds: ``cands`` are
    ``(value, bound)`` (value None: no estimate); returns ``(value, bound)``.

    The true maximum is at least every exact or lower-bounded value, and at most the largest
    value unless some value is a lower bound (then unlimited).

    Examples
    --------
    >>> combine_max([(49.1, "lower"), (41.0, None)])
    (49.1, 'lower')
    >>> combine_max([(30.0, None), (20.0, None)])
    (30.0, None)
    >>> combine_max([(0.2, "upper"), (0.1, None)])
    (0.2, 'upper')
    >>> combine_max([(None, None)])
    (None, None)
    """
    c = [(v, b) for v, b in cands if v is not None]
    if not c:
        return None, None
    top = max(v for v, _ in c)
    known = [v for v, b in c if b != "upper"]           # T >= each of these
    if any(b == "lower" for _, b in c):
        return max(known), "lower"
    if known and max(known) == top:
        return top, None
    return top, "upper"


def percentile_bound(vals, bounds, q):
    """The ``q`` percentile of the known values (None left out), rounded to 3 decimals, and
    whether it is a bound: ``(value, bound)``. It is a lower (upper) bound when raising the
    lower-bounded values (lowering the upper-bounded) could move it; when both could, it is not
    known: ``(None, None)``.

    Examples
    --------
    >>> percentile_bound([40.0, 49.1, 49.1], [None, "lower", "lower"], 50)
    (49.1, 'lower')
    >>> percentile_bound([40.0, 45.0, 49.1], [None, None, "lower"], 50)
    (45.0, None)
    >>> percentile_bound([None], [None], 50)
    (None, None)
    """
    s = BoundedSeries()
    for v, b in zip(vals, bounds, strict=True):
        s.append(v, b)
    return s.percentile(q)


class BoundedSeries:
    """Values with their bounds (None, ``"lower"``, ``"upper"``), held compactly (9 bytes a
    value) for :func:`percentile_bound`: a streaming score keeps one per summary percentile
    instead of every window."""

    _CODES = {None: 0, "lower": 1, "upper": 2}

    def __init__(self):
        self._v = np.empty(64)
        self._b = np.empty(64, dtype=np.int8)
        self.n = 0

    def append(self, value, bound=None):
        """Add one value (None is left out, as :func:`percentile_bound` does)."""
        if value is None:
            return
        if self.n == self._v.size:
            self._v = np.concatenate([self._v, np.empty(self.n)])
            self._b = np.concatenate([self._b, np.empty(self.n, dtype=np.int8)])
        self._v[self.n] = value
        self._b[self.n] = self._CODES[bound]
        self.n += 1

    def percentile(self, q):
        """``(value, bound)`` as :func:`percentile_bound`."""
        if not self.n:
            return None, None
        return self.percentile_of(self._v[:self.n], self._b[:self.n], q)

    @staticmethod
    def percentile_of(v, codes, q):
        """:meth:`percentile` of values ``v`` with bound codes ``codes`` (arrays, not empty)."""
        p = float(np.percentile(v, q))
        far = 1e3 * (1.0 + float(np.max(np.abs(v))))
        lo = codes == 1
        up = codes == 2
        can_rise = lo.any() and float(np.percentile(np.where(lo, far, v), q)) != p
        can_fall = up.any() and float(np.percentile(np.where(up, -far, v), q)) != p
        if can_rise and can_fall:
            return None, None
        return finite(p, 3), "lower" if can_rise else "upper" if can_fall else None


#: a bound's code in a histogram -> the bound
_BOUND_OF = {0: None, 1: "lower", 2: "upper"}


class BoundedHistogram:
    """:class:`BoundedSeries` for values on a decimal grid (``decimals``: a window's figures are
    rounded to 3), held as counts per grid step in blocks of 1000 steps, allocated where values
    fall: memory bounded by the range the values cover (a SINAD series over 0-60 dB holds 60
    blocks of 4 kB whatever the run's length), percentiles exact (the value at each rank is
    known; interpolated as :func:`numpy.percentile` does).

    The first ``spill`` values are kept as a plain list of grid steps (a transmission of
    seconds never allocates a block; measured: the streaming judge twice as fast) and go into
    the blocks when there are more: either way the percentiles are those of the rounded
    values."""

    _CODES = BoundedSeries._CODES
    BLOCK = 1000
    SPILL = 4096

    def __init__(self, decimals=3, *, spill=SPILL):
        self.scale = 10 ** int(decimals)
        self._blocks = ({}, {}, {})           # per bound code: block index -> counts
        self.n = 0
        self._max_abs = 0.0
        self._spill = int(spill)
        self._few = []                        # (grid step, bound code) before the spill

    def append(self, value, bound=None):
        if value is None:
            return
        k = int(round(value * self.scale))
        code = self._CODES[bound]
        if self._few is not None:
            self._few.append((k, code))
            self.n += 1
            if self.n > self._spill:
                few, self._few = self._few, None
                for k, code in few:
                    self._add(k, code)
            return
        self._add(k, code)
        self.n += 1

    def merge(self, other):
        """Add every value of ``other`` (a station's histogram made of its transmissions')."""
        if other._few is not None:
            for k, code in other._few:
                self.append(k / other.scale, _BOUND_OF[code])
            return
        if self._few is not None:
            few, self._few = self._few, None
            for k, code in few:
                self._add(k, code)
        for code, blocks in enumerate(other._blocks):
            for b, c in blocks.items():
                mine = self._blocks[code].get(b)
                self._blocks[code][b] = c.copy() if mine is None else mine + c
        self.n += other.n
        self._max_abs = max(self._max_abs, other._max_abs)

    def _add(self, k, code):
        blocks = self._blocks[code]
        b, i = divmod(k, self.BLOCK)
        c = blocks.get(b)
        if c is None:
            c = blocks[b] = np.zeros(self.BLOCK, dtype=np.int64)
        c[i] += 1
        self._max_abs = max(self._max_abs, abs(k) / self.scale)

    def _sorted(self, codes):
        """``(grid values, counts)`` of the values with these bound codes, ascending."""
        ks, cs = [], []
        merged = {}
        for code in codes:
            for b, c in self._blocks[code].items():
                merged[b] = merged[b] + c if b in merged else c
        for b in sorted(merged):
            c = merged[b]
            nz = np.nonzero(c)[0]
            ks.append(b * self.BLOCK + nz)
            cs.append(c[nz])
        if not ks:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        return np.concatenate(ks) / self.scale, np.concatenate(cs)

    @staticmethod
    def _at(values, cum, below, above, far, r):
        """The value of rank ``r`` (0-based) in ``below`` copies of -far, the values, then
        ``above`` copies of +far."""
        if r < below:
            return -far
        r -= below
        if r >= (cum[-1] if cum.size else 0):
            return far
        return float(values[int(np.searchsorted(cum, r, "right"))])

    def _pct(self, q, lo_far, up_far, far):
        codes = [0] + ([] if lo_far else [1]) + ([] if up_far else [2])
        v, c = self._sorted(codes)
        cum = np.cumsum(c)
        above = sum(int(x.sum()) for x in self._blocks[1].values()) if lo_far else 0
        below = sum(int(x.sum()) for x in self._blocks[2].values()) if up_far else 0
        h = (q / 100) * (self.n - 1)                   # numpy's virtual index ("linear")
        i = int(math.floor(h))
        t = h - i
        a = self._at(v, cum, below, above, far, i)
        b = self._at(v, cum, below, above, far, min(i + 1, self.n - 1))
        d = b - a
        return b - d * (1 - t) if t >= 0.5 else a + d * t      # numpy's lerp

    def percentile(self, q):
        """``(value, bound)`` as :func:`percentile_bound`."""
        if not self.n:
            return None, None
        if self._few is not None:
            a = np.array(self._few, dtype=np.int64)
            return BoundedSeries.percentile_of(a[:, 0] / self.scale, a[:, 1], q)
        far = 1e3 * (1.0 + self._max_abs)
        p = self._pct(q, False, False, far)
        can_rise = bool(self._blocks[1]) and self._pct(q, True, False, far) != p
        can_fall = bool(self._blocks[2]) and self._pct(q, False, True, far) != p
        if can_rise and can_fall:
            return None, None
        return finite(p, 3), "lower" if can_rise else "upper" if can_fall else None


def tone_free_sinad_db(oob_db):
    """The SINAD scale reading of a discriminator noise level above the voice band (dB re the
    rated deviation squared), through the calibrated table; None if unknown."""
    return tone_free_sinad(oob_db)[0]


def tone_free_sinad(oob_db):
    """:func:`tone_free_sinad_db` and its bound at the table's ends: ``(sinad_db, bound)``."""
    if oob_db is None or tone_free_table() is None:
        return None, None
    x, y = tone_free_table()
    return clamped_interp(oob_db, x, y)


def cnr_sinad(cnr_db):
    """The reference receiver's SINAD at ``cnr_db`` (:func:`htdsp.standards.sinad_from_cnr`)
    and its bound at the table's ends: ``(sinad_db, bound)``."""
    if cnr_db is None:
        return None, None
    x, y = cnr_sinad_table()
    return clamped_interp(cnr_db, x, y)


def block_dof(taps, block):
    """Equivalent degrees of freedom (independent complex samples) of a sum of ``block``
    consecutive ``|x|^2`` of white complex Gaussian noise through the FIR ``taps``:
    mean^2 / variance of the sum (Satterthwaite), with variance sum_l (block - |l|) rho(l)^2
    for the taps' normalised autocorrelation rho.

    Examples
    --------
    >>> block_dof([1.0], 48)                    # white: every sample independent
    48.0
    """
    h = np.asarray(taps, dtype=np.float64)
    r = np.correlate(h, h, "full")
    r = r / r[h.size - 1]
    lags = np.abs(np.arange(-(h.size - 1), h.size))
    keep = lags < block
    return float(block * block / np.sum((block - lags[keep]) * r[keep] ** 2))


def enbw_hz(taps, fs):
    """Equivalent noise bandwidth of a FIR (unity gain at DC), Hz."""
    h = np.asarray(taps, dtype=np.float64)
    return float(fs * np.sum(h * h) / np.sum(h) ** 2)


def second_carrier_db(rho):
    """The level of the weaker of two carriers below the stronger, dB, from the envelope's
    excess ``rho = 2 a^2 b^2 / (a^2 + b^2)^2`` (module docstring): the root ``r^2 <= 1`` of
    ``rho (1 + r^2)^2 = 2 r^2``.

    Examples
    --------
    >>> round(second_carrier_db(0.5), 6), round(second_carrier_db(0.0594), 1)
    (0.0, 15.0)
    """
    rho = min(max(rho, 1e-12), 0.5)
    b = 2.0 - 2.0 * rho
    u = (b - math.sqrt(max(b * b - 4 * rho * rho, 0.0))) / (2 * rho)
    return max(0.0, -10 * math.log10(u))


def m2m4(m2, m4):
    """Carrier and noise power of a constant-envelope signal in complex Gaussian noise from
    the second and fourth moments: ``(C, N)``."""
    c = math.sqrt(max(2.0 * m2 * m2 - m4, 0.0))
    c = min(c, m2)
    return c, m2 - c


def _deviation_bin(hist, mean, pct):
    """``(distance, bin)`` of the ``pct`` percentile of |v - mean| (None when empty)."""
    total = hist.sum()
    if total == 0:
        return None
    width = 2 * DEV_RANGE / hist.size
    centers = -DEV_RANGE + (np.arange(hist.size) + 0.5) * width
    d = np.abs(centers - mean)
    order = np.argsort(d, kind="stable")
    cum = np.cumsum(hist[order])
    k = int(np.searchsorted(cum, pct / 100.0 * total))
    k = min(k, hist.size - 1)
    return float(d[order[k]]), int(order[k])


def deviation_percentile(hist, mean, pct=DEV_PERCENTILE):
    """The ``pct`` percentile of |v - mean| from a histogram of v on the deviation grid (in
    rated deviations), to the bin centre (within half a bin, 0.4 % of rated deviation)."""
    r = _deviation_bin(hist, mean, pct)
    return None if r is None else r[0]


def deviation_bound(hist, mean, pct=DEV_PERCENTILE):
    """``"lower"`` when the percentile falls in an end bin of the histogram (which holds every
    value beyond the grid, so the true percentile may be farther), else None."""
    r = _deviation_bin(hist, mean, pct)
    return "lower" if r is not None and r[1] in (0, hist.size - 1) else None


class RawLevels:
    """Clipping fraction and DC offset (dBFS) of raw integer I/Q codes per window of
    ``win_in`` input samples (complex or float input has no ADC rails: nothing). ``active``
    once integer codes came; ``windows`` the windows read so far."""

    def __init__(self, win_in):
        self.win_in = int(win_in)
        self.active = False
        self.windows = 0
        self._state = None
        self._odd = np.zeros(0)

    def process(self, x):
        """One chunk (a chunk may end mid-sample); the windows it completed."""
        a = np.asarray(x)
        if np.iscomplexobj(a) or a.dtype.kind not in "iu" or a.dtype.itemsize > 2:
            return []
        if self._state is None:
            info = np.iinfo(a.dtype)
            self._codes = (int(info.min), int(info.max))
            self._scale = FORMAT_SCALES[format_of_dtype(a.dtype)]
            self._state = raw_levels_state()
            self.active = True
        if self._odd.size:
            a = np.concatenate([self._odd.astype(a.dtype), a])
        cut = a.size - a.size % 2
        a, self._odd = a[:cut], a[cut:].copy()
        out = np.empty((a.size // 2 // self.win_in + 2, 3))
        k = raw_levels_kernel(a, *self._codes, self.win_in, self._state, out)
        off, sc = self._scale
        new = []
        for si, sq, clip in out[:k]:
            mi, mq = (si / self.win_in - off) * sc, (sq / self.win_in - off) * sc
            new.append((clip / (2 * self.win_in), db(mi * mi + mq * mq)))
        self.windows += k
        return new


class Meter:
    """Per-window signal quality of one channel (see module docstring).

    Parameters
    ----------
    rx : htdsp.NFMReceiver
        The receiver whose streams are measured (its plan gives the rates, the channel
        filter's noise bandwidth, the rated deviation and the channel bandwidth).
    window_s : float
        Window length, s (rounded to whole 1 ms blocks of the channel rate).
    tone_hz : float, "auto" or None
        Test tone for SINAD.
    cal_db : float, optional
        dBm = dBFS + cal_db.
    channel_hz : float, optional
        Absolute channel frequency (for the error in ppm).
    keep_windows : bool
        Keep every record in :attr:`windows` (default). A streaming score passes False and
        takes each window from :meth:`process` as it completes, so memory does not grow with
        the run's length.
    envelope_keep_s : float or None
        How much of the channel envelope :meth:`envelope` keeps (default
        :data:`ENVELOPE_KEEP_S`; None keeps all).

    Each record is a :class:`htdsp.records.WindowRecord`; its ``aux`` holds what a
    transmission's summary needs from the window (discriminator sums and histogram, lag
    product), until the score has used it.

    Examples
    --------
    >>> import numpy as np
    >>> from htdsp import NFMReceiver
    >>> fs = 240000.0
    >>> n = np.arange(int(fs))                 # 1 s: 1 kHz tone at 1.5 kHz deviation
    >>> iq = np.exp(1j * (2 * np.pi * 20270 * n / fs + 1.5 * np.sin(2 * np.pi * 1000 * n / fs)))
    >>> rx = NFMReceiver(fs, offset_hz=20000)
    >>> m = Meter(rx, tone_hz=1000.0)
    >>> w = m.run(iq)
    >>> round(w[-1]["freq_error_hz"]), round(w[-1]["deviation_peak_hz"], -1)
    (270, 1500.0)
    """

    def __init__(self, rx, *, window_s=WINDOW_S, tone_hz="auto", cal_db=None, channel_hz=None,
                 keep_windows=True, envelope_keep_s=ENVELOPE_KEEP_S):
        if not (window_s is not None and window_s > 0 and math.isfinite(window_s)):
            raise ValueError(f"window must be a positive time, got {window_s!r}")
        self.rx = rx
        self.keep_windows = bool(keep_windows)
        self.envelope_keep_s = envelope_keep_s
        self.fs_c = float(rx.channel_fs)
        self.fs_a = float(rx.audio_fs)
        self.block, self.win_c = window_samples(self.fs_c, window_s)
        self.blocks_per_window = self.win_c // self.block
        # a channel started mid-input (htdsp.measure.activity.BandFrontEnd) starts on a
        # window's edge: its windows keep the numbers they have in the whole input
        start = float(getattr(getattr(rx, "path", None), "start_sample", 0.0))
        self.first_window = int(round(start * self.fs_c / rx.fs / self.win_c))
        self.window_s = self.win_c / self.fs_c
        self.win_a = int(round(self.window_s * self.fs_a))
        self.win_in = input_window(rx.fs, self.fs_c, window_s)
        if tone_hz not in (None, "auto"):
            tone_hz = float(tone_hz)
            if not 0 < tone_hz < self.fs_a / 2:
                raise ValueError(f"tone {tone_hz} Hz is outside the audio band")
        self.tone_hz = tone_hz
        self.cal_db = None if cal_db is None else float(cal_db)
        self.channel_hz = channel_hz
        self.dev_hz = float(rx.deviation_hz)
        self.bandwidth_hz = float(rx.bandwidth_hz)
        self.enbw_hz = enbw_hz(rx.channel_taps, self.fs_c)
        self.bw_factor = self.bandwidth_hz / self.enbw_hz
        h = np.asarray(rx.channel_taps, dtype=np.float64)
        # the channel filter's noise is correlated at lag one (real, it is centred on 0 Hz):
        # its share of the lag product pulls the frequency toward zero unless removed
        self.noise_lag1 = float(np.dot(h[1:], h[:-1]) / np.dot(h, h))
        # the noise's 1 ms block powers are Gamma(k) (k from the taps): the floor estimator's
        # start and clip points and the clipped mean's bias, as fractions of the noise power
        k = block_dof(h, self.block)
        self._floor_start = float(gammaincinv(k, FLOOR_START_QUANTILE)) / k
        self._floor_clip = float(gammaincinv(k, 1.0 - FLOOR_TAIL)) / k
        self._floor_bias = float(gammainc(k + 1, k * self._floor_clip)
                                 / gammainc(k, k * self._floor_clip))
        self._floor_min = max(1, int(math.ceil(FLOOR_MIN_BLOCKS * self.blocks_per_window)))
        # deviation is read in the modulation band (a service monitor's 3.4 kHz low-pass):
        # the discriminator's noise beyond it is not deviation
        self._dev_lp = BiquadFilter(butter_sos(4, min(DEV_LOWPASS_HZ, 0.4 * self.fs_c),
                                               "lowpass", self.fs_c))
        self._oob = None
        if self.fs_c > 2.2 * OOB_BAND_HZ[1]:
            self._oob = BiquadFilter(butter_sos(2, OOB_BAND_HZ, "bandpass", self.fs_c))
        f = np.fft.rfftfreq(self.win_a, 1.0 / self.fs_a)
        self._w_cmsg = weighting_power(C_MESSAGE_DB, f)
        self._w_psoph = weighting_power(PSOPHOMETRIC_DB, f)
        self._work = np.empty(3 * self.win_a)
        # a window's histogram is kept for its transmission's deviation percentile: counts up
        # to win_c fit 16 bits for any window under 1.3 s at 48 kHz (2 KiB a window, not 4)
        self._hist_dtype = np.uint16 if self.win_c <= np.iinfo(np.uint16).max else np.uint32
        self._hann = np.hanning(self.win_a)
        self._freqs = f
        self.reset()

    # -------------------------------------------------------------------- streaming
    def reset(self):
        self._bm_state = block_moments_state()
        self._wh_state, self._wh_hist = window_hist_state(DEV_BINS)
        self._oob_state = frame_energy_state()
        if self._oob is not None:
            self._oob.reset()
        self._dev_lp.reset()
        # per 1 ms block: the moments of blocks not yet in an emitted window (rows from block
        # _blk_base on), and every block's mean power (float32) for the fading envelope
        self._blk = np.zeros((0, 4))
        self._blk_base = 0
        self._blocks_n = 0
        self._env = deque()              # the envelope's chunks, from block _env_base on
        self._env_base = 0
        self._env_n = 0
        # per window not yet emitted (the first is window _emitted):
        self._disc = deque()             # (sums, hist)
        self._oob_w = deque()            # mean square of the band-passed disc
        self._audio = np.zeros(0, dtype=np.float32)
        self._audio_w = deque()          # dict of audio numbers
        self._frames = np.zeros(0, dtype=np.uint8)   # squelch frames from _frames_base on
        self._frames_base = 0
        self._frame = getattr(getattr(self.rx, "squelch", None), "frame", None)
        self._gaps = []                  # (start, end) channel samples touched by lost input
        self._emitted = 0
        self._raw_reader = None          # raw-code levels (integer input only)
        self._raw_on = False
        self._raw_w = deque()            # per input window: (clipping fraction, DC dBFS)
        self._floor = []                 # recent noise-only window powers (filter bandwidth)
        self._noise_lag = []             # and their normalised lag products
        self._floor_med = None           # (their medians)
        self._prev_tone = None
        self._streak = 0                 # consecutive windows agreeing on the tone
        self.windows = []                # every window record emitted (keep_windows)
        self.windows_emitted = 0

    def note_gap(self, start_channel_sample, n_channel_samples):
        """Mark lost samples (at the channel rate): windows touching them are flagged."""
        c0 = self._emitted * self.win_c            # gaps no later window can touch go
        self._gaps = [g for g in self._gaps if g[1] > c0]
        self._gaps.append((int(start_channel_sample),
                           int(start_channel_sample + max(n_channel_samples, 1))))

    def process(self, channel, disc, audio, open_mask=None):
        """Feed one chunk's streams; returns the window records completed (and keeps them in
        :attr:`windows` with ``keep_windows``)."""
        channel = np.ascontiguousarray(channel, dtype=np.complex64)
        disc = np.ascontiguousarray(disc, dtype=np.float32)
        out = np.empty(((channel.size + self.block) // self.block + 1, 4))
        k = block_moments_kernel(channel, self.block, self._bm_state, out)
        if k:
            self._blk = np.concatenate([self._blk, out[:k]])
            self._env_add((out[:k, 0] / self.block).astype(np.float32))
            self._blocks_n += k
        nw = (disc.size + self.win_c) // self.win_c + 1
        sums = np.empty((nw, 3))
        hist = np.empty((nw, DEV_BINS), dtype=np.int64)
        k = window_hist_kernel(self._dev_lp.process(disc), self.win_c, -DEV_RANGE,
                               2 * DEV_RANGE / DEV_BINS, DEV_PERCENTILE, self._wh_state,
                               self._wh_hist, sums, hist)
        for i in range(k):
            self._disc.append((sums[i].copy(), hist[i].astype(self._hist_dtype)))
        if self._oob is not None:
            e = np.empty(nw)
            k = frame_energy_kernel(self._oob.process(disc), self.win_c, self._oob_state, e)
            self._oob_w.extend(e[:k].tolist())
        if open_mask is not None:
            self._frames = np.concatenate([self._frames, np.asarray(open_mask, np.uint8)])
        self._audio = np.concatenate([self._audio, np.asarray(audio, dtype=np.float32)])
        n_a = self._audio.size // self.win_a
        for i in range(n_a):
            self._audio_w.append(self._analyse_audio(self._audio[i * self.win_a:
                                                                 (i + 1) * self.win_a]))
        self._audio = self._audio[n_a * self.win_a:]
        return self._emit()

    def run(self, x, chunk=1 << 16):
        """Convenience: receive ``x`` through the receiver in chunks; every window record."""
        for i in range(0, len(x), chunk):
            self.rx_process(x[i:i + chunk])
        return self.windows

    def rx_process(self, x):
        """Run one chunk through the receiver and measure it; returns the gated audio."""
        self.process_raw(x)
        audio, channel, disc, ungated, open_mask = self.rx.process_streams(x)
        self.process(channel, disc, ungated, open_mask)
        self.last_channel = channel
        return audio

    def process_raw(self, x):
        """Clipping and DC offset from the raw integer I/Q codes the receiver is fed (call with
        every chunk, before :meth:`process`); complex or float input is ignored (no ADC rails:
        the window's ``clipping_fraction`` and ``dc_offset_dbfs`` stay None)."""
        if self._raw_reader is None:
            self._raw_reader = RawLevels(self.win_in)
        new = self._raw_reader.process(x)
        if self._raw_reader.active:
            self.add_raw(new)
        return new

    def add_raw(self, levels):
        """The input's raw levels, ``(clipping fraction, DC dBFS)`` per input window, read
        once for every channel of the input (:class:`RawLevels`: the codes are the input's, not
        a channel's); the first is this meter's first window's."""
        self._raw_on = True
        self._raw_w.extend(levels)

    # -------------------------------------------------------------------- per window
    def _analyse_audio(self, y):
        given = self.tone_hz not in (None, "auto")
        r = {"tone_hz": None, "sinad_db": None, "sinad_cmsg_db": None, "sinad_psoph_db": None,
             "thd_pct": None, "hum_noise_db": None, "audio_power_db": None,
             "tone_missing": True if given else None}
        p_all = float(np.mean(np.square(y, dtype=np.float64)))
        r["audio_power_db"] = db(p_all)
        if self.tone_hz is None or not p_all > 0:
            return r
        if self.tone_hz == "auto":
            fit = None
            if self._prev_tone is not None:
                fit = self._fit(y, self._prev_tone)
            if fit is None:
                spec = np.abs(np.fft.rfft((y - y.mean()) * self._hann))
                band = (self._freqs >= TONE_SEARCH_HZ[0]) & (self._freqs <= TONE_SEARCH_HZ[1])
                idx = np.nonzero(band)[0]
                if idx.size:
                    j = int(idx[np.argmax(spec[idx])])
                    f0 = self._freqs[j]
                    if 0 < j < spec.size - 1:      # parabolic peak interpolation (log)
                        a, b, c = np.log(spec[j - 1:j + 2] + 1e-30)
                        den = a - 2 * b + c
                        if den < 0:
                            f0 += 0.5 * (a - c) / den * (self._freqs[1] - self._freqs[0])
                    fit = self._fit(y, f0)
            if fit is not None and self._prev_tone is not None \
                    and abs(fit[0] - self._prev_tone) <= TONE_STEADY_HZ:
                self._streak += 1
            else:
                self._streak = 1 if fit is not None else 0
            self._prev_tone = None if fit is None else fit[0]
            if self._streak < TONE_STEADY_WINDOWS:     # a vowel is not a test tone
                fit = None
        else:
            fit = self._fit(y, self.tone_hz, require=False)
            # the given tone may not be there (a voice recording): a fit of noise or speech
            # holds a few % of the power at any frequency the refinement lands on
            if fit is not None and (fit[1] * fit[1] / 2 < TONE_PRESENT_FRACTION * fit[2]
                                    or abs(fit[0] - self.tone_hz) > TONE_GIVEN_HZ):
                fit = None
            r["tone_missing"] = fit is None
        if fit is None:
            return r
        f, amp, p_tot, p_res, p_harm = fit
        p_tone = amp * amp / 2
        r["tone_hz"] = finite(f, 3)
        r["sinad_db"] = finite(db(p_tot / p_res) if p_res > 0 else None, 3)
        if p_res > 0 and p_tone > 0:
            spec = np.abs(np.fft.rfft(self._work[:self.win_a])) ** 2
            s = spec.sum()
            if s > 0:
                for key, wt in (("sinad_cmsg_db", self._w_cmsg), ("sinad_psoph_db",
                                                                   self._w_psoph)):
                    res_w = p_res * float(np.dot(spec, wt)) / s
                    tone_w = p_tone * float(np.interp(f, self._freqs, wt))
                    r[key] = finite(db((tone_w + res_w) / res_w) if res_w > 0 else None, 3)
            r["thd_pct"] = finite(100 * math.sqrt(max(p_harm, 0.0) / p_tone), 4)
            r["hum_noise_db"] = finite(db(max(p_res - p_harm, 0.0) / p_tone), 3)
        return r

    def _fit(self, y, f0, require=True):
        f, amp, _dc, p_tot, p_res, p_harm, _ph = tone_fit_kernel(y, self.fs_a, float(f0), 1,
                                                                 N_HARMONICS, self._work)
        if not (p_tot > 0 and math.isfinite(f)):
            return None
        if require and (amp * amp / 2 < TONE_MIN_FRACTION * p_tot
                        or not TONE_SEARCH_HZ[0] <= f <= TONE_SEARCH_HZ[1]):
            return None
        return f, amp, p_tot, p_res, p_harm

    def _emit(self):
        e0 = self._emitted
        n = min(e0 + len(self._disc), self._blocks_n // self.blocks_per_window,
                e0 + len(self._audio_w))
        if self._oob is not None:
            n = min(n, e0 + len(self._oob_w))
        if self._frame is not None:
            n = min(n, ((self._frames_base + self._frames.size) * self._frame) // self.win_c)
        if self._raw_on:
            n = min(n, e0 + len(self._raw_w))
        if n <= self._emitted:
            return []
        bpw = self.blocks_per_window
        out = []
        for w in range(self._emitted, n):
            a = w * bpw - self._blk_base
            out.append(self._window(w, self._blk[a:a + bpw]))
        used = n * bpw - self._blk_base          # rows no later window needs
        self._blk = self._blk[used:]
        self._blk_base += used
        if self._frame is not None:              # and frames
            drop = max(0, (n * self.win_c) // self._frame - 1 - self._frames_base)
            self._frames = self._frames[drop:]
            self._frames_base += drop
        self._emitted = n
        self.windows_emitted = n
        if self.keep_windows:
            self.windows.extend(out)
        return out

    def _keyed(self, w):
        if self._frame is None:
            return None
        a = (w * self.win_c) // self._frame
        b = max(a + 1, ((w + 1) * self.win_c) // self._frame)
        a -= self._frames_base
        b -= self._frames_base
        return float(np.mean(self._frames[a:b])) if b <= self._frames.size else None

    def _window(self, w, blk):
        c0, c1 = w * self.win_c, (w + 1) * self.win_c
        gap = any(a < c1 and b > c0 for a, b in self._gaps)
        # the input starts at 0: the first window's channel samples before that are the
        # filter filling, not earlier input
        rec = WindowRecord(index=self.first_window + w,
                           start_s=finite(max(0.0, self._t_input(c0)), 6),
                           end_s=finite(max(0.0, self._t_input(c1)), 6), keyed=self._keyed(w),
                           gap=gap, bounds={})
        # this window's numbers from every stream (each queue's first entry is window w)
        if self._raw_on:
            clip, dc = self._raw_w.popleft()
            rec["clipping_fraction"] = finite(clip, 7)
            rec["dc_offset_dbfs"] = finite(dc, 3)
        sums, hist = self._disc.popleft()
        au = self._audio_w.popleft()
        oob_w = self._oob_w.popleft() if self._oob is not None else None
        if gap:
            nulls = dict.fromkeys(("rssi_dbfs", "rssi_dbm", "noise_floor_dbfs",
                                   "noise_floor_dbfs_hz", "cnr_db", "freq_error_hz",
                                   "freq_error_ppm", "deviation_peak_hz", "deviation_rms_hz",
                                   "snr_db", "snr_oob_db", "snr_m2m4_db", "oob_noise_db"))
            rec.update(nulls, cnr_method=None, noise_method=None,
                       **dict.fromkeys(au, None))
            rec.aux = (sums, hist, 0j)
            return rec
        m2 = blk[:, 0].sum() / self.win_c
        m4 = blk[:, 1].sum() / self.win_c
        c_m, n_m = m2m4(m2, m4)
        noise_only = c_m < NOISE_ONLY_CARRIER_FRACTION * m2 and not (rec["keyed"] or 0) > 0
        # (needed for the floor's memory, or to stand in before there is one)
        blocks = self._block_noise(blk) if noise_only or not self._floor else None
        if noise_only and blocks is not None:
            self._floor.append(blocks[0])
            del self._floor[:-FLOOR_MEMORY]
            # the noise's own lag product, measured: a tilted noise spectrum (front-end
            # filters) makes it complex, which theory from the channel filter alone cannot know
            self._noise_lag.append(blocks[1])
            del self._noise_lag[:-FLOOR_MEMORY]
            # (their medians change only here: a keyed window reuses them; three medians a
            # window cost 0.2 ms, 2 ms per s of a channel)
            lag = np.array(self._noise_lag)
            self._floor_med = (float(np.median(self._floor)),
                               complex(np.median(lag.real), np.median(lag.imag)))
        if self._floor:
            floor, noise_method = self._floor_med[0], "closed_squelch"
        elif blocks is not None and blocks[0] < n_m:
            # both can only read high (a carrier's blocks, an envelope that varies)
            floor, noise_method = blocks[0], "blocks"
        else:
            floor, noise_method = n_m, "m2m4"
        if self._floor and not noise_only:
            cnr, cnr_method = (m2 - floor) / (floor * self.bw_factor), "floor"
        else:
            cnr = c_m / (n_m * self.bw_factor) if n_m > 0 else math.inf
            cnr_method = "m2m4"
        mean = sums[0] / self.win_c
        var = max(sums[1] / self.win_c - mean * mean, 0.0)
        noise = floor if self._floor else n_m
        rho1 = self._floor_med[1] if self._noise_lag else self.noise_lag1
        lag = complex(blk[:, 2].sum(), blk[:, 3].sum()) - self.win_c * noise * rho1
        ferr = peak = rms = oob = snr = snr_o = snr_m = cnr_db = None
        bounds = {}
        if not noise_only:          # carrier numbers only where there is a carrier
            if abs(lag) > 0:
                ferr = math.atan2(lag.imag, lag.real) * self.fs_c / (2 * math.pi)
            peak = sums[2] * self.dev_hz
            if hist is not None and (hist[0] or hist[-1]):
                bounds["deviation_peak_hz"] = deviation_bound(hist, mean)
            rms = math.sqrt(var) * self.dev_hz
            oob = db(oob_w) if oob_w is not None else None
            snr_o, bounds["snr_oob_db"] = tone_free_sinad(oob)
            if n_m > 0 and c_m > 0:
                snr_m, bounds["snr_m2m4_db"] = cnr_sinad(db(c_m / (n_m * self.bw_factor)))
            snr, bounds["snr_db"] = combine_max([(snr_o, bounds["snr_oob_db"]),
                                                 (snr_m, bounds.get("snr_m2m4_db"))])
            cnr_db = db(cnr) if math.isfinite(cnr) else None
        rm = db(m2)
        rec.update({
            "rssi_dbfs": finite(rm, 3),
            "rssi_dbm": finite(rm + self.cal_db, 3) if (self.cal_db is not None
                                                         and rm is not None) else None,
            "noise_floor_dbfs": finite(db(floor * self.bw_factor), 3),
            "noise_floor_dbfs_hz": finite(db(floor / self.enbw_hz), 3),
            "noise_method": noise_method,
            "cnr_db": finite(cnr_db, 3), "cnr_method": cnr_method if cnr_db is not None else None,
            "freq_error_hz": finite(ferr, 2),
            "freq_error_ppm": (finite(ferr / self.channel_hz * 1e6, 4)
                               if self.channel_hz and ferr is not None else None),
            "deviation_peak_hz": finite(peak, 1),
            "deviation_rms_hz": finite(rms, 1),
            "oob_noise_db": finite(oob, 3),
            "snr_db": finite(snr, 3),
            "snr_oob_db": finite(snr_o, 3),
            "snr_m2m4_db": finite(snr_m, 3),
        })
        if not noise_only and self._floor:
            rec["second_carrier_db"], rec["doubled_spans"] = self._doubling(blk, floor, c0)
        rec["bounds"] = {k: b for k, b in bounds.items() if b is not None
                         and rec[k] is not None}
        rec.update(au)
        # a closed squelch: no transmission can use this window's histogram (2 KiB a window)
        rec.aux = (sums, None if rec["keyed"] == 0.0 else hist, lag)
        return rec

    def _doubling(self, blk, noise, c0):
        """A second carrier in the window (module docstring): its level below the strongest
        (dB; None: one carrier) and the spans ``(start_s, end_s)`` of the sub-windows that
        hold one."""
        per = DOUBLING_SUB_BLOCKS
        n = blk.shape[0] // per
        if n < 2:
            return None, ()
        m2 = blk[:n * per, 0].reshape(n, per).sum(axis=1) / (per * self.block)
        m4 = blk[:n * per, 1].reshape(n, per).sum(axis=1) / (per * self.block)
        s = m2 - noise
        ok = s > 0
        rho = np.zeros(n)
        rho[ok] = (s[ok] ** 2 - (2 * m2[ok] ** 2 - m4[ok])) / s[ok] ** 2
        hit = rho > DOUBLING_INDEX
        spans = []
        sub = per * self.block
        for j in np.flatnonzero(hit):
            a = self._t_input(c0 + j * sub)
            if spans and abs(spans[-1][1] - a) < 1e-9:
                spans[-1] = (spans[-1][0], self._t_input(c0 + (j + 1) * sub))
            else:
                spans.append((a, self._t_input(c0 + (j + 1) * sub)))
        if np.percentile(rho, DOUBLING_PERCENTILE) <= DOUBLING_INDEX:
            return None, tuple(spans)
        return finite(second_carrier_db(float(np.median(rho[hit]))), 2), tuple(spans)

    def _block_noise(self, blk):
        """The noise power per sample of a window from its 1 ms blocks (module docstring), and
        the normalised lag product of the blocks used: ``(power, lag)``, or None when too few
        blocks look like noise (or the window is silent)."""
        p = blk[:, 0]                            # block sums: powers times the block length
        ps = np.sort(p)
        if not ps.size or not ps[-1] > 0:
            return None
        cum = np.cumsum(ps)
        est = float(ps[int(FLOOR_START_QUANTILE * (ps.size - 1))]) / self._floor_start
        for _ in range(FLOOR_PASSES):
            cut = self._floor_clip * est
            k = int(np.searchsorted(ps, cut, "right"))      # blocks <= cut
            if not est > 0 or k < self._floor_min:
                return None
            est = float(cum[k - 1]) / k / self._floor_bias
        q = blk[p <= cut]                        # a fresh array: sums that no chunking moves
        s2, _, lr, li = (float(v) for v in q.sum(axis=0))
        if not (est > 0 and s2 > 0):
            return None
        return est / self.block, complex(lr, li) / s2

    def _t_input(self, channel_sample):
        """Input time of a channel sample (the channel filter's delay removed), s."""
        return channel_sample / self.fs_c - self.rx.input_delay_samples / self.rx.fs

    # -------------------------------------------------------------------- envelope
    def _env_add(self, p):
        self._env.append(p)
        self._env_n += p.size
        if self.envelope_keep_s is None:
            return
        keep = int(self.envelope_keep_s * self.fs_c / self.block)
        while len(self._env) > 1 and self._env_n - self._env[0].size >= keep:
            self._env_n -= self._env[0].size
            self._env_base += self._env.popleft().size

    def envelope(self, start_s=None, end_s=None):
        """The channel envelope r (sqrt of the 1 ms block power) between two input times, and
        its rate (Hz): of what is kept (the last ``envelope_keep_s``)."""
        rate = self.fs_c / self.block
        if not self._env:
            return np.zeros(0), rate
        p = self._env[0] if len(self._env) == 1 else np.concatenate(self._env)
        t0 = self.rx.input_delay_samples / self.rx.fs
        a = 0 if start_s is None else max(0, int(math.ceil((start_s + t0) * rate)))
        z = self._env_base + p.size if end_s is None else int((end_s + t0) * rate)
        a = max(a - self._env_base, 0)
        z = min(max(z - self._env_base, 0), p.size)
        return np.sqrt(np.maximum(p[a:z].astype(np.float64), 0.0)), rate


def fading_stats(r, rate_hz, rho_levels=RHO_LEVELS):
    """Fading statistics of an envelope ``r`` sampled at ``rate_hz``.

    Returns a dict: envelope percentiles of 20 log10(rho) (1, 10, 50, 90, 99), ``fade_depth_db``
    (median less the 1st percentile), ``k_factor_db`` (moment estimator, None when Rayleigh or
    worse), ``lcr_hz`` and ``afd_s`` per rho level, ``doppler_hz`` (LCR at rho = 1 through the
    Rayleigh formula; None when K > 10 dB, where the envelope barely fades). Needs at least
    0.5 s; otherwise every value is None.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> s = fading_stats(np.ones(2000) + 0.01 * rng.standard_normal(2000), 1000.0)
    >>> s["k_factor_db"] > 30, s["fade_depth_db"] < 0.5
    (True, True)
    """
    r = np.abs(np.asarray(r, dtype=np.float64))
    keys = ("rho_p1_db", "rho_p10_db", "rho_p50_db", "rho_p90_db", "rho_p99_db")
    out = dict.fromkeys(keys)
    out.update(fade_depth_db=None, k_factor_db=None, doppler_hz=None,
               lcr_hz={str(x): None for x in rho_levels}, afd_s={str(x): None for x in rho_levels})
    dur = r.size / rate_hz
    if dur < 0.5:
        return out
    p2 = float(np.mean(r * r))
    if not p2 > 0:
        return out
    rho = r / math.sqrt(p2)
    with np.errstate(divide="ignore"):
        rdb = 20 * np.log10(np.maximum(rho, 1e-6))
    pct = np.percentile(rdb, [1, 10, 50, 90, 99])
    for k, v in zip(keys, pct, strict=True):
        out[k] = finite(v, 3)
    out["fade_depth_db"] = finite(pct[2] - pct[0], 3)
    p4 = float(np.mean(rho**4))
    a = 2.0 - p4
    if a > 0:
        s = math.sqrt(a)
        out["k_factor_db"] = finite(db(s / (1 - s)) if s < 1 else None, 3)
    for lvl in rho_levels:
        below = rho < lvl
        ups = int(np.count_nonzero(below[:-1] & ~below[1:]))
        out["lcr_hz"][str(lvl)] = finite(ups / dur, 4)
        out["afd_s"][str(lvl)] = finite((np.count_nonzero(below) / rate_hz) / ups, 5) \
            if ups else None
    lcr1 = out["lcr_hz"].get("1.0")
    k = out["k_factor_db"]
    if lcr1 and (k is None or k < DOPPLER_MAX_K_DB):      # a steady carrier has no Doppler
        out["doppler_hz"] = finite(lcr1 * math.e / math.sqrt(2 * math.pi), 3)
    return out


def windows_within(meter, start_s, end_s):
    """The meter's windows lying wholly within ``[start_s, end_s]`` (input times), found by
    bisection (windows are in time order), not by a scan: a long live run has tens of
    thousands of windows and hundreds of transmissions."""
    n = len(meter.windows)
    if getattr(meter, "_span_n", -1) != n:
        meter._starts = np.array([w["start_s"] for w in meter.windows], dtype=float)
        meter._ends = np.array([w["end_s"] for w in meter.windows], dtype=float)
        meter._span_n = n
    i = int(np.searchsorted(meter._starts, start_s - 1e-9, "left"))
    j = int(np.searchsorted(meter._ends, end_s + 1e-9, "right"))
    return meter.windows[i:max(i, j)]


def transmission_summary(meter, start_s, end_s):
    """Measurements of one transmission (input times), from the windows inside it and its
    envelope: means of level, CNR and frequency error; the deviation percentile over all its
    samples; SINAD / SNR percentiles (10, 50, 90); fading. (The windows must still hold their
    ``aux``: a meter's :attr:`Meter.windows` do.)"""
    acc = TransmissionStats(meter)
    for w in windows_within(meter, start_s, end_s):
        if not w["gap"]:
            acc.add(w)
    return acc.result(start_s, end_s)


class TransmissionStats:
    """:func:`transmission_summary` built window by window (:meth:`add`, in time order), so a
    streaming score need not keep a transmission's windows: its memory is the deviation
    histogram, a few sums and the histograms of the windows' SINAD, SNR and tone
    (:class:`BoundedHistogram`, for the percentiles), whatever the transmission's length."""

    def __init__(self, meter):
        self.meter = meter
        self.n_windows = 0
        self.hist = None
        self.s1 = self.s2 = self.n = 0.0
        self.lag = 0j
        self.rssi_lin = [0.0, 0]          # sum of linear powers, count
        self.cnr_lin = [0.0, 0]
        self.floor = None
        self.series = {"sinad_db": BoundedHistogram(), "snr_db": BoundedHistogram()}
        self.tones = BoundedHistogram()

    def add(self, w):
        """One window wholly inside the transmission and free of lost samples."""
        meter = self.meter
        self.n_windows += 1
        sums, h, lag = w.aux
        if h is not None:
            if self.hist is None:
                self.hist = h.astype(np.int64)
            else:
                self.hist += h
        self.s1 += sums[0]
        self.s2 += sums[1]
        self.n += meter.win_c
        self.lag += lag
        for acc, v in ((self.rssi_lin, w["rssi_dbfs"]), (self.cnr_lin, w["cnr_db"])):
            if v is not None:
                acc[0] += 10 ** (v / 10)
                acc[1] += 1
        if w["noise_floor_dbfs"] is not None:
            self.floor = w["noise_floor_dbfs"]
        for key in ("sinad_db", "snr_db"):
            self.series[key].append(w[key], w["bounds"].get(key))
        if w["tone_hz"] is not None:
            self.tones.append(w["tone_hz"])

    def result(self, start_s, end_s):
        """The summary (a dict of :class:`htdsp.records.TransmissionRecord` fields)."""
        meter = self.meter
        out = {"windows": self.n_windows}
        bounds = {}
        s, k = self.rssi_lin
        out["rssi_dbfs"] = finite(db(s / k) if k else None, 3)
        out["rssi_dbm"] = (finite(out["rssi_dbfs"] + meter.cal_db, 3)
                           if out["rssi_dbfs"] is not None and meter.cal_db is not None
                           else None)
        s, k = self.cnr_lin
        out["cnr_db"] = finite(db(s / k) if k else None, 3)
        out["noise_floor_dbfs"] = finite(self.floor, 3)
        n, hist, lag = self.n, self.hist, self.lag
        if n:
            mean = self.s1 / n
            ferr = (math.atan2(lag.imag, lag.real) * meter.fs_c / (2 * math.pi) if abs(lag)
                    else None)
            out["freq_error_hz"] = finite(ferr, 2)
            out["freq_error_ppm"] = (finite(ferr / meter.channel_hz * 1e6, 4)
                                     if meter.channel_hz and ferr is not None else None)
            pk = deviation_percentile(hist, mean) if hist is not None else None
            out["deviation_peak_hz"] = finite(None if pk is None else pk * meter.dev_hz, 1)
            if out["deviation_peak_hz"] is not None and deviation_bound(hist, mean):
                bounds["deviation_peak_hz"] = "lower"
            out["deviation_rms_hz"] = finite(
                math.sqrt(max(self.s2 / n - mean * mean, 0)) * meter.dev_hz, 1)
        else:
            out.update(freq_error_hz=None, freq_error_ppm=None, deviation_peak_hz=None,
                       deviation_rms_hz=None)
        for key in ("sinad_db", "snr_db"):
            for q in (10, 50, 90):
                out[f"{key}_p{q}"], b = self.series[key].percentile(q)
                if b is not None:
                    bounds[f"{key}_p{q}"] = b
        out["bounds"] = bounds
        out["tone_hz"] = self.tones.percentile(50)[0]
        out.update(ctcss_summary(meter, start_s, end_s))
        r, rate = meter.envelope(start_s, end_s)
        out["fading"] = fading_stats(r, rate)
        return out


def ctcss_summary(meter, start_s, end_s):
    """The CTCSS tone of a transmission, its level (Hz of deviation) and frequency error (Hz),
    from the decoder's hop readings (None without a ``ctcss`` squelch term or a tone)."""
    out = {"ctcss_hz": None, "ctcss_level_hz": None, "ctcss_freq_error_hz": None}
    sq = getattr(meter.rx, "squelch", None)
    det = sq.decoder("ctcss") if sq is not None else None
    if det is None:
        return out
    t0 = meter.rx.input_delay_samples / meter.rx.fs
    rd = [(tone, f, a) for k, tone, f, a in det.readings
          if start_s <= (k + 1) * det.hop_samples / meter.fs_c - t0 <= end_s]
    if not rd:
        return out
    tones, counts = np.unique([t for t, _, _ in rd], return_counts=True)
    tone = float(tones[np.argmax(counts)])
    mine = [(f, a) for t, f, a in rd if t == tone]
    out["ctcss_hz"] = tone
    out["ctcss_freq_error_hz"] = finite(float(np.median([f - tone for f, _ in mine])), 3)
    # the decoder's low-pass is already sloping at the top tones (-1.6 dB at 254.1 Hz)
    level = float(np.median([a for _, a in mine])) / det.gain_at(tone)
    out["ctcss_level_hz"] = finite(level * meter.dev_hz, 1)
    return out
