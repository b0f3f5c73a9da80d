"""Measurement kernels: block moments of the channel, per-window discriminator statistics and
histograms, and the test-tone fit.

State layouts (one record each):

``BLOCK_MOMENTS_STATE``: ``s2``, ``s4``, ``lag_re``, ``lag_im`` (partial sums of ``|x|^2``,
``|x|^4`` and ``x[n] conj(x[n-1])``), ``prev_re``, ``prev_im`` (the last sample: the first
lag product of the stream is taken against 0), ``count`` (samples in the partial block).

``WINDOW_HIST_STATE``: ``s1``, ``s2`` (partial sums of ``x`` and ``x^2``), ``count``; the
partial histogram row is a separate int64 array (``hist``) carried with it.

Sums run sample by sample in float64 without fast-math, so any chunking gives the same blocks
and windows bit for bit.
"""

import math

import numpy as np
from numba import njit

from ._config import JIT, JIT_RECURSIVE

BLOCK_MOMENTS_STATE = np.dtype([("s2", np.float64), ("s4", np.float64), ("lag_re", np.float64),
                                ("lag_im", np.float64), ("prev_re", np.float64),
                                ("prev_im", np.float64), ("count", np.int64)])
WINDOW_HIST_STATE = np.dtype([("s1", np.float64), ("s2", np.float64), ("count", np.int64)])


def block_moments_state():
    """A fresh BLOCK_MOMENTS_STATE record array."""
    return np.zeros(1, dtype=BLOCK_MOMENTS_STATE)


def window_hist_state(nbins):
    """A fresh ``(WINDOW_HIST_STATE[1], int64[nbins])`` pair."""
    return np.zeros(1, dtype=WINDOW_HIST_STATE), np.zeros(nbins, dtype=np.int64)


@njit(**JIT_RECURSIVE)
def block_moments_kernel(x, block, state, out):
    """Per block of ``block`` samples: the sums of ``|x|^2`` and ``|x|^4`` and of the lag-one
    product ``x[n] conj(x[n-1])``.

    The channel's power (RSSI), the M2M4 carrier and noise estimates and the fading envelope
    (one point per block) come from the first two; the angle of the third is the mean
    frequency (the carrier's error), an estimator that FM clicks barely move, unlike the
    discriminator's mean.

    Parameters
    ----------
    x : complex64[n]
    block : int
    state : BLOCK_MOMENTS_STATE[1]
        The partial block and the previous sample, carried between calls; mutated in place.
    out : float64[>= (count + n) // block, 4]
        Per completed block: ``(sum |x|^2, sum |x|^4, sum re(x conj x1), sum im(x conj x1))``.

    Returns
    -------
    int
        Blocks completed by this call.
    """
    s2 = state[0]["s2"]
    s4 = state[0]["s4"]
    lr = state[0]["lag_re"]
    li = state[0]["lag_im"]
    pr = state[0]["prev_re"]
    pi_ = state[0]["prev_im"]
    cnt = state[0]["count"]
    k = 0
    for i in range(x.shape[0]):
        re = np.float64(x[i].real)
        im = np.float64(x[i].imag)
        p = re * re + im * im
        s2 += p
        s4 += p * p
        lr += re * pr + im * pi_
        li += im * pr - re * pi_
        pr = re
        pi_ = im
        cnt += 1
        if cnt == block:
            out[k, 0] = s2
            out[k, 1] = s4
            out[k, 2] = lr
            out[k, 3] = li
            k += 1
            s2 = 0.0
            s4 = 0.0
            lr = 0.0
            li = 0.0
            cnt = 0
    state[0]["s2"] = s2
    state[0]["s4"] = s4
    state[0]["lag_re"] = lr
    state[0]["lag_im"] = li
    state[0]["prev_re"] = pr
    state[0]["prev_im"] = pi_
    state[0]["count"] = cnt
    return k


