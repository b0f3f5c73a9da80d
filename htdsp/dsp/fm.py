"""FM discriminator (Python faces)."""

import math

import numpy as np

from htdsp.dsp._stream import StreamBlock, as_complex64, check_fs, run_functional
from htdsp.kernels import fm_demod_fast_kernel, fm_demod_kernel, fm_demod_state

#: rated peak deviation for each common channel bandwidth (measurement.md 2b)
DEVIATION_FOR_BANDWIDTH = {12500.0: 2500.0, 20000.0: 4000.0, 25000.0: 5000.0}


def default_deviation_hz(bandwidth_hz):
    """Rated peak deviation for a channel bandwidth: 12.5k -> 2.5k, 20k -> 4k, 25k -> 5k.

    Other bandwidths scale as 20 % of the bandwidth (the same rule as the table).

    Examples
    --------
    >>> default_deviation_hz(12500)
    2500.0
    """
    bw = float(bandwidth_hz)
    return DEVIATION_FOR_BANDWIDTH.get(bw, 0.2 * bw)


def fm_gain(fs, deviation_hz):
    """Discriminator scale so that ``deviation_hz`` reads 1.0: ``fs / (2 pi deviation_hz)``."""
    fs = check_fs(fs)
    if not deviation_hz > 0:
        raise ValueError(f"deviation_hz must be positive, got {deviation_hz!r}")
    return np.float32(fs / (2.0 * math.pi * float(deviation_hz)))


def fm_demod_zi():
    """Initial state for :func:`fm_demod` (previous sample 0)."""
    return fm_demod_state()


def fm_demod(x, *, fs, deviation_hz, fast=True, zi=None):
    """Polar FM discriminator: instantaneous frequency / ``deviation_hz``.

    Parameters
    ----------
    x : array_like of complex
        Channel-filtered baseband samples.
    fs : float
        Sample rate, Hz.
    deviation_hz : float
        Deviation that reads 1.0 (rated peak deviation).
    fast : bool
        Polynomial atan2 (vectorised, error below 2.5e-6 rad) instead of ``math.atan2``.
    zi : FM_DEMOD_STATE array, optional

    Returns
    -------
    y : float32 ndarray
    zf : FM_DEMOD_STATE array
        Only when ``zi`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 48000.0
    >>> x = np.exp(2j * np.pi * 1500 * np.arange(100) / fs).astype(np.complex64)
    >>> y = fm_demod(x, fs=fs, deviation_hz=2500)
    >>> round(float(y[1:].mean()), 4)
    0.6
    """
    return run_functional(FMDemodulator(fs=fs, deviation_hz=deviation_hz, fast=fast), x, zi)


class FMDemodulator(StreamBlock):
    """Stateful FM discriminator (see :func:`fm_demod`).

    Examples
    --------
    >>> import numpy as np
    >>> d = FMDemodulator(fs=8000.0, deviation_hz=1000.0)
    >>> x = np.exp(2j * np.pi * 500 * np.arange(8) / 8000).astype(np.complex64)
    >>> np.round(d.process(x)[1:], 4)
    array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], dtype=float32)
    """

    _mutable = ("_state",)
    _params = ("fs", "deviation_hz", "fast")

    def __init__(self, *, fs, deviation_hz, fast=True):
        self.fs = check_fs(fs)
        self.deviation_hz = float(deviation_hz)
        self.fast = bool(fast)
        self._gain = fm_gain(self.fs, self.deviation_hz)
        self._kernel = fm_demod_fast_kernel if self.fast else fm_demod_kernel
        self._fresh()

    def _fresh(self):
        self._state = fm_demod_state()

    def process(self, x):
        """Demodulate a chunk; returns float32 of the same length."""
        x = as_complex64(x)
        y = np.empty(x.size, dtype=np.float32)
        self._kernel(x, self._gain, self._state, y)
        return y
