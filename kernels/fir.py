"""Block-buffered FIR kernels: decimating, frequency-translating decimating, rational resampler.

All three keep a *work buffer* of ``history + block`` samples per component. Each call copies the
input, block by block, behind the last ``ntaps - 1`` samples of the previous call and computes
every output as one contiguous dot product over that buffer. So an output sample is always the
same loop over the same data, whatever the chunking: chunked output is bit-identical to one call.

State layout (``<OP>_STATE``, one record):

``skip``
    index, relative to the start of the next input chunk, of the newest input sample of the next
    output's window (0 <= skip; it can exceed the next chunk's length).
``phase`` (xlate only)
    uint32 phase (held in int64) of the output de-rotation for the next output.
``phase_l`` (resample only)
    polyphase branch (0 <= phase_l < up) of the next output.

The work buffer is a separate float32 array (``(2, H + B)`` deinterleaved for the decimator,
``2 * (H + B)`` interleaved for the xlating decimator, ``(H + B,)`` for real data, ``H = taps per
branch - 1``): its size depends on the filter, and a structured dtype with
a variable-size field would compile a new kernel for every filter length.
"""

import math

import numpy as np
from numba import njit

from ._config import JIT, PHASE_MASK, PHASE_TO_RAD

FIR_DECIM_STATE = np.dtype([("skip", np.int64)])
XLATE_DECIM_STATE = np.dtype([("skip", np.int64), ("phase", np.int64)])
RESAMPLE_STATE = np.dtype([("skip", np.int64), ("phase_l", np.int64)])


def fir_decim_state():
    """A fresh FIR_DECIM_STATE record array (one record)."""
    return np.zeros(1, dtype=FIR_DECIM_STATE)


def xlate_decim_state():
    """A fresh XLATE_DECIM_STATE record array (one record)."""
    return np.zeros(1, dtype=XLATE_DECIM_STATE)


def resample_state():
    """A fresh RESAMPLE_STATE record array (one record)."""
    return np.zeros(1, dtype=RESAMPLE_STATE)


@njit(**JIT)
def xlate_decim_kernel(x, offset, scale, taps, decim, phase_step, state, work, out):
    """Frequency-translating decimating FIR with the sample conversion fused in.

    Computes ``y[k] = exp(-1j*w*n_k) * sum_j g[j] * c(x)[n_k - j]`` for ``n_k = decim*k``, where
    ``g[j] = h[j] * exp(1j*w*j)`` are the *rotated* taps (mixing the taps, not the signal, so
    there is no full-rate NCO) and ``c(v) = (v - offset) * scale`` converts the raw elements.

    Parameters
    ----------
    x : 1-D array of uint8, int8, int16 or float32
        Interleaved I, Q elements; an even count (whole samples).
    offset, scale : float32
        Element conversion, e.g. cu8: 127.5, 1/127.5; cs16: 0, 1/32768; cf32: 0, 1.
    taps : float32[2, 2 * ntaps]
        The rotated taps, reversed (``g_rev[i] = g[ntaps-1-i]``) and laid out for interleaved
        data: row 0 ``[Re g_rev[0], -Im g_rev[0], Re g_rev[1], ...]`` gives the real part of the
        output, row 1 ``[Im g_rev[0], Re g_rev[0], ...]`` the imaginary part.
    decim : int
        Decimation factor >= 1.
    phase_step : int64
        ``(dphase * decim) mod 2**32`` where ``w = 2*pi*dphase/2**32``.
    state : XLATE_DECIM_STATE[1]
        Mutated in place.
    work : float32[2 * (ntaps - 1 + B)]
        Interleaved history (first ``2*(ntaps-1)`` elements) and block; mutated in place.
    out : complex64[>= number of outputs]
        ``(n - skip + decim - 1) // decim`` outputs are written.

    Returns
    -------
    int
        Number of outputs written.

    Notes
    -----
    The buffer stays interleaved: the conversion is one contiguous elementwise loop and the
    complex dot product is two real dot products over ``2 * ntaps`` contiguous elements, both of
    which LLVM vectorises without shuffles. No allocation, no validation; fastmath from
    ``_config``.
    """
    ntaps2 = taps.shape[1]
    hist2 = ntaps2 - 2
    block = (work.shape[0] - hist2) // 2
    ta = taps[0]
    tb = taps[1]
    skip = state[0]["skip"]
    ph = state[0]["phase"]
    n = x.shape[0] // 2
    k = 0
    pos = 0
    while pos < n:
        m = min(block, n - pos)
        src = x[2 * pos:2 * (pos + m)]
        dst = work[hist2:hist2 + 2 * m]
        for j in range(2 * m):
            dst[j] = (np.float32(src[j]) - offset) * scale
        p = skip
        while p < m:
            # slice views: indexing them by the bare loop variable lets Numba drop the
            # negative-index wraparound check, which otherwise turns the loads into gathers
            seg = work[2 * p:2 * p + ntaps2]
            ar = np.float32(0.0)
            ai = np.float32(0.0)
            for i in range(ntaps2):
                v = seg[i]
                ar += ta[i] * v
                ai += tb[i] * v
            theta = ph * PHASE_TO_RAD
            c = math.cos(theta)
            s = math.sin(theta)
            out[k] = complex(ar * c + ai * s, ai * c - ar * s)
            ph = (ph + phase_step) & PHASE_MASK
            k += 1
            p += decim
        skip = p - m
        for j in range(hist2):
            work[j] = work[2 * m + j]
        pos += m
    state[0]["skip"] = skip
    state[0]["phase"] = ph
    return k


