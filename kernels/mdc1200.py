"""MDC1200 decoder kernel: coherent MSK detection, tracking bit samplers, sync, FEC and CRC.

MDC1200 (framing from Matthew Kaufman's decoder and encoder, github.com/atmatthewat/
mdc-encode-decode, ``mdc_encode.c`` / ``mdc_decode.c`` / ``mdc_common.c``) is 1200 bit/s
XOR-precoded MSK: bit ``k`` is sent as one cycle of 1200 Hz when it equals bit ``k - 1`` and
one and a half cycles of 1800 Hz when it differs, phase continuous. So the tone crosses zero at
every bit boundary, and the direction of that crossing is the parity of the 1800 Hz bits sent so
far: the previous *data* bit itself, without differential decoding (the precoding undoes the
MSK's own differential nature; Kaufman's decoder takes the sign of one sample per bit).

Detection here is the optimal coherent one for MSK seen as offset QPSK: around each boundary
the signal is ``+-cos(pi tau / 2 T) sin(2 pi 1500 tau)`` (half-cosine pulse over two bits on a
1500 Hz carrier whose phase the bit clock fixes), the neighbouring bits lie on the quadrature
rail. A complex FIR ``c(n) = sum_m x[n + m] p(m) exp(-j w m)`` (``p`` the half-cosine over
``|m| < T``, ``w`` the 1500 Hz carrier) gives at a boundary ``c = -j A`` (``A`` the signed
amplitude): ``-Im c`` is the soft bit, ``Re c`` the carrier phase error, i.e. the timing
error (the carrier is tied to the bit clock). Between integer samples ``c`` is interpolated
after removing the carrier (the envelope varies slowly), through the tables ``wa``/``wb``.

Several samplers start at evenly spread bit phases; each is a PI timing loop driven by that
error (so a clock off by 1 % is followed over a packet), leaking back to its own phase while
it hunts, so that noise does not herd the samplers together. Each shifts its hard bits into a
40-bit register and hunts for the sync word ``0x07092A446F`` (or its inverse) within
``max_dist`` bit errors; it then keeps the soft values of the 112-bit block, deinterleaves them
(code bit ``q`` is sent as bit ``16 (q mod 7) + q div 7``), runs a soft Viterbi decoder over the
rate 1/2 systematic code (parity ``d[n] ^ d[n-2] ^ d[n-5] ^ d[n-6]``, the register starting at
zero, unterminated) and checks the CRC of bytes 0-3 against bytes 4 (low) and 5 (high). A
packet whose code word disagrees with more than ``max_corrected`` of the 112 hard decisions is
refused as well. Op codes 0x35 and 0x55 announce a second block (four more bytes) without a
second sync word.

The same packet found by several samplers is one decode: a valid packet is held for two bits
after its end, the best of the copies (largest ``metric``) is kept, and copies arriving later
than that are dropped while they match the one emitted. Every time is a fractional sample
index from the first input sample, so chunking cannot change anything.

State (``MDC1200_STATE``, one record): ``n`` input samples seen; ``pos`` the newest
sample's place in ``buf``, the last inputs,
written twice (``buf[i]`` and ``buf[i + L]``) so that the FIR window is always contiguous;
``cprev`` the previous ``c``; per sampler ``t`` (next boundary, fractional sample), ``rate``
(the loop's bit-period correction), ``qual`` (recent decision clarity), ``reg``
(sync register), ``nreg`` (bits in it), ``mode`` (0 hunting, 1 first block, 2 second block),
``count``, ``pol`` (+-1: sync polarity), ``t_sync`` (the start of the sync word), ``t_hist``
/ ``t_pos`` (the last 40 boundaries, a ring), ``soft``
(block soft bits), ``first`` / ``first_metric`` (a double packet's first block); the pending
decode ``p_*`` and the last one emitted ``l_*``; ``pm``, ``pm2``, ``path``, ``path2``,
``code`` are Viterbi scratch.
"""

import math

import numpy as np
from numba import njit

