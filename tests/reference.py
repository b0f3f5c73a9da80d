"""Plain NumPy references, one per kernel (``<op>_ref`` for ``<op>_kernel``).

Written for obviousness, not speed: direct formulas, convolutions, and plain loops for recursions.
Computed in float64 / complex128. Never imports htdsp.kernels.
"""

import numpy as np
import scipy.signal

TURN = 2**32


def convert_ref(x, offset, scale):
    """Interleaved elements -> complex: ((I - offset) + 1j (Q - offset)) * scale, whole pairs."""
    v = (np.asarray(x, dtype=np.float64) - offset) * scale
    n = v.size // 2
    return v[0:2 * n:2] + 1j * v[1:2 * n:2]


def nco_ref(x, dphase, phase0=0):
    """x[n] * exp(2j pi ((phase0 + n dphase) mod 2**32) / 2**32)."""
    n = np.arange(len(x), dtype=np.int64)
    ph = (phase0 + n * dphase) % TURN
    return np.asarray(x, dtype=np.complex128) * np.exp(2j * np.pi * ph / TURN)


def dc_block_ref(x, alpha):
    """y[n] = x[n] - x[n-1] + alpha y[n-1], zero initial state (plain loop)."""
    y = np.zeros(len(x), dtype=np.complex128)
    x1 = 0j
    y1 = 0j
    for n, v in enumerate(np.asarray(x, dtype=np.complex128)):
        y1 = v - x1 + alpha * y1
        x1 = v
        y[n] = y1
    return y


def _valid_outputs(n, decim):
    return 0 if n == 0 else (n - 1) // decim + 1


def fir_decim_ref(x, h, decim):
    """y[k] = sum_j h[j] x[decim k - j] for the outputs whose newest input exists."""
    x = np.asarray(x, dtype=np.complex128)
    if x.size == 0:
        return x
    return np.convolve(x, np.asarray(h, dtype=np.float64))[::decim][: _valid_outputs(x.size, decim)]


def xlate_decim_ref(x, h, decim, dphase):
    """Shift by -w (w = 2 pi dphase / 2**32), then fir_decim_ref."""
    return fir_decim_ref(nco_ref(x, (-dphase) % TURN), h, decim)


def resample_ref(x, h, up, down):
    """Zero-stuff by up, convolve with h, keep every down-th: the upfirdn definition."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    xu = np.zeros(x.size * up)
    xu[::up] = x
    y = np.convolve(xu, np.asarray(h, dtype=np.float64))[::down]
    count = (x.size * up - 1) // down + 1
    return y[:count]


def fm_demod_ref(x, gain):
    """gain * angle(x[n] conj(x[n-1])) with x[-1] = 0; a zero product reads 0."""
    x = np.asarray(x, dtype=np.complex128)
    prev = np.concatenate([[0j], x[:-1]])
    p = x * np.conj(prev)
    return np.where(p == 0, 0.0, gain * np.angle(p))


def fm_demod_fast_ref(x, gain):
    """The fast discriminator approximates the same function."""
    return fm_demod_ref(x, gain)


def deemph_ref(x, b0, b1, a1):
    """y[n] = b0 x[n] + b1 x[n-1] - a1 y[n-1], zero initial state (plain loop)."""
    y = np.zeros(len(x))
    x1 = 0.0
    y1 = 0.0
    for n, v in enumerate(np.asarray(x, dtype=np.float64)):
        y1 = b0 * v + b1 * x1 - a1 * y1
        x1 = v
        y[n] = y1
    return y


def sosfilt_ref(x, sos):
    """Cascaded biquads: scipy's own sosfilt in float64."""
    if len(x) == 0:
        return np.zeros(0)
    return scipy.signal.sosfilt(np.asarray(sos, dtype=np.float64), np.asarray(x, dtype=np.float64))


