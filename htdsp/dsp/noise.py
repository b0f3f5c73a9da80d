"""Reproducible Gaussian noise (the simulator's AWGN), fast: xoshiro256+ and a ziggurat."""

import numpy as np

from htdsp.dsp._stream import StreamBlock
from htdsp.kernels import gauss_kernel, gauss_state, ziggurat_tables

_TABLES = ziggurat_tables()


class GaussianNoise(StreamBlock):
    """A stream of independent N(0, 1) values from a seed; any chunking gives the same stream.

    Examples
    --------
    >>> g = GaussianNoise(seed=7)
    >>> a = g.normal(5)
    >>> g.reset()
    >>> bool(np.array_equal(g.normal(2), a[:2])), a.dtype
    (True, dtype('float32'))
    >>> z = GaussianNoise(seed=1).complex(100_000, power=2.0)
    >>> round(float(np.mean(np.abs(z) ** 2)), 1)
    2.0
    """

    _mutable = ("_state",)
    _params = ("seed",)

    def __init__(self, seed):
        self.seed = int(seed)
        self._fresh()

    def _fresh(self):
        self._state = gauss_state(self.seed)

    def normal(self, n):
        """The next ``n`` values, float32."""
        out = np.empty(int(n), dtype=np.float32)
        gauss_kernel(*_TABLES, self._state, out)
        return out

    def process(self, x):
        """Fill an array shaped like ``x`` with the next values (the streaming face)."""
        return self.normal(np.asarray(x).size)

    def complex(self, n, power=1.0):
        """The next ``n`` circular complex Gaussian samples with mean power ``power``."""
        v = self.normal(2 * int(n))
        v *= np.float32(np.sqrt(power / 2.0))
        return v.view(np.complex64)
