"""In-band tone signalling: the DTMF (ITU-T Q.23) and 5-tone selcall analyses, per hop.

Both decoders share one front end, a bank of tone correlators run on short *sub-blocks*:

- the audio is cut into sub-blocks of ``L`` samples (5 ms; a hop) on a grid counted from the
  first input sample, so chunking cannot move it. For each complete sub-block ``b`` and table
  tone ``k`` the bank keeps ``S[b, k] = sum_i x[bL + i] exp(-j w_k i)`` (phase referred to the
  sub-block's own start: two multiply-adds a sample and tone, one matrix-vector product over a
  whole sub-block, never a sine per sample), its energy ``sum x^2`` and its sum ``sum x``;
- a *window* is the newest ``M`` sub-blocks, combined coherently: ``Z_m = S[b0 + m] r_k^m``
  with ``r_k = exp(-j w_k L)`` (the phase a tone advances over a sub-block), so ``sum_m Z_m`` is
  the window's DFT at ``w_k`` (a Goertzel over ``N = M L`` samples) for ``M`` complex products
  a hop instead of ``N`` multiply-adds;
- the strongest tone is refined: a tone ``df`` Hz off its table frequency turns ``Z_m`` by
  ``2 pi df L / fs`` a sub-block, so ``phi = angle(sum_m Z_{m+1} conj(Z_m))`` measures ``df``
  (unambiguous within +-fs / 2L = 100 Hz) and ``sum_m Z_m exp(-j phi m)`` is its power with the
  offset taken out (a tone 2 % off 1633 Hz would otherwise lose 11 dB over 25 ms), divided by
  what the offset costs inside a sub-block (0.25 dB at 26 Hz).

A hop's decision is made on the window ending there. The kernels track *runs* (consecutive hops
with the same decision) and write one record per run of at least ``min_hops`` hops when it
ends; timing the digits and assembling bursts is the Python faces' (``htdsp.rx.dtmf``,
``htdsp.rx.selcall``): a few records a second.

Record times are *window ends*: the sample count (from the first input sample since the state
was made) at the end of the hop's sub-block, i.e. one past the window's last sample.

State layouts (one record each): ``buf`` (the partial sub-block), ``nbuf``, ``pos`` (samples
seen), ``nsub`` (sub-blocks completed), ``head`` (ring slot of the oldest kept sub-block),
``ring_re`` / ``ring_im`` (``[M, K]``: the newest ``M`` sub-blocks' sums), ``ring_e`` /
``ring_s`` (their energies and sums), DTMF's ``raw`` (``[M, L]``: those sub-blocks' samples,
for the guard spectrum), ``win``, ``acc_re`` / ``acc_im`` / ``pw`` (scratch of the hop's
analysis, kept in the record so that a hop allocates nothing), and the open run: ``run_key``
(DTMF key or -1) / ``run_f`` (selcall: the run's summed frequency estimate), ``run_first`` /
``run_last`` (window ends of its first and newest hops), ``run_hops``, the summed levels and
offsets and ``run_frac`` (the largest share of a window's energy so far).

Contract: float32 audio in; state mutated in place; no allocation; any chunking gives the same
records bit for bit (every sum runs over a whole sub-block or a whole window in a fixed order).
The per-hop arithmetic (stateless: the same sub-blocks always give the same bits) uses the
vectorising fast-math policy; the run bookkeeping uses exact IEEE arithmetic.
"""

import math

import numpy as np
from numba import njit

from ._config import JIT, JIT_RECURSIVE

#: largest sub-block (samples): 5 ms at up to 19.2 kHz
MAX_SUB = 96
#: most sub-blocks in a window
MAX_WINDOW = 8
#: most table tones in one bank (DTMF: 8; every selcall standard at once: 33)
MAX_TONES = 48

