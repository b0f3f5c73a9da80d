"""Per-hop analyses of the sub-audible decoders (CTCSS, DCS): stateless, one window each.

The decoders (``htdsp.ctcss``, ``htdsp.dcs``) keep their buffers and decisions in Python and
call these once per hop on the newest window; compiled, a hop costs a few microseconds instead
of a hundred of NumPy calls on tiny arrays. Both are stateless (one window in, one decision
out), so chunking cannot change their input; the CTCSS analysis uses the vectorising fast-math
policy (its 51 correlations are most of a hop's cost), which still gives the same bits for the
same window; the DCS slicer sums in order without it.
"""

import math

from numba import njit

from ._config import JIT, JIT_RECURSIVE


@njit(**JIT)
def ctcss_analyse_kernel(y, cos_m, sin_m, tones, fs_c, tolerance_hz, min_fraction, min_amp,
                         hop, check_burst, burst_rad, work):
    """One CTCSS hop on the window ``y`` (its last sample is the hop's end).

    Parameters
    ----------
    y : float64[w]
    cos_m, sin_m : float64[n_tones, w]
        ``cos`` / ``-sin`` of ``2 pi f_k n / fs_c`` (the correlators of the table tones, one
        contiguous row per tone).
    tones : float64[n_tones]
    fs_c : float64
        Rate of ``y``, Hz.
    tolerance_hz, min_fraction : float64
        Acceptance of the refined frequency and of the tone's share of the window's power.
    min_amp : float64
        Smallest tone amplitude accepted, in the units of ``y`` (mains hum in a transmitter is
        a steady tone too, but tens of dB weaker than CTCSS).
    hop : int
        Samples per hop (for the reverse-burst phases).
    check_burst : bool
        Whether a tone is held (look for a reverse burst).
    burst_rad : float64
    work : float64[>= w]
        Scratch (the window, mean removed).

    Returns
    -------
    (int, bool, float, float)
        Index of the tone identified (-1: none), whether a reverse burst was seen, and the
        strongest tone's refined frequency (Hz) and amplitude (units of ``y``; from the
        correlation at the table frequency: 1.6 % low when the tone is 0.5 Hz off).
    """
    w = y.shape[0]
    mean = 0.0
    for i in range(w):
        mean += y[i]
    mean /= w
    power = 0.0
    for i in range(w):
        work[i] = y[i] - mean
        power += work[i] * work[i]
    power /= w
    if not power > 0:
        return -1, False, 0.0, 0.0
    # one dot product per tone over the window's contiguous row: with reassociation (this
    # kernel is stateless, so the same window always gives the same bits) each vectorises and
    # keeps its sums in registers
    best = -1.0
    k = 0
    for t in range(tones.shape[0]):
        re = 0.0
        im = 0.0
        for i in range(w):
            re += cos_m[t, i] * work[i]
            im += sin_m[t, i] * work[i]
        p = re * re + im * im
        if p > best:
            best = p
            k = t
    half = w // 2
    r1 = 0.0
    i1 = 0.0
    r2 = 0.0
    i2 = 0.0
    for i in range(half):
        r1 += cos_m[k, i] * work[i]
        i1 += sin_m[k, i] * work[i]
        r2 += cos_m[k, half + i] * work[half + i]
        i2 += sin_m[k, half + i] * work[half + i]
    # angle(a2 * conj(a1))
    dphi = math.atan2(i2 * r1 - r2 * i1, r2 * r1 + i2 * i1)
    f_est = tones[k] + dphi / (2 * math.pi * half / fs_c)
    frac = 2 * best / (w * w) / power
    j = 0
    for t in range(tones.shape[0]):
        if abs(tones[t] - f_est) < abs(tones[j] - f_est):
            j = t
    amp = 2 * math.sqrt(best) / w
    tone = j if (abs(tones[j] - f_est) <= tolerance_hz and frac >= min_fraction
                 and amp >= min_amp) else -1
    wstep = 2 * math.pi * f_est / fs_c
    cs = math.cos(wstep)
    ss = math.sin(wstep)
    if tone >= 0:
        # phase continuity over the four quarters at the refined frequency
        q = w // 4
        pr = 0.0
        pi_ = 0.0
        for s in range(4):
            sr = 0.0
            si = 0.0
            # the reference phasor by rotation from an exact start (error ~1e-14 over a
            # window), not a sine and a cosine per sample
            c = math.cos(wstep * s * q)
            sn = math.sin(wstep * s * q)
            for i in range(s * q, (s + 1) * q):
                sr += c * work[i]
                si -= sn * work[i]
                c, sn = c * cs - sn * ss, sn * cs + c * ss
            if s > 0 and abs(math.atan2(si * pr - sr * pi_, sr * pr + si * pi_)) > 1.0:
                tone = -1
                break
            pr = sr
            pi_ = si
    burst = False
    if check_burst and frac >= min_fraction / 4:
        rr = 0.0
        ri = 0.0
        c = math.cos(wstep * (w - 5 * hop))
        sn = math.sin(wstep * (w - 5 * hop))
        for i in range(w - 5 * hop, w - 3 * hop):
            rr += c * work[i]
            ri -= sn * work[i]
            c, sn = c * cs - sn * ss, sn * cs + c * ss
        nr = 0.0
        ni = 0.0
        c = math.cos(wstep * (w - hop))
        sn = math.sin(wstep * (w - hop))
        for i in range(w - hop, w):
            nr += c * work[i]
            ni -= sn * work[i]
            c, sn = c * cs - sn * ss, sn * cs + c * ss
        burst = abs(math.atan2(ni * rr - nr * ri, nr * rr + ni * ri)) > burst_rad
    return tone, burst, f_est, amp


