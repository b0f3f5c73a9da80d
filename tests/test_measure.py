"""Signal-quality measurement against ground truth: simulated signals whose CNR, frequency error,
deviation, tone and fading are known, the noisy/clean SINAD oracle, and the bundled real capture.

Tolerances are the issue's: CNR 1 dB over 0-40 dB, frequency error 20 Hz, deviation 5 %, tone
SINAD 1 dB of the oracle over 5-35 dB, SINAD = 12 dB at 7 +- 1.5 dB CNR, tone-free SNR 2 dB of
tone SINAD over 5-30 dB (calibrated on other seeds), K-factor 2 dB (9 of 10 seeds), LCR and AFD
15 % of theory.
"""

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from htdsp import NFMReceiver
from htdsp.io import open_recording
from htdsp.measure import (
    C_MESSAGE_DB,
    PSOPHOMETRIC_DB,
    Meter,
    deviation_percentile,
    fading_stats,
    transmission_summary,
    weighting_power,
    windows_within,
)
from htdsp.sim.calibrate import TONE_FREE_FIT_SEEDS, tone_free_points
from htdsp.sim.channel import ChannelModel, rayleigh_afd, rayleigh_lcr
from htdsp.sim.engine import Scenario, simulate
from htdsp.sim.transmitter import Transmitter
from htdsp.standards import sinad_from_cnr
from tests import reference as ref
from tests.strategies import splits

FS = 240e3
ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.sigmf-meta"


def _scenario(cnr_db, seed=1, duration_s=1.5, **tx):
    tx.setdefault("modulation", "tone")
    return Scenario(duration_s=duration_s, fs=FS, cnr_db=cnr_db,
                    transmitters=[Transmitter(**tx)], datatype="cf32", seed=seed)


@lru_cache(maxsize=64)
def _measured(cnr_db, seed=1, duration_s=1.5, tone_hz="auto", freq_error_hz=0.0,
              deviation_hz=None):
    sc = _scenario(cnr_db, seed, duration_s, freq_error_hz=freq_error_hz,
                   deviation_hz=deviation_hz)
    x = simulate(sc)["samples"]
    m = Meter(NFMReceiver(FS, sc.offset_hz), tone_hz=tone_hz, channel_hz=sc.center_hz
              + sc.offset_hz)
    m.run(x)
    return sc, x, m


def _settled(m, skip_s=0.4):
    return [w for w in m.windows if w["start_s"] >= skip_s]


def _median(ws, key):
    v = [w[key] for w in ws if w[key] is not None]
    assert v, f"no {key} measured"
    return float(np.median(v))


# ------------------------------------------------------------------ level, CNR, frequency
@pytest.mark.parametrize("cnr_db", [0, 3, 7, 10, 15, 20, 25, 30, 35, 40])
def test_cnr_within_1_db_over_0_to_40(cnr_db):
    _, _, m = _measured(cnr_db)
    got = _median(_settled(m), "cnr_db")
    assert abs(got - cnr_db) <= 1.0, got


def test_cnr_with_a_tracked_floor_on_a_keyed_recording():
    # keyed 0.5-1.5 s of 2 s: the floor comes from the closed squelch, CNR from (P - N) / N
    for cnr in (10.0, 30.0):
        sc = Scenario(duration_s=2.0, fs=FS, cnr_db=cnr, datatype="cf32", seed=4,
                      transmitters=[Transmitter(modulation="tone", keyed=[(0.5, 1.5)])])
        rx = NFMReceiver(FS, sc.offset_hz, squelch="power")
        m = Meter(rx)
        m.run(simulate(sc)["samples"])
        keyed = [w for w in m.windows if w["keyed"] == 1.0 and 0.7 <= w["start_s"] <= 1.3]
        assert keyed and all(w["cnr_method"] == "floor" for w in keyed)
        assert abs(_median(keyed, "cnr_db") - cnr) <= 1.0
        idle = [w for w in m.windows if w["keyed"] == 0.0 and w["start_s"] > 1.8]
        assert idle and all(w["cnr_db"] is None and w["freq_error_hz"] is None for w in idle)
        # the floor in dBFS/Hz agrees with the noise the simulator added (dBFS in 12.5 kHz)
        floor = _median(idle, "noise_floor_dbfs")
        assert abs(floor - (_median(keyed, "rssi_dbfs") - cnr)) <= 1.0