DTMF_STATE = np.dtype([
    ("buf", np.float64, (MAX_SUB,)), ("raw", np.float64, (MAX_WINDOW, MAX_SUB)),
    ("win", np.float64, (MAX_WINDOW * MAX_SUB,)),
    ("nbuf", np.int64), ("pos", np.int64),
    ("nsub", np.int64), ("head", np.int64),
    ("ring_re", np.float64, (MAX_WINDOW, 8)), ("ring_im", np.float64, (MAX_WINDOW, 8)),
    ("ring_e", np.float64, (MAX_WINDOW,)), ("ring_s", np.float64, (MAX_WINDOW,)),
    ("acc_re", np.float64, (8,)), ("acc_im", np.float64, (8,)), ("pw", np.float64, (8,)),
    ("run_key", np.int64), ("run_first", np.int64), ("run_last", np.int64),
    ("run_hops", np.int64), ("run_amp_lo", np.float64), ("run_amp_hi", np.float64),
    ("run_df_lo", np.float64), ("run_df_hi", np.float64), ("run_frac", np.float64),
])

SELCALL_STATE = np.dtype([
    ("buf", np.float64, (MAX_SUB,)), ("nbuf", np.int64), ("pos", np.int64),
    ("nsub", np.int64), ("head", np.int64),
    ("ring_re", np.float64, (MAX_WINDOW, MAX_TONES)),
    ("ring_im", np.float64, (MAX_WINDOW, MAX_TONES)),
    ("ring_e", np.float64, (MAX_WINDOW,)), ("ring_s", np.float64, (MAX_WINDOW,)),
    ("acc_re", np.float64, (MAX_TONES,)), ("acc_im", np.float64, (MAX_TONES,)),
    ("pw", np.float64, (MAX_TONES,)),
    ("run_f", np.float64), ("run_first", np.int64), ("run_last", np.int64),
    ("run_hops", np.int64), ("run_amp", np.float64), ("run_frac", np.float64),
])

#: a DTMF run record: key (index into ``"123A456B789C*0#D"``), window ends of its first and
#: last hops, hops, mean low / high tone amplitudes, mean relative frequency errors and the
#: largest share of a window's energy the tones held
DTMF_RUN = np.dtype([("key", np.int64), ("first", np.int64), ("last", np.int64),
                     ("hops", np.int64), ("amp_lo", np.float64), ("amp_hi", np.float64),
                     ("df_lo", np.float64), ("df_hi", np.float64), ("frac", np.float64)])
#: a selcall run record: mean frequency estimate (Hz), window ends of its first and last hops,
#: hops, mean amplitude, the largest share of a window's energy the tone held
SELCALL_RUN = np.dtype([("freq", np.float64), ("first", np.int64), ("last", np.int64),
                        ("hops", np.int64), ("amp", np.float64), ("frac", np.float64)])

#: layout of the DTMF kernel's ``limits`` array
DTMF_LIMITS = ("min_fraction", "tolerance", "twist_min", "twist_max", "other_ratio",
               "min_amp", "min_hops", "guard_ratio", "guard_exclude_hz")
#: layout of the selcall kernel's ``limits`` array
SELCALL_LIMITS = ("min_fraction", "min_amp", "run_tolerance", "min_hops")


def dtmf_state():
    """A fresh DTMF_STATE record array (no run open)."""
    st = np.zeros(1, dtype=DTMF_STATE)
    st[0]["run_key"] = -1
    return st


def selcall_state():
    """A fresh SELCALL_STATE record array (no run open)."""
    return np.zeros(1, dtype=SELCALL_STATE)


@njit(**JIT)
def _subblock(buf, n, bank, k_tones, slot, ring_re, ring_im, ring_e, ring_s):
    """The sub-block ``buf[:n]``'s correlations with every tone of ``bank`` (``[2, K, n]``:
    ``cos`` and ``-sin`` of ``w_k i``), its energy and sum, into ring slot ``slot``."""
    e = 0.0
    s = 0.0
    for i in range(n):
        e += buf[i] * buf[i]
        s += buf[i]
    ring_e[slot] = e
    ring_s[slot] = s
    for k in range(k_tones):
        re = 0.0
        im = 0.0
        for i in range(n):
            re += buf[i] * bank[0, k, i]
            im += buf[i] * bank[1, k, i]
        ring_re[slot, k] = re
        ring_im[slot, k] = im