@njit(**JIT_RECURSIVE)
def window_hist_kernel(x, window, lo, bin_width, pct, state, hist, sums_out, hist_out):
    """Per window of ``window`` samples: the sum, the sum of squares, a histogram and a
    percentile of the distance from the window's mean.

    The discriminator's mean is the carrier's frequency error, its spread the deviation; the
    histogram gives the peak deviation as a percentile (of the window, or merged over a whole
    transmission) without keeping the samples.

    Parameters
    ----------
    x : float32[n]
    window : int
    lo, bin_width : float64
        Bin ``j`` holds ``lo + j * bin_width <= v < lo + (j + 1) * bin_width``; values outside
        go to the first or last bin (NaN to the last).
    pct : float64
        Percentile (e.g. 99.9) of ``|v - mean|``, read to the bin centres: the distance of the
        nearest bin at which the count of samples no farther from the mean reaches ``pct`` %
        (the bins are walked from both ends inward, so no sort).
    state : WINDOW_HIST_STATE[1]
    hist : int64[nbins]
        The partial window's histogram; both mutated in place.
    sums_out : float64[>= (count + n) // window, 3]
        Per completed window: ``(sum x, sum x^2, percentile of |x - mean|)``.
    hist_out : int64[>= (count + n) // window, nbins]

    Returns
    -------
    int
        Windows completed by this call.
    """
    nb = hist.shape[0]
    s1 = state[0]["s1"]
    s2 = state[0]["s2"]
    cnt = state[0]["count"]
    inv = 1.0 / bin_width
    k = 0
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        s1 += v
        s2 += v * v
        f = (v - lo) * inv
        if f < 0.0:
            j = 0
        elif f < nb:
            j = int(f)
        else:
            j = nb - 1
        hist[j] += 1
        cnt += 1
        if cnt == window:
            sums_out[k, 0] = s1
            sums_out[k, 1] = s2
            sums_out[k, 2] = _hist_percentile(hist, lo, bin_width, s1 / cnt, pct)
            for b in range(nb):
                hist_out[k, b] = hist[b]
                hist[b] = 0
            k += 1
            s1 = 0.0
            s2 = 0.0
            cnt = 0
    state[0]["s1"] = s1
    state[0]["s2"] = s2
    state[0]["count"] = cnt
    return k


@njit(**JIT_RECURSIVE)
def _hist_percentile(hist, lo, bin_width, mean, pct):
    """See :func:`window_hist_kernel` (``pct``)."""
    total = 0
    for b in range(hist.shape[0]):
        total += hist[b]
    need = pct / 100.0 * total                  # samples no farther than the answer
    a = 0
    z = hist.shape[0] - 1
    outside = 0
    ans = 0.0
    while a <= z:
        da = abs(lo + (a + 0.5) * bin_width - mean)
        dz = abs(lo + (z + 0.5) * bin_width - mean)
        if da > dz:
            j = a
            d = da
            a += 1
        else:
            j = z
            d = dz
            z -= 1
        if total - outside < need:
            break
        ans = d
        outside += hist[j]
    return ans


@njit(**JIT)
def _phasors(w, n, c, s):
    """``c[i], s[i] = cos(w i), sin(w i)`` for ``i < n``: a fine phasor (64 entries) times a
    coarse one (every 64 samples), both by rotation from four exact sines and cosines. The
    products are independent per sample, so they vectorise; the rotations' rounding grows to
    ~1e-14 over a window, far below any residual measured."""
    cs1 = math.cos(w)
    sn1 = math.sin(w)
    c[0] = 1.0
    s[0] = 0.0
    for k in range(1, min(64, n)):
        c[k] = c[k - 1] * cs1 - s[k - 1] * sn1
        s[k] = s[k - 1] * cs1 + c[k - 1] * sn1
    cs64 = math.cos(64 * w)
    sn64 = math.sin(64 * w)
    cb = 1.0
    sb = 0.0
    for b in range(64, n, 64):
        cb, sb = cb * cs64 - sb * sn64, sb * cs64 + cb * sn64
        for k in range(min(64, n - b)):
            c[b + k] = cb * c[k] - sb * s[k]
            s[b + k] = sb * c[k] + cb * s[k]


