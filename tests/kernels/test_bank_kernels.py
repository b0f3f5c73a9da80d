"""The filter bank's kernels against their references (the long way round: back to time, window,
transform)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from htdsp.kernels import band_power_kernel, hann_power_kernel
from tests.reference import band_power_ref, hann_power_ref


@given(st.integers(1, 4), st.integers(3, 300), st.integers(0, 2**31))
def test_hann_power_is_the_windowed_block_spectrum(nb, n, seed):
    rng = np.random.default_rng(seed)
    # complex and lopsided (an offset, a tilt): the circular neighbours' order matters
    X = (rng.standard_normal((nb, n)) * np.linspace(0.1, 3.0, n)
         + 1j * (rng.standard_normal((nb, n)) + 0.4)).astype(np.complex64)
    out = np.empty((nb, n), dtype=np.float32)
    hann_power_kernel(X, out)
    want = hann_power_ref(X)
    assert np.allclose(out, want, rtol=2e-4, atol=2e-5 * want.max())


def test_a_bin_tone_is_three_bins():
    # a tone on bin 5 of 16: the window spreads it to bins 4, 5, 6 (1/4, 1, 1/4 in amplitude)
    X = np.zeros((1, 16), np.complex64)
    X[0, 5] = 16.0
    out = np.empty((1, 16), np.float32)
    hann_power_kernel(X, out)
    assert np.flatnonzero(out[0]).tolist() == [4, 5, 6]
    assert np.allclose(out[0, [4, 5, 6]], np.array([16, 64, 16]) * 8 / 3)


@given(st.integers(1, 4), st.integers(8, 300), st.integers(1, 6), st.integers(0, 2**31))
def test_band_power_is_the_weighted_windowed_spectrum(nb, n, channels, seed):
    # channels anywhere (across bin 0 too), lopsided weights: a reversed or shifted span fails
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((nb, n)) * np.linspace(0.1, 3.0, n)
         + 1j * (rng.standard_normal((nb, n)) + 0.4)).astype(np.complex64)
    width = int(rng.integers(1, n + 1))
    lo = rng.integers(0, n, channels).astype(np.int64)
    w2 = (rng.random((channels, width)) * np.linspace(1.0, 0.1, width)).astype(np.float32)
    out = np.empty((nb, channels), np.float32)
    band_power_kernel(X, lo, w2, np.empty(n, np.float32), out)
    want = band_power_ref(X, lo, w2)
    assert np.allclose(out, want, rtol=2e-4, atol=1e-6 * want.max())


def test_band_power_of_a_bin_tone():
    # a tone on bin 5 of 16 (windowed: 16, 64, 16 x 8/3 on bins 4-6): a channel over bins 3-6
    # with weights 1, 2, 3, 4 reads 2 x 16 + 3 x 64 + 4 x 16, one over bins 14-1 nothing
    X = np.zeros((1, 16), np.complex64)
    X[0, 5] = 16.0
    out = np.empty((1, 2), np.float32)
    w2 = np.array([[1, 2, 3, 4], [1, 1, 1, 1]], np.float32)
    band_power_kernel(X, np.array([3, 14]), w2, np.empty(16, np.float32), out)
    assert np.allclose(out[0], [(2 * 16 + 3 * 64 + 4 * 16) * 8 / 3, 0.0])
