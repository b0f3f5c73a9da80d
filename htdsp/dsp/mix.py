"""Frequency shifting (phase-continuous NCO) and the complex DC blocker."""

import math

import numpy as np

from htdsp.dsp._stream import StreamBlock, as_complex64, check_fs, run_functional
from htdsp.kernels import dc_block_kernel, dc_block_state, nco_kernel, nco_state
from htdsp.kernels._config import PHASE_BITS, phase_tables

_PHASE_TABLES = phase_tables()


def phase_increment(shift_hz, fs):
    """The NCO's integer phase increment for ``shift_hz`` at ``fs`` (2**32 = one turn).

    The realised shift is ``dphase * fs / 2**32`` (resolution ``fs / 2**32``); see
    :func:`realised_shift_hz`.
    """
    fs = check_fs(fs)
    return int(round(float(shift_hz) / fs * (1 << PHASE_BITS))) % (1 << PHASE_BITS)


def realised_shift_hz(shift_hz, fs):
    """The shift actually applied for a requested ``shift_hz`` (within +-fs/2)."""
    d = phase_increment(shift_hz, fs)
    if d >= 1 << (PHASE_BITS - 1):
        d -= 1 << PHASE_BITS
    return d * float(fs) / (1 << PHASE_BITS)


def nco_shift_zi():
    """Initial state for :func:`nco_shift` (phase 0)."""
    return nco_state()


def nco_shift(x, *, fs, shift_hz, zi=None):
    """Shift ``x`` in frequency by ``shift_hz``: ``y[n] = x[n] exp(2j pi shift_hz n / fs)``.

    Parameters
    ----------
    x : array_like of complex
    fs : float
        Sample rate, Hz.
    shift_hz : float
        Frequency shift, Hz (negative moves a channel at ``+f`` down to 0 Hz with ``-f``).
    zi : NCO_STATE array, optional
        Phase to start from; not modified.

    Returns
    -------
    y : complex64 ndarray
    zf : NCO_STATE array
        Only when ``zi`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> y = nco_shift(np.ones(4, np.complex64), fs=4.0, shift_hz=1.0)
    >>> np.round(y, 6)
    array([ 1.+0.j,  0.+1.j, -1.+0.j, -0.-1.j], dtype=complex64)
    """
    return run_functional(NCO(fs=fs, shift_hz=shift_hz), x, zi)


class NCO(StreamBlock):
    """Phase-continuous frequency shifter (see :func:`nco_shift`).

    Examples
    --------
    >>> import numpy as np
    >>> nco = NCO(fs=8.0, shift_hz=-2.0)
    >>> y = nco.process(np.ones(2, np.complex64))
    >>> np.round(y.real, 6) + 0.0, np.round(y.imag, 6) + 0.0
    (array([1., 0.], dtype=float32), array([ 0., -1.], dtype=float32))
    >>> y = nco.process(np.ones(2, np.complex64))    # continues the phase
    >>> np.round(y.real, 6) + 0.0, np.round(y.imag, 6) + 0.0
    (array([-1.,  0.], dtype=float32), array([0., 1.], dtype=float32))
    """

    _mutable = ("_state",)
    _params = ("fs", "shift_hz")

    def __init__(self, *, fs, shift_hz):
        self.fs = check_fs(fs)
        self.shift_hz = float(shift_hz)
        self._dphase = phase_increment(shift_hz, fs)
        self._fresh()

    def _fresh(self):
        self._state = nco_state()

    def process(self, x):
        """Shift a chunk; returns complex64 of the same length."""
        x = as_complex64(x)
        y = np.empty_like(x)
        nco_kernel(x, self._dphase, _PHASE_TABLES, self._state, y)
        return y


def dc_block_alpha(cutoff_hz, fs):
    """Pole radius of the DC blocker for a -3 dB corner near ``cutoff_hz``."""
    fs = check_fs(fs)
    if not 0 < cutoff_hz < fs / 4:
        raise ValueError(f"cutoff_hz must be in (0, fs/4), got {cutoff_hz!r}")
    return math.exp(-2.0 * math.pi * float(cutoff_hz) / fs)


def dc_block_zi():
    """Initial state for :func:`dc_block`."""
    return dc_block_state()


def dc_block(x, *, fs, cutoff_hz=10.0, zi=None):
    """Remove the DC offset: ``y[n] = x[n] - x[n-1] + alpha y[n-1]``.

    Parameters
    ----------
    x : array_like of complex
    fs : float
        Sample rate, Hz.
    cutoff_hz : float
        Corner of the notch at 0 Hz (default 10 Hz).
    zi : DC_BLOCK_STATE array, optional

    Returns
    -------
    y : complex64 ndarray
    zf : DC_BLOCK_STATE array
        Only when ``zi`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> y = dc_block(np.full(20000, 0.5 + 0.5j, np.complex64), fs=2000.0)
    >>> bool(abs(y[-1]) < 1e-3)
    True
    """
    return run_functional(DCBlocker(fs=fs, cutoff_hz=cutoff_hz), x, zi)


class DCBlocker(StreamBlock):
    """Stateful DC blocker (see :func:`dc_block`)."""

    _mutable = ("_state",)
    _params = ("fs", "cutoff_hz")

    def __init__(self, *, fs, cutoff_hz=10.0):
        self.fs = check_fs(fs)
        self.cutoff_hz = float(cutoff_hz)
        self._alpha = dc_block_alpha(cutoff_hz, fs)
        self._fresh()

    def _fresh(self):
        self._state = dc_block_state()

    def process(self, x):
        """Filter a chunk; returns complex64 of the same length."""
        x = as_complex64(x)
        y = np.empty_like(x)
        dc_block_kernel(x, self._alpha, self._state, y)
        return y