@njit(**JIT)
def _window_powers(ring_re, ring_im, head, m_sub, rot, k_tones, acc_re, acc_im, pw):
    """``|sum_m Z_m|^2`` of every tone over the window (oldest sub-block in slot ``head``)
    into ``pw`` (``acc_*``: scratch), the loop over tones innermost so that it vectorises."""
    for k in range(k_tones):
        acc_re[k] = 0.0
        acc_im[k] = 0.0
    for m in range(m_sub):
        j = head + m
        if j >= m_sub:
            j -= m_sub
        for k in range(k_tones):
            sr = ring_re[j, k]
            si = ring_im[j, k]
            cr = rot[0, m, k]
            ci = rot[1, m, k]
            acc_re[k] += sr * cr - si * ci
            acc_im[k] += sr * ci + si * cr
    for k in range(k_tones):
        pw[k] = acc_re[k] * acc_re[k] + acc_im[k] * acc_im[k]


@njit(**JIT)
def _refine(ring_re, ring_im, head, m_sub, sub, rot, k):
    """Tone ``k``'s phase step per sub-block ``phi`` (rad) and its offset-corrected window
    power ``|sum_m Z_m exp(-j phi m)|^2``, divided by the power lost inside the sub-blocks."""
    cr_ = 0.0
    ci_ = 0.0
    pr = 0.0
    pi_ = 0.0
    for m in range(m_sub):
        j = head + m
        if j >= m_sub:
            j -= m_sub
        sr = ring_re[j, k]
        si = ring_im[j, k]
        zr = sr * rot[0, m, k] - si * rot[1, m, k]
        zi = sr * rot[1, m, k] + si * rot[0, m, k]
        if m > 0:
            # Z_m conj(Z_{m-1})
            cr_ += zr * pr + zi * pi_
            ci_ += zi * pr - zr * pi_
        pr = zr
        pi_ = zi
    phi = math.atan2(ci_, cr_)
    c1 = math.cos(phi)
    s1 = math.sin(phi)
    c = 1.0
    s = 0.0
    ar = 0.0
    ai = 0.0
    for m in range(m_sub):
        j = head + m
        if j >= m_sub:
            j -= m_sub
        sr = ring_re[j, k]
        si = ring_im[j, k]
        zr = sr * rot[0, m, k] - si * rot[1, m, k]
        zi = sr * rot[1, m, k] + si * rot[0, m, k]
        # Z_m exp(-j phi m)
        ar += zr * c + zi * s
        ai += zi * c - zr * s
        c, s = c * c1 - s * s1, s * c1 + c * s1
    # and the loss inside each sub-block (a tone off the correlator's frequency turns by phi
    # over it): |sum_i exp(j phi i / sub)| / sub
    gain = 1.0
    if phi != 0.0:
        gain = math.sin(0.5 * phi) / (sub * math.sin(0.5 * phi / sub))
    return phi, (ar * ar + ai * ai) / (gain * gain)


@njit(**JIT)
def _window_energy(ring_e, ring_s, m_sub, n_win):
    """The window's energy with its mean taken out (a DC offset is not noise)."""
    e = 0.0
    s = 0.0
    for m in range(m_sub):
        e += ring_e[m]
        s += ring_s[m]
    return e - s * s / n_win


@njit(**JIT)
def _hann_power(win, n_win, hann, f_hz, fs):
    """``|sum_n w[n] y[n] exp(-j 2 pi f n / fs)|^2`` over the window ``win`` (``hann``:
    ``w``), the reference phasor by rotation from an exact start."""
    wstep = 2.0 * math.pi * f_hz / fs
    cs = math.cos(wstep)
    ss = math.sin(wstep)
    c = 1.0
    s = 0.0
    ar = 0.0
    ai = 0.0
    for n in range(n_win):
        v = hann[n] * win[n]
        ar += v * c
        ai -= v * s
        c, s = c * cs - s * ss, s * cs + c * ss
    return ar * ar + ai * ai


