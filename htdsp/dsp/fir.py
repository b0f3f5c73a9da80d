"""Decimating FIR, frequency-translating decimating FIR and rational resampler (Python faces).

Functional faces take ``zi`` and return ``(y, zf)`` with ``zf`` a :class:`FIRZi` (the small state
record plus the filter's history); the objects own a work buffer (history + one block) and reuse it.
"""

from typing import NamedTuple

import numpy as np

from htdsp.dsp._stream import StreamBlock, as_complex64, as_float32, check_fs, run_functional
from htdsp.dsp.convert import FORMAT_DTYPES, check_format, format_of_dtype, format_scale
from htdsp.dsp.mix import phase_increment
from htdsp.kernels import (
    fir_decim_kernel,
    fir_decim_state,
    resample_kernel,
    resample_state,
    xlate_decim_kernel,
    xlate_decim_state,
    xlate_interp_kernel,
    xlate_interp_state,
)
from htdsp.kernels._config import FIR_BLOCK, PHASE_BITS, PHASE_MASK, phase_tables

_PHASE_TABLES = phase_tables()


class FIRZi(NamedTuple):
    """State of a buffered FIR between calls: the kernel's record and the last inputs."""

    record: np.ndarray
    history: np.ndarray


def _check_taps(taps, name="taps"):
    h = np.asarray(taps, dtype=np.float64)
    if h.ndim != 1 or h.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array")
    if not np.all(np.isfinite(h)):
        raise ValueError(f"{name} must be finite")
    return h


def _check_decim(decim):
    if int(decim) != decim or decim < 1:
        raise ValueError(f"decim must be a positive integer, got {decim!r}")
    return int(decim)


class _Buffered(StreamBlock):
    """A kernel with a work buffer whose first ``hist`` columns carry history between calls."""

    _mutable = ("_state", "_work")

    def _zi(self):
        return FIRZi(self._state.copy(), self._work[..., : self._hist].copy())

    def _load(self, zi):
        rec, hist = zi
        self._state[...] = rec
        self._work[..., : self._hist] = hist


