"""Kernels of the signal simulator: a Gaussian generator and a frequency-translating interpolator.

``gauss_kernel``: xoshiro256+ (Blackman & Vigna) feeding the Marsaglia-Tsang ziggurat (128
layers). Layer index and value come from different bits of each 64-bit draw (the original shares
them, the flaw Doornik 2005 describes). State ``GAUSS_STATE``: ``s0..s3`` (uint64), the xoshiro
state; the ziggurat tables are constants passed in (``ziggurat_tables()``).

``xlate_interp_kernel``: polyphase interpolation by ``up`` of complex samples with rotated taps,
so the output is shifted by ``w`` without a full-rate NCO. State ``XLATE_INTERP_STATE``:
``phase`` (uint32 held in int64) of the input rotation; the work buffer holds the last ``K - 1``
inputs (``K`` taps per branch).
"""

import math

import numpy as np
from numba import njit

from ._config import JIT, JIT_RECURSIVE, PHASE_MASK

GAUSS_STATE = np.dtype([("s0", np.uint64), ("s1", np.uint64), ("s2", np.uint64),
                        ("s3", np.uint64)])
XLATE_INTERP_STATE = np.dtype([("phase", np.int64)])

_M64 = (1 << 64) - 1


def _splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & _M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return x, z ^ (z >> 31)


def gauss_state(seed):
    """A GAUSS_STATE record seeded from an integer with splitmix64 (never all-zero)."""
    st = np.zeros(1, dtype=GAUSS_STATE)
    x = int(seed) & _M64
    for name in ("s0", "s1", "s2", "s3"):
        x, v = _splitmix64(x)
        st[0][name] = v
    return st


def ziggurat_tables():
    """``(kn, wn, fn)`` of the 128-layer normal ziggurat (Marsaglia & Tsang 2000)."""
    m1 = 2147483648.0
    dn = 3.442619855899
    tn = dn
    vn = 9.91256303526217e-3
    kn = np.zeros(128, dtype=np.int64)
    wn = np.zeros(128, dtype=np.float64)
    fn = np.zeros(128, dtype=np.float64)
    q = vn / math.exp(-0.5 * dn * dn)
    kn[0] = int((dn / q) * m1)
    kn[1] = 0
    wn[0] = q / m1
    wn[127] = dn / m1
    fn[0] = 1.0
    fn[127] = math.exp(-0.5 * dn * dn)
    for i in range(126, 0, -1):
        dn = math.sqrt(-2.0 * math.log(vn / dn + math.exp(-0.5 * dn * dn)))
        kn[i + 1] = int((dn / tn) * m1)
        tn = dn
        fn[i] = math.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


@njit(**JIT_RECURSIVE)
def _next(s):
    """xoshiro256+ step on a 4-element uint64 array; returns the 64-bit output."""
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    result = s0 + s3
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
    s[0], s[1], s[2], s[3] = s0, s1, s2, s3
    return result


