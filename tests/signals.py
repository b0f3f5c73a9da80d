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


def ook_bursts_iq(fs, offset_hz, seconds, *, floor_dbfs=-40.0, above_db=30.0, duty=0.35,
                  pulse_s=(0.002, 0.005), bandwidth_hz=12500.0, seed=0):
    """On-off keyed carrier pulses at ``offset_hz`` in complex white noise (an rtl_433-style
    sensor), with the true noise floor.

    The noise is ``floor_dbfs`` over the whole ``fs`` (white); each pulse is a plain carrier
    ``above_db`` over the noise in ``bandwidth_hz``, lasting a random ``pulse_s`` interval, the
    gap after it sized so the pulses fill ``duty`` of the time (a random jitter of +-50 %).
    Returns ``(x, floor_in_bandwidth_dbfs, on)``: complex64 samples, the noise power in
    ``bandwidth_hz`` in dBFS, and the boolean keying per sample.
    """
    rng = np.random.default_rng(seed)
    n = int(round(fs * seconds))
    p_noise = 10 ** (floor_dbfs / 10)
    floor_bw = floor_dbfs + 10 * np.log10(bandwidth_hz / fs)
    amp = 10 ** ((floor_bw + above_db) / 20)
    on = np.zeros(n, dtype=bool)
    t = int(rng.uniform(0, 0.01) * fs)
    while t < n:
        k = int(rng.uniform(*pulse_s) * fs)
        on[t:t + k] = True
        t += k + int(k * (1 - duty) / duty * rng.uniform(0.5, 1.5))
    ph = 2 * np.pi * offset_hz * np.arange(n) / fs + rng.uniform(0, 2 * np.pi)
    x = np.sqrt(p_noise / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    x = x + on * amp * np.exp(1j * ph)
    return x.astype(np.complex64), float(floor_bw), on