@pytest.mark.parametrize("cnr_db", [5, 10, 20, 40])
@pytest.mark.parametrize("err_hz", [-410.0, 150.0])
def test_frequency_error_within_20_hz(cnr_db, err_hz):
    # a carrier on all the time: the noise's lag product comes from theory (flat noise)
    sc, _, m = _measured(cnr_db, freq_error_hz=err_hz, duration_s=2.0)
    s = transmission_summary(m, 0.4, 2.0)
    assert abs(s["freq_error_hz"] - err_hz) <= 20.0, s["freq_error_hz"]
    ppm = err_hz / (sc.center_hz + sc.offset_hz) * 1e6
    assert s["freq_error_ppm"] == pytest.approx(s["freq_error_hz"] / err_hz * ppm, abs=1e-4)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("err_hz", [-410.0, 150.0])
def test_frequency_error_with_the_noise_lag_learned_while_idle(seed, err_hz):
    # keyed 4-6 s of 6.5 s at 5 dB CNR: the idle seconds teach the noise's own lag product
    # (this simulator's front end tilts the noise spectrum; theory assumes it flat)
    sc = Scenario(duration_s=6.5, fs=FS, cnr_db=5.0, datatype="cf32", seed=seed,
                  transmitters=[Transmitter(modulation="tone", freq_error_hz=err_hz,
                                            keyed=[(4.0, 6.0)])])
    m = Meter(NFMReceiver(FS, sc.offset_hz, squelch="power"))
    m.run(simulate(sc)["samples"])
    assert len(m._noise_lag) >= 38                      # the idle windows, 0-4 s and after
    s = transmission_summary(m, 4.2, 5.9)
    assert abs(s["freq_error_hz"] - err_hz) <= 20.0, s["freq_error_hz"]


@pytest.mark.parametrize("cnr_db", [30, 40])
@pytest.mark.parametrize("dev_hz", [1500.0, 2400.0])
def test_deviation_within_5_percent(cnr_db, dev_hz):
    _, _, m = _measured(cnr_db, deviation_hz=dev_hz)
    ws = _settled(m)
    assert _median(ws, "deviation_peak_hz") == pytest.approx(dev_hz, rel=0.05)
    assert _median(ws, "deviation_rms_hz") == pytest.approx(dev_hz / math.sqrt(2), rel=0.05)
    s = transmission_summary(m, 0.4, 1.5)
    assert s["deviation_peak_hz"] == pytest.approx(dev_hz, rel=0.05)


def test_transmission_percentile_matches_the_window_kernel():
    # the merged-histogram percentile (Python) and the per-window one (kernel) agree
    _, _, m = _measured(30)
    for w in _settled(m)[:5]:
        sums, hist, _ = w.aux
        mean = sums[0] / m.win_c
        assert deviation_percentile(hist.astype(np.int64), mean) * m.dev_hz == \
            pytest.approx(w["deviation_peak_hz"], abs=0.06)


# ------------------------------------------------------------------ SINAD
def _oracle_windows(sc, x, m):
    clean = simulate(sc, noise=False)["samples"]
    yn = NFMReceiver(FS, sc.offset_hz).process(x).astype(np.float64)
    yc = NFMReceiver(FS, sc.offset_hz).process(clean).astype(np.float64)
    out = []
    for w in _settled(m):
        a = w["index"] * m.win_a
        seg_n, seg_c = yn[a:a + m.win_a], yc[a:a + m.win_a]
        out.append((w, 10 * math.log10(np.mean(seg_n**2) / np.mean((seg_n - seg_c) ** 2))))
    return out


@pytest.mark.parametrize("cnr_db", [4.5, 6, 8, 12, 18, 24, 27])
def test_tone_sinad_within_1_db_of_the_noisy_clean_oracle(cnr_db):
    sc, x, m = _measured(cnr_db, tone_hz=1000.0)
    pairs = _oracle_windows(sc, x, m)
    oracle = np.median([o for _, o in pairs])
    assert 5.0 <= oracle <= 35.0
    for w, o in pairs:
        assert w["sinad_db"] == pytest.approx(o, abs=1.0), (w["index"], w["sinad_db"], o)


def test_sinad_auto_tone_matches_given_tone():
    _, _, a = _measured(15, tone_hz="auto")
    _, _, g = _measured(15, tone_hz=1000.0)
    ws = _settled(a)
    assert all(w["tone_hz"] == pytest.approx(1000.0, abs=0.2) for w in ws)
    assert _median(ws, "sinad_db") == pytest.approx(_median(_settled(g), "sinad_db"), abs=0.05)


def test_sinad_rises_with_cnr_and_crosses_12_db_at_7_db():
    cnrs = np.arange(3.0, 13.5, 1.0)
    med = [np.median([_median(_settled(_measured(float(c), seed=s, duration_s=2.0,
                                                   tone_hz=1000.0)[2]), "sinad_db")
                      for s in (1, 2, 3)]) for c in cnrs]
    assert np.all(np.diff(med) > 0), med
    cross = float(np.interp(12.0, med, cnrs))
    assert abs(cross - 7.0) <= 1.5, cross


