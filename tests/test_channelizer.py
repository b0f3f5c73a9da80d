"""The fast-convolution filter bank (htdsp/dsp/channelizer.py) and its channel front end:
against the plain NumPy reference, chunk-invariant, reset and copy, the physics of a tone
(amplitude, frequency, continuous phase) for centres off the bin grid and off the raster, and
a channel from the bank measured as the same channel scored alone."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from htdsp.dsp.channelizer import Channelizer, channelize_reference, plan_bank
from htdsp.dsp.design import plan_chain
from htdsp.io import open_recording
from htdsp.measure.activity import BandFrontEnd
from htdsp.pipeline import Channel, Session, Settings
from htdsp.rx.frontend import ChannelizerFrontEnd
from htdsp.sources import FileSource

RATES = (2.4e6, 2.048e6, 1.024e6, 250e3, 280e3, 1.92e6, 3.2e6)


def _noise(n, seed=1):
    rng = np.random.default_rng(seed)
    # asymmetric and complex: a mirrored spectrum or a reversed filter cannot pass
    x = rng.standard_normal(n) + 1j * (0.5 * rng.standard_normal(n) + 0.3)
    return (x * np.exp(2j * np.pi * 0.013 * np.arange(n))).astype(np.complex64)


@pytest.mark.parametrize("fs", RATES)
def test_the_plan_gives_the_single_channel_rate_exactly(fs):
    n_fft, n_bins, hop, taps = plan_bank(fs, 12500.0)
    ch_fs = plan_chain(fs, 12500.0, 48000.0).channel_fs
    assert n_bins * fs / n_fft == pytest.approx(ch_fs, rel=1e-12)
    assert (hop * n_bins) % n_fft == 0                       # whole outputs per block
    overlap = n_fft - hop
    assert overlap >= (len(taps) - 1) * fs / ch_fs          # linear, not circular
    assert hop >= 0.6 * n_fft


def test_the_bank_is_its_reference():
    offs = [-37e3, 1234.5, 50e3, -100e3]                    # on and off the bin grid
    x = _noise(9000)
    ref = channelize_reference(x, 250e3, offs, 12500.0)
    got = Channelizer(250e3, offs, 12500.0).process(x)
    for a, r in zip(got, ref, strict=True):
        assert a.dtype == np.complex64 and len(a) == len(r) > 1000
        assert np.max(np.abs(a - r)) <= 1e-5 * np.max(np.abs(r))


@given(st.lists(st.integers(1, 5000), min_size=1, max_size=12))
def test_any_chunking_is_one_call(cuts):
    x = _noise(20000, seed=2)
    offs = [-60e3, 3.3e3, 97.1e3]
    whole = Channelizer(250e3, offs, 12500.0).process(x)
    bank = Channelizer(250e3, offs, 12500.0)
    parts, i = [], 0
    for c in cuts:
        parts.append(bank.process(x[i:i + c]))
        i += c
    parts.append(bank.process(x[i:]))
    for ch in range(len(offs)):
        assert np.array_equal(np.concatenate([p[ch] for p in parts]), whole[ch])


def test_reset_is_fresh_and_copy_continues():
    x = _noise(12000, seed=3)
    bank = Channelizer(250e3, [10e3, -40e3], 12500.0)
    first = bank.process(x)
    bank.process(x[:5000])
    twin = bank.copy()
    a, b = bank.process(x[5000:]), twin.process(x[5000:])
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    bank.reset()
    again = bank.process(x)
    assert all(np.array_equal(p, q) for p, q in zip(first, again, strict=True))


@pytest.mark.parametrize("fs,center_hz", [(2.4e6, 145.0e6), (2.048e6, 145.003e6)])
def test_a_tone_comes_out_at_its_offset_with_the_filter_gain(fs, center_hz):
    # 12.5 kHz raster channels near the centre, which is off the raster for 2.048 MS/s (3 kHz
    # off): each channel's tone, 1.2 kHz above its centre, comes out at +1.2 kHz with the
    # filter's gain there and a phase that runs on across blocks
    raster = 12500.0 * np.round((center_hz + np.array([-300e3, -12.5e3, 0.0, 250e3]))
                                / 12500.0)
    offs = raster - center_hz
    n = int(0.2 * fs)
    t = np.arange(n) / fs
    bank = Channelizer(fs, offs, 12500.0)
    for c, off in enumerate(offs):
        x = np.exp(2j * np.pi * (off + 1200.0) * t + 0.7j).astype(np.complex64)
        y = bank.copy().process(x)[c][2000:]
        taps = bank.taps
        gain = abs(np.sum(taps * np.exp(-2j * np.pi * 1200.0 / bank.fs_out
                                        * np.arange(len(taps)))))
        assert np.abs(y).mean() == pytest.approx(gain, rel=2e-3)
        dphi = np.angle(y[1:] * np.conj(y[:-1]))
        assert np.max(np.abs(dphi - 2 * np.pi * 1200.0 / bank.fs_out)) < 2e-3
        # and nothing of it in the neighbour 12.5 kHz away
        if c == 1:
            nb = bank.copy().process(x)[2][2000:]
            assert 20 * np.log10(np.abs(nb).mean() / gain) < -55


def test_the_front_end_takes_raw_chunks_of_any_size():
    rng = np.random.default_rng(4)
    raw = rng.integers(0, 256, 2 * 30000, dtype=np.uint8)
    whole = ChannelizerFrontEnd(250e3, [25e3], 12500.0, input_format="cu8").process(raw)[0]
    fe = ChannelizerFrontEnd(250e3, [25e3], 12500.0, input_format="cu8")
    parts = [fe.process(raw[i:i + 777])[0] for i in range(0, raw.size, 777)]
    assert np.array_equal(np.concatenate(parts), whole)
    assert fe.samples_in == 30000
    # (the raw codes converted straight into the bank's buffer: the samples converted first)
    from htdsp.dsp.convert import convert

    assert np.array_equal(Channelizer(250e3, [25e3], 12500.0).process(convert(raw, "cu8"))[0],
                          whole)


CAPTURES = ("clear-los", "ctcss-net", "hill-shadow", "interference", "weak-edge")


def _transmissions(rec, offset_hz, kind):
    """The transmissions of one channel of a recording scored alone (``alone``: the xlating
    front end), from the bank (``bank``: running from the start) or from a band's watch
    (``band``: started when its carrier was seen, back-dated)."""
    src = FileSource(rec)
    fs, fmt = src.info.sample_rate_hz, src.format
    st = Settings(keep_windows=True)
    if kind == "band":
        offs = [offset_hz + k * 12500.0 for k in (-4, -2, 0, 3, 5)]      # (a band: >= 5)
        fe = BandFrontEnd(fs, offs, 12500.0, input_format=fmt)
        s = Session(src.info, fmt, [], st, front_end=fe, band="range")
    else:
        fe = (ChannelizerFrontEnd(fs, [offset_hz], 12500.0, input_format=fmt)
              if kind == "bank" else None)
        s = Session(src.info, fmt, [Channel(offset_hz)], st, front_end=fe)
    s.run(src)
    s.finish()
    run = next(r for r in s.runs if r.offset_hz == offset_hz)
    return run, run.judge.transmissions


def _assert_same(alone, other):
    # the same squelch, the same transmissions (edges within 2 ms), and per transmission the
    # SINAD / SNR percentiles and CNR within 0.2 dB, the frequency error within 2 Hz
    assert len(alone) == len(other) >= 1
    for a, b in zip(alone, other, strict=True):
        assert abs(a["start_s"] - b["start_s"]) <= 0.002
        assert abs(a["end_s"] - b["end_s"]) <= 0.002
        for k in ("sinad_db_p10", "sinad_db_p50", "sinad_db_p90", "snr_db_p10", "snr_db_p50",
                  "snr_db_p90", "cnr_db"):
            assert (a[k] is None) == (b[k] is None), k
            if a[k] is not None:
                assert abs(a[k] - b[k]) <= 0.2, (k, a[k], b[k])
        assert abs(a["freq_error_hz"] - b["freq_error_hz"]) <= 2.0


@pytest.mark.parametrize("name", CAPTURES)
@pytest.mark.parametrize("kind", ["bank", "band"])
def test_a_channel_from_the_bank_is_the_channel_scored_alone(name, kind):
    rec = open_recording(f"captures/synthetic/{name}.sigmf-meta")
    _, alone = _transmissions(rec, 25e3, "alone")
    run, other = _transmissions(rec, 25e3, kind)
    _assert_same(alone, other)
    if kind == "band":                         # (started when its carrier came, or at 0)
        assert run.start_sample < alone[0]["start_s"] * rec.sample_rate_hz


def test_a_channel_keyed_first_mid_capture_is_the_channel_scored_alone(tmp_path):
    # two users of the band scenario on adjacent channels, 3 s at 2.4 MS/s: the one on
    # +262.5 kHz keys first at 1.65 s; a band's watch starts its receiver then, back-dated,
    # and it scores as the channel scored from the start
    from htdsp.sim import simulate
    from htdsp.sim.scenarios import scenario

    sc = scenario("band", 3.0)
    sc.transmitters = [t for t in sc.transmitters if t.offset_hz in (250e3, 262.5e3)]
    assert len(sc.transmitters) == 2
    path = tmp_path / "pair.sigmf-meta"
    simulate(sc, str(path))
    rec = open_recording(str(path))
    _, alone = _transmissions(rec, 262.5e3, "alone")
    run, band = _transmissions(rec, 262.5e3, "band")
    assert alone[0]["start_s"] == pytest.approx(1.65, abs=0.02)
    start_s = run.start_sample / rec.sample_rate_hz
    assert 0.5 <= start_s <= 1.65 - 1.0
    _assert_same(alone, band)


def test_every_channels_block_power_and_the_active_ones_baseband():
    # a band of 12.5 kHz channels, carriers in two of them (one 30 dB down): each block's
    # power says which (the neighbours of the strong one stay 55 dB down), and the baseband of
    # the channels asked for is what the whole bank gives them, whenever they are asked for
    fs = 2.4e6
    offs = np.arange(-8, 8) * 12500.0
    n = int(0.2 * fs)
    t = np.arange(n) / fs
    rng = np.random.default_rng(6)
    x = (np.exp(2j * np.pi * (offs[3] + 900.0) * t)
         + 10 ** (-30 / 20) * np.exp(2j * np.pi * (offs[12] - 1500.0) * t)
         + 1e-4 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)
    full = Channelizer(fs, offs, 12500.0).process(x)
    bank = Channelizer(fs, offs, 12500.0)
    p1, y1 = bank.process_active(x[:n // 2], [3])
    p2, y2 = bank.process_active(x[n // 2:], [3, 12])
    powers = np.concatenate([p1, p2])[2:]                   # (after the first blocks fill)
    db = 10 * np.log10(powers.mean(axis=0))
    assert db[3] == pytest.approx(0.0, abs=0.1) and db[12] == pytest.approx(-30.0, abs=0.2)
    assert np.all(db[[2, 4]] < -55) and np.all(np.delete(db, [3, 12]) < -55)
    assert np.array_equal(np.concatenate([y1[0], y2[0]]), full[3])
    # channel 12 joins at the second chunk's first block, in phase with the whole bank's
    assert np.array_equal(y2[1], full[12][-y2.shape[1]:])
    whole_p, _ = Channelizer(fs, offs, 12500.0).process_active(x, [])
    assert np.array_equal(np.concatenate([p1, p2]), whole_p)


def test_replay_gives_the_blocks_the_bank_gave():
    # a channel's baseband over past blocks, from kept input, is bit for bit what the bank
    # gave it live (its phase from the block index, whatever block it starts at)
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(60000) + 1j * rng.standard_normal(60000)).astype(np.complex64)
    offs = [-37.5e3, 3.1e3, 50e3]
    bank = Channelizer(250e3, offs, 12500.0)
    full = bank.process(x)
    opb, m_b = bank.out_per_block, bank.blocks_done
    for m_a in (0, 1, 7):
        x0 = max(0, m_a * bank.hop - (bank.n_fft - bank.hop))
        y = bank.replay(x[x0:], x0, [2, 0], m_a, m_b)
        assert np.array_equal(y[0], full[2][m_a * opb:m_b * opb])
        assert np.array_equal(y[1], full[0][m_a * opb:m_b * opb])
    with pytest.raises(ValueError, match="before the kept input"):
        bank.replay(x[5000:], 5000, [0], 0, m_b)
    assert bank.blocks_done == m_b                       # (its state untouched)


@given(st.lists(st.integers(1, 40000), min_size=1, max_size=6))
def test_a_band_channel_started_late_is_the_bank_channel_from_its_start(cuts):
    # 1.6 s at 250 kS/s: noise, a carrier on +50 kHz from 1.2 s; its stream from the band's
    # watch (any chunking) is the bank's stream of that channel from the start it gives
    fs = 250e3
    n = int(1.6 * fs)
    rng = np.random.default_rng(9)
    x = 0.01 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    x[int(1.2 * fs):] += 0.2 * np.exp(2j * np.pi * 50.3e3 * np.arange(n - int(1.2 * fs)) / fs)
    x = x.astype(np.complex64)
    offs = [-50e3, -25e3, 25e3, 50e3, 75e3]
    fe = BandFrontEnd(fs, offs, 12500.0)
    got = []
    i = 0
    for c in [*np.cumsum(cuts).tolist(), n]:
        c = min(int(c), n)
        if c > i:
            out = fe.process(x[i:c])
            got += [o for o in out]
            i = c
    assert [fe.index[p.offset_hz] for p in fe.paths] == [3]
    p = fe.paths[0]
    ref = ChannelizerFrontEnd(fs, [50e3], 12500.0).process(x)[0]
    s_out = round(p.start_sample * fe.bank.fs_out / fs)
    assert 0.09 <= p.start_sample / fs <= 0.2                      # 1 s before, on a window
    assert np.array_equal(np.concatenate(got), ref[s_out:])


def test_a_band_under_five_channels_runs_every_channel_from_the_start():
    # no floor to compare with: every channel starts at 0 (not never)
    x = np.zeros(60000, np.complex64)
    fe = BandFrontEnd(250e3, [25e3, 50e3], 12500.0)
    out = fe.process(x)
    assert [p.start_sample for p in fe.paths] == [0.0, 0.0] and len(out) == 2
    assert np.array_equal(out[1], ChannelizerFrontEnd(250e3, [50e3], 12500.0).process(x)[0])


def test_a_run_scores_at_most_max_active_channels_and_says_which_it_refused():
    # three carriers, a cap of two: the third is listed with a warning, and judged (a fail)
    fs = 250e3
    n = int(1.5 * fs)
    t = np.arange(n) / fs
    rng = np.random.default_rng(3)
    x = 0.01 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    for off, t0 in ((-50e3, 0.2), (25e3, 0.4), (75e3, 0.8)):
        x[int(t0 * fs):] += 0.3 * np.exp(2j * np.pi * off * t[int(t0 * fs):])
    from htdsp.sources import SourceInfo

    info = SourceInfo(path="mem", datatype="cf32", sample_rate_hz=fs, center_freq_hz=145e6)
    offs = [-50e3, -25e3, 25e3, 50e3, 75e3, 100e3]
    fe = BandFrontEnd(fs, offs, 12500.0, max_active=2)
    s = Session(info, "cf32", [], Settings(), front_end=fe, band="auto")
    for i in range(0, n, 40000):
        s.feed(x[i:i + 40000].astype(np.complex64))
    entries = s.finish()
    got = {e["channel"]["offset_hz"]: e["channel"]["activity"] for e in entries}
    assert got == {-50e3: "scored", 25e3: "scored", 75e3: "refused"}
    refused = next(e for e in entries if e["channel"]["offset_hz"] == 75e3)
    assert any("was not scored" in w for w in refused["summary"]["warnings"])
    assert refused["summary"]["verdict"] == "fail"
