"""Propagation models: flat Rayleigh / Rician fading (Clarke/Jakes Doppler spectrum), log-normal
shadowing, and the two-ray flood-water model. All return complex gain processes sampled at a
*fading rate* ``fs_f`` over the whole run; the engine interpolates them to the signal rate.

Fading is made by the spectral (IDFT) method: independent complex Gaussians shaped by the Jakes
spectrum ``S(f) = 1 / (pi f_D sqrt(1 - (f/f_D)^2))``, here integrated over each frequency bin
(``(1/pi) [asin(f_hi/f_D) - asin(f_lo/f_D)]``, finite at the band edges), then inverse-FFT'd.
The result has unit mean power and the Jakes autocorrelation ``J0(2 pi f_D tau)``, so its level
crossing rate and fade durations follow the closed forms of measurement.md section 4.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

C_MPS = 299_792_458.0


@dataclass
class ChannelModel:
    """One transmitter's path to the receiver.

    Attributes
    ----------
    fading : {'none', 'rayleigh', 'rician'}
    k_factor_db : float
        Rician K (line-of-sight over scattered power), dB.
    doppler_hz : float
        Maximum Doppler shift f_D; default from ``speed_mps`` and the carrier.
    speed_mps : float
        Speed of the mobile end (Doppler, shadowing and two-ray geometry all follow it).
    shadow_sigma_db : float
        Log-normal shadowing standard deviation (0 = none; TSB-88 default 5.6, rough terrain 8).
    shadow_corr_m : float
        Shadowing correlation distance (Gudmundson: exp(-d / d_c)).
    two_ray : dict or None
        ``{"distance_m", "tx_height_m", "rx_height_m", "gamma"}`` for a reflecting surface
        (flood water: gamma = -1); the distance grows at ``speed_mps``.
    """

    fading: str = "none"
    k_factor_db: float = 0.0
    doppler_hz: float | None = None
    speed_mps: float = 0.0
    shadow_sigma_db: float = 0.0
    shadow_corr_m: float = 50.0
    two_ray: dict | None = None

    def doppler(self, carrier_hz):
        if self.doppler_hz is not None:
            return float(self.doppler_hz)
        return self.speed_mps * carrier_hz / C_MPS

    def describe(self, carrier_hz):
        d = asdict(self)
        d["doppler_hz"] = self.doppler(carrier_hz)
        return d


def jakes_bin_power(n, fs_f, doppler_hz):
    """Power of each FFT bin (length ``n`` at rate ``fs_f``) under the Jakes spectrum, sum 1."""
    f = np.fft.fftfreq(n, 1.0 / fs_f)
    df = fs_f / n
    lo = np.clip((f - df / 2) / doppler_hz, -1.0, 1.0)
    hi = np.clip((f + df / 2) / doppler_hz, -1.0, 1.0)
    p = (np.arcsin(hi) - np.arcsin(lo)) / np.pi
    return p / p.sum()


def rayleigh_process(n, fs_f, doppler_hz, rng):
    """Unit-power complex Gaussian process with the Jakes Doppler spectrum (``n`` samples).

    Examples
    --------
    >>> g = rayleigh_process(200_000, 1000.0, 10.0, np.random.default_rng(1))
    >>> round(float(np.mean(np.abs(g) ** 2)), 1)
    1.0
    """
    if doppler_hz <= 0:
        z = (rng.standard_normal() + 1j * rng.standard_normal()) / math.sqrt(2)
        return np.full(n, z, dtype=np.complex128)
    if doppler_hz >= fs_f / 2:
        raise ValueError(f"Doppler {doppler_hz} Hz needs a fading rate above {2 * doppler_hz} Hz")
    p = jakes_bin_power(n, fs_f, doppler_hz)
    w = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * np.sqrt(p / 2)
    return np.fft.ifft(w) * n


def rician_process(n, fs_f, doppler_hz, k_factor_db, rng):
    """Rician fading: a line-of-sight phasor (Doppler f_D cos theta_0) plus Rayleigh scatter."""
    k = 10 ** (k_factor_db / 10)
    theta0 = rng.uniform(0, 2 * np.pi)
    phi0 = rng.uniform(0, 2 * np.pi)
    t = np.arange(n) / fs_f
    los = np.exp(1j * (2 * np.pi * doppler_hz * math.cos(theta0) * t + phi0))
    return math.sqrt(k / (k + 1)) * los + math.sqrt(1 / (k + 1)) * rayleigh_process(
        n, fs_f, doppler_hz, rng)


def shadowing_db(n, fs_f, sigma_db, corr_m, speed_mps, rng):
    """Log-normal shadowing in dB: a Gauss-Markov process with exp(-d/d_c) correlation."""
    if sigma_db <= 0:
        return np.zeros(n)
    if speed_mps <= 0:
        return np.full(n, sigma_db * rng.standard_normal())
    rho = math.exp(-speed_mps / fs_f / corr_m)
    e = rng.standard_normal(n) * sigma_db * math.sqrt(1 - rho * rho)
    s = np.empty(n)
    s[0] = sigma_db * rng.standard_normal()
    # first-order recursion (n is small: the fading rate, not the signal rate)
    import scipy.signal
    s[1:], _ = scipy.signal.lfilter([1.0], [1.0, -rho], e[1:], zi=[rho * s[0]])
    return s


def two_ray_gain(distance_m, tx_height_m, rx_height_m, carrier_hz, gamma=-1.0):
    """Complex field of the two-ray model relative to free space at 1 m:
    ``(lambda / 4 pi) (exp(-j k d1) / d1 + gamma exp(-j k d2) / d2)``.

    Beyond the breakpoint ``4 pi h_t h_r / lambda`` the power falls as d^-4 (measurement.md 4).
    """
    lam = C_MPS / carrier_hz
    k = 2 * np.pi / lam
    d = np.asarray(distance_m, dtype=np.float64)
    d1 = np.sqrt(d * d + (tx_height_m - rx_height_m) ** 2)
    d2 = np.sqrt(d * d + (tx_height_m + rx_height_m) ** 2)
    return lam / (4 * np.pi) * (np.exp(-1j * k * d1) / d1 + gamma * np.exp(-1j * k * d2) / d2)


def gain_process(model, n, fs_f, carrier_hz, rng):
    """The complex channel gain of ``model`` at ``fs_f``, normalised to unit mean power.

    Returns
    -------
    gain : complex128[n]
    info : dict
        What was realised (``doppler_hz``, ``mean_power`` before normalisation, ...).
    """
    fd = model.doppler(carrier_hz)
    if model.fading == "rayleigh":
        g = rayleigh_process(n, fs_f, fd, rng)
    elif model.fading == "rician":
        g = rician_process(n, fs_f, fd, model.k_factor_db, rng)
    elif model.fading == "none":
        g = np.ones(n, dtype=np.complex128)
    else:
        raise ValueError(f"unknown fading model {model.fading!r}")
    extra = {}
    if model.two_ray:
        tr = model.two_ray
        d = tr["distance_m"] + model.speed_mps * np.arange(n) / fs_f
        h = two_ray_gain(d, tr["tx_height_m"], tr["rx_height_m"], carrier_hz,
                         tr.get("gamma", -1.0))
        g = g * h
        # absolute path loss of the geometry (the run is scaled to the requested mean CNR)
        extra = {"path_loss_db_start": float(-20 * np.log10(np.abs(h[0]))),
                 "path_loss_db_end": float(-20 * np.log10(np.abs(h[-1]))),
                 "distance_m_end": float(d[-1])}
    s_db = shadowing_db(n, fs_f, model.shadow_sigma_db, model.shadow_corr_m, model.speed_mps, rng)
    g = g * 10 ** (s_db / 20)
    p = float(np.mean(np.abs(g) ** 2))
    return g / math.sqrt(p), {"doppler_hz": fd, "mean_power": p, **extra}


def envelope_stats(r, fs_f, rho_levels):
    """Measured LCR (crossings/s, upward) and AFD (s) at ``rho = r / r_rms`` levels."""
    rr = np.abs(r) / np.sqrt(np.mean(np.abs(r) ** 2))
    out = {}
    dur = len(rr) / fs_f
    for rho in rho_levels:
        below = rr < rho
        ups = np.count_nonzero(below[:-1] & ~below[1:])
        lcr = ups / dur
        afd = (np.count_nonzero(below) / fs_f) / max(ups, 1)
        out[rho] = (lcr, afd)
    return out


def rayleigh_lcr(rho, doppler_hz):
    """Theory: ``sqrt(2 pi) f_D rho exp(-rho^2)``."""
    return math.sqrt(2 * math.pi) * doppler_hz * rho * math.exp(-rho * rho)


def rayleigh_afd(rho, doppler_hz):
    """Theory: ``(exp(rho^2) - 1) / (rho f_D sqrt(2 pi))``."""
    return (math.exp(rho * rho) - 1) / (rho * doppler_hz * math.sqrt(2 * math.pi))


def k_factor_moments(r):
    """Rician K from envelope moments (``mu2 = E r^2``, ``mu4 = E r^4``), linear; 0 if Rayleigh."""
    r = np.abs(np.asarray(r)).astype(np.float64)
    mu2 = np.mean(r**2)
    mu4 = np.mean(r**4)
    a = 2 - mu4 / (mu2 * mu2)
    if a <= 0:
        return 0.0
    s = math.sqrt(a)
    return s / (1 - s) if s < 1 else float("inf")
