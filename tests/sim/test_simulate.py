"""Simulated recordings against their own truth: CNR, offsets, deviation, signalling, front end,
reproducibility, truth layout, the command."""

import json
import math

import numpy as np
import pytest
import scipy.signal
from sigmf.validate import validate

from htdsp import NFMReceiver
from htdsp.io import open_recording
from htdsp.sim import ChannelModel, FrontEnd, Scenario, Transmitter, simulate
from htdsp.sim.scenarios import SCENARIOS, scenario
from htdsp.standards import DCS_BAUD, dcs_bits, dcs_codeword, sinad_from_cnr
from htdsp.standards import cnr_sinad_table as table
from tests.signals import tone_frequency_amplitude

FS = 2.4e6


def _sc(**kw):
    base = dict(duration_s=2.0, fs=FS, datatype="cf32",
                transmitters=[Transmitter(keyed=[(1.0, None)])])
    base.update(kw)
    return Scenario(**base)


@pytest.mark.parametrize("cnr", [0.0, 10.0, 20.0, 30.0])
def test_realised_cnr_within_0_2_db_measured_from_the_file(cnr):
    truth = simulate(_sc(cnr_db=cnr, seed=int(cnr)))
    x = truth["samples"]
    # wideband powers with and without the carrier: C = P_on - P_off, N in B = P_off * B / fs
    p_off = np.mean(np.abs(x[: int(0.95 * FS)]) ** 2)
    p_on = np.mean(np.abs(x[int(1.05 * FS):]) ** 2)
    measured = 10 * np.log10((p_on - p_off) / (p_off * 12500.0 / FS))
    assert measured == pytest.approx(cnr, abs=0.2)
    assert truth["global"]["htdsp:channel"]["cnr_realised_db"] == pytest.approx(cnr, abs=0.2)


def test_carrier_offset_and_error_are_exact():
    sc = _sc(cnr_db=40.0, transmitters=[Transmitter(modulation="silence", freq_error_hz=270.0,
                                                    keyed=[(0.0, None)])],
             frontend=FrontEnd(ppm=1.5))
    truth = simulate(sc, noise=False)
    x = truth["samples"]
    ann = truth["annotations"][0]
    expect = sc.offset_hz + 270.0 - 1.5e-6 * sc.center_hz
    assert ann["htdsp:carrier_offset_hz"] == pytest.approx(expect, abs=1e-6)
    # unwrap in float64: float32 would accumulate its rounding over ~10^6 rad
    ph = np.unwrap(np.angle(x[int(0.1 * FS):].astype(np.complex128)))
    f = np.polyfit(np.arange(ph.size) / FS, ph, 1)[0] / (2 * np.pi)
    assert f == pytest.approx(expect, abs=0.01)


@pytest.mark.parametrize("dev", [1500.0, 2500.0, 700.0])
def test_deviation_is_exact_at_rf(dev):
    sc = _sc(transmitters=[Transmitter(tone_hz=1000.0, deviation_hz=dev, keyed=[(0.0, None)])])
    x = simulate(sc, noise=False)["samples"]
    # the instantaneous frequency at full rate, read directly from the I/Q
    f_inst = np.angle(x[1:] * np.conj(x[:-1])) * FS / (2 * np.pi) - sc.offset_hz
    seg = f_inst[int(0.1 * FS):]
    f, a = tone_frequency_amplitude(seg, FS)
    assert f == pytest.approx(1000.0, abs=0.01)
    assert a == pytest.approx(dev, rel=0.002)


def test_receiver_reads_the_tone_at_its_deviation():
    truth = simulate(_sc(cnr_db=40.0, seed=3))
    rx = NFMReceiver(FS, Scenario().offset_hz)
    y = rx.process(truth["samples"])
    f, a = tone_frequency_amplitude(y[int(1.2 * 48000):], 48000.0)
    assert f == pytest.approx(1000.0, abs=0.05) and a == pytest.approx(0.6, rel=0.01)


def test_keyed_interval_is_exact_in_the_file():
    truth = simulate(_sc(cnr_db=40.0, transmitters=[Transmitter(keyed=[(0.5, 1.25)])]),
                     noise=False)
    x = truth["samples"]
    a = truth["annotations"][0]
    assert (a["sample_start"], a["sample_count"]) == (int(0.5 * FS), int(0.75 * FS))
    env = np.abs(x)
    level = np.median(env[a["sample_start"]: a["sample_start"] + a["sample_count"]])
    on = np.nonzero(env > level / 2)[0]
    # the 1 ms raised-cosine ramps are centred half a ramp inside the interval
    assert abs(on[0] - a["sample_start"]) <= 0.0006 * FS
    assert abs(on[-1] - (a["sample_start"] + a["sample_count"])) <= 0.0006 * FS


