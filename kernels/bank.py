"""Filter-bank kernel: the power spectrum of transformed blocks under a Hann window.

``hann_power_kernel(X, out)``: for each row (a block's DFT, complex64), the power of the
Hann-windowed block's DFT, ``|X[k]/2 - (X[k-1] + X[k+1])/4|^2 * 8/3`` (indices circular; the
periodic Hann window's spectrum is those three taps, and 8/3 undoes its mean power of 3/8), in
one pass and no temporaries. Stateless: each block is whole.
"""

import numpy as np
from numba import njit

from ._config import JIT


@njit(**JIT)
def hann_power_kernel(X, out):
    nb, n = X.shape
    g = np.float32(8.0 / 3.0)
    for b in range(nb):
        for k in range(n):
            km = k - 1 if k > 0 else n - 1
            kp = k + 1 if k < n - 1 else 0
            re = 0.5 * X[b, k].real - 0.25 * (X[b, km].real + X[b, kp].real)
            im = 0.5 * X[b, k].imag - 0.25 * (X[b, km].imag + X[b, kp].imag)
            out[b, k] = (re * re + im * im) * g
