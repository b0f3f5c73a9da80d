"""Test signals with known truth, and estimators used only by the tests."""

import numpy as np
import scipy.signal


def nfm_tone_iq(fs, offset_hz, seconds, tone_hz=1000.0, peak_dev_hz=1500.0, amplitude=0.5,
                cnr_db=None, bandwidth_hz=12500.0, seed=0):
    """Complex baseband NFM carrier at ``offset_hz`` modulated by a tone (phase in float64).

    With ``cnr_db``, complex white noise is added so that the carrier-to-noise ratio in
    ``bandwidth_hz`` is ``cnr_db`` (noise density spread over the whole ``fs``).
    """
    n = np.arange(int(round(fs * seconds)), dtype=np.float64)
    beta = peak_dev_hz / tone_hz
    phase = 2 * np.pi * offset_hz * n / fs + beta * np.sin(2 * np.pi * tone_hz * n / fs)
    x = amplitude * np.exp(1j * phase)
    if cnr_db is not None:
        rng = np.random.default_rng(seed)
        p_noise = amplitude**2 / 10 ** (cnr_db / 10) * (fs / bandwidth_hz)
        x = x + np.sqrt(p_noise / 2) * (rng.standard_normal(n.size)
                                         + 1j * rng.standard_normal(n.size))
    return x.astype(np.complex64)


def to_cu8(x):
    """Quantise complex samples as rtl_sdr does: rint(v * 127.5 + 127.5), clipped to 0..255."""
    v = np.empty(2 * x.size, dtype=np.float64)
    v[0::2] = x.real
    v[1::2] = x.imag
    return np.clip(np.rint(v * 127.5 + 127.5), 0, 255).astype(np.uint8)


def tone_frequency_amplitude(y, fs):
    """Frequency (phase slope of the analytic signal) and amplitude (least squares) of a tone."""
    y = np.asarray(y, dtype=np.float64)
    ph = np.unwrap(np.angle(scipy.signal.hilbert(y)))
    # trim the ends where the Hilbert transform's circular edges bend the phase
    k = slice(len(y) // 10, len(y) - len(y) // 10)
    t = np.arange(len(y)) / fs
    f = np.polyfit(t[k], ph[k], 1)[0] / (2 * np.pi)
    basis = np.stack([np.cos(2 * np.pi * f * t), np.sin(2 * np.pi * f * t), np.ones_like(t)], 1)
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    return f, float(np.hypot(coef[0], coef[1]))


def envelope(a, fs, win_s=0.01):
    """RMS envelope over consecutive windows of ``win_s`` seconds."""
    n = int(round(fs * win_s))
    m = len(a) // n
    return np.sqrt(np.mean(np.asarray(a[: m * n], dtype=np.float64).reshape(m, n) ** 2, axis=1))
