"""Raw interleaved I/Q elements -> complex64 samples (cu8, cs8, cs16; scales in measurement.md 2b).

One kernel serves every integer format: ``y = (v - offset) * scale`` per element, written into a
float32 view of the complex64 output. Streams may split a sample between two chunks (a byte stream
read in odd sizes): the unpaired I element waits in the state.

State layout (``CONVERT_STATE``, one record): ``pending`` (float32, the converted I element
waiting for its Q), ``has_pending`` (uint8, 0 or 1).
"""

import numpy as np
from numba import njit

from ._config import JIT

CONVERT_STATE = np.dtype([("pending", np.float32), ("has_pending", np.uint8)])

#: (offset, scale) per format name, v -> (v - offset) * scale
FORMAT_SCALES = {
    "cu8": (127.5, 1.0 / 127.5),
    "cs8": (0.0, 1.0 / 128.0),
    "cs16": (0.0, 1.0 / 32768.0),
    "cf32": (0.0, 1.0),
}


def convert_state():
    """A fresh CONVERT_STATE record array (one record)."""
    return np.zeros(1, dtype=CONVERT_STATE)


@njit(**JIT)
def convert_kernel(x, offset, scale, state, out):
    """Convert interleaved I/Q elements to complex samples.

    Parameters
    ----------
    x : 1-D array of uint8, int8, int16 or float32
        Interleaved elements I0, Q0, I1, Q1, ... (a chunk may start or end mid-sample).
    offset, scale : float32
        ``y = (v - offset) * scale``; see ``FORMAT_SCALES``.
    state : CONVERT_STATE[1]
        Mutated in place.
    out : float32[>= 2 * ((len(x) + 1) // 2)]
        A float32 view of the complex64 output; receives whole samples.

    Returns
    -------
    int
        Number of complex samples written: ``(has_pending + len(x)) // 2``.

    Notes
    -----
    Elementwise, so it vectorises; no allocation. fastmath may turn the division by the scale's
    reciprocal into a multiplication (1 ulp).
    """
    n = x.shape[0]
    p = np.int64(state[0]["has_pending"])
    if p:
        out[0] = state[0]["pending"]
    seg = out[p:p + n]
    for j in range(n):
        seg[j] = (np.float32(x[j]) - offset) * scale
    total = p + n
    if total % 2:
        state[0]["pending"] = out[total - 1]
        state[0]["has_pending"] = 1
    else:
        state[0]["has_pending"] = 0
    return total // 2


@njit(**JIT)
def quantize_kernel(x, scale, offset, lo, hi, out):
    """Float elements -> integer codes: ``clip(rint(v * scale + offset), lo, hi)``.

    Parameters
    ----------
    x : float32[n]
        Elements (a float32 view of complex64 samples).
    scale, offset : float32
        ``1 / format scale`` and the format offset (cu8: 127.5, 127.5; cs16: 32768, 0).
    lo, hi : float32
        The code range (cu8: 0, 255).
    out : integer array [n]
        Receives the codes.

    Returns
    -------
    int
        How many elements were clipped (at or beyond a rail before clipping).

    Notes
    -----
    Stateless and elementwise, so any chunking gives the same codes. Rounds half to even, as
    ``np.rint``. NaN becomes ``lo`` (counted as clipped).
    """
    clipped = 0
    for j in range(x.shape[0]):
        v = np.rint(x[j] * scale + offset)
        if not v > lo:
            clipped += 1
            v = lo
        elif v >= hi:
            clipped += 1
            v = hi
        out[j] = v
    return clipped
