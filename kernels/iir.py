"""Recursive audio filters: first-order section (de-emphasis) and cascaded biquads.

Recursions cannot be vectorised over samples; both kernels run a scalar float64 loop (float64
keeps the 300 Hz high-pass's poles, close to z = 1, accurate) and write float32.

State layouts:

``DEEMPH_STATE`` (one record): ``x1``, ``y1`` (float64), the previous input and output.

``sosfilt_kernel`` keeps scipy's layout instead of a record: ``zi`` float64[n_sections, 2],
the transposed-direct-form-II delays of each section (as ``scipy.signal.sosfilt``'s ``zi``), so a
``zi`` from ``scipy.signal.sosfilt_zi`` can be passed straight in.
"""

import numpy as np
from numba import njit

from ._config import JIT_RECURSIVE

DEEMPH_STATE = np.dtype([("x1", np.float64), ("y1", np.float64)])


def deemph_state():
    """A fresh DEEMPH_STATE record array (one record)."""
    return np.zeros(1, dtype=DEEMPH_STATE)


def sosfilt_state(n_sections):
    """Fresh (zero) biquad delays, float64[n_sections, 2]."""
    return np.zeros((n_sections, 2), dtype=np.float64)


@njit(**JIT_RECURSIVE)
def deemph_kernel(x, b0, b1, a1, state, out):
    """First-order IIR: ``y[n] = b0*x[n] + b1*x[n-1] - a1*y[n-1]``.

    Parameters
    ----------
    x : float32[n]
    b0, b1, a1 : float64
        Coefficients (``a0 = 1``); the de-emphasis design is in ``htdsp.dsp.iir``.
    state : DEEMPH_STATE[1]
        Mutated in place.
    out : float32[n]
    """
    x1 = state[0]["x1"]
    y1 = state[0]["y1"]
    for j in range(x.shape[0]):
        v = np.float64(x[j])
        y1 = b0 * v + b1 * x1 - a1 * y1
        x1 = v
        out[j] = y1
    state[0]["x1"] = x1
    state[0]["y1"] = y1


@njit(**JIT_RECURSIVE)
def sosfilt_kernel(x, sos, zi, out):
    """Cascade of biquads (transposed direct form II), as ``scipy.signal.sosfilt``.

    Parameters
    ----------
    x : float32[n]
    sos : float64[n_sections, 6]
        ``[b0, b1, b2, a0, a1, a2]`` per section with ``a0 == 1``.
    zi : float64[n_sections, 2]
        Section delays; mutated in place.
    out : float32[n]
    """
    n = x.shape[0]
    for j in range(n):
        out[j] = x[j]
    # Two sections per pass over the chunk, delays in registers: the two recursions are
    # independent within a sample step, so the CPU overlaps their latency chains (a recursion
    # is latency-bound). Values passed between passes are rounded to float32 (about -150 dB).
    nsec = sos.shape[0]
    s = 0
    while s + 1 < nsec:
        a0, a1_, a2_, a4, a5 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
        t = s + 1
        c0, c1, c2, c4, c5 = sos[t, 0], sos[t, 1], sos[t, 2], sos[t, 4], sos[t, 5]
        p0 = zi[s, 0]
        p1 = zi[s, 1]
        q0 = zi[s + 1, 0]
        q1 = zi[s + 1, 1]
        for j in range(n):
            v = np.float64(out[j])
            y = a0 * v + p0
            p0 = a1_ * v - a4 * y + p1
            p1 = a2_ * v - a5 * y
            w = c0 * y + q0
            q0 = c1 * y - c4 * w + q1
            q1 = c2 * y - c5 * w
            out[j] = w
        zi[s, 0] = p0
        zi[s, 1] = p1
        zi[s + 1, 0] = q0
        zi[s + 1, 1] = q1
        s += 2
    if s < nsec:
        b0, b1, b2, b4, b5 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
        z0 = zi[s, 0]
        z1 = zi[s, 1]
        for j in range(n):
            v = np.float64(out[j])
            y = b0 * v + z0
            z0 = b1 * v - b4 * y + z1
            z1 = b2 * v - b5 * y
            out[j] = y
        zi[s, 0] = z0
        zi[s, 1] = z1