@njit(**JIT)
def _guard(raw, head, m_sub, sub, win, hann, grid, grid_hz, f_lo, f_hi, exclude_hz, fs):
    """The strongest line of the Hann-windowed spectrum on ``grid_hz`` (``grid``: ``[2, G, N]``,
    the window times ``cos`` / ``-sin``) away from the two tones, over their power there
    (``win``: scratch for the window in time order, so that each line is one contiguous dot
    product)."""
    n_win = m_sub * sub
    n = 0
    for m in range(m_sub):
        j = head + m
        if j >= m_sub:
            j -= m_sub
        for i in range(sub):
            win[n] = raw[j, i]
            n += 1
    p_pair = _hann_power(win, n_win, hann, f_lo, fs) + _hann_power(win, n_win, hann, f_hi, fs)
    worst = 0.0
    for g in range(grid_hz.shape[0]):
        if abs(grid_hz[g] - f_lo) < exclude_hz or abs(grid_hz[g] - f_hi) < exclude_hz:
            continue
        ar = 0.0
        ai = 0.0
        for k in range(n_win):
            ar += win[k] * grid[0, g, k]
            ai += win[k] * grid[1, g, k]
        p = ar * ar + ai * ai
        if p > worst:
            worst = p
    return worst / p_pair if p_pair > 0 else math.inf


@njit(**JIT)
def _dtmf_hop(ring_re, ring_im, ring_e, ring_s, raw, head, m_sub, sub, rot, tones_hz, hann,
              grid, grid_hz, fs, limits, acc_re, acc_im, pw, win):
    """One DTMF decision on the window: (key or -1, low amplitude, high amplitude, low and
    high relative frequency errors, the two tones' share of the window's energy)."""
    n_win = m_sub * sub
    step_hz = fs / (2.0 * math.pi * sub)
    energy = _window_energy(ring_e, ring_s, m_sub, n_win)
    if not energy > 0:
        return -1, 0.0, 0.0, 0.0, 0.0, 0.0
    # the strongest and the runner-up of each group (powers before the offset correction)
    _window_powers(ring_re, ring_im, head, m_sub, rot, 8, acc_re, acc_im, pw)
    lo = 0
    hi = 4
    p_lo1 = pw[0]
    p_hi1 = pw[4]
    p_lo2 = 0.0
    p_hi2 = 0.0
    for k in range(1, 4):
        p = pw[k]
        if p > p_lo1:
            p_lo2 = p_lo1
            p_lo1 = p
            lo = k
        elif p > p_lo2:
            p_lo2 = p
        p = pw[4 + k]
        if p > p_hi1:
            p_hi2 = p_hi1
            p_hi1 = p
            hi = 4 + k
        elif p > p_hi2:
            p_hi2 = p
    phi_lo, p_lo = _refine(ring_re, ring_im, head, m_sub, sub, rot, lo)
    phi_hi, p_hi = _refine(ring_re, ring_im, head, m_sub, sub, rot, hi)
    df_lo = phi_lo * step_hz / tones_hz[lo]
    df_hi = phi_hi * step_hz / tones_hz[hi]
    amp_lo = 2.0 * math.sqrt(p_lo) / n_win
    amp_hi = 2.0 * math.sqrt(p_hi) / n_win
    key = lo * 4 + (hi - 4)
    tol = limits[1]
    frac = 2.0 * (p_lo + p_hi) / (n_win * energy)
    if not (abs(df_lo) <= tol and abs(df_hi) <= tol):
        key = -1
    elif frac < limits[0]:
        key = -1
    elif not (limits[2] * p_lo <= p_hi <= limits[3] * p_lo):
        key = -1
    elif amp_lo < limits[5] or amp_hi < limits[5]:
        key = -1
    elif p_lo2 > limits[4] * p_lo or p_hi2 > limits[4] * p_hi:
        key = -1
    elif _guard(raw, head, m_sub, sub, win, hann, grid, grid_hz, tones_hz[lo] * (1 + df_lo),
                tones_hz[hi] * (1 + df_hi), limits[8], fs) > limits[7]:
        # another spectral line near the pair's level: voiced speech (harmonics), not DTMF
        key = -1
    return key, amp_lo, amp_hi, df_lo, df_hi, frac


