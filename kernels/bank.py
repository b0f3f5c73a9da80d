"""Filter-bank kernels: the power spectrum of transformed blocks under a Hann window, and
every channel's power from it.

``hann_power_kernel(X, out)``: for each row (a block's DFT, complex64), the power of the
Hann-windowed block's DFT, ``|X[k]/2 - (X[k-1] + X[k+1])/4|^2 * 8/3`` (indices circular; the
periodic Hann window's spectrum is those three taps, and 8/3 undoes its mean power of 3/8), in
one pass and no temporaries. Stateless: each block is whole.

``band_power_kernel(X, lo, w2, scratch, out)``: for each row, every channel's power: the
weighted sum of that windowed power spectrum over the channel's bins, ``out[b, c] =
sum_j w2[c, j] * P[b, (lo[c] + j) mod n]`` (``P`` as above; ``scratch`` a float32 row of
``n`` for it; ``w2`` C-ordered, or the dot does not vectorise): one pass over the row and a
contiguous dot product per channel, instead of a gather of every channel's bins into a
(blocks, channels, bins) array.
"""

import numpy as np
from numba import njit

from ._config import JIT


@njit(**JIT)
def _hann_row(x, p):
    n = x.size
    g = np.float32(8.0 / 3.0)
    h = np.float32(0.5)
    q = np.float32(0.25)
    for k in (0, n - 1):                       # the circular ends, apart: the rest vectorises
        km = k - 1 if k > 0 else n - 1
        kp = k + 1 if k < n - 1 else 0
        re = h * x[k].real - q * (x[km].real + x[kp].real)
        im = h * x[k].imag - q * (x[km].imag + x[kp].imag)
        p[k] = (re * re + im * im) * g
    for k in range(1, n - 1):
        re = h * x[k].real - q * (x[k - 1].real + x[k + 1].real)
        im = h * x[k].imag - q * (x[k - 1].imag + x[k + 1].imag)
        p[k] = (re * re + im * im) * g


@njit(**JIT)
def hann_power_kernel(X, out):
    for b in range(X.shape[0]):
        _hann_row(X[b], out[b])


@njit(**JIT)
def band_power_kernel(X, lo, w2, scratch, out):
    nb, n = X.shape
    nc, width = w2.shape
    for b in range(nb):
        _hann_row(X[b], scratch)
        for c in range(nc):
            k0 = lo[c]
            wr = w2[c]
            s = np.float32(0.0)
            if k0 + width <= n:
                # (slices: an index that cannot be negative, so the dot vectorises: 8x)
                seg = scratch[k0:k0 + width]
                for j in range(width):
                    s += wr[j] * seg[j]
            else:                                  # (a channel across bin 0)
                for j in range(width):
                    s += wr[j] * scratch[(k0 + j) % n]
            out[b, c] = s
