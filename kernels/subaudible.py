"""Per-hop analyses of the sub-audible decoders (CTCSS, DCS): stateless, one window each.

The decoders (``htdsp.rx.ctcss``, ``htdsp.rx.dcs``) keep their buffers and decisions in Python and
call these once per hop on the newest window; compiled, a hop costs a few microseconds instead
of a hundred of NumPy calls on tiny arrays. Both are stateless (one window in, one decision
out), so chunking cannot change their input; the CTCSS analysis uses the vectorising fast-math
policy (its 51 correlations are most of a hop's cost), which still gives the same bits for the
same window; the DCS slicer sums in order without it.
"""

import math

from numba import njit

from ._config import JIT, JIT_RECURSIVE

#: reverse burst: the flipped phase agrees with itself over the newest two hops within this, rad
BURST_PERSIST_RAD = 1.0
#: reverse burst: the tone's magnitude after the flip within this factor of the one before
BURST_AMP_RATIO = 2.0
#: reverse burst: the tone's smallest share of the power of the hops before and after the flip
BURST_MIN_FRACTION = 0.3


@njit(**JIT)
def _hop_phasor(work, a, hop, wstep):
    """``sum work[i] exp(-j wstep i)`` over ``[a, a + hop)`` and the power there (sum of
    squares): the reference phasor by rotation from an exact start (error ~1e-14 over a
    window), not a sine and a cosine per sample."""
    cs = math.cos(wstep)
    ss = math.sin(wstep)
    c = math.cos(wstep * a)
    sn = math.sin(wstep * a)
    sr = 0.0
    si = 0.0
    sp = 0.0
    for i in range(a, a + hop):
        sr += c * work[i]
        si -= sn * work[i]
        sp += work[i] * work[i]
        c, sn = c * cs - sn * ss, sn * cs + c * ss
    return sr, si, sp


@njit(**JIT)
def ctcss_analyse_kernel(y, cos_m, sin_m, tones, tolerance_hz, fs_c, min_fraction, min_amp,
                         min_coherence, hop, held_hz, burst_rad, work):
    """One CTCSS hop on the window ``y`` (its last sample is the hop's end).

    Parameters
    ----------
    y : float64[w]
    cos_m, sin_m : float64[n_tones, w]
        ``cos`` / ``-sin`` of ``2 pi f_k n / fs_c`` (the correlators of the table tones, one
        contiguous row per tone).
    tones : float64[n_tones]
    tolerance_hz : float64[n_tones]
        How far from each table tone its refined frequency may lie (tighter for a tone whose
        neighbour is close: 150.0 / 151.4 Hz).
    fs_c : float64
        Rate of ``y``, Hz.
    min_fraction : float64
        Smallest share of the window's power the tone must hold.
    min_amp : float64
        Smallest tone amplitude accepted, in the units of ``y`` (mains hum in a transmitter is
        a steady tone too, but tens of dB weaker than CTCSS).
    min_coherence : float64
        Smallest ``|sum q_i| / sum |q_i|`` of the tone's four quarter-window phasors at the
        refined frequency: one steady sinusoid gives 1; a phase flip inside the window (a
        reverse burst), a second tone or a click spreads them.
    hop : int
        Samples per hop (for the reverse-burst phases).
    held_hz : float64
        The tone held now (Hz; 0: none, no reverse-burst test).
    burst_rad : float64
        Smallest phase jump that reads as a reverse burst.
    work : float64[>= w]
        Scratch (the window, mean removed).

    Returns
    -------
    (int, bool, float, float)
        Index of the tone identified (-1: none), whether a reverse burst was seen, and the
        strongest tone's refined frequency (Hz) and amplitude (units of ``y``; from the
        correlation at the table frequency: 1.6 % low when the tone is 0.5 Hz off).

    Notes
    -----
    Identified: the strongest table correlator ``k``, refined by the phase advance between the
    window's halves to ``f``; accepted when the table tone nearest ``f`` is ``k`` itself, lies
    within its tolerance, holds ``min_fraction`` of the power, is at least ``min_amp`` and is
    coherent over the quarters. A reverse burst (at the held tone's frequency, hops numbered
    from the newest, 0): the phasor of hops 0-1 is turned by more than ``burst_rad`` from that
    of hops 4-5 (hop 2-3 may hold the flip), hops 0 and 1 agree within
    :data:`BURST_PERSIST_RAD` (the flipped phase lasts: a real burst is 80-150 ms), the two
    phasors' magnitudes are within :data:`BURST_AMP_RATIO` of each other and each holds
    :data:`BURST_MIN_FRACTION` of its hops' power (the tone is there on both sides: no fade,
    no carrier gone). Stateless: the same window always gives the same bits.
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
    tone = j if (j == k and abs(tones[j] - f_est) <= tolerance_hz[j] and frac >= min_fraction
                 and amp >= min_amp) else -1
    if tone >= 0:
        wstep = 2 * math.pi * f_est / fs_c
        cs = math.cos(wstep)
        ss = math.sin(wstep)
        # coherence over the four quarters at the refined frequency
        q = w // 4
        tr = 0.0
        ti = 0.0
        mag = 0.0
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
            tr += sr
            ti += si
            mag += math.sqrt(sr * sr + si * si)
        if math.sqrt(tr * tr + ti * ti) < min_coherence * mag:
            tone = -1
    burst = False
    if held_hz > 0 and w >= 6 * hop:
        wstep = 2 * math.pi * held_hz / fs_c
        # hops numbered from the newest (0); phase origin at the window's first sample
        r0, i0, p0 = _hop_phasor(work, w - hop, hop, wstep)
        r1, i1, p1 = _hop_phasor(work, w - 2 * hop, hop, wstep)
        r4, i4, p4 = _hop_phasor(work, w - 5 * hop, hop, wstep)
        r5, i5, p5 = _hop_phasor(work, w - 6 * hop, hop, wstep)
        nr = r0 + r1
        ni = i0 + i1
        rr = r4 + r5
        ri = i4 + i5
        n2 = nr * nr + ni * ni
        ref2 = rr * rr + ri * ri
        ratio2 = BURST_AMP_RATIO * BURST_AMP_RATIO
        burst = (abs(math.atan2(ni * rr - nr * ri, nr * rr + ni * ri)) > burst_rad
                 and abs(math.atan2(i0 * r1 - r0 * i1, r0 * r1 + i0 * i1)) < BURST_PERSIST_RAD
                 and n2 * ratio2 > ref2 and ref2 * ratio2 > n2
                 and n2 > BURST_MIN_FRACTION * hop * (p0 + p1)
                 and ref2 > BURST_MIN_FRACTION * hop * (p4 + p5))
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
