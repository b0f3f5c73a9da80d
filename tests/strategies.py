"""Hypothesis strategies and helpers shared by the kernel tests."""

import numpy as np
from hypothesis import strategies as st


def complex_signal(n, seed, scale=1.0):
    """Deterministic complex64 noise plus a tone (so filters see structure, not only noise).

    Nothing in it is symmetric: the tone is at a positive frequency (a conjugation or an I/Q
    swap moves it to the negative one), I and Q have different DC offsets and noise levels.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = scale * (0.5 * np.exp(2j * np.pi * 0.013 * t) + (0.08 - 0.05j)
                 + 0.3 * rng.standard_normal(n) + 0.2j * rng.standard_normal(n))
    return x.astype(np.complex64)


def asymmetric(h):
    """A filter with no symmetry made from a linear-phase design ``h``: convolved with the
    short asymmetric ``[1, 0.6, -0.2] / 1.4`` (same DC gain, two taps longer), so the taps differ
    from the reversed taps by over 30 % of the largest (a kernel that reverses its taps, or a
    layout that reverses them twice, is then wrong by far more than any tolerance)."""
    g = np.convolve(np.asarray(h, dtype=np.float64), [1.0, 0.6, -0.2]) / 1.4
    assert np.max(np.abs(g - g[::-1])) > 0.3 * np.max(np.abs(g))
    return g


def real_signal(n, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (0.5 * np.sin(2 * np.pi * 0.021 * t) + 0.3 * rng.standard_normal(n)).astype(np.float32)


@st.composite
def splits(draw, n, max_cuts=6):
    """Sorted cut points in [0, n] (repeats allowed: empty chunks are part of the contract)."""
    cuts = draw(st.lists(st.integers(0, n), max_size=max_cuts))
    return sorted(cuts)


def chunked(process, x, cuts):
    """Run ``process`` over ``x`` cut at ``cuts`` and concatenate the outputs."""
    edges = [0, *cuts, len(x)]
    parts = [process(x[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return np.concatenate(parts) if parts else process(x[:0])


def assert_bit_identical(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
    assert a.tobytes() == b.tobytes(), "outputs differ"