@njit(**JIT_RECURSIVE)
def dcs_slice_kernel(y, spb, phases, tone_c, tone_s, turn_off_fraction, rotations, work):
    """One DCS hop: slice the last 46 bits of ``y`` at the widest-eye phase.

    Parameters
    ----------
    y : float64[>= 46 * spb]
    spb : float64
        Samples per bit.
    phases : int
        Bit phases tried.
    tone_c, tone_s : float64[k]
        ``cos`` / ``-sin`` of 134.4 Hz over the newest 8 bits (the turn-off tone).
    turn_off_fraction : float64
    rotations : int64[23] or empty
        The held code's 23 word rotations (for its bit-error distance).
    work : float64[>= 46 * spb]

    Returns
    -------
    (int, int, bool, int)
        The older and the newer 23-bit words (bit 0 sent first), whether the turn-off tone is
        there, and the newer word's smallest Hamming distance to ``rotations`` (99 if empty).
    """
    n46 = int(round(46 * spb))
    y0 = y.shape[0] - n46
    mean = 0.0
    for i in range(n46):
        mean += y[y0 + i]
    mean /= n46
    for i in range(n46):
        work[i] = y[y0 + i] - mean
    # the turn-off tone in the newest 8 bits
    k = tone_c.shape[0]
    m2 = 0.0
    for i in range(n46 - k, n46):
        m2 += work[i]
    m2 /= k
    p = 0.0
    re = 0.0
    im = 0.0
    for i in range(k):
        v = work[n46 - k + i] - m2
        p += v * v
        re += tone_c[i] * v
        im += tone_s[i] * v
    p /= k
    if p > 0 and 2 * (re * re + im * im) / (k * k) / p >= turn_off_fraction:
        return 0, 0, True, 99
    best = -1.0
    bestph = 0
    for ph in range(phases):
        eye = 0.0
        for b in range(46):
            pos = min(int((b + (ph + 0.5) / phases) * spb), n46 - 1)
            eye += abs(work[pos])
        if eye > best:
            best = eye
            bestph = ph
    w_old = 0
    w_new = 0
    for b in range(46):
        pos = min(int((b + (bestph + 0.5) / phases) * spb), n46 - 1)
        if work[pos] > 0:
            if b < 23:
                w_old |= 1 << b
            else:
                w_new |= 1 << (b - 23)
    dist = 99
    for r in range(rotations.shape[0]):
        x = w_new ^ rotations[r]
        c = 0
        while x:
            x &= x - 1
            c += 1
        if c < dist:
            dist = c
    return w_old, w_new, False, dist