def test_weighted_sinad_against_an_independent_weighting_filter():
    # audio: a 1 kHz tone in white noise. Reference: the noise through an FIR built from the
    # weighting table (firwin2), powers in the time domain
    import scipy.signal

    fs, n = 48000.0, 48000
    rng = np.random.default_rng(7)
    tone = 0.6 * np.cos(2 * np.pi * 1000.0 * np.arange(n) / fs)
    noise = 0.02 * rng.standard_normal(n)
    sc = _scenario(30)
    m = Meter(NFMReceiver(FS, sc.offset_hz), tone_hz=1000.0)
    got = [m._analyse_audio((tone + noise)[i:i + m.win_a].astype(np.float32))
           for i in range(0, n, m.win_a)]
    for key, table in (("sinad_cmsg_db", C_MESSAGE_DB), ("sinad_psoph_db", PSOPHOMETRIC_DB)):
        f = np.linspace(0, fs / 2, 513)
        h = scipy.signal.firwin2(1023, f, np.sqrt(weighting_power(table, f)), fs=fs)
        nw = scipy.signal.lfilter(h, 1, noise)[2000:]
        g1k = np.sqrt(weighting_power(table, 1000.0))
        want = 10 * math.log10((0.18 * g1k**2 + np.mean(nw**2)) / np.mean(nw**2))
        assert np.median([r[key] for r in got]) == pytest.approx(want, abs=0.3), key
    unweighted = 10 * math.log10((0.18 + 0.02**2) / 0.02**2)
    assert np.median([r["sinad_db"] for r in got]) == pytest.approx(unweighted, abs=0.3)


def test_thd_and_hum_noise_of_known_audio():
    fs, n = 48000.0, 4800
    t = np.arange(n) / fs
    y = (0.6 * np.cos(2 * np.pi * 1000 * t) + 0.006 * np.cos(2 * np.pi * 2000 * t)
         + 0.003 * np.cos(2 * np.pi * 3000 * t)
         + 0.001 * np.random.default_rng(1).standard_normal(n)).astype(np.float32)
    m = Meter(NFMReceiver(FS, 30000.0), tone_hz=1000.0)
    r = m._analyse_audio(y)
    assert r["thd_pct"] == pytest.approx(100 * math.hypot(0.006, 0.003) / 0.6, rel=0.05)
    assert r["hum_noise_db"] == pytest.approx(10 * math.log10(0.001**2 / 0.18), abs=0.5)


# ------------------------------------------------------------------ tone-free SNR
#: CNRs whose tone SINAD lies inside the claimed 5-30 dB (5.5 dB: about 7 dB, 21 dB: about
#: 28 dB on the seeds below), so every case asserts the 2 dB agreement
TONE_FREE_CNRS_DB = (5.5, 6, 8, 10, 14, 18, 21)
def test_tone_free_calibration_seeds_are_disjoint_from_the_test_seeds():
    assert not set(TONE_FREE_FIT_SEEDS) & {11, 12, 13}


@pytest.mark.parametrize("fs,dt", [(240e3, "cf32"), (2.4e6, "cu8")])
def test_tone_free_table_alone_on_held_out_seeds(fs, dt):
    # the fitted part (noise above the voice band -> SINAD), on seeds it was not fitted on,
    # another carrier error and (2.4 MS/s) another chain and datatype: medians within 2 dB
    from htdsp.measure import tone_free_sinad_db

    for cnr in TONE_FREE_CNRS_DB:
        pts = tone_free_points([cnr], [11, 12, 13], fs=fs, datatype=dt, duration_s=1.0,
                               freq_error_hz=-230.0)
        est = np.median([tone_free_sinad_db(o) for o in pts[:, 0]])
        sinad = np.median(pts[:, 1])
        assert 5.0 <= sinad <= 30.0, (cnr, sinad)          # the grid spans the claimed range
        assert est == pytest.approx(sinad, abs=2.0), (cnr, est, sinad)


@pytest.mark.parametrize("cnr_db", TONE_FREE_CNRS_DB)
def test_tone_free_snr_within_2_db_of_tone_sinad(cnr_db):
    ws = _settled(_measured(cnr_db, seed=12, duration_s=2.0, tone_hz=1000.0,
                            freq_error_hz=90.0)[2])
    sinad = _median(ws, "sinad_db")
    assert 5.0 <= sinad <= 30.0, sinad                    # the grid spans the claimed range
    assert _median(ws, "snr_db") == pytest.approx(sinad, abs=2.0)