# --------------------------------------------------------------------------- decimating FIR
class FIRDecimator(_Buffered):
    """Decimating FIR with real taps on complex64 samples.

    ``y[k] = sum_j h[j] x[decim*k - j]`` (``scipy.signal.upfirdn(h, x, down=decim)`` truncated to
    the outputs whose newest input has arrived).

    Parameters
    ----------
    taps : array_like
        Real prototype taps ``h``.
    decim : int
        Decimation factor (1 = plain filter).

    Examples
    --------
    >>> import numpy as np
    >>> f = FIRDecimator([0.5, 0.5], 2)
    >>> f.process(np.arange(5, dtype=np.complex64))
    array([0. +0.j, 1.5+0.j, 3.5+0.j], dtype=complex64)
    """

    _params = ("ntaps", "decim")

    def __init__(self, taps, decim):
        h = _check_taps(taps)
        self.decim = _check_decim(decim)
        self.ntaps = h.size
        self._taps = np.ascontiguousarray(h[::-1], dtype=np.float32)
        self._hist = h.size - 1
        self._fresh()

    def _fresh(self):
        self._state = fir_decim_state()
        self._work = np.zeros((2, self._hist + FIR_BLOCK), dtype=np.float32)

    def n_out(self, n):
        """Number of outputs the next call with ``n`` inputs will return."""
        skip = int(self._state[0]["skip"])
        return max(0, (n - skip + self.decim - 1) // self.decim)

    def process(self, x):
        """Filter and decimate a chunk of complex samples."""
        x = as_complex64(x)
        out = np.empty(self.n_out(x.size), dtype=np.complex64)
        k = fir_decim_kernel(x, self._taps, self.decim, self._state, self._work, out)
        return out[:k]


def fir_decimate_zi(taps):
    """Initial (zero-history) state for :func:`fir_decimate`."""
    n = _check_taps(taps).size
    return FIRZi(fir_decim_state(), np.zeros((2, n - 1), dtype=np.float32))


def fir_decimate(x, taps, decim, *, zi=None):
    """Filter complex samples with real ``taps`` and keep every ``decim``-th output.

    Returns ``y``, or ``(y, zf)`` when ``zi`` (from :func:`fir_decimate_zi`) is given.

    Examples
    --------
    >>> import numpy as np
    >>> fir_decimate(np.ones(6, np.complex64), [1.0, 1.0, 1.0], 3)
    array([1.+0.j, 3.+0.j], dtype=complex64)
    """
    return run_functional(FIRDecimator(taps, decim), x, zi)


# --------------------------------------------------------------------------- xlating FIR
def rotated_taps(taps, dphase):
    """Rotated taps ``g[j] = h[j] exp(1j w j)`` (``w = 2 pi dphase / 2**32``), reversed and laid
    out for interleaved I/Q data as the xlating kernel wants them: float32[2, 2n] with rows
    ``[Re g, -Im g]`` and ``[Im g, Re g]`` interleaved per tap."""
    h = _check_taps(taps)
    w = 2.0 * np.pi * dphase / (1 << PHASE_BITS)
    g = (h * np.exp(1j * w * np.arange(h.size)))[::-1]
    out = np.empty((2, 2 * h.size), dtype=np.float64)
    out[0, 0::2], out[0, 1::2] = g.real, -g.imag
    out[1, 0::2], out[1, 1::2] = g.imag, g.real
    return out.astype(np.float32)


class XlatingDecimator(_Buffered):
    """Frequency-translating decimating FIR: shift ``offset_hz`` to 0 Hz, filter, decimate.

    Mixes the taps instead of the signal (no full-rate NCO): ``y[k] = exp(-1j w n_k) sum_j
    h[j] exp(1j w j) x[n_k - j]`` with ``n_k = decim * k``, the same as shifting by
    ``-offset_hz`` and then :class:`FIRDecimator`. The output phase is tracked exactly (integer
    phase), so it is continuous across chunks.

    Parameters
    ----------
    taps : array_like
        Real low-pass prototype at the input rate.
    decim : int
        Decimation factor.
    fs : float
        Input sample rate, Hz.
    offset_hz : float
        Frequency of the wanted channel relative to the centre, Hz.
    fmt : {'cf32', 'cu8', 'cs8', 'cs16'}
        Input accepted by :meth:`process` besides complex arrays: raw interleaved elements in this
        format are converted inside the kernel (the fast path for recordings).

    Examples
    --------
    >>> import numpy as np
    >>> fs = 48000.0
    >>> x = np.exp(2j * np.pi * 6000 * np.arange(480) / fs).astype(np.complex64)
    >>> xl = XlatingDecimator(np.ones(4) / 4, 4, fs=fs, offset_hz=6000)
    >>> y = xl.process(x)
    >>> bool(np.allclose(y[5:], 1.0, atol=1e-5))       # the tone now sits at 0 Hz
    True
    """

    _params = ("ntaps", "decim", "fs", "offset_hz", "fmt")

    def __init__(self, taps, decim, *, fs, offset_hz, fmt="cf32"):
        h = _check_taps(taps)
        self.decim = _check_decim(decim)
        self.fs = check_fs(fs)
        self.offset_hz = float(offset_hz)
        self.fmt = check_format(fmt)
        self.ntaps = h.size
        self._dphase = phase_increment(self.offset_hz, self.fs)
        self._step = (self._dphase * self.decim) & PHASE_MASK
        self._taps = rotated_taps(h, self._dphase)
        self._hist = h.size - 1
        self._fresh()

    def _fresh(self):
        self._state = xlate_decim_state()
        self._work = np.zeros(2 * (self._hist + FIR_BLOCK), dtype=np.float32)

    def _zi(self):
        return FIRZi(self._state.copy(), self._work[: 2 * self._hist].copy())

    def _load(self, zi):
        rec, hist = zi
        self._state[...] = rec
        self._work[: 2 * self._hist] = np.asarray(hist, dtype=np.float32).ravel()

    def n_out(self, n):
        """Number of outputs the next call with ``n`` samples will return."""
        skip = int(self._state[0]["skip"])
        return max(0, (n - skip + self.decim - 1) // self.decim)

    def process(self, x):
        """Process complex samples, or raw interleaved elements of this object's ``fmt``.

        Raw elements must come in whole samples (an even count).
        """
        a = np.asarray(x)
        if np.iscomplexobj(a):
            e = as_complex64(a).view(np.float32)
            offset, scale = np.float32(0.0), np.float32(1.0)
        else:
            fmt = self.fmt if a.dtype == FORMAT_DTYPES[self.fmt] else format_of_dtype(a.dtype)
            if fmt is None or a.ndim != 1:
                raise ValueError(f"expected complex samples or 1-D raw elements, got {a.dtype}")
            if a.size % 2:
                raise ValueError("raw elements must come in whole I/Q pairs (even count)")
            e = np.ascontiguousarray(a, dtype=FORMAT_DTYPES[fmt].newbyteorder("="))
            offset, scale = format_scale(fmt)
        out = np.empty(self.n_out(e.size // 2), dtype=np.complex64)
        k = xlate_decim_kernel(e, offset, scale, self._taps, self.decim, self._step,
                               self._state, self._work, out)
        return out[:k]


def xlate_decimate_zi(taps):
    """Initial state for :func:`xlate_decimate`."""
    n = _check_taps(taps).size
    return FIRZi(xlate_decim_state(), np.zeros(2 * (n - 1), dtype=np.float32))


def xlate_decimate(x, taps, decim, *, fs, offset_hz, zi=None):
    """Shift the channel at ``offset_hz`` to 0 Hz, low-pass with ``taps`` and decimate.

    Returns ``y``, or ``(y, zf)`` when ``zi`` (from :func:`xlate_decimate_zi`) is given. ``x`` may
    be complex or raw elements (uint8 = cu8, int8 = cs8, int16 = cs16).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.full(8, 1 + 0j, np.complex64)
    >>> y = xlate_decimate(x, [1.0], 2, fs=8.0, offset_hz=2.0)  # 0 Hz seen from +2 Hz: -2 Hz
    >>> np.round(y.real, 6)
    array([ 1., -1.,  1., -1.], dtype=float32)
    """
    return run_functional(XlatingDecimator(taps, decim, fs=fs, offset_hz=offset_hz), x, zi)


# --------------------------------------------------------------------------- resampler
def polyphase_bank(taps, up):
    """Split ``taps`` into ``up`` branches, each reversed: float32[up, ceil(len/up)]."""
    h = _check_taps(taps)
    k = -(-h.size // up)
    padded = np.zeros(k * up)
    padded[: h.size] = h
    return np.ascontiguousarray(padded.reshape(k, up).T[:, ::-1], dtype=np.float32)


class Resampler(_Buffered):
    """Rational polyphase resampler (``up / down``) for real float32 samples.

    ``y = scipy.signal.upfirdn(taps, x, up, down)`` truncated to the outputs whose newest input has
    arrived. ``taps`` default to a Kaiser low-pass (65 dB) scaled by ``up`` for unity gain.

    Examples
    --------
    >>> import numpy as np
    >>> r = Resampler(3, 2)
    >>> y = r.process(np.ones(2000, np.float32))
    >>> len(y), round(float(y[-1]), 4)
    (3000, 1.0)
    """

    _params = ("up", "down", "ntaps")

    def __init__(self, up, down, taps=None):
        from htdsp.dsp.design import resample_taps

        up, down = _check_decim(up), _check_decim(down)
        g = np.gcd(up, down)
        self.up, self.down = up // g, down // g
        h = resample_taps(self.up, self.down, 1.0) if taps is None else _check_taps(taps)
        self.ntaps = h.size
        self._bank = polyphase_bank(h, self.up)
        self._hist = self._bank.shape[1] - 1
        self._fresh()

    def _fresh(self):
        self._state = resample_state()
        self._work = np.zeros(self._hist + FIR_BLOCK, dtype=np.float32)

    def n_out(self, n):
        """Upper bound of the outputs the next call with ``n`` inputs will return."""
        skip = int(self._state[0]["skip"])
        return max(0, ((n - skip) * self.up) // self.down + 2)

    def process(self, x):
        """Resample a chunk of real samples."""
        x = as_float32(x)
        out = np.empty(self.n_out(x.size), dtype=np.float32)
        k = resample_kernel(x, self._bank, self.up, self.down, self._state, self._work, out)
        return out[:k]


def resample_zi(up, down, taps=None):
    """Initial state for :func:`resample`."""
    r = Resampler(up, down, taps)
    return r._zi()


def resample(x, up, down, taps=None, *, zi=None):
    """Resample real samples by ``up / down`` (see :class:`Resampler`).

    Examples
    --------
    >>> import numpy as np
    >>> len(resample(np.zeros(480, np.float32), 1, 6))
    80
    """
    return run_functional(Resampler(up, down, taps), x, zi)


# --------------------------------------------------------------------------- xlating interpolator
def interp_banks(taps, up, dphase):
    """Branch taps of the xlating interpolator (``xlate_interp_kernel``): two float32[K, 2up]."""
    h = _check_taps(taps)
    k = -(-h.size // up)
    w = 2.0 * np.pi * dphase / (1 << PHASE_BITS)
    g = np.zeros(k * up, dtype=np.complex128)
    g[: h.size] = h * np.exp(1j * w * np.arange(h.size))
    gb = g.reshape(k, up)                      # gb[m, p] = g[p + m up]
    a = np.empty((k, 2 * up))
    b = np.empty((k, 2 * up))
    a[:, 0::2], a[:, 1::2] = gb.real, gb.imag
    b[:, 0::2], b[:, 1::2] = -gb.imag, gb.real
    return np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32)


class XlatingInterpolator(StreamBlock):
    """Interpolate complex samples by ``up`` and shift them to ``offset_hz`` at the output rate.

    ``y[n] = exp(2j pi offset_hz n / fs) * (h * x_up)[n]`` with ``x_up`` zero-stuffed: the mirror
    of :class:`XlatingDecimator`, used by the simulator to place a channel generated at a low
    rate into a wideband recording without a full-rate NCO.

    Parameters
    ----------
    taps : array_like
        Real low-pass prototype at the output rate; default gain: scale by ``up``.
    up : int
    fs : float
        Output sample rate, Hz.
    offset_hz : float

    Examples
    --------
    >>> import numpy as np
    >>> it = XlatingInterpolator(np.ones(4), 4, fs=16.0, offset_hz=4.0)
    >>> y = it.process(np.ones(3, np.complex64))
    >>> np.round(y[4:8] * np.exp(-2j * np.pi * 4 * np.arange(4, 8) / 16), 6)   # held input
    array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """

    _mutable = ("_state", "_work")
    _params = ("ntaps", "up", "fs", "offset_hz")

    def __init__(self, taps, up, *, fs, offset_hz):
        h = _check_taps(taps)
        self.up = _check_decim(up)
        self.fs = check_fs(fs)
        self.offset_hz = float(offset_hz)
        self.ntaps = h.size
        dphase = phase_increment(self.offset_hz, self.fs)
        self._step = (dphase * self.up) & PHASE_MASK
        self._a, self._b = interp_banks(h, self.up, dphase)
        self._hist = self._a.shape[0] - 1
        self._fresh()

    def _fresh(self):
        self._state = xlate_interp_state()
        self._work = np.zeros((2, self._hist + FIR_BLOCK), dtype=np.float32)

    def _zi(self):
        return FIRZi(self._state.copy(), self._work[:, : self._hist].copy())

    def _load(self, zi):
        rec, hist = zi
        self._state[...] = rec
        self._work[:, : self._hist] = hist

    def process(self, x):
        """Interpolate a chunk: ``up * len(x)`` complex64 outputs."""
        x = as_complex64(x)
        out = np.empty(x.size * self.up, dtype=np.complex64)
        xlate_interp_kernel(x, self._a, self._b, self._step, _PHASE_TABLES, self._state,
                            self._work, out.view(np.float32))
        return out


def xlate_interpolate_zi(taps, up):
    """Initial state for :func:`xlate_interpolate`."""
    k = -(-_check_taps(taps).size // up)
    return FIRZi(xlate_interp_state(), np.zeros((2, k - 1), dtype=np.float32))


def xlate_interpolate(x, taps, up, *, fs, offset_hz, zi=None):
    """Interpolate by ``up`` and shift to ``offset_hz`` (see :class:`XlatingInterpolator`)."""
    return run_functional(XlatingInterpolator(taps, up, fs=fs, offset_hz=offset_hz), x, zi)
