"""gauss_kernel: exact against the plain-Python reference, streaming contract, distribution."""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from htdsp.dsp.noise import GaussianNoise
from htdsp.kernels import gauss_state
from tests import reference as ref
from tests.strategies import splits


@given(seed=st.integers(0, 2**63), n=st.integers(0, 400))
def test_gauss_matches_the_python_reference_exactly(seed, n):
    words = [int(gauss_state(seed)[0][k]) for k in ("s0", "s1", "s2", "s3")]
    assert GaussianNoise(seed).normal(n).tobytes() == ref.gauss_ref(words, n).tobytes()


@given(data=st.data(), seed=st.integers(0, 2**32), n=st.integers(0, 5000))
def test_gauss_any_chunking_is_the_same_stream(data, seed, n):
    whole = GaussianNoise(seed).normal(n)
    cuts = data.draw(splits(n))
    g = GaussianNoise(seed)
    parts = [g.normal(b - a) for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    assert np.concatenate(parts).tobytes() == whole.tobytes()


def test_gauss_copy_reset_empty():
    g = GaussianNoise(3)
    g.normal(1000)
    twin = g.copy()
    assert twin.normal(500).tobytes() == g.normal(500).tobytes()
    before = g.state["state"].tobytes()
    assert g.normal(0).size == 0 and g.state["state"].tobytes() == before
    g.reset()
    assert g.normal(10).tobytes() == GaussianNoise(3).normal(10).tobytes()


def test_gauss_is_standard_normal_including_the_tails():
    x = GaussianNoise(2026).normal(2_000_000).astype(np.float64)
    assert abs(x.mean()) < 0.003 and abs(x.std() - 1) < 0.002
    assert scipy.stats.kstest(x[:200_000], "norm").pvalue > 0.01
    for t in (2.0, 3.0, 4.0):             # tails: the ziggurat's base strip and wedges
        p = np.mean(np.abs(x) > t)
        expect = 2 * scipy.stats.norm.sf(t)
        assert p == pytest.approx(expect, rel=5 * np.sqrt(1 / (expect * x.size)) + 0.01)
    # no correlation between neighbours (index and value bits are separate)
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.003


def test_complex_noise_power_and_independence_of_seeds():
    z = GaussianNoise(5).complex(400_000, power=0.25)
    assert np.mean(np.abs(z) ** 2) == pytest.approx(0.25, rel=0.01)
    assert abs(np.mean(z.real * z.imag)) < 0.002
    a, b = GaussianNoise(1).normal(100_000), GaussianNoise(2).normal(100_000)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01