@njit(**JIT_RECURSIVE)
def dtmf_kernel(x, sub, m_sub, bank, rot, tones_hz, hann, grid, grid_hz, fs, limits, state,
                out):
    """DTMF runs: decide every hop (sub-block) on the newest window, write the runs that end.

    Parameters
    ----------
    x : float32[n]
        Audio.
    sub : int
        Samples per sub-block (the hop), at most :data:`MAX_SUB`.
    m_sub : int
        Sub-blocks per window, at most :data:`MAX_WINDOW`.
    bank : float64[2, 8, sub]
        ``cos`` and ``-sin`` of ``2 pi f_k i / fs``, ``i < sub``, for the eight Q.23 tones
        (low group first, ascending).
    rot : float64[2, m_sub, 8]
        ``cos`` and ``-sin`` of ``2 pi f_k m sub / fs``: sub-block ``m``'s phase alignment.
    tones_hz : float64[8]
    hann : float64[m_sub * sub]
        The guard spectrum's window.
    grid : float64[2, G, m_sub * sub]
        ``hann`` times ``cos`` / ``-sin`` of ``2 pi g n / fs`` for the guard frequencies.
    grid_hz : float64[G]
        The guard frequencies (the voice band, a bin apart).
    fs : float64
    limits : float64[9]
        See :data:`DTMF_LIMITS`: the smallest share of the window's energy the two tones hold;
        the largest relative frequency error of each; the high / low power ratio's lower and
        upper bounds (twist); the largest power of another tone of a group relative to that
        group's tone; the smallest tone amplitude; the fewest hops of a run written; the
        largest guard line relative to the pair (Hann-windowed powers); how far from either
        tone a guard frequency must lie to be looked at, Hz.
    state : DTMF_STATE[1]
        Mutated in place.
    out : DTMF_RUN[>= (nbuf + n) // sub + 1]

    Returns
    -------
    int
        Runs written.

    Notes
    -----
    A hop gives key ``4 r + c`` (row ``r`` of the low group, column ``c`` of the high group)
    when the strongest tone of each group, refined, lies within the tolerance of its table
    frequency, the two hold ``min_fraction`` of the window's energy (mean removed), their power
    ratio is within the twist bounds, no other tone of either group comes within
    ``other_ratio`` of its group's tone, both reach ``min_amp``, and no line of the window's
    Hann-windowed spectrum on the guard grid, away from the two tones, comes within
    ``guard_ratio`` of their power (voiced speech is a comb of harmonics: two of them picked
    out by formants still have neighbours; noise is flat). The guard spectrum (``G N``
    multiply-adds) is computed only for hops that passed every other test. A run is written
    when a hop with another decision (or none) ends it.
    """
    buf = state[0]["buf"]
    ring_re = state[0]["ring_re"]
    ring_im = state[0]["ring_im"]
    ring_e = state[0]["ring_e"]
    ring_s = state[0]["ring_s"]
    acc_re = state[0]["acc_re"]
    acc_im = state[0]["acc_im"]
    pw = state[0]["pw"]
    raw = state[0]["raw"]
    win = state[0]["win"]
    nbuf = state[0]["nbuf"]
    pos = state[0]["pos"]
    nsub = state[0]["nsub"]
    head = state[0]["head"]
    run_key = state[0]["run_key"]
    run_first = state[0]["run_first"]
    run_last = state[0]["run_last"]
    run_hops = state[0]["run_hops"]
    a_lo = state[0]["run_amp_lo"]
    a_hi = state[0]["run_amp_hi"]
    d_lo = state[0]["run_df_lo"]
    d_hi = state[0]["run_df_hi"]
    r_frac = state[0]["run_frac"]
    min_hops = int(limits[6])
    n_out = 0
    for i in range(x.shape[0]):
        buf[nbuf] = x[i]
        nbuf += 1
        if nbuf < sub:
            continue
        nbuf = 0
        pos_end = pos + i + 1
        # the new sub-block replaces the oldest: slot head, then head moves on
        _subblock(buf, sub, bank, 8, head, ring_re, ring_im, ring_e, ring_s)
        for j in range(sub):
            raw[head, j] = buf[j]
        head += 1
        if head == m_sub:
            head = 0
        nsub += 1
        key = -1
        al = 0.0
        ah = 0.0
        fl = 0.0
        fh = 0.0
        fr = 0.0
        if nsub >= m_sub:
            key, al, ah, fl, fh, fr = _dtmf_hop(ring_re, ring_im, ring_e, ring_s, raw, head,
                                                m_sub, sub, rot, tones_hz, hann, grid, grid_hz,
                                                fs, limits, acc_re, acc_im, pw, win)
        if key == run_key and key >= 0:
            run_last = pos_end
            run_hops += 1
            a_lo += al
            a_hi += ah
            d_lo += fl
            d_hi += fh
            r_frac = max(r_frac, fr)
            continue
        if run_key >= 0 and run_hops >= min_hops:
            rec = out[n_out]
            rec["key"] = run_key
            rec["first"] = run_first
            rec["last"] = run_last
            rec["hops"] = run_hops
            rec["amp_lo"] = a_lo / run_hops
            rec["amp_hi"] = a_hi / run_hops
            rec["df_lo"] = d_lo / run_hops
            rec["df_hi"] = d_hi / run_hops
            rec["frac"] = r_frac
            n_out += 1
        run_key = key
        run_first = pos_end
        run_last = pos_end
        run_hops = 1 if key >= 0 else 0
        a_lo = al
        a_hi = ah
        d_lo = fl
        d_hi = fh
        r_frac = fr
    state[0]["nbuf"] = nbuf
    state[0]["pos"] = pos + x.shape[0]
    state[0]["nsub"] = nsub
    state[0]["head"] = head
    state[0]["run_key"] = run_key
    state[0]["run_first"] = run_first
    state[0]["run_last"] = run_last
    state[0]["run_hops"] = run_hops
    state[0]["run_amp_lo"] = a_lo
    state[0]["run_amp_hi"] = a_hi
    state[0]["run_df_lo"] = d_lo
    state[0]["run_df_hi"] = d_hi
    state[0]["run_frac"] = r_frac
    return n_out