# ----------------------------------------------------------------------------- chains
def nfm_chain_ref(raw, fmt_offset, fmt_scale, fs, offset_hz, plan, deviation_hz, deemph, sos_list):
    """The receive chain written as whole-array NumPy/scipy, with the same filters as htdsp's.

    Convert, mix down with a float64-phase NCO, ``upfirdn`` each decimation stage and the channel
    filter, ``np.angle`` discriminator, ``lfilter`` de-emphasis, ``upfirdn`` resampler, ``sosfilt``
    audio filters. The NCO uses the same quantised frequency as htdsp (2**32 steps per turn). The
    benchmarks time this as the NumPy reference; a test checks it agrees with NFMReceiver.
    Work is done in complex64 / float32, as a NumPy user would.
    """
    v = (raw.astype(np.float32) - np.float32(fmt_offset)) * np.float32(fmt_scale)
    x = v[0::2] + 1j * v[1::2]
    dphase = round(offset_hz / fs * TURN) % TURN
    n = np.arange(x.size, dtype=np.int64)
    ph = ((n * dphase) % TURN).astype(np.float64) * (2 * np.pi / TURN)
    y = (x * np.exp(-1j * ph)).astype(np.complex64)
    for st in plan.stages:
        keep = (y.size - 1) // st.decim + 1
        y = scipy.signal.upfirdn(st.taps.astype(np.float32), y, down=st.decim)[:keep]
    y = scipy.signal.upfirdn(plan.channel_taps.astype(np.float32), y)[: y.size]
    y = y.astype(np.complex64)
    prev = np.concatenate([[0], y[:-1]]).astype(np.complex64)
    p = y * np.conj(prev)
    a = np.where(p == 0, 0, np.angle(p)).astype(np.float32)
    a *= np.float32(plan.channel_fs / (2 * np.pi * deviation_hz))
    b0, b1, a1 = deemph
    a = scipy.signal.lfilter([b0, b1], [1.0, a1], a).astype(np.float32)
    if (plan.up, plan.down) != (1, 1):
        keep = (a.size * plan.up - 1) // plan.down + 1
        a = scipy.signal.upfirdn(plan.resample_taps, a, plan.up, plan.down)[:keep]
    for sos in sos_list:
        a = scipy.signal.sosfilt(sos, a)
    return a.astype(np.float32)


def nfm_chain_ref_for(rx, raw):
    """``nfm_chain_ref`` configured from an ``htdsp.NFMReceiver`` (reads its public plan)."""
    from htdsp.dsp.convert import format_scale
    from htdsp.dsp.iir import audio_highpass_sos, audio_lowpass_sos, deemph_coeffs

    off, sc = format_scale(rx.input_format)
    sos = []
    if rx.highpass_hz is not None:
        sos.append(audio_highpass_sos(rx.audio_fs, rx.highpass_hz))
    if rx.lowpass_hz is not None:
        sos.append(audio_lowpass_sos(rx.audio_fs, rx.lowpass_hz))
    return nfm_chain_ref(raw, off, sc, rx.fs, rx.offset_hz, rx.plan, rx.deviation_hz,
                         deemph_coeffs(rx.plan.channel_fs, rx.deemph_tau_s), sos)


def iq_stats_ref(x, offset, scale, rail_lo, rail_hi):
    """Moments, peak, clipping and non-finite count of interleaved elements, by NumPy."""
    v = (np.asarray(x, dtype=np.float64) - offset) * scale
    bad = ~np.isfinite(v)
    clipped = int(np.count_nonzero((v <= rail_lo) | (v >= rail_hi)))
    v = np.where(bad, 0.0, v)
    i, q = v[0::2], v[1::2]
    p = i * i + q * q
    return {"n": i.size, "sum_i": i.sum(), "sum_q": q.sum(), "sum_ii": (i * i).sum(),
            "sum_qq": (q * q).sum(), "sum_iq": (i * q).sum(),
            "peak_p": p.max() if p.size else 0.0, "clipped": clipped,
            "nonfinite": int(bad.sum())}


def xlate_interp_ref(x, h, up, dphase):
    """Zero-stuff by up, convolve with h, then shift by w = 2 pi dphase / 2**32."""
    x = np.asarray(x, dtype=np.complex128)
    if x.size == 0:
        return x
    xu = np.zeros(x.size * up, dtype=np.complex128)
    xu[::up] = x
    return nco_ref(np.convolve(xu, np.asarray(h, dtype=np.float64))[: x.size * up], dphase)


def _ziggurat_py():
    """The 128-layer normal ziggurat tables, computed again in plain Python."""
    import math
    m1 = 2147483648.0
    dn = tn = 3.442619855899
    vn = 9.91256303526217e-3
    kn, wn, fn = [0] * 128, [0.0] * 128, [0.0] * 128
    q = vn / math.exp(-0.5 * dn * dn)
    kn[0] = int((dn / q) * m1)
    wn[0], wn[127] = q / m1, dn / m1
    fn[0], fn[127] = 1.0, math.exp(-0.5 * dn * dn)
    for i in range(126, 0, -1):
        dn = math.sqrt(-2.0 * math.log(vn / dn + math.exp(-0.5 * dn * dn)))
        kn[i + 1] = int((dn / tn) * m1)
        tn = dn
        fn[i] = math.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