@njit(**JIT)
def tone_fit_kernel(y, fs, f0_hz, refine, n_harmonics, work):
    """Fit a test tone to one audio window: refine its frequency, least-squares fit DC + tone,
    leave the residual in ``work`` and measure the harmonics in it.

    The frequency is refined ``refine`` times by the phase advance between the window's halves
    (``f0_hz`` may be off by up to ``fs / n``: one step then lands within noise of the truth,
    as the advance of a pure tone is exact), then the amplitude, phase and DC are the exact
    least-squares solution at that frequency (3 x 3 normal equations, so a window holding a
    fractional number of cycles is fitted exactly). The halves are correlated without removing
    the mean: the audio is high-passed, and the DC is solved for in the fit.

    Stateless (one window in, numbers out), so it uses the vectorising fast-math policy: the
    same window always gives the same bits, whatever the chunking of the stream around it.

    Parameters
    ----------
    y : float32[n] or float64[n]
    fs, f0_hz : float64
    refine : int
        Frequency refinement steps (0 keeps ``f0_hz``).
    n_harmonics : int
        Harmonics 2 .. n_harmonics + 1 are measured (their power, for THD).
    work : float64[>= 3 * n]
        Receives the residual ``y - fit`` in ``work[:n]`` (the rest is scratch).

    Returns
    -------
    (float, float, float, float, float, float, float)
        ``freq_hz, amplitude, dc, p_total, p_residual, p_harmonics, phase_rad``: powers are
        means over the window; ``p_total`` excludes the DC.
    """
    n = y.shape[0]
    if n < 8:
        return f0_hz, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    cw = work[n:2 * n]
    sw = work[2 * n:3 * n]
    f = f0_hz
    half = n // 2
    for _ in range(refine):
        _phasors(2 * math.pi * f / fs, n, cw, sw)
        r1 = i1 = r2 = i2 = 0.0
        for i in range(half):
            r1 += y[i] * cw[i]
            i1 -= y[i] * sw[i]
        for i in range(half, 2 * half):
            r2 += y[i] * cw[i]
            i2 -= y[i] * sw[i]
        dphi = math.atan2(i2 * r1 - r2 * i1, r2 * r1 + i2 * i1)
        f = f + dphi * fs / (2 * math.pi * half)
    w = 2 * math.pi * f / fs
    _phasors(w, n, cw, sw)
    # normal equations of y ~ d + a cos + b sin
    sc = sss = scc = sss2 = scs = sy = syc = sys = 0.0
    for i in range(n):
        v = np.float64(y[i])
        c = cw[i]
        s = sw[i]
        sc += c
        sss += s
        scc += c * c
        sss2 += s * s
        scs += c * s
        sy += v
        syc += v * c
        sys += v * s
    # solve [[n, sc, sss], [sc, scc, scs], [sss, scs, sss2]] [d a b] = [sy syc sys] (Cramer)
    m00, m01, m02 = float(n), sc, sss
    m11, m12, m22 = scc, scs, sss2
    det = (m00 * (m11 * m22 - m12 * m12) - m01 * (m01 * m22 - m12 * m02)
           + m02 * (m01 * m12 - m11 * m02))
    if not abs(det) > 0:
        return f, 0.0, sy / n, 0.0, 0.0, 0.0, 0.0
    d = (sy * (m11 * m22 - m12 * m12) - m01 * (syc * m22 - m12 * sys)
         + m02 * (syc * m12 - m11 * sys)) / det
    a = (m00 * (syc * m22 - m12 * sys) - sy * (m01 * m22 - m12 * m02)
         + m02 * (m01 * sys - syc * m02)) / det
    b = (m00 * (m11 * sys - syc * m12) - m01 * (m01 * sys - syc * m02)
         + sy * (m01 * m12 - m11 * m02)) / det
    mean = sy / n
    p_tot = 0.0
    p_res = 0.0
    for i in range(n):
        v = np.float64(y[i])
        r = v - d - a * cw[i] - b * sw[i]
        work[i] = r
        p_res += r * r
        p_tot += (v - mean) * (v - mean)
    # harmonics 2 .. n_harmonics + 1 (below Nyquist), each against its own phasor table
    p_harm = 0.0
    for h in range(2, n_harmonics + 2):
        if h * w >= math.pi:
            break
        _phasors(h * w, n, cw, sw)
        hre = 0.0
        him = 0.0
        for i in range(n):
            hre += work[i] * cw[i]
            him -= work[i] * sw[i]
        p_harm += 2.0 * (hre * hre + him * him) / (n * n)
    amp = math.sqrt(a * a + b * b)
    return f, amp, d, p_tot / n, p_res / n, p_harm, math.atan2(-b, a)


