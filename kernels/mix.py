"""Mixing: phase-continuous NCO frequency shift and the complex DC blocker.

State layouts (one record each):

``NCO_STATE``: ``phase`` (int64 holding an unsigned 32-bit phase; 2**32 = one turn) of the next
sample. The phase of sample ``n`` of a chunk is ``(phase + n * dphase) mod 2**32``, computed
directly (no loop-carried rounding), so any chunking gives the same phases exactly.

``DC_BLOCK_STATE``: ``x1_re``, ``x1_im``, ``y1_re``, ``y1_im`` (float64): the previous input and
output of the recursion.
"""

import numpy as np
from numba import njit

from ._config import JIT, JIT_RECURSIVE, PHASE_MASK

NCO_STATE = np.dtype([("phase", np.int64)])
DC_BLOCK_STATE = np.dtype(
    [("x1_re", np.float64), ("x1_im", np.float64), ("y1_re", np.float64), ("y1_im", np.float64)]
)


def nco_state():
    """A fresh NCO_STATE record array (one record)."""
    return np.zeros(1, dtype=NCO_STATE)


def dc_block_state():
    """A fresh DC_BLOCK_STATE record array (one record)."""
    return np.zeros(1, dtype=DC_BLOCK_STATE)


@njit(**JIT)
def nco_kernel(x, dphase, tables, state, out):
    """Frequency shift: ``y[n] = x[n] * exp(1j * 2*pi * phase_n / 2**32)``.

    Parameters
    ----------
    x : complex64[n]
    dphase : int64
        Phase increment per sample, ``round(shift_hz / fs * 2**32) mod 2**32``.
    tables : tuple of complex128 arrays
        ``_config.phase_tables()``.
    state : NCO_STATE[1]
        Mutated in place.
    out : complex64[n]

    Notes
    -----
    ``phase_n = (phase + n * dphase) mod 2**32`` in exact integer arithmetic; the phasor is a
    product of three table entries of that integer (11 + 11 + 10 bits, float64), exact to about
    1e-15: no phase-truncation spurs, and no libm call per sample (this llvmlite has no vector
    sincos). Frequency resolution ``fs / 2**32``.
    """
    t_hi, t_mid, t_lo = tables
    n = x.shape[0]
    ph0 = state[0]["phase"]
    for j in range(n):
        ph = (ph0 + j * dphase) & PHASE_MASK
        r = t_hi[ph >> 21] * t_mid[(ph >> 10) & 2047] * t_lo[ph & 1023]
        c = r.real
        s = r.imag
        v = x[j]
        out[j] = complex(v.real * c - v.imag * s, v.real * s + v.imag * c)
    state[0]["phase"] = (ph0 + n * dphase) & PHASE_MASK


@njit(**JIT_RECURSIVE)
def dc_block_kernel(x, alpha, state, out):
    """DC blocker: ``y[n] = x[n] - x[n-1] + alpha * y[n-1]`` on complex samples.

    Parameters
    ----------
    x : complex64[n]
    alpha : float64
        Pole radius, ``0 < alpha < 1`` (closer to 1 = narrower notch at 0 Hz).
    state : DC_BLOCK_STATE[1]
        Mutated in place.
    out : complex64[n]

    Notes
    -----
    Recursive: a scalar float64 loop (the recursion cannot be vectorised over samples).
    """
    xr = state[0]["x1_re"]
    xi = state[0]["x1_im"]
    yr = state[0]["y1_re"]
    yi = state[0]["y1_im"]
    for j in range(x.shape[0]):
        v = x[j]
        vr = np.float64(v.real)
        vi = np.float64(v.imag)
        yr = vr - xr + alpha * yr
        yi = vi - xi + alpha * yi
        xr = vr
        xi = vi
        out[j] = complex(yr, yi)
    state[0]["x1_re"] = xr
    state[0]["x1_im"] = xi
    state[0]["y1_re"] = yr
    state[0]["y1_im"] = yi