def gauss_ref(seed_state, n):
    """xoshiro256+ and the Marsaglia-Tsang ziggurat in plain Python (a loop, slow but obvious).

    ``seed_state``: the four uint64 words of the generator. Returns float32 values.
    """
    import math
    m64 = (1 << 64) - 1
    s = [int(v) for v in seed_state]
    kn, wn, fn = _ziggurat_py()

    def nxt():
        result = (s[0] + s[3]) & m64
        t = (s[1] << 17) & m64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & m64
        return result

    def uni():
        return ((nxt() >> 11) + 0.5) / 9007199254740992.0

    def draw():
        r = nxt()
        iz = r & 127
        hz = r >> 32
        hz = hz - (1 << 32) if hz >= 1 << 31 else hz
        return iz, hz

    out = np.empty(n, dtype=np.float32)
    for j in range(n):
        iz, hz = draw()
        while True:
            if abs(hz) < kn[iz]:
                v = hz * wn[iz]
                break
            x = hz * wn[iz]
            if iz == 0:
                while True:
                    x = -math.log(uni()) * 0.2904764
                    y = -math.log(uni())
                    if y + y >= x * x:
                        break
                v = 3.442620 + x if hz > 0 else -3.442620 - x
                break
            if fn[iz] + uni() * (fn[iz - 1] - fn[iz]) < math.exp(-0.5 * x * x):
                v = x
                break
            iz, hz = draw()
        out[j] = v
    return out


def quantize_ref(x, scale, offset, lo, hi):
    """(codes, clipped count): rint(v * scale + offset) clipped to [lo, hi], in float64."""
    q = np.rint(np.asarray(x, dtype=np.float64) * scale + offset)
    clipped = int(np.count_nonzero((q <= lo) | (q >= hi) | np.isnan(q)))
    return np.clip(np.nan_to_num(q, nan=lo), lo, hi), clipped


def frame_energy_ref(x, frame_elems):
    """Mean square of each complete frame (NumPy)."""
    x = np.asarray(x, dtype=np.float64)
    m = x.size // frame_elems
    return (x[: m * frame_elems] ** 2).reshape(m, frame_elems).mean(axis=1)


def level_detect_ref(frame_db, sign, open_db, close_db, absolute, alpha, alpha_up, gate_db,
                     warmup, jump_db=6.0):
    """The level detector as a plain loop (see kernels.squelch.level_detect_kernel)."""
    ref, seen, p = 0.0, 0, 0
    out = []
    for f in frame_db:
        seen += 1
        if seen <= warmup:
            if not absolute:
                ref += (f - ref) / seen
            out.append(0)
            continue
        m = sign * (f - ref)
        if p == 0 and m >= open_db:
            p = 1
        elif p == 1 and m < close_db:
            p = 0
        if not absolute and p == 0:
            if m < -jump_db:
                ref = f
            elif m <= 0:
                ref += alpha * (f - ref)
            elif m < gate_db:
                ref += alpha_up * (f - ref)
        out.append(p)
    return np.array(out, dtype=np.uint8)


def squelch_ref(ok, force, attack, hang, timing=None):
    """The AND/attack/hang combiner as a plain loop: (open mask, events, pending or None)."""
    nt, n = ok.shape
    timing = [0] * nt if timing is None else list(timing)
    is_open, closing, run, miss, start, last, reason = 0, 0, 0, 0, 0, -1, -1
    forced_at = -1
    since = [-1] * nt
    mask, events = [], []
    for j in range(n):
        cond, first_fail = True, -1
        for t in range(nt):
            if not ok[t, j]:
                since[t] = -1
                if cond:
                    first_fail = t
                cond = False
            elif since[t] < 0:
                since[t] = j
        if closing:
            tim = [t for t in range(nt) if timing[t]]
            since_force = j - forced_at
            if tim and all(ok[t, j] for t in tim):
                run += 1
                if run >= attack or last == j - 1:
                    last = j
            elif not tim or since_force > hang:
                events.append((start, last + 1, reason, -2))
                closing, run = 0, 0
            else:
                run = 0
        elif not is_open:
            if cond:
                if run == 0:
                    start = j
                run += 1
                if run >= attack:
                    is_open, miss, last = 1, 0, j
                    reason = max(range(nt), key=lambda t: (since[t], t))
                    starts = [since[t] for t in range(nt) if timing[t]]
                    if starts:
                        start = max(starts)
            else:
                run = 0
        else:
            if cond:
                run += 1
                if run >= attack:
                    miss, last = 0, j
            else:
                run = 0
            if force[j]:
                is_open, closing, run, forced_at = 0, 1, 0, j
            elif not cond:
                miss += 1
                if miss > hang:
                    events.append((start, last + 1, reason, first_fail))
                    is_open, run = 0, 0
        mask.append(is_open)
    pending = (start, last + 1, reason) if (is_open or closing) else None
    return np.array(mask, dtype=np.uint8), events, pending