from ._config import JIT, JIT_RECURSIVE

#: most samplers and most FIR taps (2 M + 1 <= 27 at 16 kHz)
MDC1200_MAX_SAMPLERS = 16
MDC1200_MAX_TAPS = 32
#: bits of a block, of the sync word, and the sync word (mdc_encode.c, _enc_leader)
BLOCK_BITS = 112
SYNC_BITS = 40
SYNC_WORD = 0x07092A446F
_MASK40 = (1 << 40) - 1
#: smoothing of a sampler's decision clarity |Im c| / |c| (per bit)
QUAL_ALPHA = 0.1

MDC1200_STATE = np.dtype([
    ("n", np.int64), ("pos", np.int64),
    ("buf", np.float64, (2 * MDC1200_MAX_TAPS,)),
    ("cprev_re", np.float64), ("cprev_im", np.float64),
    ("t", np.float64, (MDC1200_MAX_SAMPLERS,)),
    ("rate", np.float64, (MDC1200_MAX_SAMPLERS,)),
    ("qual", np.float64, (MDC1200_MAX_SAMPLERS,)),
    ("reg", np.int64, (MDC1200_MAX_SAMPLERS,)),
    ("nreg", np.int64, (MDC1200_MAX_SAMPLERS,)),
    ("mode", np.int64, (MDC1200_MAX_SAMPLERS,)),
    ("count", np.int64, (MDC1200_MAX_SAMPLERS,)),
    ("pol", np.float64, (MDC1200_MAX_SAMPLERS,)),
    ("t_sync", np.float64, (MDC1200_MAX_SAMPLERS,)),
    ("t_hist", np.float64, (MDC1200_MAX_SAMPLERS, SYNC_BITS)),
    ("t_pos", np.int64, (MDC1200_MAX_SAMPLERS,)),
    ("soft", np.float64, (MDC1200_MAX_SAMPLERS, BLOCK_BITS)),
    ("first", np.int64, (MDC1200_MAX_SAMPLERS, 4)),
    ("first_metric", np.float64, (MDC1200_MAX_SAMPLERS,)),
    ("first_corr", np.int64, (MDC1200_MAX_SAMPLERS,)),
    ("p_on", np.int64), ("p_start", np.int64), ("p_end", np.int64), ("p_op", np.int64),
    ("p_arg", np.int64), ("p_unit", np.int64), ("p_extra", np.int64, (4,)),
    ("p_double", np.int64), ("p_metric", np.float64), ("p_corr", np.int64),
    ("p_emit_at", np.float64),
    ("l_on", np.int64), ("l_end", np.int64), ("l_key", np.int64),
    ("pm", np.float64, (64,)), ("pm2", np.float64, (64,)),
    ("path", np.int64, (64,)), ("path2", np.int64, (64,)),
    ("data", np.int64, (7,)), ("c_extra", np.int64, (4,)),
])

#: one decode: sample indexes of the sync word's first sample and the block's last, op, arg,
#: unit ID, a double packet's four extra bytes, ``double`` (0 single, 1 double, -1 a double
#: packet whose second block failed), ``metric`` (mean agreement of the soft bits, each the
#: decision arm's share of ``|c|``, with the code word: near 1 for a clean packet) and
#: ``corrected`` (hard decisions the code word disagrees with)
MDC1200_DECODE = np.dtype([
    ("start", np.int64), ("end", np.int64), ("op", np.int64), ("arg", np.int64),
    ("unit", np.int64), ("extra", np.int64, (4,)), ("double", np.int64),
    ("metric", np.float64), ("corrected", np.int64),
])


def mdc1200_state(spb, n_samplers):
    """A fresh MDC1200_STATE record array for ``spb`` samples per bit and ``n_samplers``
    samplers (their first boundaries spread evenly over one bit)."""
    st = np.zeros(1, dtype=MDC1200_STATE)
    m = int(math.ceil(spb)) - 1
    for s in range(n_samplers):
        st[0]["t"][s] = m + 1 + s * spb / n_samplers
        st[0]["pol"][s] = 1.0
    return st


