"""Running statistics of an I/Q stream: power, peak, DC, imbalance moments, clipping, NaN/Inf.

State layout (``IQ_STATS_STATE``, one record), all accumulated in float64 sample by sample:
``n`` (samples), ``sum_i``, ``sum_q``, ``sum_ii``, ``sum_qq``, ``sum_iq`` (moments of the
converted values), ``peak_p`` (largest ``I**2 + Q**2``), ``clipped`` (elements at or beyond a
rail), ``nonfinite`` (NaN or infinite elements, counted and treated as 0).

Compiled without fast-math and summed in order, so any chunking gives the same sums bit for bit.
"""

import numpy as np
from numba import njit

from ._config import JIT_RECURSIVE

IQ_STATS_STATE = np.dtype([
    ("n", np.int64), ("sum_i", np.float64), ("sum_q", np.float64), ("sum_ii", np.float64),
    ("sum_qq", np.float64), ("sum_iq", np.float64), ("peak_p", np.float64),
    ("clipped", np.int64), ("nonfinite", np.int64),
])


def iq_stats_state():
    """A fresh IQ_STATS_STATE record array (one record)."""
    return np.zeros(1, dtype=IQ_STATS_STATE)


@njit(**JIT_RECURSIVE)
def iq_stats_kernel(x, offset, scale, rail_lo, rail_hi, state):
    """Accumulate statistics of interleaved I/Q elements.

    Parameters
    ----------
    x : 1-D array of any real dtype
        Interleaved elements I0, Q0, ...; an even count.
    offset, scale : float64
        Conversion ``v -> (v - offset) * scale``.
    rail_lo, rail_hi : float64
        Converted values of the ADC's lowest and highest codes; an element ``<= rail_lo`` or
        ``>= rail_hi`` counts as clipped.
    state : IQ_STATS_STATE[1]
        Mutated in place.

    Notes
    -----
    Scalar float64 loop, no fast-math: sequential sums make chunking irrelevant to the result.
    """
    n = x.shape[0] // 2
    si = state[0]["sum_i"]
    sq = state[0]["sum_q"]
    sii = state[0]["sum_ii"]
    sqq = state[0]["sum_qq"]
    siq = state[0]["sum_iq"]
    peak = state[0]["peak_p"]
    clipped = state[0]["clipped"]
    bad = state[0]["nonfinite"]
    for j in range(n):
        a = (np.float64(x[2 * j]) - offset) * scale
        b = (np.float64(x[2 * j + 1]) - offset) * scale
        if not np.isfinite(a):
            bad += 1
            a = 0.0
        if not np.isfinite(b):
            bad += 1
            b = 0.0
        if a <= rail_lo or a >= rail_hi:
            clipped += 1
        if b <= rail_lo or b >= rail_hi:
            clipped += 1
        si += a
        sq += b
        sii += a * a
        sqq += b * b
        siq += a * b
        p = a * a + b * b
        if p > peak:
            peak = p
    state[0]["n"] += n
    state[0]["sum_i"] = si
    state[0]["sum_q"] = sq
    state[0]["sum_ii"] = sii
    state[0]["sum_qq"] = sqq
    state[0]["sum_iq"] = siq
    state[0]["peak_p"] = peak
    state[0]["clipped"] = clipped
    state[0]["nonfinite"] = bad
