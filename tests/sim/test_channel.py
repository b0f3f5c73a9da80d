"""The simulator's channel models against theory: Rayleigh/Rician statistics, LCR, AFD, K,
shadowing, two-ray."""

import math

import numpy as np
import pytest
import scipy.stats

from htdsp.sim.channel import (
    ChannelModel,
    envelope_stats,
    gain_process,
    k_factor_moments,
    rayleigh_afd,
    rayleigh_lcr,
    rayleigh_process,
    rician_process,
    shadowing_db,
    two_ray_gain,
)

FS_F, FD = 5000.0, 50.0


def _ks_p(g, fd, fs_f):
    """KS p-value of the envelope against Rayleigh, samples > 1/f_D apart (N >= 2000)."""
    step = int(math.ceil(1.5 * fs_f / fd))
    r = np.abs(g)[::step]
    assert r.size >= 2000
    sigma = math.sqrt(np.mean(r**2) / 2)
    return scipy.stats.kstest(r, "rayleigh", args=(0, sigma)).pvalue


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rayleigh_envelope_passes_ks_and_rician_fails(seed):
    rng = np.random.default_rng(seed)
    n = int(4000 * 1.5 * FS_F / FD)
    assert _ks_p(rayleigh_process(n, FS_F, FD, rng), FD, FS_F) > 0.01
    assert _ks_p(rician_process(n, FS_F, FD, 10.0, rng), FD, FS_F) < 0.01   # negative control


def test_rayleigh_level_crossing_rate_and_fade_duration_match_theory():
    g = rayleigh_process(1_000_000, FS_F, FD, np.random.default_rng(7))   # 200 s, 10^4 fades
    for rho, (lcr, afd) in envelope_stats(g, FS_F, [0.1, 0.3, 1.0]).items():
        assert lcr == pytest.approx(rayleigh_lcr(rho, FD), rel=0.10), rho
        assert afd == pytest.approx(rayleigh_afd(rho, FD), rel=0.10), rho


def test_doppler_spectrum_is_jakes():
    g = rayleigh_process(2**20, FS_F, FD, np.random.default_rng(3))
    f, p = np.fft.fftfreq(g.size, 1 / FS_F), np.abs(np.fft.fft(g)) ** 2
    assert p[np.abs(f) > 1.05 * FD].sum() / p.sum() < 1e-6       # nothing beyond f_D
    # autocorrelation J0(2 pi f_D tau)
    for lag in (10, 40, 100):
        r = np.mean(g[lag:] * np.conj(g[:-lag])).real / np.mean(np.abs(g) ** 2)
        assert r == pytest.approx(scipy.special.j0(2 * np.pi * FD * lag / FS_F), abs=0.03)


@pytest.mark.parametrize("k_db", [0.0, 3.0, 6.0, 10.0])
def test_rician_k_factor_is_recovered_within_1_db(k_db):
    ok = 0
    for seed in range(10):
        g = rician_process(300_000, 1000.0, 10.0, k_db, np.random.default_rng(seed))
        est = 10 * math.log10(max(k_factor_moments(g), 1e-9))
        ok += abs(est - k_db) <= 1.0
    assert ok >= 9


def test_gain_process_is_normalised_and_carries_its_doppler():
    m = ChannelModel("rayleigh", speed_mps=10.0)
    g, info = gain_process(m, 200_000, 1000.0, 145.5e6, np.random.default_rng(1))
    assert np.mean(np.abs(g) ** 2) == pytest.approx(1.0, abs=1e-9)
    assert info["doppler_hz"] == pytest.approx(10.0 * 145.5e6 / 299_792_458.0)


def test_log_normal_shadowing_sigma_and_correlation_distance():
    fs_f, v, dc, sigma = 100.0, 10.0, 50.0, 8.0
    s = shadowing_db(400_000, fs_f, sigma, dc, v, np.random.default_rng(5))
    assert np.std(s) == pytest.approx(sigma, rel=0.05)
    lag = int(dc / v * fs_f)                      # one correlation distance
    r = np.corrcoef(s[:-lag], s[lag:])[0, 1]
    assert r == pytest.approx(math.exp(-1), abs=0.03)


def test_two_ray_over_water_falls_as_d_to_the_fourth_beyond_the_breakpoint():
    fc, ht, hr = 150e6, 1.5, 10.0
    lam = 299_792_458.0 / fc
    breakpoint = 4 * math.pi * ht * hr / lam
    assert breakpoint == pytest.approx(94, rel=0.01)           # measurement.md section 4
    d = np.array([1000.0, 2000.0, 4000.0])
    p_db = 20 * np.log10(np.abs(two_ray_gain(d, ht, hr, fc)))
    assert np.diff(p_db) == pytest.approx([-12.04, -12.04], abs=0.2)   # 40 dB per decade
    # inside the breakpoint the rays interfere: the last peak where the paths differ by half a
    # wavelength (d = 4 h_t h_r / lambda = 30 m; just under two equal rays' +6.02 dB, since the
    # paths differ in length), a null closer in where they differ by a whole one
    near = np.linspace(20.0, 90.0, 4000)
    excess = 20 * np.log10(np.abs(two_ray_gain(near, ht, hr, fc)) / (lam / (4 * np.pi * near)))
    assert 5.0 < excess.max() <= 6.03
    assert near[excess.argmax()] == pytest.approx(4 * ht * hr / lam, rel=0.02)
    inner = np.linspace(5.0, 20.0, 4000)
    dip = 20 * np.log10(np.abs(two_ray_gain(inner, ht, hr, fc)) / (lam / (4 * np.pi * inner)))
    at = inner[dip.argmin()]
    d1, d2 = np.hypot(at, ht - hr), np.hypot(at, ht + hr)
    assert dip.min() < -10 and (d2 - d1) == pytest.approx(lam, rel=0.02)