@njit(**JIT)
def _dot2(buf, a, h_re, h_im):
    """``sum buf[a + m] h[m]`` for both tap rows: vectorised (the same window and taps always
    give the same bits, whatever the chunking)."""
    cr = 0.0
    ci = 0.0
    for m in range(h_re.shape[0]):
        u = buf[a + m]
        cr += u * h_re[m]
        ci += u * h_im[m]
    return cr, ci


@njit(**JIT_RECURSIVE)
def _popcount(v):
    """Set bits of a non-negative int64 (SWAR: constant time, no loop per bit)."""
    v = v - ((v >> 1) & 0x5555555555555555)
    v = (v & 0x3333333333333333) + ((v >> 2) & 0x3333333333333333)
    v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (v * 0x0101010101010101) >> 56     # the sum (<= 40) lands in the top byte


@njit(**JIT_RECURSIVE)
def _crc16(data):
    """MDC CRC of bytes 0-3 (mdc_common.c, _docrc): CRC-16 polynomial 0x1021, initial 0,
    bytes in and the result bit-reflected, final xor 0xFFFF."""
    crc = 0
    for i in range(4):
        c = data[i]
        for j in range(8):           # the reflected byte's MSB first = the byte's LSB first
            bit = (crc >> 15) & 1
            crc = (crc << 1) & 0xFFFF
            if (c >> j) & 1:
                bit ^= 1
            if bit:
                crc ^= 0x1021
    r = 0
    for i in range(16):
        if (crc >> i) & 1:
            r |= 1 << (15 - i)
    return r ^ 0xFFFF


