"""The filter bank's kernel against its reference (the long way round: back to time, window,
transform)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from htdsp.kernels import hann_power_kernel
from tests.reference import hann_power_ref


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