def gate_ref(audio, mask, ratio, post, frame, final_open):
    """The squelch gate on a whole stream: sample m takes the decision of frame
    floor((m * ratio - post) / frame); before frame 0 closed, past the mask ``final_open``."""
    m = np.arange(audio.size, dtype=np.float64)
    fr = np.floor((m * ratio - post) / frame).astype(np.int64)
    gate = np.where(fr < 0, False,
                    np.where(fr >= mask.size, bool(final_open),
                             mask[np.clip(fr, 0, max(mask.size - 1, 0))].astype(bool)
                             if mask.size else False))
    return np.where(gate, audio, np.float32(0.0)).astype(np.float32), gate


#: the reverse-burst limits of kernels.subaudible (BURST_PERSIST_RAD, BURST_AMP_RATIO,
#: BURST_MIN_FRACTION), restated (a reference never imports the kernels)
CTCSS_BURST_LIMITS = (1.0, 2.0, 0.3)


def ctcss_analyse_ref(y, tones, tolerance_hz, fs_c, min_fraction, min_amp, min_coherence, hop,
                      held_hz, burst_rad, burst_limits=CTCSS_BURST_LIMITS):
    """One CTCSS hop in NumPy: (tone index or -1, burst, refined frequency, amplitude). See
    kernels.subaudible."""
    persist_rad, amp_ratio, min_hop_fraction = burst_limits
    w = y.size
    n = np.arange(w)
    tones = np.asarray(tones)
    e = np.exp(-2j * np.pi * tones[:, None] * n[None, :] / fs_c)
    y = y - y.mean()
    power = float(np.mean(y * y))
    if power <= 0:
        return -1, False, 0.0, 0.0
    a = e @ y
    k = int(np.argmax(np.abs(a) ** 2))
    half = w // 2
    a1 = e[k, :half] @ y[:half]
    a2 = e[k, half:2 * half] @ y[half:2 * half]
    f_est = tones[k] + np.angle(a2 * np.conj(a1)) / (2 * np.pi * half / fs_c)
    frac = 2 * abs(a[k]) ** 2 / w**2 / power
    j = int(np.argmin(np.abs(tones - f_est)))
    amp = 2 * abs(a[k]) / w
    tone = j if (j == k and abs(tones[j] - f_est) <= tolerance_hz[j] and frac >= min_fraction
                 and amp >= min_amp) else -1
    if tone >= 0:
        q = w // 4
        ek = np.exp(-2j * np.pi * f_est * n / fs_c) * y
        seg = ek[: 4 * q].reshape(4, q).sum(axis=1)
        if abs(seg.sum()) < min_coherence * np.abs(seg).sum():
            tone = -1
    burst = False
    if held_hz > 0 and w >= 6 * hop:
        eh = np.exp(-2j * np.pi * held_hz * n / fs_c) * y
        hops = eh[w - 6 * hop:].reshape(6, hop).sum(axis=1)[::-1]      # newest first
        pw = (y[w - 6 * hop:] ** 2).reshape(6, hop).sum(axis=1)[::-1]
        new, ref = hops[0] + hops[1], hops[4] + hops[5]
        burst = bool(abs(np.angle(new * np.conj(ref))) > burst_rad
                     and abs(np.angle(hops[0] * np.conj(hops[1]))) < persist_rad
                     and abs(new) ** 2 * amp_ratio ** 2 > abs(ref) ** 2
                     and abs(ref) ** 2 * amp_ratio ** 2 > abs(new) ** 2
                     and abs(new) ** 2 > min_hop_fraction * hop * (pw[0] + pw[1])
                     and abs(ref) ** 2 > min_hop_fraction * hop * (pw[4] + pw[5]))
    return tone, burst, float(f_est), float(amp)


def dcs_slice_ref(y, spb, phases, freq_hz, fs, turn_off_fraction, rotations):
    """One DCS hop in NumPy: (older word, newer word, turn-off, distance). See kernels."""
    n46 = int(round(46 * spb))
    y = y[-n46:] - y[-n46:].mean()
    k = int(round(8 * spb))
    tone = np.exp(-2j * np.pi * freq_hz * np.arange(k) / fs)
    last = y[-k:] - y[-k:].mean()
    p = float(np.mean(last * last))
    if p > 0 and 2 * abs(tone @ last) ** 2 / k**2 / p >= turn_off_fraction:
        return 0, 0, True, 99
    best, bits = -1.0, None
    for ph in range(phases):
        pos = np.minimum(((np.arange(46) + (ph + 0.5) / phases) * spb).astype(np.int64), n46 - 1)
        eye = float(np.sum(np.abs(y[pos])))
        if eye > best:
            best, bits = eye, y[pos] > 0
    b = bits.astype(np.int64)
    w_old = int(np.sum(b[:23] << np.arange(23)))
    w_new = int(np.sum(b[23:] << np.arange(23)))
    dist = min([bin(w_new ^ int(r)).count("1") for r in rotations], default=99)
    return w_old, w_new, False, dist


