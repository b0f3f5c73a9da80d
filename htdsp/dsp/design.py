"""Filter design and stage planning for the receive chain.

The planner turns (input rate, channel bandwidth, audio rate) into a chain:

1. a frequency-translating decimating FIR (complex taps) that moves the channel to 0 Hz;
2. zero to two more decimating FIR stages (real taps) down to the *channel rate*;
3. a channel filter at the channel rate (real taps, passes 0.45 x bandwidth, stops at 0.6 x);
4. (after the discriminator) a rational polyphase resampler to the audio rate.

It picks the channel rate among ``fs / D`` (integer ``D``, at least ``max(40 kHz, 1.6 x
bandwidth)``) and the split of ``D`` into stages by an estimate of multiply-adds per input sample,
preferring a channel rate with a short resampling ratio (48 kS/s from 2.4 MS/s needs none).
"""

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
import scipy.signal

#: default stop-band attenuation of the decimation stages and the resampler, dB
DECIM_ATTEN_DB = 65.0
#: default stop-band attenuation of the channel filter, dB
CHANNEL_ATTEN_DB = 60.0
#: channel filter edges as fractions of the channel bandwidth (pass, stop)
CHANNEL_PASS_FRAC = 0.45
CHANNEL_STOP_FRAC = 0.60
#: lowest channel rate the planner will use, Hz (room above the voice band for noise squelch)
MIN_CHANNEL_FS = 40_000.0
#: largest interpolation factor of the audio resampler (bank size up x taps_per_branch)
MAX_UP = 1000
#: planner's penalty (multiply-adds per input sample) for needing a resampler at all
RESAMPLE_PENALTY = 3.0
#: relative rate error allowed when a rate ratio has to be approximated by a short fraction
MAX_RATE_ERROR = 20e-6


def kaiser_lowpass(fs, pass_hz, stop_hz, atten_db=DECIM_ATTEN_DB):
    """Linear-phase low-pass FIR by the Kaiser window method.

    Parameters
    ----------
    fs : float
        Sample rate, Hz.
    pass_hz, stop_hz : float
        Pass-band and stop-band edges, Hz (``0 < pass_hz < stop_hz <= fs/2``).
    atten_db : float
        Stop-band attenuation, dB.

    Returns
    -------
    float64 ndarray
        Taps with unity DC gain.

    Examples
    --------
    >>> h = kaiser_lowpass(48000, 5000, 8000, 60)
    >>> len(h), round(float(h.sum()), 6)
    (60, 1.0)
    """
    if not 0 < pass_hz < stop_hz:
        raise ValueError(f"need 0 < pass_hz < stop_hz, got {pass_hz}, {stop_hz}")
    stop_hz = min(stop_hz, fs / 2)
    numtaps, beta = scipy.signal.kaiserord(atten_db, (stop_hz - pass_hz) / (0.5 * fs))
    h = scipy.signal.firwin(numtaps, 0.5 * (pass_hz + stop_hz), window=("kaiser", beta), fs=fs)
    return h / h.sum()


def _kaiser_len(fs, pass_hz, stop_hz, atten_db):
    numtaps, _ = scipy.signal.kaiserord(atten_db, (min(stop_hz, fs / 2) - pass_hz) / (0.5 * fs))
    return numtaps