def test_fading_reaches_the_samples():
    fd = 20.0
    sc = _sc(duration_s=2.0, fs=250e3, transmitters=[Transmitter(modulation="silence",
                                                                 keyed=[(0.0, None)])],
             channels=[ChannelModel("rayleigh", doppler_hz=fd)])
    truth = simulate(sc, noise=False)
    env = np.abs(truth["samples"])
    win = truth["global"]["htdsp:windows"]
    # the window CNRs of the truth follow the signal's 10 ms power, dB for dB
    p = env[: env.size // 2500 * 2500].reshape(-1, 2500)
    p_db = 10 * np.log10(np.mean(p**2, axis=1))
    c = np.array(win["cnr_db"], dtype=float)
    assert c.size == p_db.size
    # same shape (the truth averages a 1 kHz gain process over each window: 0.997 measured)
    assert np.corrcoef(c, p_db)[0, 1] > 0.995
    d = c - p_db                                              # a constant: the noise level
    assert np.median(np.abs(d - np.median(d))) < 0.3
    assert np.ptp(p_db) > 15                                  # it does fade


def test_overdriven_front_end_clips_and_reports_it(tmp_path):
    out = tmp_path / "hot.sigmf-meta"
    truth = simulate(_sc(datatype="cu8", frontend=FrontEnd(gain_db=20.0)), out)
    fe = truth["global"]["htdsp:frontend"]
    e = np.fromfile(tmp_path / "hot.sigmf-data", np.uint8)
    counted = np.count_nonzero((e == 0) | (e == 255)) / e.size
    assert fe["clipping_fraction"] == pytest.approx(counted, abs=1e-9)
    assert counted > 0.2
    from htdsp.info import describe
    assert describe(open_recording(out))["clipping_fraction"] == pytest.approx(counted)


def test_front_end_dc_and_iq_imbalance_are_what_info_measures(tmp_path):
    out = tmp_path / "fe.sigmf-meta"
    simulate(_sc(datatype="cs16", frontend=FrontEnd(dc_offset=(0.02, -0.01),
                                                    iq_amplitude_db=1.0, iq_phase_deg=3.0)),
             out)
    from htdsp.info import describe
    d = describe(open_recording(out))
    assert d["dc_offset_i"] == pytest.approx(0.02, abs=5e-4)
    assert d["dc_offset_q"] == pytest.approx(-0.01, abs=5e-4)
    assert d["iq_amplitude_imbalance_db"] == pytest.approx(1.0, abs=0.05)
    assert d["iq_phase_imbalance_deg"] == pytest.approx(3.0, abs=0.2)


def test_dropped_samples_shift_the_file_and_are_reported():
    sc = _sc(fs=250e3, cnr_db=40.0, transmitters=[Transmitter(keyed=[(1.0, 1.8)])],
             frontend=FrontEnd(gaps=[(0.5, 1000), (1.5, 250)]))
    truth = simulate(sc)
    assert truth["samples"].size == 500_000 - 1250
    gaps = truth["global"]["htdsp:frontend"]["gaps"]
    assert gaps == [{"sample": 125000, "true_sample": 125000, "lost": 1000},
                    {"sample": 374000, "true_sample": 375000, "lost": 250}]
    a = truth["annotations"][0]
    assert a["sample_start"] == 250000 - 1000
    assert a["sample_count"] == 200000 - 250


def test_same_seed_same_bytes_and_truth_other_seed_differs(tmp_path):
    sc = scenario("ctcss-net", 2.0)
    sc.fs = 250e3
    a = simulate(sc, tmp_path / "a.sigmf-meta")
    b = simulate(sc, tmp_path / "b.sigmf-meta")
    assert (tmp_path / "a.sigmf-data").read_bytes() == (tmp_path / "b.sigmf-data").read_bytes()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    sc.seed = 1
    simulate(sc, tmp_path / "c.sigmf-meta")
    assert (tmp_path / "a.sigmf-data").read_bytes() != (tmp_path / "c.sigmf-data").read_bytes()


def test_truth_is_valid_sigmf_with_a_declared_extension(tmp_path):
    out = tmp_path / "n.sigmf-meta"
    sc = scenario("ctcss-net", 4.0)
    sc.fs = 250e3
    simulate(sc, out)
    meta = json.loads(out.read_text())
    validate(meta)
    g = meta["global"]
    assert {"name": "htdsp", "version": "1.0.0", "optional": True} in g["core:extensions"]
    assert len(g["htdsp:transmitters"]) == 4
    anns = meta["annotations"]
    assert [a["core:label"] for a in anns] == ["net-67.0", "net-123.0", "net-254.1",
                                               "dcs-D023N", "net-123.0"]
    assert anns[3]["htdsp:dcs_code"] == "D023N" and anns[0]["htdsp:ctcss_hz"] == 67.0
    # two keying at once: the DCS user overlaps the second 123.0 over
    assert anns[4]["core:sample_start"] < anns[3]["core:sample_start"] + \
        anns[3]["core:sample_count"]
    w = g["htdsp:windows"]
    assert len(w["cnr_db"]) == 400 and w["window_s"] == 0.01
    for c, m, k in zip(w["cnr_db"], w["criterion_met"], w["transmitter"], strict=True):
        assert (c is None) == (m is None) == (k is None)
    keyed = [(c, m) for c, m in zip(w["cnr_db"], w["criterion_met"], strict=True) if c is not None]
    assert len(keyed) > 100 and {m for _, m in keyed} == {True, False}   # on, met and not met
    assert all(m == (sinad_from_cnr(c) >= 20.0) for c, m in keyed)


def _demod_subaudible(x, fs, offset):
    rx = NFMReceiver(fs, offset, highpass_hz=None, lowpass_hz=None, deemph_tau_s=0)
    return rx.process(x), rx


def test_ctcss_tone_deviation_and_reverse_burst():
    fs = 250e3
    sc = _sc(fs=fs, cnr_db=40.0, duration_s=1.5,
             transmitters=[Transmitter(modulation="silence", ctcss_hz=123.0,
                                       keyed=[(0.2, 1.2)])])
    truth = simulate(sc, noise=False)
    y, rx = _demod_subaudible(truth["samples"], fs, sc.offset_hz)
    afs = 48000.0
    d = int(round(rx.delay_s * afs))
    t = np.arange(y.size) / afs
    ref = np.exp(-2j * np.pi * 123.0 * t)
    before = np.mean((y * ref)[d + int(0.7 * afs): d + int(1.0 * afs)])
    burst = np.mean((y * ref)[d + int(1.07 * afs): d + int(1.18 * afs)])
    assert 2 * abs(before) * 2500 == pytest.approx(250.0, rel=0.02)   # 10 % of rated deviation
    dphi = abs(np.angle(burst / before, deg=True))
    assert dphi == pytest.approx(180.0, abs=10.0)


@pytest.mark.parametrize("code", ["D023N", "D023I", "D754N"])
def test_dcs_bitstream_is_the_golay_word_at_134_4_baud(code):
    fs = 250e3
    sc = _sc(fs=fs, cnr_db=40.0, duration_s=2.0,
             transmitters=[Transmitter(modulation="silence", dcs_code=code, keyed=[(0.0, None)])])
    y, rx = _demod_subaudible(simulate(sc, noise=False)["samples"], fs, sc.offset_hz)
    afs = 48000.0
    bits = np.array(dcs_bits(code)) * 2 - 1
    t = np.arange(y.size) / afs
    sos = scipy.signal.butter(2, 300.0, output="sos", fs=afs)
    best = 0.0
    for lag in range(0, int(afs / DCS_BAUD * 23), 8):          # any start within a word
        idx = np.floor((t[int(0.2 * afs):int(1.8 * afs)] + lag / afs) * DCS_BAUD).astype(int)
        expect = scipy.signal.sosfilt(sos, bits[idx % 23].astype(float))
        c = np.corrcoef(expect[2000:], y[int(0.2 * afs) + 2000:int(1.8 * afs)])[0, 1]
        best = max(best, c)
    assert best > 0.9


def test_dcs_words_match_published_values():
    # published DCS words (bit 0 first on air): 023N 0x763813, 025N 0x6B7815, 026N 0x65D816,
    # 031N 0x51F819, 032N 0x5F581A, 043N 0x5B6823; 023I is a cyclic shift of 047N
    for code, word in (("023", 0x763813), ("025", 0x6B7815), ("026", 0x65D816),
                       ("031", 0x51F819), ("032", 0x5F581A), ("043", 0x5B6823)):
        assert dcs_codeword(code) == word
    rot = {((dcs_codeword("047") >> k) | (dcs_codeword("047") << (23 - k))) & 0x7FFFFF
           for k in range(23)}
    assert dcs_codeword("023I") in rot


def test_interference_scenario_places_its_interferers():
    sc = scenario("interference", 1.0)
    sc.fs, sc.datatype = 250e3, "cf32"
    truth = simulate(sc, noise=False)
    x = truth["samples"][int(0.35 * 250e3):int(0.65 * 250e3)]
    f = np.fft.fftfreq(x.size, 1 / 250e3)
    p = np.abs(np.fft.fft(x)) ** 2

    def band(c):
        return p[np.abs(f - c) < 6250].sum()
    ratio = 10 * np.log10(band(sc.offset_hz + 12500) / band(sc.offset_hz))
    # adjacent +20 dB; the channel holds the wanted carrier and the co-channel at -15 dB
    assert ratio == pytest.approx(20 - 10 * np.log10(1 + 10 ** -1.5), abs=0.5)
    assert truth["global"]["htdsp:impulses"]["count"] == 0           # noise=False: none
    truth = simulate(sc)
    assert 20 <= truth["global"]["htdsp:impulses"]["count"] <= 90    # Poisson, 50/s over 1 s


def test_sinad_table_is_monotonic_and_matches_a_fresh_oracle():
    c, s = table()
    assert np.all(np.diff(s) > 0)
    assert 11 < sinad_from_cnr(7.0) < 13                       # measurement.md section 2
    from htdsp.sim.calibrate import oracle_sinad_db
    for cnr in (7.0, 15.0):
        fresh = 10 * math.log10(np.mean([10 ** (oracle_sinad_db(cnr, seed) / 10)
                                         for seed in (11, 12)]))
        assert fresh == pytest.approx(sinad_from_cnr(cnr), abs=0.5)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_runs_and_reads_back(tmp_path, name):
    sc = scenario(name, 1.5)
    if name != "band":                   # (its users span a dongle's band: 2.4 MS/s)
        sc.fs = 250e3
    out = tmp_path / f"{name}.sigmf-meta"
    truth = simulate(sc, out)
    rec = open_recording(out)
    assert rec.samples == truth["global"]["htdsp:frontend"]["samples"] == int(1.5 * sc.fs)
    assert rec.center_freq_hz == sc.center_hz and len(rec.annotations) >= 1
    assert truth["global"]["htdsp:frontend"]["clipping_fraction"] < 1e-4


def _cli(*args):
    from tests.cli import run_cli

    return run_cli(*args)


def test_simulate_command_lists_scenarios_and_writes(tmp_path):
    h = _cli("simulate", "--help").stdout.decode()
    for name in SCENARIOS:
        assert name in h
    out = tmp_path / "w.sigmf-meta"
    r = _cli("simulate", "--scenario", "weak-edge", "--duration", "500ms", "--rate", "250k",
             "--cnr", "9", "--ctcss", "88.5", "--keyed", "0.1-0.4", "--seed", "4", "-o", out)
    assert r.returncode == 0, r.stderr
    meta = json.loads(out.read_text())
    assert meta["global"]["htdsp:channel"]["cnr_db"] == 9.0
    assert meta["annotations"][0]["htdsp:ctcss_hz"] == 88.5
    assert meta["annotations"][0]["core:sample_start"] == 25000


@pytest.mark.parametrize("args,needle", [
    (["--scenario", "nowhere"], "invalid choice"),
    (["--scenario", "clear-los", "--ctcss", "100.1"], "not a CTCSS tone"),
    (["--scenario", "clear-los", "--dcs", "D999N"], "DCS"),
    (["--scenario", "clear-los", "--offset", "2M"], "does not fit"),
    (["--scenario", "clear-los", "--keyed", "soon"], "--keyed"),
])
def test_simulate_bad_options_are_one_line_exit_2(tmp_path, args, needle):
    r = _cli("simulate", *args, "--duration", "0.2", "--rate", "250k", "-o",
             tmp_path / "x.sigmf-meta")
    err = r.stderr.decode()
    assert r.returncode == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert needle in err, err


def test_random_ptt_schedule_is_seeded_and_in_the_truth():
    def run(seed):
        sc = _sc(duration_s=30.0, fs=250e3, cnr_db=30.0, seed=seed,
                 transmitters=[Transmitter(keyed="random")])
        return simulate(sc, noise=False)["annotations"]
    a, b, c = run(1), run(1), run(2)
    assert a == b and a != c
    assert len(a) >= 3
    spans = [(x["htdsp:start_s"], x["htdsp:end_s"]) for x in a]
    assert all(2.0 <= e - s <= 8.0 for s, e in spans[:-1])
    assert all(1.0 <= s2 - e1 <= 5.0 for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False))


def test_flood_plain_boat_reports_its_two_ray_path_loss():
    from htdsp.sim.channel import two_ray_gain

    sc = scenario("flood-plain-boat", 2.0)
    sc.fs = 250e3
    t = simulate(sc, noise=False)["global"]["htdsp:transmitters"][0]
    fc = sc.center_hz + sc.offset_hz
    expect = -20 * np.log10(abs(two_ray_gain(1000.0, 1.5, 10.0, fc)))
    assert t["channel_realised"]["path_loss_db_start"] == pytest.approx(expect, abs=1e-3)
    assert t["channel_realised"]["distance_m_end"] == pytest.approx(1010.0, abs=0.01)
    assert t["channel"]["two_ray"]["gamma"] == -1.0
