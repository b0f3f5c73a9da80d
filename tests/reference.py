"""Plain NumPy references, one per kernel (``<op>_ref`` for ``<op>_kernel``).

Written for obviousness, not speed: direct formulas, convolutions, and plain loops for recursions.
Computed in float64 / complex128. Never imports htdsp.kernels.
"""

import numpy as np
import scipy.signal

TURN = 2**32


def convert_ref(x, offset, scale):
    """Interleaved elements -> complex: ((I - offset) + 1j (Q - offset)) * scale, whole pairs."""
    v = (np.asarray(x, dtype=np.float64) - offset) * scale
    n = v.size // 2
    return v[0:2 * n:2] + 1j * v[1:2 * n:2]


def nco_ref(x, dphase, phase0=0):
    """x[n] * exp(2j pi ((phase0 + n dphase) mod 2**32) / 2**32)."""
    n = np.arange(len(x), dtype=np.int64)
    ph = (phase0 + n * dphase) % TURN
    return np.asarray(x, dtype=np.complex128) * np.exp(2j * np.pi * ph / TURN)


def dc_block_ref(x, alpha):
    """y[n] = x[n] - x[n-1] + alpha y[n-1], zero initial state (plain loop)."""
    y = np.zeros(len(x), dtype=np.complex128)
    x1 = 0j
    y1 = 0j
    for n, v in enumerate(np.asarray(x, dtype=np.complex128)):
        y1 = v - x1 + alpha * y1
        x1 = v
        y[n] = y1
    return y


def _valid_outputs(n, decim):
    return 0 if n == 0 else (n - 1) // decim + 1


def fir_decim_ref(x, h, decim):
    """y[k] = sum_j h[j] x[decim k - j] for the outputs whose newest input exists."""
    x = np.asarray(x, dtype=np.complex128)
    if x.size == 0:
        return x
    return np.convolve(x, np.asarray(h, dtype=np.float64))[::decim][: _valid_outputs(x.size, decim)]


def xlate_decim_ref(x, h, decim, dphase):
    """Shift by -w (w = 2 pi dphase / 2**32), then fir_decim_ref."""
    return fir_decim_ref(nco_ref(x, (-dphase) % TURN), h, decim)


def resample_ref(x, h, up, down):
    """Zero-stuff by up, convolve with h, keep every down-th: the upfirdn definition."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    xu = np.zeros(x.size * up)
    xu[::up] = x
    y = np.convolve(xu, np.asarray(h, dtype=np.float64))[::down]
    count = (x.size * up - 1) // down + 1
    return y[:count]


def fm_demod_ref(x, gain):
    """gain * angle(x[n] conj(x[n-1])) with x[-1] = 0; a zero product reads 0."""
    x = np.asarray(x, dtype=np.complex128)
    prev = np.concatenate([[0j], x[:-1]])
    p = x * np.conj(prev)
    return np.where(p == 0, 0.0, gain * np.angle(p))


def fm_demod_fast_ref(x, gain):
    """The fast discriminator approximates the same function."""
    return fm_demod_ref(x, gain)


def deemph_ref(x, b0, b1, a1):
    """y[n] = b0 x[n] + b1 x[n-1] - a1 y[n-1], zero initial state (plain loop)."""
    y = np.zeros(len(x))
    x1 = 0.0
    y1 = 0.0
    for n, v in enumerate(np.asarray(x, dtype=np.float64)):
        y1 = b0 * v + b1 * x1 - a1 * y1
        x1 = v
        y[n] = y1
    return y


def sosfilt_ref(x, sos):
    """Cascaded biquads: scipy's own sosfilt in float64."""
    if len(x) == 0:
        return np.zeros(0)
    return scipy.signal.sosfilt(np.asarray(sos, dtype=np.float64), np.asarray(x, dtype=np.float64))


# ----------------------------------------------------------------------------- chains
def nfm_chain_ref(x, fs, offset_hz, taps, decim, fs_audio_gain, b, a):
    """The peers' NumPy/scipy NFM chain (../shared/peers): NCO, upfirdn, angle, lfilter.

    Used by the benchmarks as the reference receiver; returns float32 audio.
    """
    n = np.arange(x.size, dtype=np.float64)
    ph = np.mod(2 * np.pi * offset_hz / fs * n, 2 * np.pi).astype(np.float32)
    y = x * np.exp(-1j * ph).astype(np.complex64)
    z = scipy.signal.upfirdn(taps, y, down=decim).astype(np.complex64)
    d = np.angle(z[1:] * np.conj(z[:-1])) * fs_audio_gain
    return scipy.signal.lfilter(b, a, d).astype(np.float32)