def _factorisations(d, max_stages):
    """Ordered factorisations of ``d`` into at most ``max_stages`` factors >= 2."""
    if d == 1:
        return [()]
    out = [(d,)]
    if max_stages > 1:
        for f in range(2, d):
            if d % f == 0:
                out += [(f, *rest) for rest in _factorisations(d // f, max_stages - 1)]
    return out


@dataclass(frozen=True)
class DecimStage:
    """One decimating FIR stage: ``decim`` and its prototype low-pass ``taps`` at ``fs_in``."""

    fs_in: float
    decim: int
    taps: np.ndarray

    @property
    def fs_out(self):
        return self.fs_in / self.decim


@dataclass(frozen=True)
class ChainPlan:
    """The planned receive chain (see module docstring). Rates in Hz."""

    fs: float
    bandwidth_hz: float
    stages: tuple
    channel_fs: float
    channel_taps: np.ndarray
    up: int
    down: int
    resample_taps: np.ndarray
    audio_fs: float
    #: the audio rate actually produced (differs from audio_fs only for approximated ratios)
    audio_fs_actual: float
    #: estimated multiply-adds per input sample (the planner's cost model)
    cost_per_sample: float

    @property
    def audio_rate_error_ppm(self):
        return (self.audio_fs_actual / self.audio_fs - 1.0) * 1e6

    def describe(self):
        """One line per stage, for logs and ``--verbose`` output."""
        lines = []
        for i, s in enumerate(self.stages):
            kind = "xlate" if i == 0 else "decim"
            lines.append(f"{kind} /{s.decim}: {s.fs_in:.0f} -> {s.fs_out:.0f} Hz, "
                         f"{len(s.taps)} taps")
        lines.append(f"channel filter at {self.channel_fs:.0f} Hz, {len(self.channel_taps)} taps")
        if (self.up, self.down) != (1, 1):
            lines.append(f"resample x{self.up}/{self.down}: {self.channel_fs:.0f} -> "
                         f"{self.audio_fs_actual:.3f} Hz, {len(self.resample_taps)} taps")
        return lines


def rate_ratio(fs_out, fs_in, max_up=MAX_UP, max_error=MAX_RATE_ERROR):
    """``(up, down)`` with ``fs_in * up / down`` equal to ``fs_out`` or within ``max_error``.

    Examples
    --------
    >>> rate_ratio(48000, 64000)
    (3, 4)
    >>> rate_ratio(48000, 48000)
    (1, 1)
    """
    exact = Fraction(fs_out).limit_denominator(10**9) / Fraction(fs_in).limit_denominator(10**9)
    if exact.numerator <= max_up and exact.denominator <= 1000 * max_up:
        return exact.numerator, exact.denominator
    best = None
    for up in range(1, max_up + 1):
        down = round(up / float(exact))
        if down < 1:
            continue
        err = abs(up / down / float(exact) - 1.0)
        if err <= max_error:
            best = (up, down) if best is None else best
            if err < 1e-9:
                break
    if best is None:
        raise ValueError(f"cannot resample {fs_in} Hz to {fs_out} Hz with up <= {max_up}")
    g = math.gcd(*best)
    return best[0] // g, best[1] // g


def resample_taps(up, down, fs_in, atten_db=DECIM_ATTEN_DB):
    """Prototype low-pass for a rational resampler, at ``fs_in * up``, scaled by ``up``."""
    fs_out = fs_in * up / down
    edge = 0.5 * min(fs_in, fs_out)
    h = kaiser_lowpass(fs_in * up, 0.8 * edge, edge, atten_db)
    return h * up


def _stage_cost(fs, factors, pass_hz, stop_protect, atten_db):
    """Multiply-adds per input sample of a decimation cascade (first stage complex taps)."""
    cost = 0.0
    rate = fs
    done = 1
    for i, d in enumerate(factors):
        out = rate / d
        n = _kaiser_len(rate, pass_hz, out - stop_protect, atten_db)
        macs = 4.0 if i == 0 else 2.0
        # per input sample of the whole chain: this stage sees fs/done samples per fs
        cost += (macs * n / d + 2.0) / done
        done *= d
        rate = out
    return cost


@lru_cache(maxsize=64)
def plan_chain(fs, bandwidth_hz, audio_fs, atten_db=DECIM_ATTEN_DB,
               channel_atten_db=CHANNEL_ATTEN_DB, max_stages=3):
    """Plan the decimation, channel filter and resampling for a channel.

    Parameters
    ----------
    fs : float
        Input sample rate, Hz.
    bandwidth_hz : float
        Channel bandwidth (spacing), Hz: 12500, 20000, 25000, ...
    audio_fs : float
        Audio output rate, Hz.

    Returns
    -------
    ChainPlan

    Raises
    ------
    ValueError
        If the input rate is too low for the channel, or the audio rate cannot be reached.

    Examples
    --------
    >>> p = plan_chain(2.4e6, 12500.0, 48000.0)
    >>> p.channel_fs, (p.up, p.down)
    (48000.0, (1, 1))
    >>> p = plan_chain(2.048e6, 12500.0, 48000.0)     # /48 to 42.67 kHz, then x9/8
    >>> round(p.channel_fs, 2), (p.up, p.down)
    (42666.67, (9, 8))
    """
    fs = float(fs)
    bandwidth_hz = float(bandwidth_hz)
    audio_fs = float(audio_fs)
    pass_hz = CHANNEL_PASS_FRAC * bandwidth_hz
    stop_hz = CHANNEL_STOP_FRAC * bandwidth_hz
    f_lo = max(MIN_CHANNEL_FS, 1.6 * bandwidth_hz)
    if fs < 2 * stop_hz:
        raise ValueError(f"sample rate {fs:.0f} Hz is too low for a {bandwidth_hz:.0f} Hz channel")
    best = None
    max_d = max(1, int(fs // f_lo))
    for d in range(1, max_d + 1):
        ch_fs = fs / d
        if d > 1 and ch_fs > 4 * f_lo:
            continue
        try:
            up, down = rate_ratio(audio_fs, ch_fs)
        except ValueError:
            continue
        for fac in _factorisations(d, max_stages):
            if d == 1:
                cost = 2.0
            else:
                cost = _stage_cost(fs, fac, pass_hz, stop_hz, atten_db)
            # channel filter, discriminator, de-emphasis at the channel rate
            n_ch = _kaiser_len(ch_fs, pass_hz, stop_hz, channel_atten_db)
            cost += (2.0 * n_ch + 30.0) / d
            if (up, down) != (1, 1):
                k = math.ceil(_kaiser_len(ch_fs * up, 0.4 * min(ch_fs, ch_fs * up / down),
                                          0.5 * min(ch_fs, ch_fs * up / down), atten_db) / up)
                cost += (k * (ch_fs * up / down) + 2.0 * ch_fs) / fs
                # a resampler is one more filter in the audio path (and a bank of up x k taps to
                # keep in cache), an approximated ratio a small rate error: prefer neither
                cost += RESAMPLE_PENALTY + up / 100.0
                if abs(ch_fs * up / down / audio_fs - 1.0) > 1e-12:
                    cost += RESAMPLE_PENALTY
            if best is None or cost < best[0] - 1e-9:
                best = (cost, d, fac, up, down)
    if best is None:
        raise ValueError(f"cannot reach an audio rate of {audio_fs:.0f} Hz from {fs:.0f} Hz")
    cost, d, fac, up, down = best
    stages = []
    rate = fs
    if d == 1:
        fac = (1,)
    for f in fac:
        out = rate / f
        taps = kaiser_lowpass(rate, pass_hz, out - stop_hz, atten_db) if f > 1 else np.ones(1)
        stages.append(DecimStage(rate, f, taps))
        rate = out
    ch_fs = fs / d
    channel_taps = kaiser_lowpass(ch_fs, pass_hz, stop_hz, channel_atten_db)
    rs_taps = resample_taps(up, down, ch_fs, atten_db) if (up, down) != (1, 1) else np.ones(1)
    return ChainPlan(fs=fs, bandwidth_hz=bandwidth_hz, stages=tuple(stages), channel_fs=ch_fs,
                     channel_taps=channel_taps, up=up, down=down, resample_taps=rs_taps,
                     audio_fs=audio_fs, audio_fs_actual=ch_fs * up / down,
                     cost_per_sample=cost)