@pytest.mark.parametrize("cnr_db", [8, 15, 25])
def test_tone_free_snr_on_simulated_speech(cnr_db):
    # voice: no tone to compare with, so the receiver's SINAD at this CNR (calibrated table)
    sc = Scenario(duration_s=3.0, fs=FS, cnr_db=cnr_db, datatype="cf32", seed=21,
                  transmitters=[Transmitter(modulation="speech")])
    m = Meter(NFMReceiver(FS, sc.offset_hz))
    m.run(simulate(sc)["samples"])
    ws = _settled(m)
    assert all(w["sinad_db"] is None for w in ws)       # no steady tone in speech
    assert _median(ws, "snr_db") == pytest.approx(sinad_from_cnr(cnr_db), abs=2.0)


@lru_cache(maxsize=1)
def _capture():
    rec = open_recording(CAPTURE)
    x = np.concatenate([c for _, c in rec.chunks(raw=False)])
    return rec, x


def _capture_meter(x, rec, squelch="noise,power"):
    rx = NFMReceiver(rec.sample_rate_hz, 144.5e6 - rec.center_freq_hz, squelch=squelch)
    m = Meter(rx, channel_hz=144.5e6)
    for i in range(0, x.size, 1 << 16):
        m.rx_process(x[i:i + (1 << 16)])
    rx.flush()
    return m, rx.finish()


@pytest.mark.parametrize("cnr_db", [12.0, 18.0, 25.0])
def test_tone_free_snr_on_the_real_capture_with_noise_added(cnr_db):
    # measure the carrier, add white noise for a known CNR in 12.5 kHz; the voice windows'
    # tone-free SNR should read the receiver's SINAD at that CNR (calibrated table)
    rec, x = _capture()
    fs = rec.sample_rate_hz
    m0, ev = _capture_meter(x, rec)
    s0 = transmission_summary(m0, ev[0]["start_s"] + 0.2, ev[0]["end_s"] - 0.2)
    carrier = 10 ** (s0["rssi_dbfs"] / 10)
    density = carrier / 10 ** (cnr_db / 10) / 12500.0
    rng = np.random.default_rng(int(cnr_db))
    noise = np.sqrt(density * fs / 2) * (rng.standard_normal(x.size)
                                         + 1j * rng.standard_normal(x.size))
    m, ev = _capture_meter((x + noise).astype(np.complex64), rec, squelch="power")
    s = transmission_summary(m, ev[0]["start_s"] + 0.2, ev[0]["end_s"] - 0.2)
    assert s["cnr_db"] == pytest.approx(cnr_db, abs=1.0)
    assert s["snr_db_p50"] == pytest.approx(sinad_from_cnr(cnr_db), abs=2.0)


@pytest.mark.parametrize("tone,dev,rate_error", [(67.0, 250.0, 0.0), (151.4, 375.0, 2e-3),
                                                 (254.1, 300.0, -1.5e-3)])
def test_ctcss_level_and_frequency_error(tone, dev, rate_error):
    # the receiver is told a sample rate off by rate_error (a clock error): every received
    # frequency, the tone's too, reads (1 + rate_error) times its true value
    sc = Scenario(duration_s=3.0, fs=FS, cnr_db=20, datatype="cf32", seed=3,
                  transmitters=[Transmitter(modulation="speech", ctcss_hz=tone,
                                            subaudible_deviation_hz=dev)])
    fs_told = FS * (1 + rate_error)
    m = Meter(NFMReceiver(fs_told, sc.offset_hz * (1 + rate_error), squelch="noise,ctcss"))
    m.run(simulate(sc)["samples"])
    s = transmission_summary(m, 0.5, 3.0)
    assert s["ctcss_hz"] == tone
    assert s["ctcss_freq_error_hz"] == pytest.approx(tone * rate_error, abs=0.1)
    assert s["ctcss_level_hz"] == pytest.approx(dev, rel=0.05)


def test_no_ctcss_numbers_without_the_decoder():
    _, _, m = _measured(20)
    s = transmission_summary(m, 0.4, 1.5)
    assert s["ctcss_hz"] is None and s["ctcss_level_hz"] is None


# ------------------------------------------------------------------ fading
@lru_cache(maxsize=64)
def _fading(fading, k_db, seed, duration_s=30.0):
    model = ChannelModel(fading=fading, k_factor_db=k_db, doppler_hz=10.0)
    sc = Scenario(duration_s=duration_s, fs=FS, cnr_db=35, datatype="cf32", seed=seed,
                  transmitters=[Transmitter(modulation="tone")], channels=[model])
    m = Meter(NFMReceiver(FS, sc.offset_hz), tone_hz=None)
    m.run(simulate(sc)["samples"], chunk=1 << 18)
    r, rate = m.envelope(0.5, None)
    return fading_stats(r, rate)


