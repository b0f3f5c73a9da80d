"""FM discriminators: exact (atan2) and a fast vectorisable polynomial approximation.

Both compute ``y[n] = gain * arg(x[n] * conj(x[n-1]))``: the phase step per sample, which is
``2*pi*f_inst/fs`` for a tone at ``f_inst``; ``gain = fs / (2*pi*deviation_hz)`` scales rated
peak deviation to 1.0.

State layout (``FM_DEMOD_STATE``, one record): ``prev_re``, ``prev_im`` (float32): the last input
sample of the previous call (0 at start, so the first output is 0). Both discriminators read 0
wherever the product is exactly zero (all-zero input gives silence, never NaN).
"""

import math

import numpy as np
from numba import njit

from ._config import JIT

FM_DEMOD_STATE = np.dtype([("prev_re", np.float32), ("prev_im", np.float32)])

#: odd minimax-style polynomial for atan(t), t in [0, 1]: atan(t) ~ t * P(t*t)
ATAN_COEFFS = (
    0.99997722, -0.33262283, 0.19354037, -0.11642647, 0.05264734, -0.01171913,
)
#: stated bound of the fast discriminator's phase error, radians (tested)
FAST_MAX_PHASE_ERROR_RAD = 2.5e-6

_C0, _C1, _C2, _C3, _C4, _C5 = (np.float32(c) for c in ATAN_COEFFS)
_HALF_PI = np.float32(math.pi / 2)
_PI = np.float32(math.pi)
_TINY = np.float32(1e-30)


def fm_demod_state():
    """A fresh FM_DEMOD_STATE record array (one record)."""
    return np.zeros(1, dtype=FM_DEMOD_STATE)


@njit(**JIT)
def _atan2_fast(im, re):
    """Branch-free float32 atan2 (selects, no calls), |error| < 2e-6 rad; atan2(0, 0) = 0."""
    ax = abs(re)
    ay = abs(im)
    mx = max(ax, ay)
    mn = min(ax, ay)
    t = mn / max(mx, _TINY)
    z = t * t
    r = t * (_C0 + z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * _C5)))))
    r = _HALF_PI - r if ay > ax else r
    r = _PI - r if re < 0 else r
    return -r if im < 0 else r


@njit(**JIT)
def fm_demod_kernel(x, gain, state, out):
    """Exact polar discriminator: ``y[n] = gain * atan2(Im(x[n] x*[n-1]), Re(...))``.

    Parameters
    ----------
    x : complex64[n]
    gain : float32
        Output scale, ``fs / (2*pi*deviation_hz)`` for audio where 1.0 = rated peak deviation.
    state : FM_DEMOD_STATE[1]
        Mutated in place.
    out : float32[n]

    Notes
    -----
    Calls ``math.atan2`` per sample (a scalar libm call: this llvmlite has no SVML, so it does not
    vectorise). Use ``fm_demod_fast_kernel`` for speed.
    """
    n = x.shape[0]
    if n == 0:
        return
    pr = state[0]["prev_re"]
    pi_ = state[0]["prev_im"]
    for j in range(n):
        v = x[j]
        re = v.real * pr + v.imag * pi_
        im = v.imag * pr - v.real * pi_
        # a zero vector (silence, or no previous sample yet) reads 0, not atan2(-0., -0.) = pi
        out[j] = gain * np.float32(math.atan2(im, re)) if (re != 0 or im != 0) else 0.0
        pr = v.real
        pi_ = v.imag
    state[0]["prev_re"] = pr
    state[0]["prev_im"] = pi_


@njit(**JIT)
def fm_demod_fast_kernel(x, gain, state, out):
    """Fast polar discriminator with a polynomial atan2 (vectorises).

    Same contract as ``fm_demod_kernel``; the phase differs from the exact ``atan2`` by less than
    ``FAST_MAX_PHASE_ERROR_RAD`` (2.5e-6 rad, about -110 dB relative to a 1.5 kHz deviation tone
    at 48 kS/s).

    Notes
    -----
    ``atan(t)`` for ``t = min/max`` in [0, 1] is an odd degree-11 polynomial (fitted to minimise
    the maximum error), then reflected into the right octant with selects, so the loop has no
    branches and LLVM vectorises it. The first sample uses the previous call's last sample; the
    rest read ``x[j-1]`` from the array, so there is no loop-carried dependency.
    """
    n = x.shape[0]
    if n == 0:
        return
    v = x[0]
    pr = state[0]["prev_re"]
    pi_ = state[0]["prev_im"]
    out[0] = gain * _atan2_fast(v.imag * pr - v.real * pi_, v.real * pr + v.imag * pi_)
    cur = x[1:]
    prev = x[:n - 1]
    dst = out[1:n]
    for j in range(n - 1):
        a = cur[j]
        b = prev[j]
        re = a.real * b.real + a.imag * b.imag
        im = a.imag * b.real - a.real * b.imag
        dst[j] = gain * _atan2_fast(im, re)
    last = x[n - 1]
    state[0]["prev_re"] = last.real
    state[0]["prev_im"] = last.imag