@njit(**JIT_RECURSIVE)
def _decode_block(soft, state):
    """Soft Viterbi over one block (soft[k]: the k-th bit sent, + is 1). Writes the 7 bytes
    into ``state[0]["data"]``; returns (crc ok, metric, corrected)."""
    pm = state[0]["pm"]
    pm2 = state[0]["pm2"]
    path = state[0]["path"]
    path2 = state[0]["path2"]
    for s in range(64):
        pm[s] = -1e300
        path[s] = 0
    pm[0] = 0.0
    for n in range(56):
        ys = soft[16 * (n % 7) + n // 7]          # code bit q = n (systematic)
        q = 56 + n
        yp = soft[16 * (q % 7) + q // 7]          # code bit q = 56 + n (parity)
        for s in range(64):
            pm2[s] = -1e300
        for s in range(64):
            m0 = pm[s]
            if m0 < -1e299:
                continue
            for d in range(2):
                p = d ^ ((s >> 1) & 1) ^ ((s >> 4) & 1) ^ ((s >> 5) & 1)
                m = m0 + (ys if d else -ys) + (yp if p else -yp)
                ns = ((s << 1) | d) & 63
                if m > pm2[ns]:
                    pm2[ns] = m
                    path2[ns] = (path[s] << 1) | d
        for s in range(64):
            pm[s] = pm2[s]
            path[s] = path2[s]
    best = 0
    for s in range(64):
        if pm[s] > pm[best]:
            best = s
    word = path[best]
    data = state[0]["data"]
    for i in range(7):
        data[i] = 0
    for n in range(56):
        if (word >> (55 - n)) & 1:
            data[n // 8] |= 1 << (n % 8)
    # agreement of the code word with the soft and hard decisions
    agree = 0.0
    corrected = 0
    reg = 0
    for n in range(56):
        d = (word >> (55 - n)) & 1
        reg = ((reg << 1) | d) & 127
        p = d ^ ((reg >> 2) & 1) ^ ((reg >> 5) & 1) ^ ((reg >> 6) & 1)
        for q, c in ((n, d), (56 + n, p)):
            y = soft[16 * (q % 7) + q // 7]
            agree += y if c else -y
            if (y > 0) != (c == 1):
                corrected += 1
    metric = agree / BLOCK_BITS
    ok = _crc16(data) == (data[4] | (data[5] << 8))
    return ok, metric, corrected


@njit(**JIT_RECURSIVE)
def _emit(state, out, k):
    s = state[0]
    if k < out.shape[0]:
        out[k]["start"] = s["p_start"]
        out[k]["end"] = s["p_end"]
        out[k]["op"] = s["p_op"]
        out[k]["arg"] = s["p_arg"]
        out[k]["unit"] = s["p_unit"]
        for i in range(4):
            out[k]["extra"][i] = s["p_extra"][i]
        out[k]["double"] = s["p_double"]
        out[k]["metric"] = s["p_metric"]
        out[k]["corrected"] = s["p_corr"]
    state[0]["l_on"] = 1
    state[0]["l_end"] = s["p_end"]
    state[0]["l_key"] = _key(s["p_op"], s["p_arg"], s["p_unit"])
    state[0]["p_on"] = 0
    return k + 1


@njit(**JIT_RECURSIVE)
def _key(op, arg, unit):
    return (op << 24) | (arg << 16) | unit


@njit(**JIT_RECURSIVE)
def _set_pending(state, start, end, op, arg, unit, extra, double, metric, corr, spb):
    state[0]["p_on"] = 1
    state[0]["p_start"] = start
    state[0]["p_end"] = end
    state[0]["p_op"] = op
    state[0]["p_arg"] = arg
    state[0]["p_unit"] = unit
    for i in range(4):
        state[0]["p_extra"][i] = extra[i]
    state[0]["p_double"] = double
    state[0]["p_metric"] = metric
    state[0]["p_corr"] = corr
    state[0]["p_emit_at"] = end + 2.0 * spb + 1.0


@njit(**JIT_RECURSIVE)
def _candidate(state, out, k, start, end, op, arg, unit, extra, double, metric, corr, spb):
    """A valid packet from one sampler: merge it with the pending copy (same op, argument and
    unit within two bits: the better one stays, a whole double packet before one whose second
    block failed, then the larger metric), drop it as a late copy of the one emitted, or make
    it pending (emitting a different pending one first)."""
    s = state[0]
    key = _key(op, arg, unit)
    near = 2.0 * spb
    if s["p_on"] and key == _key(s["p_op"], s["p_arg"], s["p_unit"]) and \
            abs(end - s["p_end"]) <= near:
        rank = 0 if double < 0 else 1
        p_rank = 0 if s["p_double"] < 0 else 1
        if rank > p_rank or (rank == p_rank and metric > s["p_metric"]):
            emit_at = s["p_emit_at"]
            _set_pending(state, start, end, op, arg, unit, extra, double, metric, corr, spb)
            state[0]["p_emit_at"] = emit_at
        return k
    if s["l_on"] and key == s["l_key"] and abs(end - s["l_end"]) <= near:
        return k
    if s["p_on"]:
        k = _emit(state, out, k)
    _set_pending(state, start, end, op, arg, unit, extra, double, metric, corr, spb)
    return k


@njit(**JIT_RECURSIVE)
def mdc1200_kernel(x, spb, taps_re, taps_im, wa_re, wa_im, wb_re, wb_im, n_samplers, max_dist,
                   max_corrected, kp, ki, leak, flush, state, out):
    """Decode MDC1200 packets from audio (see the module's notes for the method).

    Parameters
    ----------
    x : float32[n]
        Audio at the rate the tables were made for.
    spb : float64
        Samples per bit (``fs / 1200``).
    taps_re, taps_im : float64[L]
        ``p(m) exp(-j w m)`` for ``m = -M .. M`` (``L = 2 M + 1 <= MDC1200_MAX_TAPS``).
    wa_re, wa_im, wb_re, wb_im : float64[Q]
        Interpolation weights at ``f = i / Q`` of a sample: ``(1 - f) exp(j w f)`` and
        ``f exp(-j w (1 - f))``.
    n_samplers : int
        Bit samplers (``<= MDC1200_MAX_SAMPLERS``).
    max_dist : int
        Sync word bit errors accepted.
    max_corrected : int
        Largest number of the block's 112 hard decisions the code word may disagree with.
    kp, ki : float64
        Timing loop gains (per bit, on the timing error in samples).
    leak : float64
        Per bit, the share of its phase correction a hunting sampler gives back.
    flush : bool
        End of input: emit the pending decode.
    state : MDC1200_STATE[1]
        Mutated in place.
    out : MDC1200_DECODE[k]
        Decodes completed (room for ``n_samplers * (n // (100 spb) + 2) + 1``).

    Returns
    -------
    int
        Decodes written to ``out``.

    Notes
    -----
    Per input sample: one complex FIR of ``L`` taps, then for each sampler whose boundary
    falls between the previous and this FIR centre one interpolation and loop update. No
    allocation, exact IEEE arithmetic (``JIT_RECURSIVE``): the loops are recursions.
    """
    L = taps_re.shape[0]
    M = (L - 1) // 2
    Q = wa_re.shape[0]
    buf = state[0]["buf"]
    tt = state[0]["t"]
    rate = state[0]["rate"]
    qual = state[0]["qual"]
    reg = state[0]["reg"]
    nreg = state[0]["nreg"]
    mode = state[0]["mode"]
    count = state[0]["count"]
    pol = state[0]["pol"]
    t_sync = state[0]["t_sync"]
    t_hist = state[0]["t_hist"]
    t_pos = state[0]["t_pos"]
    soft = state[0]["soft"]
    first = state[0]["first"]
    first_metric = state[0]["first_metric"]
    first_corr = state[0]["first_corr"]
    data = state[0]["data"]
    n_in = state[0]["n"]
    j = state[0]["pos"]
    cpr = state[0]["cprev_re"]
    cpi = state[0]["cprev_im"]
    w = 2.0 * math.pi * 1500.0 / (1200.0 * spb)
    t_next = -1e300                # the earliest pending boundary: found on the first pass
    near = spb / (4.0 * max(n_samplers, 1))
    max_rate = 0.02 * spb
    k = 0
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        buf[j] = v
        buf[j + L] = v
        n_in += 1
        if n_in < L:
            j += 1
            continue
        # FIR centred at input n = n_in - 1 - M over buf[j + 1 .. j + L] (oldest first)
        cr, ci = _dot2(buf, j + 1, taps_re, taps_im)
        j += 1
        if j == L:
            j = 0
        n = n_in - 1 - M
        # no boundary before this centre: skip the samplers (most samples)
        if n <= t_next:
            cpr = cr
            cpi = ci
            if state[0]["p_on"] and n >= state[0]["p_emit_at"]:
                k = _emit(state, out, k)
            continue
        for s in range(n_samplers):
            t = tt[s]
            if not (t < n):
                continue
            # boundary at t in [n - 1, n): interpolate the carrier-free envelope
            f = t - (n - 1)
            qi = int(f * Q)
            if qi >= Q:
                qi = Q - 1
            if qi < 0:
                qi = 0
            zr = wa_re[qi] * cpr - wa_im[qi] * cpi + wb_re[qi] * cr - wb_im[qi] * ci
            zi = wa_re[qi] * cpi + wa_im[qi] * cpr + wb_re[qi] * ci + wb_im[qi] * cr
            y = -zi
            mag = math.sqrt(zr * zr + zi * zi)
            err = 0.0
            if mag > 0:
                err = (-zr if y > 0 else zr) / mag / w      # timing error, samples
            corr = kp * err
            qual[s] += QUAL_ALPHA * ((abs(y) / mag if mag > 0 else 0.0) - qual[s])
            rate[s] = rate[s] + ki * err
            if mode[s] == 0:
                rate[s] *= 1.0 - leak
            if rate[s] > max_rate:
                rate[s] = max_rate
            elif rate[s] < -max_rate:
                rate[s] = -max_rate
            tt[s] = t + spb + rate[s] + corr
            if mode[s] == 0 and (nreg[s] & 3) == 0:
                # two hunting samplers on one phase read the same bits: the newer moves half
                # a bit away (noise, or a preamble tone's several zero crossings, would
                # otherwise herd every sampler onto one phase, perhaps the wrong one)
                # (the one whose decisions were the less clear lately moves: the other may
                # have been locked for a while, its register holding the right bits)
                for r in range(s):
                    if mode[r] != 0:
                        continue
                    # every boundary pending lies within two bits of the sample now:
                    # a conditional subtraction or two instead of a floating modulo
                    dphi = tt[s] - tt[r]
                    while dphi < 0.0:
                        dphi += spb
                    while dphi >= spb:
                        dphi -= spb
                    if dphi < near or spb - dphi < near:
                        g = s if qual[s] <= qual[r] else r
                        tt[g] += 0.5 * spb
                        nreg[g] = 0
                        qual[g] = 0.0
                        break
            bit = 1 if y > 0 else 0
            if mode[s] == 0:
                # the boundary 40 bits ago, where the sync word would have begun
                tp = t_pos[s]
                t40 = t_hist[s, tp]
                t_hist[s, tp] = t
                t_pos[s] = tp + 1 if tp + 1 < SYNC_BITS else 0
                reg[s] = ((reg[s] << 1) | bit) & _MASK40
                nreg[s] += 1
                if nreg[s] >= SYNC_BITS:
                    dist = _popcount(reg[s] ^ SYNC_WORD)
                    if dist <= max_dist or dist >= SYNC_BITS - max_dist:
                        pol[s] = 1.0 if dist <= max_dist else -1.0
                        mode[s] = 1
                        count[s] = 0
                        t_sync[s] = t40
                continue
            sv = soft[s]
            # soft bit as the decision arm's share of |c| (+-1 at the best timing): a
            # sampler locked half a carrier cycle off (decisions inverted, the envelope 0.4 bit
            # out) reads right on a clean packet too, but less clearly, and loses the de-dup
            sv[count[s]] = pol[s] * y / mag if mag > 0 else 0.0
            count[s] += 1
            if count[s] < BLOCK_BITS:
                continue
            ok, metric, corrected = _decode_block(sv, state)
            ok = ok and corrected <= max_corrected
            done = True
            if ok and mode[s] == 1 and (data[0] == 0x35 or data[0] == 0x55):
                for b in range(4):
                    first[s, b] = data[b]
                first_metric[s] = metric
                first_corr[s] = corrected
                mode[s] = 2
                count[s] = 0
                done = False
            elif mode[s] == 2:
                # the first block stands even if the second fails (double = -1)
                cx = state[0]["c_extra"]
                for b in range(4):
                    cx[b] = data[b] if ok else 0
                k = _candidate(state, out, k, int(math.ceil(t_sync[s])), int(math.ceil(t)) - 1,
                               first[s, 0], first[s, 1], (first[s, 2] << 8) | first[s, 3],
                               cx, 1 if ok else -1,
                               min(metric, first_metric[s]) if ok else first_metric[s],
                               corrected + first_corr[s] if ok else first_corr[s], spb)
            elif ok:
                cx = state[0]["c_extra"]
                for b in range(4):
                    cx[b] = 0
                k = _candidate(state, out, k, int(math.ceil(t_sync[s])), int(math.ceil(t)) - 1,
                               data[0], data[1], (data[2] << 8) | data[3], cx, 0, metric,
                               corrected, spb)
            if done:
                mode[s] = 0
                nreg[s] = 0
                reg[s] = 0
        t_next = tt[0]
        for s in range(1, n_samplers):
            if tt[s] < t_next:
                t_next = tt[s]
        cpr = cr
        cpi = ci
        if state[0]["p_on"] and n >= state[0]["p_emit_at"]:
            k = _emit(state, out, k)
    if flush and state[0]["p_on"]:
        k = _emit(state, out, k)
    state[0]["n"] = n_in
    state[0]["pos"] = j
    state[0]["cprev_re"] = cpr
    state[0]["cprev_im"] = cpi
    return k