def block_moments_ref(x, block):
    """Per block: sums of |x|^2, |x|^4 and of x[n] conj(x[n-1]) (x[-1] = 0), float64."""
    x = np.asarray(x, dtype=np.complex128)
    n = x.size // block * block
    p = np.abs(x[:n]) ** 2
    lag = x * np.conj(np.concatenate([[0], x[:-1]]))
    return np.stack([p.reshape(-1, block).sum(1), (p * p).reshape(-1, block).sum(1),
                     lag[:n].real.reshape(-1, block).sum(1),
                     lag[:n].imag.reshape(-1, block).sum(1)], axis=1)


def hist_percentile_ref(hist, lo, bin_width, mean, pct):
    """The pct percentile of |v - mean| to the bin centres (sort by distance, cumulate)."""
    total = hist.sum()
    centers = lo + (np.arange(hist.size) + 0.5) * bin_width
    d = np.abs(centers - mean)
    order = np.argsort(d, kind="stable")
    cum = np.cumsum(hist[order])
    k = min(int(np.searchsorted(cum, pct / 100.0 * total)), hist.size - 1)
    return float(d[order[k]])


def window_hist_ref(x, window, lo, bin_width, nbins, pct):
    """Per window: (sum, sum of squares, percentile of |x - mean|) and the histogram rows."""
    x = np.asarray(x, dtype=np.float64)
    k = x.size // window
    w = x[:k * window].reshape(k, window)
    idx = np.clip(np.floor((w - lo) / bin_width), 0, nbins - 1).astype(np.int64)
    idx[np.isnan(w)] = nbins - 1
    hist = np.stack([np.bincount(r, minlength=nbins) for r in idx]) if k else \
        np.zeros((0, nbins), np.int64)
    sums = np.zeros((k, 3))
    for i in range(k):
        sums[i, 0] = np.sum(w[i])
        sums[i, 1] = np.sum(w[i] ** 2)
        sums[i, 2] = hist_percentile_ref(hist[i], lo, bin_width, sums[i, 0] / window, pct)
    return sums, hist


def tone_fit_ref(y, fs, f_hz, n_harmonics):
    """Least-squares DC + tone at a given frequency (numpy lstsq), its phase at sample 0, the
    residual power and the harmonics' power (each fitted by least squares in the residual)."""
    y = np.asarray(y, dtype=np.float64)
    n = np.arange(y.size)
    w = 2 * np.pi * f_hz / fs
    a = np.stack([np.ones(y.size), np.cos(w * n), np.sin(w * n)], axis=1)
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    r = y - a @ coef
    p_harm = 0.0
    for h in range(2, n_harmonics + 2):
        if h * w >= np.pi:
            break
        e = np.exp(-1j * h * w * n)
        p_harm += 2 * abs(np.sum(r * e)) ** 2 / y.size ** 2
    return {"dc": coef[0], "amp": float(np.hypot(coef[1], coef[2])),
            "phase": float(np.angle(coef[1] - 1j * coef[2])),     # y ~ amp cos(w n + phase)
            "p_total": float(np.mean((y - y.mean()) ** 2)), "p_residual": float(np.mean(r ** 2)),
            "p_harmonics": p_harm, "residual": r}


def raw_levels_ref(x, code_lo, code_hi, window):
    """Per window of raw I/Q codes: (sum I, sum Q, elements at a rail)."""
    x = np.asarray(x).astype(np.int64)
    k = x.size // 2 // window
    w = x[:2 * k * window].reshape(k, window, 2)
    clip = ((w <= code_lo) | (w >= code_hi)).sum(axis=(1, 2))
    return np.stack([w[:, :, 0].sum(1), w[:, :, 1].sum(1), clip], axis=1).astype(np.float64)


def hann_power_ref(X):
    """Per row of DFT bins: the power spectrum of the block under a periodic Hann window,
    times 8/3 (the window's mean power), computed the long way: back to time, window, DFT."""
    X = np.asarray(X, dtype=np.complex128)
    n = X.shape[1]
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    return np.abs(np.fft.fft(np.fft.ifft(X, axis=1) * w, axis=1)) ** 2 * 8 / 3


def band_power_ref(X, lo, w2):
    """Per row of DFT bins, each channel's power: its weights times the Hann-windowed power
    spectrum (:func:`hann_power_ref`) over its span of bins from ``lo`` (circular)."""
    p = hann_power_ref(X)
    n = p.shape[1]
    idx = (np.asarray(lo)[:, None] + np.arange(np.shape(w2)[1])[None, :]) % n
    return np.einsum("bcj,cj->bc", p[:, idx], np.asarray(w2, dtype=np.float64))


# ---------------------------------------------------------------------------------------------
# MDC1200 (mdc1200_kernel): the same decoder written plainly, per packet stage
# ---------------------------------------------------------------------------------------------
MDC_SYNC = 0x07092A446F