@pytest.mark.parametrize("k_db", [0.0, 5.0, 10.0])
def test_k_factor_within_2_db_in_9_of_10_seeds(k_db):
    ks = [_fading("rician", k_db, seed)["k_factor_db"] for seed in range(1, 11)]
    good = sum(k is not None and abs(k - k_db) <= 2.0 for k in ks)
    assert good >= 9, ks


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rayleigh_lcr_and_afd_within_15_percent_of_theory(seed):
    s = _fading("rayleigh", 0.0, seed)
    for rho in (0.3, 0.5, 1.0):
        assert s["lcr_hz"][str(rho)] == pytest.approx(rayleigh_lcr(rho, 10.0), rel=0.15)
        assert s["afd_s"][str(rho)] == pytest.approx(rayleigh_afd(rho, 10.0), rel=0.15)
    assert s["doppler_hz"] == pytest.approx(10.0, rel=0.15)


def test_static_channel_has_no_fading():
    s = _fading("none", 0.0, 1, duration_s=3.0)
    assert s["k_factor_db"] is None or s["k_factor_db"] > 20
    assert s["doppler_hz"] is None and s["fade_depth_db"] < 1.0


# ------------------------------------------------------------------ real capture
def test_real_capture_numbers():
    rec, x = _capture()
    m, ev = _capture_meter(x, rec)
    assert len(ev) == 1
    s = transmission_summary(m, ev[0]["start_s"], ev[0]["end_s"])
    assert s["cnr_db"] > 40
    keyed = [w for w in m.windows if w["keyed"] == 1.0 and w["start_s"] > 1.0
             and w["end_s"] < 4.4]
    assert keyed and all(w["cnr_db"] > 40 for w in keyed)
    assert s["freq_error_hz"] == pytest.approx(270.0, abs=20.0)
    # "about 2.5 kHz": the talker peaks at 2.94 kHz (p99.9), above the 2.5 kHz rating
    assert 2300.0 <= s["deviation_peak_hz"] <= 3100.0
    assert s["tone_hz"] is None and s["sinad_db_p50"] is None    # voice: no test tone
    assert s["snr_db_p50"] > 30


# ------------------------------------------------------------------ robustness
def _all_numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _all_numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _all_numbers(v)
    elif isinstance(obj, float):
        yield obj


@pytest.mark.parametrize("kind", ["zeros", "carrier", "clipped", "noise"])
def test_no_nan_or_inf_ever(kind):
    n = int(FS)
    t = np.arange(n)
    if kind == "zeros":
        x = np.zeros(n, np.complex64)
    elif kind == "carrier":
        x = np.exp(2j * np.pi * 30000 * t / FS).astype(np.complex64)
    elif kind == "clipped":
        x = (np.sign(np.cos(2 * np.pi * 30000 * t / FS))
             + 1j * np.sign(np.sin(2 * np.pi * 30000 * t / FS))).astype(np.complex64)
    else:
        x = (np.random.default_rng(0).standard_normal(n) * (1 + 1j)).astype(np.complex64)
    rx = NFMReceiver(FS, 30000.0, squelch="power")
    m = Meter(rx, cal_db=-20.0)
    m.run(x)
    s = transmission_summary(m, 0.0, 1.0)
    blob = {"windows": m.windows, "summary": s}
    json.dumps(blob, allow_nan=False)                   # raises on NaN / inf
    assert all(math.isfinite(v) for v in _all_numbers(blob))
    assert len(m.windows) >= 9