@njit(**JIT)
def _selcall_hop(ring_re, ring_im, ring_e, ring_s, head, m_sub, sub, rot, tones_hz, k_tones,
                 fs, limits, acc_re, acc_im, pw):
    """One selcall decision on the window: (refined frequency in Hz or 0.0, amplitude, the
    tone's share of the window's energy)."""
    n_win = m_sub * sub
    step_hz = fs / (2.0 * math.pi * sub)
    energy = _window_energy(ring_e, ring_s, m_sub, n_win)
    if not energy > 0:
        return 0.0, 0.0, 0.0
    _window_powers(ring_re, ring_im, head, m_sub, rot, k_tones, acc_re, acc_im, pw)
    best = 0
    for k in range(1, k_tones):
        if pw[k] > pw[best]:
            best = k
    phi, p = _refine(ring_re, ring_im, head, m_sub, sub, rot, best)
    amp = 2.0 * math.sqrt(p) / n_win
    frac = 2.0 * p / (n_win * energy)
    if frac < limits[0] or amp < limits[1]:
        return 0.0, amp, frac
    return tones_hz[best] + phi * step_hz, amp, frac


@njit(**JIT_RECURSIVE)
def selcall_kernel(x, sub, m_sub, bank, rot, tones_hz, fs, limits, state, out):
    """Selcall tone runs: the dominant tone of every hop's window, runs of a steady frequency.

    Parameters
    ----------
    x : float32[n]
        Audio.
    sub, m_sub : int
        Samples per sub-block (the hop) and sub-blocks per window (as :func:`dtmf_kernel`).
    bank : float64[2, K, sub]
        ``cos`` and ``-sin`` of ``2 pi f_k i / fs`` for the ``K`` (at most :data:`MAX_TONES`)
        table tones of the standards decoded.
    rot : float64[2, m_sub, K]
    tones_hz : float64[K]
    fs : float64
    limits : float64[4]
        See :data:`SELCALL_LIMITS`: the smallest share of the window's energy the tone holds;
        the smallest amplitude; how far (relative) a hop's frequency may lie from its run's
        mean and continue it; the fewest hops of a run written.
    state : SELCALL_STATE[1]
        Mutated in place.
    out : SELCALL_RUN[>= (nbuf + n) // sub + 1]

    Returns
    -------
    int
        Runs written.

    Notes
    -----
    A hop's tone is the strongest table correlator, refined by its phase step (so the estimate
    is the tone's own frequency, whichever close table tone caught it), when it holds
    ``min_fraction`` of the window's energy (mean removed) and reaches ``min_amp``. Consecutive
    hops within ``run_tolerance`` of their run's mean frequency continue it. Which standard's
    digit a run is, and its duration, are the Python face's decisions.
    """
    buf = state[0]["buf"]
    ring_re = state[0]["ring_re"]
    ring_im = state[0]["ring_im"]
    ring_e = state[0]["ring_e"]
    ring_s = state[0]["ring_s"]
    acc_re = state[0]["acc_re"]
    acc_im = state[0]["acc_im"]
    pw = state[0]["pw"]
    nbuf = state[0]["nbuf"]
    pos = state[0]["pos"]
    nsub = state[0]["nsub"]
    head = state[0]["head"]
    run_f = state[0]["run_f"]
    run_first = state[0]["run_first"]
    run_last = state[0]["run_last"]
    run_hops = state[0]["run_hops"]
    run_amp = state[0]["run_amp"]
    run_frac = state[0]["run_frac"]
    k_tones = tones_hz.shape[0]
    run_tol = limits[2]
    min_hops = int(limits[3])
    n_out = 0
    for i in range(x.shape[0]):
        buf[nbuf] = x[i]
        nbuf += 1
        if nbuf < sub:
            continue
        nbuf = 0
        pos_end = pos + i + 1
        _subblock(buf, sub, bank, k_tones, head, ring_re, ring_im, ring_e, ring_s)
        head += 1
        if head == m_sub:
            head = 0
        nsub += 1
        f = 0.0
        amp = 0.0
        fr = 0.0
        if nsub >= m_sub:
            f, amp, fr = _selcall_hop(ring_re, ring_im, ring_e, ring_s, head, m_sub, sub, rot,
                                      tones_hz, k_tones, fs, limits, acc_re, acc_im, pw)
        if f > 0 and run_hops > 0 and abs(f * run_hops - run_f) <= run_tol * run_f:
            run_last = pos_end
            run_hops += 1
            run_f += f
            run_amp += amp
            run_frac = max(run_frac, fr)
            continue
        if run_hops >= min_hops and run_hops > 0:
            rec = out[n_out]
            rec["freq"] = run_f / run_hops
            rec["first"] = run_first
            rec["last"] = run_last
            rec["hops"] = run_hops
            rec["amp"] = run_amp / run_hops
            rec["frac"] = run_frac
            n_out += 1
        if f > 0:
            run_f = f
            run_hops = 1
            run_amp = amp
            run_frac = fr
        else:
            run_f = 0.0
            run_hops = 0
            run_amp = 0.0
            run_frac = 0.0
        run_first = pos_end
        run_last = pos_end
    state[0]["nbuf"] = nbuf
    state[0]["pos"] = pos + x.shape[0]
    state[0]["nsub"] = nsub
    state[0]["head"] = head
    state[0]["run_f"] = run_f
    state[0]["run_first"] = run_first
    state[0]["run_last"] = run_last
    state[0]["run_hops"] = run_hops
    state[0]["run_amp"] = run_amp
    state[0]["run_frac"] = run_frac
    return n_out
