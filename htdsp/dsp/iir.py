"""De-emphasis and the audio biquad filters (Python faces and designs)."""

import functools
import math

import numpy as np
import scipy.signal

from htdsp.dsp._stream import StreamBlock, as_float32, check_fs, run_functional
from htdsp.kernels import deemph_kernel, deemph_state, sosfilt_kernel, sosfilt_state

#: frequency at which de-emphasis is normalised to 0 dB (measurement.md 2b)
DEEMPH_REF_HZ = 1000.0
#: pass-band ripple of the audio high-pass, dB
HIGHPASS_RIPPLE_DB = 0.01


def deemph_coeffs(fs, tau_s, ref_hz=DEEMPH_REF_HZ):
    """First-order de-emphasis ``(b0, b1, a1)`` for time constant ``tau_s``, 0 dB at ``ref_hz``.

    The analogue pole ``1/tau_s`` is mapped by the bilinear transform with pre-warping (pole and
    a zero at Nyquist, as GNU Radio's ``fm_deemph``), then scaled so that ``|H(ref_hz)| = 1``.
    ``tau_s = 0`` means no de-emphasis: ``(1, 0, 0)``.

    The zero at Nyquist steepens the response near ``fs / 4`` at low rates (1 -> 2 kHz: -5.8 dB at
    48 kHz, -7.5 dB at 8 kHz); :class:`htdsp.NFMReceiver` de-emphasises at the channel rate
    (>= 40 kHz), where the response follows the analogue one over the voice band.

    Examples
    --------
    >>> b0, b1, a1 = deemph_coeffs(48000, 750e-6)
    >>> w = 2 * math.pi * 1000 / 48000
    >>> z = complex(math.cos(w), math.sin(w))
    >>> round(abs((b0 + b1 / z) / (1 + a1 / z)), 9)
    1.0
    """
    fs = check_fs(fs)
    tau_s = float(tau_s)
    if tau_s < 0 or not math.isfinite(tau_s):
        raise ValueError(f"tau_s must be >= 0, got {tau_s!r}")
    if tau_s == 0:
        return 1.0, 0.0, 0.0
    wc = 1.0 / tau_s
    wca = 2.0 * fs * math.tan(wc / (2.0 * fs))
    k = -wca / (2.0 * fs)
    p1 = (1.0 + k) / (1.0 - k)
    b0 = -k / (1.0 - k)
    w = 2.0 * math.pi * ref_hz / fs
    z1 = complex(math.cos(w), -math.sin(w))  # z^-1 on the unit circle
    g = abs((b0 + b0 * z1) / (1.0 - p1 * z1))
    return b0 / g, b0 / g, -p1


def deemphasis_zi():
    """Initial state for :func:`deemphasis`."""
    return deemph_state()


def deemphasis(x, *, fs, tau_s=750e-6, zi=None):
    """De-emphasis (6 dB/octave above ``1/(2 pi tau_s)``), 0 dB at 1 kHz.

    Parameters
    ----------
    x : array_like of float
    fs : float
        Sample rate, Hz.
    tau_s : float
        Time constant, seconds: 750e-6 (NFM, default), 75e-6 (broadcast), 0 (off).
    zi : DEEMPH_STATE array, optional

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000) / 48000
    >>> y = deemphasis(np.sin(2 * np.pi * 1000 * t).astype(np.float32), fs=48000)
    >>> round(float(np.sqrt(2 * np.mean(y[24000:] ** 2))), 4)   # amplitude at 1 kHz
    1.0
    """
    return run_functional(Deemphasis(fs=fs, tau_s=tau_s), x, zi)


class Deemphasis(StreamBlock):
    """Stateful de-emphasis (see :func:`deemphasis`)."""

    _mutable = ("_state",)
    _params = ("fs", "tau_s")

    def __init__(self, *, fs, tau_s=750e-6):
        self.fs = check_fs(fs)
        self.tau_s = float(tau_s)
        self._coeffs = deemph_coeffs(self.fs, self.tau_s)
        self._fresh()

    def _fresh(self):
        self._state = deemph_state()

    def process(self, x):
        """Filter a chunk; returns float32 of the same length."""
        x = as_float32(x)
        y = np.empty_like(x)
        deemph_kernel(x, *self._coeffs, self._state, y)
        return y


def _cached_design(design):
    """Memoise a filter design (scipy's IIR design costs ~0.2 ms, a receiver needs several,
    and a score run builds one receiver per channel); callers get their own copy."""
    cached = functools.lru_cache(maxsize=128)(design)

    @functools.wraps(design)
    def wrapper(*args):
        return cached(*args).copy()
    wrapper.cache_info = cached.cache_info
    return wrapper