def test_clipping_and_dc_offset_of_raw_cu8_input():
    # a cu8 stream: a carrier at 0.5 (no clipping) then overdriven at 3 (clipped), plus a
    # known DC offset of +2 codes on I
    n = int(FS)
    t = np.arange(n)
    amp = np.where(t < n // 2, 0.5, 3.0)
    z = amp * np.exp(2j * np.pi * 30000 * t / FS)
    v = np.stack([z.real * 127.5 + 127.5 + 2, z.imag * 127.5 + 127.5], 1).ravel()
    raw = np.clip(np.round(v), 0, 255).astype(np.uint8)
    want_clip = np.mean((raw[: n] == 0) | (raw[: n] == 255)), \
        np.mean((raw[n:] == 0) | (raw[n:] == 255))
    rx = NFMReceiver(FS, 30000.0, input_format="cu8")
    m = Meter(rx)
    for i in range(0, raw.size, 10001):                 # odd chunks: samples split in two
        m.rx_process(raw[i:i + 10001])
    first, last = m.windows[1], m.windows[-1]
    assert first["clipping_fraction"] == pytest.approx(want_clip[0], abs=1e-9) == 0.0
    assert last["clipping_fraction"] == pytest.approx(want_clip[1], abs=0.01)
    assert last["clipping_fraction"] > 0.5
    i_codes = raw[0:n:2].astype(float)                  # first half, I
    q_codes = raw[1:n:2].astype(float)
    mi, mq = (i_codes.mean() - 127.5) / 127.5, (q_codes.mean() - 127.5) / 127.5
    assert first["dc_offset_dbfs"] == pytest.approx(10 * math.log10(mi**2 + mq**2), abs=0.5)
    cf = Meter(NFMReceiver(FS, 30000.0))
    cf.run(z.astype(np.complex64))
    assert cf.windows and all(w["clipping_fraction"] is None for w in cf.windows)


def test_gap_windows_are_flagged_and_empty():
    _, x, _ = _measured(20)
    rx = NFMReceiver(FS, _scenario(20).offset_hz)
    m = Meter(rx)
    m.note_gap(int(0.55 * m.fs_c), 10)
    m.run(x)
    flagged = [w for w in m.windows if w["gap"]]
    assert [w["index"] for w in flagged] == [5]
    assert flagged[0]["cnr_db"] is None and flagged[0]["sinad_db"] is None
    assert len(m.windows) > 6 and all(w["cnr_db"] is not None for w in m.windows[6:])


def test_rssi_in_dbm_with_a_calibration():
    _, x, m = _measured(20)
    rx = NFMReceiver(FS, _scenario(20).offset_hz)
    c = Meter(rx, cal_db=-31.5)
    c.run(x)
    for a, b in zip(m.windows, c.windows, strict=True):
        assert b["rssi_dbm"] == pytest.approx(a["rssi_dbfs"] - 31.5, abs=1e-3)


def test_bad_parameters_are_refused():
    rx = NFMReceiver(FS, 30000.0)
    with pytest.raises(ValueError, match="window"):
        Meter(rx, window_s=0)
    with pytest.raises(ValueError, match="tone"):
        Meter(rx, tone_hz=30000.0)


@settings(max_examples=5)
@given(data=st.data())
def test_any_chunking_gives_the_same_windows(data):
    sc, x, _ = _measured(12, duration_s=1.0)
    whole = Meter(NFMReceiver(FS, sc.offset_hz, squelch="noise"))
    whole.run(x, chunk=x.size)
    parts = Meter(NFMReceiver(FS, sc.offset_hz, squelch="noise"))
    cuts = data.draw(splits(x.size, max_cuts=8))
    for a, b in zip([0, *cuts], [*cuts, x.size], strict=True):
        parts.rx_process(x[a:b])
    assert parts.windows == whole.windows


def test_reference_fit_agrees_with_the_meter():
    # the window the Meter fits, re-fitted with numpy lstsq at the Meter's frequency
    sc, x, m = _measured(20, tone_hz=1000.0)
    y = NFMReceiver(FS, sc.offset_hz).process(x)
    w = _settled(m)[2]
    seg = y[w["index"] * m.win_a:(w["index"] + 1) * m.win_a]
    r = ref.tone_fit_ref(seg, m.fs_a, w["tone_hz"], 4)
    assert w["sinad_db"] == pytest.approx(10 * math.log10(r["p_total"] / r["p_residual"]),
                                          abs=0.01)


# ------------------------------------------------------------------ issue 13: tone, bounds,
# window times, floor
@lru_cache(maxsize=1)
def _capture_given_tone():
    # the bundled voice recording measured against a 1 kHz tone it does not have
    rec, x = _capture()
    rx = NFMReceiver(rec.sample_rate_hz, 144.5e6 - rec.center_freq_hz, squelch="noise")
    m = Meter(rx, tone_hz=1000.0, channel_hz=144.5e6)
    for i in range(0, x.size, 1 << 18):
        m.rx_process(x[i:i + (1 << 18)])
    rx.flush()
    return m, rx.finish()


def test_a_given_tone_that_is_not_there_gives_no_sinad():
    # before: every window "measured" SINAD ~0 dB against the absent tone
    m, ev = _capture_given_tone()
    keyed = windows_within(m, ev[0]["start_s"], ev[0]["end_s"])
    assert len(keyed) >= 30
    assert all(w["tone_missing"] is True and w["sinad_db"] is None and w["tone_hz"] is None
               for w in m.windows)
    assert all(w["snr_db"] is not None and w["snr_db"] > 30 for w in keyed)
    s = transmission_summary(m, ev[0]["start_s"], ev[0]["end_s"])
    assert s["sinad_db_p50"] is None and s["snr_db_p50"] > 30


@pytest.mark.parametrize("cnr_db", [2.0, 3.0])
def test_a_given_tone_in_heavy_noise_is_still_measured(cnr_db):
    # 1.6-2.6 dB SINAD (oracle): the tone is there in every window and measured within 1 dB
    sc, x, m = _measured(cnr_db, seed=4, duration_s=1.0, tone_hz=1000.0)
    pairs = _oracle_windows(sc, x, m)
    assert pairs and all(w["tone_missing"] is False for w, _ in pairs)
    assert all(0.5 <= o <= 4.0 for _, o in pairs)
    for w, o in pairs:
        assert w["sinad_db"] == pytest.approx(o, abs=1.0)


def test_tone_missing_is_none_without_a_given_frequency():
    _, _, m = _measured(15, tone_hz="auto")
    assert all(w["tone_missing"] is None for w in m.windows)


def test_snr_at_the_tone_free_table_end_is_a_lower_bound():
    # the bundled capture is at 58 dB CNR, beyond the calibration (42 dB CNR, 49.146 dB):
    # before, 18 of its 35 keyed windows read exactly 49.146 dB as a measurement
    from htdsp.measure import tone_free_table

    oob_end, sinad_end = tone_free_table()[0][0], tone_free_table()[1][0]
    m, ev = _capture_given_tone()
    keyed = windows_within(m, ev[0]["start_s"], ev[0]["end_s"])
    capped = [w for w in keyed if w["oob_noise_db"] < oob_end]
    assert len(capped) >= 10
    for w in capped:
        assert w["snr_oob_db"] == pytest.approx(sinad_end, abs=1e-3)
        assert w["bounds"]["snr_oob_db"] == "lower"
        if w["snr_db"] == w["snr_oob_db"]:
            assert w["bounds"]["snr_db"] == "lower"
    inside = [w for w in keyed if w["oob_noise_db"] > oob_end + 0.1]
    assert inside and all(w["bounds"] == {} for w in inside)
    s = transmission_summary(m, ev[0]["start_s"], ev[0]["end_s"])
    assert s["snr_db_p50"] == pytest.approx(sinad_end, abs=1e-3)
    assert s["bounds"]["snr_db_p50"] == "lower" and "snr_db_p10" not in s["bounds"]


def test_bounds_of_percentiles_and_maxima():
    from htdsp.measure import clamped_interp, combine_max, percentile_bound

    # the 90th percentile of [40, 41, ..., 49.1 (bounds)] moves if the bounds rise
    vals = [40.0, 41.0, 42.0, 49.1, 49.1]
    bs = [None, None, None, "lower", "lower"]
    assert percentile_bound(vals, bs, 90) == (49.1, "lower")
    assert percentile_bound(vals, bs, 10) == (pytest.approx(40.4), None)
    assert percentile_bound([0.2, 0.2, 30.0], ["upper", "upper", None], 10) == (0.2, "upper")
    assert percentile_bound([0.2, 49.1], ["upper", "lower"], 50) == (None, None)
    assert combine_max([(49.1, "lower"), (47.0, None)]) == (49.1, "lower")
    assert combine_max([(10.0, "upper"), (12.0, "lower")]) == (12.0, "lower")
    assert combine_max([(0.24, "upper"), (5.0, None)]) == (5.0, None)
    assert clamped_interp(50.0, [0.0, 40.0], [0.0, 47.0]) == (47.0, "lower")
    assert clamped_interp(-5.0, [0.0, 40.0], [0.0, 47.0]) == (0.0, "upper")


def test_window_times_start_at_zero():
    # before: window 0 started at -0.001027 s (the channel filter's delay)
    _, _, m = _measured(20)
    ws = m.windows
    assert ws[0]["start_s"] == 0.0
    assert all(w["start_s"] >= 0.0 and w["end_s"] > w["start_s"] for w in ws)
    assert all(a["end_s"] == pytest.approx(b["start_s"], abs=1e-6)
               for a, b in zip(ws, ws[1:], strict=False))
    assert ws[1]["start_s"] == pytest.approx(m.window_s - m.rx.input_delay_samples / m.rx.fs,
                                             abs=1e-6)


@pytest.mark.parametrize("duty,seed", [(0.2, 1), (0.5, 2)])
def test_noise_floor_does_not_follow_ook_pulses(duty, seed):
    # an rtl_433-style sensor: 2-5 ms carrier pulses 30 dB over a -40 dBFS floor at 250 kS/s.
    # The moments test and the squelch call most of these windows noise-only; before, their
    # mean power made the floor read 23-27 dB high
    from htdsp.pipeline import Channel, Session, Settings
    from htdsp.score import (
        SUMMARY_METRICS,
        WINDOW_METRICS,
        judge,
        load_daq_table,
        parse_expr,
    )
    from htdsp.sources import SourceInfo
    from tests.signals import ook_bursts_iq

    fs, off = 250e3, -107e3
    x, floor_db, on = ook_bursts_iq(fs, off, 2.0, duty=duty, seed=seed)
    assert abs(on.mean() - duty) < 0.1
    runs = []
    for chunk in (1 << 16, 12345):                       # and chunk-invariant
        sc = Session(SourceInfo("ook", "cf32", fs), "cf32", [Channel(off)],
                     Settings(keep_windows=True))
        for i in range(0, x.size, chunk):
            sc.feed(x[i:i + chunk])
        sc.finish()
        runs.append(sc.runs[0])
    r = runs[0]
    assert r.meter.windows == runs[1].meter.windows
    nf = [w["noise_floor_dbfs"] for w in r.meter.windows]
    assert len(nf) >= 19 and all(abs(v - floor_db) <= 1.0 for v in nf), (floor_db, nf)
    _, s = judge(r.meter, r.events, parse_expr("sinad>=20", WINDOW_METRICS),
                 [parse_expr("availability>=0.95", SUMMARY_METRICS)], load_daq_table())
    assert abs(s["noise_floor_dbfs"] - floor_db) <= 1.0


def test_noise_floor_of_a_real_like_ook_cu8_recording():
    # the recording: cu8 at 250 kS/s, pulses at -107 kHz peaking near 0 dBFS over a
    # -30 dBFS floor (full band); before, the summary's floor read -9 dBFS
    from tests.signals import ook_bursts_iq, to_cu8

    fs, off = 250e3, -107e3
    x, floor_db, _ = ook_bursts_iq(fs, off, 1.5, floor_dbfs=-30.0, above_db=42.0, duty=0.35,
                                   seed=3)
    raw = to_cu8(x)
    rx = NFMReceiver(fs, off, input_format="cu8", squelch="power")
    m = Meter(rx)
    for i in range(0, raw.size, 1 << 17):
        m.rx_process(raw[i:i + (1 << 17)])
    nf = [w["noise_floor_dbfs"] for w in m.windows]
    assert nf and all(abs(v - floor_db) <= 1.0 for v in nf), (floor_db, nf)


def _percentile_bound_ref(vals, bounds, q):
    """percentile_bound in plain NumPy, as it was written before the streaming score."""
    pairs = [(v, b) for v, b in zip(vals, bounds, strict=True) if v is not None]
    if not pairs:
        return None, None
    v = np.array([p[0] for p in pairs], dtype=float)
    p = float(np.percentile(v, q))
    far = 1e3 * (1.0 + float(np.max(np.abs(v))))
    lo = np.array([b == "lower" for _, b in pairs])
    up = np.array([b == "upper" for _, b in pairs])
    rise = lo.any() and float(np.percentile(np.where(lo, far, v), q)) != p
    fall = up.any() and float(np.percentile(np.where(up, -far, v), q)) != p
    if rise and fall:
        return None, None
    return round(p, 3), "lower" if rise else "upper" if fall else None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(-60000, 60000)),
                          st.sampled_from([None, None, None, "lower", "upper"])),
                min_size=1, max_size=80),
       st.sampled_from([0, 10, 37.5, 50, 90, 100]))