RAW_LEVELS_STATE = np.dtype([("sum_i", np.float64), ("sum_q", np.float64),
                             ("clipped", np.int64), ("count", np.int64)])


def raw_levels_state():
    """A fresh RAW_LEVELS_STATE record array."""
    return np.zeros(1, dtype=RAW_LEVELS_STATE)


@njit(**JIT)
def _raw_sums(x, code_lo, code_hi):
    """Integer sums of the I and Q codes and the rail count of a slice (a plain loop over the
    whole slice: the form LLVM vectorises)."""
    a_sum = 0
    b_sum = 0
    c = 0
    for j in range(x.shape[0] // 2):
        a = np.int32(x[2 * j])
        b = np.int32(x[2 * j + 1])
        a_sum += a
        b_sum += b
        c += np.int32(a <= code_lo) + np.int32(a >= code_hi) + np.int32(b <= code_lo) \
            + np.int32(b >= code_hi)
    return a_sum, b_sum, c


@njit(**JIT)
def raw_levels_kernel(x, code_lo, code_hi, window, state, out):
    """Per window of ``window`` samples of raw integer I/Q: the sums of the I and of the Q codes
    (the DC offset) and the count of elements at an ADC rail (clipping).

    The codes are integers, summed as integers within a call (exact in any order, so the loop
    vectorises) and carried in float64 (exact up to 2**53 / 2**15 samples): any chunking gives
    the same bits. Integer element types only (a float recording has no ADC rails).

    Parameters
    ----------
    x : uint8, int8 or int16 [2 n]
        Interleaved I, Q codes; an even count.
    code_lo, code_hi : int
        The ADC's lowest and highest codes: an element ``<= code_lo`` or ``>= code_hi`` is
        clipped.
    window : int
    state : RAW_LEVELS_STATE[1]
    out : float64[>= (count + n) // window, 3]
        Per completed window: ``(sum I, sum Q, clipped elements)``.

    Returns
    -------
    int
        Windows completed by this call.
    """
    n = x.shape[0] // 2
    si = state[0]["sum_i"]
    sq = state[0]["sum_q"]
    clip = state[0]["clipped"]
    cnt = state[0]["count"]
    k = 0
    i = 0
    while i < n:
        take = min(n - i, window - cnt)
        a_sum, b_sum, c = _raw_sums(x[2 * i:2 * (i + take)], code_lo, code_hi)
        si += a_sum
        sq += b_sum
        clip += c
        cnt += take
        i += take
        if cnt == window:
            out[k, 0] = si
            out[k, 1] = sq
            out[k, 2] = clip
            k += 1
            si = 0.0
            sq = 0.0
            clip = 0
            cnt = 0
    state[0]["sum_i"] = si
    state[0]["sum_q"] = sq
    state[0]["clipped"] = clip
    state[0]["count"] = cnt
    return k
