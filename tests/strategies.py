"""Hypothesis strategies and helpers shared by the kernel tests."""

import numpy as np
from hypothesis import strategies as st


def complex_signal(n, seed, scale=1.0):
    """Deterministic complex64 noise plus a tone (so filters see structure, not only noise)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = scale * (0.5 * np.exp(2j * np.pi * 0.013 * t)
                 + 0.3 * (rng.standard_normal(n) + 1j * rng.standard_normal(n)))
    return x.astype(np.complex64)


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