@_cached_design
def butter_sos(order, cutoff_hz, btype, fs):
    """``scipy.signal.butter(order, cutoff_hz, btype, output="sos", fs=fs)``, memoised
    (``cutoff_hz`` a number, or a tuple for a band).

    Examples
    --------
    >>> butter_sos(2, (8000.0, 16000.0), "bandpass", 48000.0).shape
    (2, 6)
    """
    return scipy.signal.butter(order, cutoff_hz, btype, output="sos", fs=fs)


@_cached_design
def _ellip_highpass(fs, cutoff_hz, stop_hz, stop_db):
    order, wn = scipy.signal.ellipord(cutoff_hz, stop_hz, HIGHPASS_RIPPLE_DB, stop_db, fs=fs)
    return scipy.signal.ellip(order, HIGHPASS_RIPPLE_DB, stop_db, wn, "highpass", output="sos",
                              fs=fs)


def audio_highpass_sos(fs, cutoff_hz=300.0, stop_hz=None, stop_db=40.0):
    """Elliptic high-pass that keeps the voice band and removes CTCSS tones (< 260 Hz).

    0.01 dB ripple above ``cutoff_hz`` (so it does not bias level measurements: a wider ripple
    read -0.05 dB at 1 kHz), at least ``stop_db`` below ``stop_hz`` (default ``0.85 *
    cutoff_hz``, i.e. 255 Hz for 300 Hz: the highest CTCSS tone is 254.1 Hz). For 300 Hz: order
    8, four biquads, -46.6 dB at 254.1 Hz.

    Examples
    --------
    >>> sos = audio_highpass_sos(48000)
    >>> w, h = scipy.signal.sosfreqz(sos, [254.1, 1000.0], fs=48000)
    >>> bool(20 * np.log10(abs(h[0])) < -40), bool(abs(20 * np.log10(abs(h[1]))) < 0.011)
    (True, True)
    """
    fs = check_fs(fs)
    stop_hz = 0.85 * cutoff_hz if stop_hz is None else stop_hz
    if not 0 < stop_hz < cutoff_hz < fs / 2:
        raise ValueError(f"need 0 < stop < cutoff < fs/2 for the high-pass, got {cutoff_hz}")
    return _ellip_highpass(fs, float(cutoff_hz), float(stop_hz), float(stop_db))


def audio_lowpass_sos(fs, cutoff_hz=3000.0, order=6):
    """Butterworth low-pass at the top of the voice band (``order`` poles).

    Examples
    --------
    >>> sos = audio_lowpass_sos(48000)
    >>> w, h = scipy.signal.sosfreqz(sos, [1000.0, 3000.0], fs=48000)
    >>> np.round(20 * np.log10(abs(h)), 2)
    array([-0.  , -3.01])
    """
    fs = check_fs(fs)
    if not 0 < cutoff_hz < fs / 2:
        raise ValueError(f"low-pass cutoff must be in (0, fs/2), got {cutoff_hz}")
    return butter_sos(int(order), float(cutoff_hz), "lowpass", fs)


def _check_sos(sos):
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    if sos.ndim != 2 or sos.shape[1] != 6 or sos.shape[0] == 0:
        raise ValueError(f"sos must have shape (n_sections, 6), got {sos.shape}")
    if not np.allclose(sos[:, 3], 1.0):
        sos = sos / sos[:, 3:4]
    return sos


def sosfilt_zi(sos):
    """Zero initial delays for :func:`sosfilt`, float64[n_sections, 2]."""
    return sosfilt_state(_check_sos(sos).shape[0])


def sosfilt(x, sos, *, zi=None):
    """Filter real samples with a cascade of biquads (as ``scipy.signal.sosfilt``, float32 out).

    Examples
    --------
    >>> import numpy as np
    >>> y, zf = sosfilt(np.ones(4, np.float32), [[0.5, 0.5, 0, 1, 0, 0]], zi=np.zeros((1, 2)))
    >>> y
    array([0.5, 1. , 1. , 1. ], dtype=float32)
    """
    if zi is not None:
        zi = np.asarray(zi, dtype=np.float64)
    return run_functional(BiquadFilter(sos), x, zi)


class BiquadFilter(StreamBlock):
    """Stateful cascade of biquads (see :func:`sosfilt`)."""

    _mutable = ("_state",)
    _params = ("n_sections",)

    def __init__(self, sos):
        self._sos = _check_sos(sos)
        self.n_sections = self._sos.shape[0]
        self._fresh()

    def _fresh(self):
        self._state = sosfilt_state(self.n_sections)

    def process(self, x):
        """Filter a chunk; returns float32 of the same length."""
        x = as_float32(x)
        y = np.empty_like(x)
        sosfilt_kernel(x, self._sos, self._state, y)
        return y