def mdc_crc_ref(four):
    """The MDC CRC (atmatthewat/mdc-encode-decode, mdc_common.c): bytes bit-reversed, CRC-16
    0x1021 from 0 MSB first, the result bit-reversed and inverted."""
    crc = 0
    for byte in four:
        rev = int(f"{byte:08b}"[::-1], 2)
        for bit in f"{rev:08b}":
            top = (crc >> 15) ^ int(bit)
            crc = (crc << 1) & 0xFFFF
            if top:
                crc ^= 0x1021
    return int(f"{crc:016b}"[::-1], 2) ^ 0xFFFF


def mdc_block_ref(soft):
    """One 112-bit block (soft values in order sent, + = 1): deinterleave, exhaustive-path
    Viterbi (64 states, data bit then parity ``d ^ d[-2] ^ d[-5] ^ d[-6]``), CRC.
    Returns (bytes, crc ok, metric, corrected)."""
    soft = np.asarray(soft, dtype=np.float64)
    code = np.array([soft[16 * (q % 7) + q // 7] for q in range(112)])
    sys_, par = code[:56], code[56:]
    paths = {(): 0.0}                    # decoded bits so far -> metric, best per state
    for n in range(56):
        nxt = {}
        for bits, m in paths.items():
            for d in (0, 1):
                b = (*bits, d)
                p = d ^ (b[-3] if n >= 2 else 0) ^ (b[-6] if n >= 5 else 0) ^ \
                    (b[-7] if n >= 6 else 0)
                mm = m + (sys_[n] if d else -sys_[n]) + (par[n] if p else -par[n])
                key = b[-6:]
                if key not in nxt or mm > nxt[key][1]:
                    nxt[key] = (b, mm)
        paths = {b: m for b, m in nxt.values()}
    bits = max(paths, key=paths.get)
    data = [sum(bits[8 * i + j] << j for j in range(8)) for i in range(7)]
    d = list(bits)
    p = [d[n] ^ (d[n - 2] if n >= 2 else 0) ^ (d[n - 5] if n >= 5 else 0)
         ^ (d[n - 6] if n >= 6 else 0) for n in range(56)]
    c = np.array(d + p)
    agree = np.sum(np.where(c == 1, code, -code))
    metric = agree / 112
    corrected = int(np.sum((code > 0) != (c == 1)))
    ok = mdc_crc_ref(data[:4]) == data[4] | (data[5] << 8)
    return data, ok, metric, corrected


def mdc1200_ref(x, spb, taps, wa, wb, n_samplers, max_dist, max_corrected, kp, ki, leak):
    """Decodes of a whole input, flushed: the kernel's algorithm as plain Python (complex
    FIR by numpy convolution, then every sampler's boundaries in time order). Returns
    (start, end, op, arg, unit, extra tuple, double, metric, corrected) tuples."""
    x = np.asarray(x, dtype=np.float64)
    L = len(taps)
    M = (L - 1) // 2
    Q = len(wa)
    w = 2 * np.pi * 1500.0 / (1200.0 * spb)
    # pad as the kernel's flush does: zeros past the end
    pad = np.zeros(int(np.ceil(2 * spb)) + 2)
    xp = np.r_[x, pad]
    c = np.convolve(xp, np.asarray(taps)[::-1], "valid") if xp.size >= L else np.zeros(0)
    near = spb / (4.0 * n_samplers)
    S = [dict(t=M + 1 + s * spb / n_samplers, rate=0.0, qual=0.0, reg=0, nreg=0, mode=0,
              soft=[], pol=1.0, t_sync=0.0, first=None, ends=[0.0] * 40)
         for s in range(n_samplers)]
    found = []
    pend = None
    last = None

    def key(p):                          # one packet: op, argument, unit
        return p[2:5]

    def better(p, q):                    # a whole packet first, then the larger metric
        return (p[6] >= 0, p[7]) > (q[6] >= 0, q[7])

    def offer(p):
        nonlocal pend, last, pend_due
        if pend is not None and key(p) == key(pend) and abs(p[1] - pend[1]) <= 2 * spb:
            if better(p, pend):
                pend = p
            return
        if last is not None and key(p) == key(last) and abs(p[1] - last[1]) <= 2 * spb:
            return
        if pend is not None:
            found.append(pend)
            last = pend
        pend = p
        pend_due = p[1] + 2 * spb + 1

    pend_due = 0.0
    for i in range(1, len(c)):
        n = i + M
        for s, sm in enumerate(S):
            t = sm["t"]
            if not t < n:
                continue
            qi = min(max(int((t - (n - 1)) * Q), 0), Q - 1)
            z = wa[qi] * c[i - 1] + wb[qi] * c[i]
            y = -z.imag
            mag = abs(z)
            err = ((-z.real if y > 0 else z.real) / mag / w) if mag > 0 else 0.0
            sm["qual"] += 0.1 * ((abs(y) / mag if mag > 0 else 0.0) - sm["qual"])
            sm["rate"] += ki * err
            if sm["mode"] == 0:
                sm["rate"] *= 1 - leak
            sm["rate"] = min(max(sm["rate"], -0.02 * spb), 0.02 * spb)
            sm["t"] = t + spb + sm["rate"] + kp * err
            if sm["mode"] == 0 and sm["nreg"] % 4 == 0:
                for r in range(s):
                    if S[r]["mode"] != 0:
                        continue
                    dphi = (sm["t"] - S[r]["t"]) % spb
                    if dphi < near or spb - dphi < near:
                        g = sm if sm["qual"] <= S[r]["qual"] else S[r]
                        g["t"] += 0.5 * spb
                        g["nreg"] = 0
                        g["qual"] = 0.0
                        break
            bit = int(y > 0)
            if sm["mode"] == 0:
                t40 = sm["ends"][0]                     # the boundary 40 bits ago
                sm["ends"] = [*sm["ends"][1:], t]
                sm["reg"] = ((sm["reg"] << 1) | bit) & ((1 << 40) - 1)
                sm["nreg"] += 1
                if sm["nreg"] >= 40:
                    dist = bin(sm["reg"] ^ MDC_SYNC).count("1")
                    if dist <= max_dist or dist >= 40 - max_dist:
                        sm.update(mode=1, soft=[], pol=1.0 if dist <= max_dist else -1.0,
                                  t_sync=t40)
                continue
            sm["soft"].append(sm["pol"] * y / mag if mag > 0 else 0.0)
            if len(sm["soft"]) < 112:
                continue
            data, ok, metric, corr = mdc_block_ref(sm["soft"])
            ok = ok and corr <= max_corrected
            start, end = int(np.ceil(sm["t_sync"])), int(np.ceil(t)) - 1
            if ok and sm["mode"] == 1 and data[0] in (0x35, 0x55):
                sm.update(mode=2, soft=[], first=(data[:4], metric, corr))
                continue
            if sm["mode"] == 2:
                f4, fm, fc = sm["first"]
                unit = (f4[2] << 8) | f4[3]
                if ok:
                    offer((start, end, f4[0], f4[1], unit, tuple(data[:4]), 1, min(metric, fm),
                           corr + fc))
                else:
                    offer((start, end, f4[0], f4[1], unit, (0, 0, 0, 0), -1, fm, fc))
            elif ok:
                offer((start, end, data[0], data[1], (data[2] << 8) | data[3], (0, 0, 0, 0), 0,
                       metric, corr))
            sm.update(mode=0, nreg=0, reg=0)
        if pend is not None and n >= pend_due:
            found.append(pend)
            last = pend
            pend = None
    if pend is not None:
        found.append(pend)
    return found


# In-band tone signalling (kernels/tones.py): DTMF and selcall runs, the long way round.
# Each hop's window is taken straight from the samples (the newest m_sub sub-blocks), its DFT
# computed directly at every tone, and the decisions written as the kernel's Notes say.
# ---------------------------------------------------------------------------------------------
def _tone_hops(x, fs, tones_hz, sub, m_sub):
    """Per hop with a full window: (window end sample, the window's samples, the aligned
    sub-block phasors Z[m, k] = sum over sub-block m of y[n] exp(-j w_k n), n from the
    window's start)."""
    x = np.asarray(x, dtype=np.float32).astype(np.float64)
    w = 2 * np.pi * np.asarray(tones_hz, dtype=np.float64) / fs
    n_win = sub * m_sub
    for b in range(m_sub - 1, x.size // sub):
        end = (b + 1) * sub
        y = x[end - n_win:end]
        e = np.exp(-1j * np.outer(np.arange(n_win), w))             # [n, K]
        z = (y[:, None] * e).reshape(m_sub, sub, -1).sum(axis=1)     # [m, K]
        yield end, y, z


def _refine_ref(z, sub):
    """The phase step of ``z`` (one tone's aligned phasors) and the corrected power (divided by
    the power a tone turning by the step loses over a sub-block's ``sub`` samples)."""
    phi = float(np.angle(np.sum(z[1:] * np.conj(z[:-1]))))
    loss = abs(np.mean(np.exp(1j * phi * np.arange(sub) / sub))) ** 2
    return phi, float(abs(np.sum(z * np.exp(-1j * phi * np.arange(z.size)))) ** 2) / loss


def _window_energy_ref(y):
    return float(np.sum(y * y) - np.sum(y) ** 2 / y.size)


def dtmf_ref(x, fs, tones_hz, sub, m_sub, limits):
    """DTMF runs of ``x`` from a fresh state: the records of ``dtmf_kernel`` as tuples
    ``(key, first, last, hops, amp_lo, amp_hi, df_lo, df_hi, frac)`` (runs that ended)."""
    (min_fraction, tol, twist_min, twist_max, other_ratio, min_amp, min_hops, guard_ratio,
     exclude_hz) = limits
    n_win = sub * m_sub
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(n_win) + 0.5) / n_win)
    grid_hz = np.arange(300.0, min(3000.0, 0.45 * fs), fs / n_win)
    tones_hz = np.asarray(tones_hz, dtype=np.float64)
    decisions = []
    for end, y, z in _tone_hops(x, fs, tones_hz, sub, m_sub):
        energy = _window_energy_ref(y)
        if not energy > 0:
            decisions.append((end, -1, 0, 0, 0, 0, 0))
            continue
        p = np.abs(z.sum(axis=0)) ** 2
        lo = int(np.argmax(p[:4]))
        hi = 4 + int(np.argmax(p[4:]))
        phi_lo, p_lo = _refine_ref(z[:, lo], sub)
        phi_hi, p_hi = _refine_ref(z[:, hi], sub)
        df_lo = phi_lo * fs / (2 * np.pi * sub) / tones_hz[lo]
        df_hi = phi_hi * fs / (2 * np.pi * sub) / tones_hz[hi]
        amp_lo, amp_hi = 2 * np.sqrt(p_lo) / n_win, 2 * np.sqrt(p_hi) / n_win
        frac = 2 * (p_lo + p_hi) / (n_win * energy)
        runner_lo = np.sort(p[:4])[-2]
        runner_hi = np.sort(p[4:])[-2]
        ok = (abs(df_lo) <= tol and abs(df_hi) <= tol and frac >= min_fraction
              and twist_min * p_lo <= p_hi <= twist_max * p_lo
              and amp_lo >= min_amp and amp_hi >= min_amp
              and runner_lo <= other_ratio * p_lo and runner_hi <= other_ratio * p_hi)
        if ok:
            n = np.arange(n_win)
            f_lo, f_hi = tones_hz[lo] * (1 + df_lo), tones_hz[hi] * (1 + df_hi)

            def line(f, n=n, y=y):
                return abs(np.sum(hann * y * np.exp(-2j * np.pi * f * n / fs))) ** 2

            pair = line(f_lo) + line(f_hi)
            guard = [line(g) for g in grid_hz
                     if abs(g - f_lo) >= exclude_hz and abs(g - f_hi) >= exclude_hz]
            ok = max(guard, default=0.0) <= guard_ratio * pair
        key = lo * 4 + (hi - 4) if ok else -1
        decisions.append((end, key, amp_lo, amp_hi, df_lo, df_hi, frac))
    runs = []
    cur = None
    for end, key, *vals in decisions:
        if cur is not None and key == cur[0]:
            cur[2] = end
            cur[3].append(vals)
            continue
        if cur is not None and len(cur[3]) >= min_hops:
            v = np.array(cur[3])
            runs.append((cur[0], cur[1], cur[2], len(v), *v[:, :4].mean(axis=0),
                         v[:, 4].max()))
        cur = [key, end, end, [vals]] if key >= 0 else None
    return runs


def selcall_ref(x, fs, tones_hz, sub, m_sub, limits):
    """Selcall runs of ``x`` from a fresh state: the records of ``selcall_kernel`` as tuples
    ``(freq, first, last, hops, amp, frac)`` (runs that ended)."""
    min_fraction, min_amp, run_tol, min_hops = limits
    n_win = sub * m_sub
    tones_hz = np.asarray(tones_hz, dtype=np.float64)
    runs = []
    cur = None                                  # [first, last, [(f, amp, frac), ...]]
    for end, y, z in _tone_hops(x, fs, tones_hz, sub, m_sub):
        energy = _window_energy_ref(y)
        f = 0.0
        if energy > 0:
            k = int(np.argmax(np.abs(z.sum(axis=0)) ** 2))
            phi, p = _refine_ref(z[:, k], sub)
            amp = 2 * np.sqrt(p) / n_win
            frac = 2 * p / (n_win * energy)
            if frac >= min_fraction and amp >= min_amp:
                f = tones_hz[k] + phi * fs / (2 * np.pi * sub)
        if f > 0 and cur is not None:
            mean = np.mean([h[0] for h in cur[2]])
            if abs(f - mean) <= run_tol * mean:
                cur[1] = end
                cur[2].append((f, amp, frac))
                continue
        if cur is not None and len(cur[2]) >= min_hops:
            v = np.array(cur[2])
            runs.append((float(v[:, 0].mean()), cur[0], cur[1], len(v), float(v[:, 1].mean()),
                         float(v[:, 2].max())))
        cur = [end, end, [(f, amp, frac)]] if f > 0 else None
    return runs