@njit(**JIT)
def fir_decim_kernel(x, taps, decim, state, work, out):
    """Decimating FIR, real taps on complex64 samples: ``y[k] = sum_j h[j] x[decim*k - j]``.

    Parameters
    ----------
    x : complex64[n]
    taps : float32[ntaps]
        Reversed taps (``taps[i] = h[ntaps-1-i]``).
    decim : int
        Decimation factor >= 1 (1 = plain FIR filter).
    state : FIR_DECIM_STATE[1]
        Mutated in place.
    work : float32[2, ntaps - 1 + B]
        History and block buffer, mutated in place.
    out : complex64
        Receives ``(skip + n - 1) // decim + 1`` outputs at most.

    Returns
    -------
    int
        Number of outputs written.

    Notes
    -----
    Equal to ``scipy.signal.upfirdn(h, x, down=decim)`` truncated to the outputs whose newest
    input sample has arrived. No allocation; fastmath from ``_config``.
    """
    ntaps = taps.shape[0]
    hist = ntaps - 1
    block = work.shape[1] - hist
    wi = work[0]
    wq = work[1]
    skip = state[0]["skip"]
    n = x.shape[0]
    k = 0
    pos = 0
    while pos < n:
        m = min(block, n - pos)
        for j in range(m):
            v = x[pos + j]
            wi[hist + j] = v.real
            wq[hist + j] = v.imag
        p = skip
        while p < m:
            ar = np.float32(0.0)
            ai = np.float32(0.0)
            si = wi[p:p + ntaps]
            sq = wq[p:p + ntaps]
            for i in range(ntaps):
                ar += taps[i] * si[i]
                ai += taps[i] * sq[i]
            out[k] = complex(ar, ai)
            k += 1
            p += decim
        skip = p - m
        for j in range(hist):
            wi[j] = wi[m + j]
            wq[j] = wq[m + j]
        pos += m
    state[0]["skip"] = skip
    return k


@njit(**JIT)
def resample_kernel(x, bank, up, down, state, work, out):
    """Rational polyphase resampler (up / down) for real float32 samples.

    ``y[m] = sum_k h[k] * xu[m*down - k]`` where ``xu`` is ``x`` with ``up - 1`` zeros after every
    sample (the ``scipy.signal.upfirdn(h, x, up, down)`` definition), computed per output as one
    branch of the polyphase bank: ``y[m] = sum_i h[phi + i*up] * x[n_m - i]`` with
    ``n_m = (m*down) // up`` and ``phi = (m*down) % up``.

    Parameters
    ----------
    x : float32[n]
    bank : float32[up, K]
        Polyphase bank, each row reversed: ``bank[phi, K-1-i] = h[phi + i*up]`` (zero-padded).
        Scale ``h`` by ``up`` for unity gain.
    up, down : int
        Coprime interpolation and decimation factors.
    state : RESAMPLE_STATE[1]
        Mutated in place.
    work : float32[K - 1 + B]
        History and block buffer, mutated in place.
    out : float32
        Receives at most ``((skip + n) * up) // down + 1`` outputs.

    Returns
    -------
    int
        Number of outputs written.
    """
    klen = bank.shape[1]
    hist = klen - 1
    block = work.shape[0] - hist
    skip = state[0]["skip"]
    phi = state[0]["phase_l"]
    n = x.shape[0]
    k = 0
    pos = 0
    while pos < n:
        m = min(block, n - pos)
        for j in range(m):
            work[hist + j] = x[pos + j]
        p = skip
        while p < m:
            row = bank[phi]
            acc = np.float32(0.0)
            seg = work[p:p + klen]
            for i in range(klen):
                acc += row[i] * seg[i]
            out[k] = acc
            k += 1
            phi += down
            p += phi // up
            phi = phi % up
        skip = p - m
        for j in range(hist):
            work[j] = work[m + j]
        pos += m
    state[0]["skip"] = skip
    state[0]["phase_l"] = phi
    return k