def test_the_streaming_percentiles_are_the_batch_percentiles(pairs, q):
    # the summary's percentiles from histograms of the rounded values (bounded memory) and
    # from compact arrays equal the plain NumPy ones over the list, bounds and all
    from htdsp.measure import BoundedHistogram, BoundedSeries, percentile_bound

    vals = [None if k is None else k / 1000 for k, _ in pairs]
    bounds = [b for _, b in pairs]
    want = _percentile_bound_ref(vals, bounds, q)
    assert percentile_bound(vals, bounds, q) == want
    # (the histogram both before its values spill into blocks and after)
    for make in (BoundedSeries, BoundedHistogram, lambda: BoundedHistogram(spill=0),
                 lambda: BoundedHistogram(spill=len(pairs) // 2)):
        s = make()
        for v, b in zip(vals, bounds, strict=True):
            s.append(v, b)
        assert s.percentile(q) == want, make


def test_every_channel_reads_the_inputs_raw_levels_as_one_alone():
    # the ADC's clipping and DC come from the input's codes, read once for all channels: the
    # second channel of a run has the windows' raw figures it has when scored alone
    from htdsp.io import open_recording
    from htdsp.pipeline import Settings, score_file

    rec = open_recording("captures/synthetic/interference.sigmf-meta")
    both = score_file(rec, [25e3, -30e3], Settings(keep_windows=True)).runs[1].meter.windows
    alone = score_file(rec, [-30e3], Settings(keep_windows=True)).runs[0].meter.windows
    assert len(both) == len(alone) > 10
    for a, b in zip(both, alone, strict=True):
        assert a["clipping_fraction"] == b["clipping_fraction"] is not None
        assert a["dc_offset_dbfs"] == b["dc_offset_dbfs"] is not None