@njit(**JIT_RECURSIVE)
def _uniform(s):
    """Uniform in (0, 1): the top 53 bits, never exactly 0."""
    return (np.float64(_next(s) >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(**JIT_RECURSIVE)
def _normal_slow(s, kn, wn, fn, iz, hz):
    """The ziggurat's rejection path for a draw that missed the fast test (about 3 %)."""
    while True:
        x = hz * wn[iz]
        if iz == 0:
            # the base strip: the tail beyond r = 3.442620 (Marsaglia's method)
            while True:
                x = -math.log(_uniform(s)) * 0.2904764
                y = -math.log(_uniform(s))
                if y + y >= x * x:
                    break
            return 3.442620 + x if hz > 0 else -3.442620 - x
        if fn[iz] + _uniform(s) * (fn[iz - 1] - fn[iz]) < math.exp(-0.5 * x * x):
            return x
        r = _next(s)
        iz = np.int64(r & np.uint64(127))
        hz = np.int64(np.int32(np.uint32(r >> np.uint64(32))))
        if abs(hz) < kn[iz]:
            return hz * wn[iz]


@njit(**JIT_RECURSIVE)
def gauss_kernel(kn, wn, fn, state, out):
    """Fill ``out`` (float32) with independent N(0, 1) values.

    Parameters
    ----------
    kn, wn, fn : int64[128], float64[128], float64[128]
        Ziggurat tables from ``ziggurat_tables()``.
    state : GAUSS_STATE[1]
        Mutated in place: the stream continues across calls, so any chunking gives the same values.
    out : float32[n]

    Notes
    -----
    About 99 % of draws take the fast path (one 64-bit draw, one compare, one multiply). Scalar
    loop (the rejection branches do not vectorise); no fast-math, for exact reproducibility.
    """
    s = np.empty(4, dtype=np.uint64)
    s0 = state[0]["s0"]
    s1 = state[0]["s1"]
    s2 = state[0]["s2"]
    s3 = state[0]["s3"]
    for j in range(out.shape[0]):
        # the fast path inline with the generator state in registers (a call per value cost
        # 50 ns, state in an array 2.6 ns); the rare rejections go through a helper
        r = s0 + s3
        t = s1 << np.uint64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
        iz = np.int64(r & np.uint64(127))
        hz = np.int64(np.int32(np.uint32(r >> np.uint64(32))))
        if abs(hz) < kn[iz]:
            out[j] = hz * wn[iz]
        else:
            s[0], s[1], s[2], s[3] = s0, s1, s2, s3
            out[j] = _normal_slow(s, kn, wn, fn, iz, hz)
            s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    state[0]["s0"] = s0
    state[0]["s1"] = s1
    state[0]["s2"] = s2
    state[0]["s3"] = s3


def xlate_interp_state():
    """A fresh XLATE_INTERP_STATE record array (one record)."""
    return np.zeros(1, dtype=XLATE_INTERP_STATE)


@njit(**JIT)
def xlate_interp_kernel(x, bank_a, bank_b, phase_step, tables, state, work, out):
    """Frequency-translating polyphase interpolator: ``y[n] = exp(1j w n) (h * x_up)[n]``.

    With ``g[k] = h[k] exp(1j w k)`` and ``v[i] = x[i] exp(1j w up i)``, each output block
    ``y[i*up + p] = sum_m g[p + m*up] v[i - m]`` (``p = 0..up-1``): the rotation runs at the low
    rate and the taps carry the rest.

    Parameters
    ----------
    x : complex64[n]
        Low-rate input.
    bank_a, bank_b : float32[K, 2*up]
        Branch taps laid out for interleaved output: ``bank_a[m, 2p] = Re g[p + m up]``,
        ``bank_a[m, 2p+1] = Im g[...]``, ``bank_b[m, 2p] = -Im g[...]``, ``bank_b[m, 2p+1] =
        Re g[...]`` (scale ``h`` by ``up`` for unity gain).
    phase_step : int64
        ``(dphase * up) mod 2**32``: the input rotation per input sample.
    tables : tuple of complex128 arrays
        ``phase_tables()``: the rotation is a table lookup of the integer phase.
    state : XLATE_INTERP_STATE[1]
        Mutated in place.
    work : float32[2, K - 1 + B]
        Rotated-input history and block buffer; mutated in place.
    out : float32[2 * up * n]
        Interleaved output (a float32 view of complex64), fully written.

    Notes
    -----
    The inner loop runs over the ``2*up`` interleaved outputs of one input sample with the
    input broadcast, so it vectorises for any ``up``. No allocation; fastmath from ``_config``.
    """
    t_hi, t_mid, t_lo = tables
    klen = bank_a.shape[0]
    w2 = bank_a.shape[1]
    hist = klen - 1
    block = work.shape[1] - hist
    wr = work[0]
    wi = work[1]
    ph = state[0]["phase"]
    n = x.shape[0]
    pos = 0
    while pos < n:
        m = min(block, n - pos)
        for j in range(m):
            r = t_hi[ph >> 21] * t_mid[(ph >> 10) & 2047] * t_lo[ph & 1023]
            c = r.real
            s = r.imag
            v = x[pos + j]
            wr[hist + j] = v.real * c - v.imag * s
            wi[hist + j] = v.real * s + v.imag * c
            ph = (ph + phase_step) & PHASE_MASK
        for j in range(m):
            dst = out[(pos + j) * w2:(pos + j + 1) * w2]
            for q in range(w2):
                dst[q] = 0.0
            for k in range(klen):
                vr = wr[hist + j - k]
                vi = wi[hist + j - k]
                ra = bank_a[k]
                rb = bank_b[k]
                for q in range(w2):
                    dst[q] += ra[q] * vr + rb[q] * vi
        for j in range(hist):
            wr[j] = wr[m + j]
            wi[j] = wi[m + j]
        pos += m
    state[0]["phase"] = ph
