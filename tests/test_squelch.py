"""Squelch against simulator truth and the real capture: timing, false alarms, fading, streaming,
gating, events, the command line."""

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from htdsp import NFMReceiver
from htdsp.io import open_recording
from htdsp.rx.squelch import HANG_S, parse_spec
from htdsp.sim import ChannelModel, Scenario, Transmitter, simulate
from tests.strategies import chunked, splits

FS = 250e3
KEYED = [(1.0, 3.0), (4.2, 4.9), (6.0, 9.5)]
CAPTURE = Path(__file__).resolve().parent.parent / "captures" / "kpbenz-2m-nfm-voice" / \
    "capture.sigmf-meta"


def _events(x, offset, spec, fs=FS, chunk=1 << 16):
    rx = NFMReceiver(fs, offset, squelch=spec)
    events = []
    for i in range(0, x.size, chunk):
        rx.process(x[i:i + chunk])
        events += rx.pop_events()
    return events + rx.finish()


@pytest.mark.parametrize("cnr", [10.0, 20.0])
@pytest.mark.parametrize("modulation", ["tone", "speech"])
@pytest.mark.parametrize("spec", ["power", "noise"])
def test_opens_and_closes_within_20_ms_of_the_true_keying(cnr, modulation, spec):
    sc = Scenario(duration_s=10.0, fs=FS, cnr_db=cnr, seed=int(cnr) + len(modulation),
                  transmitters=[Transmitter(modulation=modulation, keyed=KEYED)])
    truth = simulate(sc)
    ev = _events(truth["samples"], sc.offset_hz, spec)
    assert len(ev) == 3
    for e, a in zip(ev, truth["annotations"], strict=True):
        assert abs(e["start_sample"] - a["sample_start"]) <= 0.020 * FS
        assert abs(e["end_sample"] - (a["sample_start"] + a["sample_count"])) <= 0.020 * FS
        assert e["open_reason"] == spec and e["close_reason"] == spec


@pytest.mark.parametrize("spec", ["power", "noise", "noise,power"])
def test_never_opens_on_60_s_of_receiver_noise(spec):
    sc = Scenario(duration_s=60.0, fs=FS, cnr_db=10.0, seed=60,
                  transmitters=[Transmitter(keyed=[])])
    assert _events(simulate(sc)["samples"], sc.offset_hz, spec) == []


@pytest.mark.parametrize("spec", ["power", "noise"])
def test_one_event_per_transmission_under_rayleigh_fading(spec):
    assert HANG_S <= 0.3
    keyed = [(1.0, 6.0), (8.0, 13.0), (15.0, 19.5)]
    sc = Scenario(duration_s=20.0, fs=FS, cnr_db=15.0, seed=7,
                  transmitters=[Transmitter(modulation="speech", keyed=keyed)],
                  channels=[ChannelModel("rayleigh", doppler_hz=5.0)])
    ev = _events(simulate(sc)["samples"], sc.offset_hz, spec)
    assert len(ev) == 3
    for e, (a, b) in zip(ev, keyed, strict=True):
        assert abs(e["start_s"] - a) < 0.1 and abs(e["end_s"] - b) < 0.1


@pytest.mark.parametrize("spec", ["power", "noise", "noise,power"])
def test_real_capture_is_one_transmission_092_to_452(spec):
    rec = open_recording(CAPTURE)
    rx = NFMReceiver(rec.sample_rate_hz, 144.5e6 - rec.center_freq_hz, input_format=rec.format,
                     squelch=spec)
    audio = np.concatenate([rx.process(c) for _, c in rec.chunks()] + [rx.flush()])
    ev = rx.finish()
    assert len(ev) == 1
    assert ev[0]["start_s"] == pytest.approx(0.92, abs=0.05)
    assert ev[0]["end_s"] == pytest.approx(4.52, abs=0.05)
    # fixed-length audio, exactly zero while closed, alive while open
    assert audio.size == pytest.approx(1728000 / 280000 * 48000, abs=3)
    assert np.all(audio[: int(0.85 * 48000)] == 0) and np.all(audio[int(4.9 * 48000):] == 0)
    assert np.count_nonzero(audio[int(1.0 * 48000): int(4.4 * 48000)]) > 0.99 * 3.4 * 48000


SC_STREAM = Scenario(duration_s=2.0, fs=FS, cnr_db=15.0, seed=5, datatype="cu8",
                     transmitters=[Transmitter(modulation="speech",
                                               keyed=[(0.3, 0.9), (1.2, 1.8)])])
X_STREAM = simulate(SC_STREAM)["samples"]


def _run_chunked(x, offset, spec, cuts):
    """Audio and events of a squelched receiver fed ``x`` cut at ``cuts``."""
    rx = NFMReceiver(FS, offset, squelch=spec)
    events = []

    def step(c):
        y = rx.process(c)
        events.extend(rx.pop_events())
        return y
    audio = np.concatenate([chunked(step, x, cuts), rx.flush()])
    return audio, events + rx.finish()


@settings(max_examples=8)
@given(data=st.data())
def test_any_chunking_gives_the_same_audio_and_events(data):
    a0, e0 = _run_chunked(X_STREAM, SC_STREAM.offset_hz, "noise,power", [])
    a1, e1 = _run_chunked(X_STREAM, SC_STREAM.offset_hz, "noise,power",
                          data.draw(splits(X_STREAM.size)))
    assert a1.tobytes() == a0.tobytes() and e1 == e0
    assert len(e0) == 2


def test_copy_mid_stream_continues_identically():
    rx = NFMReceiver(FS, SC_STREAM.offset_hz, squelch="power")
    rx.process(X_STREAM[:300_000])              # inside the first transmission
    twin = rx.copy()
    a = np.concatenate([rx.process(X_STREAM[300_000:]), rx.flush()])
    b = np.concatenate([twin.process(X_STREAM[300_000:]), twin.flush()])
    assert a.tobytes() == b.tobytes() and rx.finish() == twin.finish()
    rx.reset()
    fresh = NFMReceiver(FS, SC_STREAM.offset_hz, squelch="power")
    assert rx.process(X_STREAM).tobytes() == fresh.process(X_STREAM).tobytes()


def test_event_still_open_at_the_end_closes_there():
    sc = Scenario(duration_s=2.0, fs=FS, cnr_db=20.0, seed=2,
                  transmitters=[Transmitter(keyed=[(1.0, None)])])
    ev = _events(simulate(sc)["samples"], sc.offset_hz, "power")
    assert len(ev) == 1 and ev[0]["close_reason"] == "end_of_input"
    assert ev[0]["end_sample"] == 500_000


def test_event_in_its_hang_at_the_end_ends_with_the_carrier():
    # unkeyed 0.1 s before the end, inside the 200 ms hang: the event ends with the carrier
    sc = Scenario(duration_s=2.0, fs=FS, cnr_db=20.0, seed=2,
                  transmitters=[Transmitter(keyed=[(1.0, 1.9)])])
    ev = _events(simulate(sc)["samples"], sc.offset_hz, "power")
    assert len(ev) == 1 and ev[0]["close_reason"] == "end_of_input"
    assert abs(ev[0]["end_s"] - 1.9) < 0.01


@pytest.mark.parametrize("spec,needle", [("ctcss:100.1", "not a CTCSS tone"),
                                         ("dcs:D999N", "not a standard DCS code"),
                                         ("carrier", "unknown squelch term"),
                                         ("power:loud", "bad number"),
                                         ("power,power", "twice"), ("noise:-40dbfs", "absolute"),
                                         ("power:2", "above 3 dB")])
def test_bad_specs_are_explained(spec, needle):
    with pytest.raises(ValueError, match=needle):
        parse_spec(spec)


def _cli(*args):
    from tests.cli import run_cli

    return run_cli(*args)


def test_demod_squelch_events_json_lines_gate_and_sigmf(tmp_path):
    sc = Scenario(duration_s=3.0, fs=FS, cnr_db=20.0, seed=3,
                  transmitters=[Transmitter(keyed=[(0.5, 1.2), (1.8, 2.6)])])
    meta = tmp_path / "s.sigmf-meta"
    truth = simulate(sc, meta)
    args = ["demod", meta, "--channel", str(sc.center_hz + sc.offset_hz), "--squelch", "noise"]
    r = _cli(*args, "-o", tmp_path / "a.wav", "--events", "-", "-q")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(lines) == 2
    for e, a in zip(lines, truth["annotations"], strict=True):
        assert set(e) >= {"start_sample", "end_sample", "start_s", "end_s", "start_utc",
                          "open_reason", "close_reason", "ctcss_hz", "dcs_code"}
        assert abs(e["start_sample"] - a["sample_start"]) <= 0.02 * FS
    r = _cli(*args, "-o", tmp_path / "g.wav", "--gate", "--events", tmp_path / "ev.sigmf-meta",
             "-q")
    assert r.returncode == 0, r.stderr
    with wave.open(str(tmp_path / "g.wav")) as w:
        gated = w.getnframes() / 48000
    assert gated == pytest.approx(0.7 + 0.8 + 2 * 0.2, abs=0.03)      # the overs + two hangs
    ev = open_recording(tmp_path / "ev.sigmf-meta")                    # reads the same data
    assert [a["core:sample_start"] for a in ev.annotations] == [e["start_sample"] for e in lines]
    r = _cli(*args, "-o", "-", "--events", "-")
    assert r.returncode == 2 and "stdout" in r.stderr.decode()
    r = _cli("demod", meta, "--channel", "145.5M", "-o", tmp_path / "x.wav", "--gate")
    assert r.returncode == 2 and "--squelch" in r.stderr.decode()


def _decoder_hops(decoder, tx, duration_s, seed):
    """Per-hop decisions of a sub-audible decoder class on a transmission at 7 dB CNR (about
    12 dB SINAD), and the hop in seconds."""
    sc = Scenario(duration_s=duration_s, fs=FS, cnr_db=7.0, seed=seed, transmitters=[tx])
    rx = NFMReceiver(FS, sc.offset_hz)
    d = rx.process_streams(simulate(sc)["samples"])[2]          # the discriminator
    det = decoder(rx.channel_fs)
    out = []
    for i in range(0, d.size, 5000):
        out += det.process(d[i:i + 5000])
    return out, det.hop / det.fs_d


def _tone_hops(tone, seed):
    from htdsp.rx.ctcss import CTCSSDetector

    return _decoder_hops(CTCSSDetector, Transmitter(ctcss_hz=tone, keyed=[(0.3, 1.4)]), 1.6,
                         seed)


def test_every_ctcss_tone_is_identified_quickly_and_never_wrongly():
    from htdsp.rx.ctcss import TONES
    from htdsp.standards import sinad_from_cnr

    assert 11 < sinad_from_cnr(7.0) < 13                     # the test's 12 dB SINAD
    for tone in TONES:
        hops, hop_s = _tone_hops(float(tone), int(tone * 10))
        ids = [t for t, _ in hops]
        first = next(i for i, t in enumerate(ids) if t is not None)
        limit = 0.5 if tone in (67.0, 69.3, 150.0, 151.4) else 0.3
        assert (first + 1) * hop_s - 0.3 <= limit, tone
        assert {t for t in ids if t is not None} == {float(tone)}, tone
        burst = [i for i, (_, b) in enumerate(hops) if b]
        assert len(burst) == 1 and 1.25 <= (burst[0] + 1) * hop_s <= 1.4, tone


def test_tone_squelch_on_a_net_opens_for_its_tone_only_and_closes_on_the_reverse_burst():
    from htdsp.sim.scenarios import scenario

    sc = scenario("ctcss-net", 8.0)
    sc.fs = FS
    truth = simulate(sc)
    ev = _events(truth["samples"], sc.offset_hz, "noise,ctcss:123.0")
    mine = [a for a in truth["annotations"] if a["htdsp:ctcss_hz"] == 123.0]
    assert len(ev) == len(mine) == 2
    for e, a in zip(ev, mine, strict=True):
        assert e["ctcss_hz"] == 123.0 and e["close_reason"] == "reverse_burst"
        assert e["open_reason"] == "ctcss"                    # the tone completed the opening
        assert abs(e["end_sample"] - a["sample_start"] - a["sample_count"]) <= 0.02 * FS
    # the first over is clear: dated at key-up, not at the tone's confirmation; the second is
    # doubled by the DCS user (two carriers beat: the channel is only usable once one leaves)
    assert abs(ev[0]["start_sample"] - mine[0]["sample_start"]) <= 0.02 * FS
    assert ev[1]["start_sample"] > mine[1]["sample_start"]
    # every transmission reports its tone when decoding only
    ev = _events(truth["samples"], sc.offset_hz, "noise,ctcss")
    tones = [a["htdsp:ctcss_hz"] for a in truth["annotations"]]
    assert [e["ctcss_hz"] for e in ev][:3] == tones[:3]


def test_a_neighbouring_tone_does_not_open_the_tone_squelch():
    sc = Scenario(duration_s=2.0, fs=FS, cnr_db=15.0, seed=3,
                  transmitters=[Transmitter(ctcss_hz=67.0, keyed=[(0.3, 1.7)])])
    x = simulate(sc)["samples"]
    assert _events(x, sc.offset_hz, "ctcss:69.3") == []
    ev = _events(x, sc.offset_hz, "ctcss:67.0")
    assert len(ev) == 1 and ev[0]["ctcss_hz"] == 67.0


def _dcs_hops(code, seed):
    from htdsp.rx.dcs import DCSDetector

    return _decoder_hops(DCSDetector, Transmitter(dcs_code=code, keyed=[(0.3, 1.6)]), 1.8, seed)


def test_every_dcs_code_normal_and_inverted_is_decoded_with_its_turn_off():
    from htdsp.rx.dcs import same_code
    from htdsp.standards import DCS_CODES

    for c in DCS_CODES:
        for suffix in "NI":
            code = f"D{c}{suffix}"
            hops, hop_s = _dcs_hops(code, int(c, 8) + (suffix == "I"))
            found = {v for v, _ in hops if v is not None}
            assert found and all(same_code(v, code) for v in found), (code, found)
            off = [(i + 1) * hop_s for i, (_, t) in enumerate(hops) if t]
            assert len(off) == 1 and 1.45 <= off[0] <= 1.65, (code, off)   # turn-off at 1.45


def test_dcs_code_squelch_and_decode():
    sc = Scenario(duration_s=3.0, fs=FS, cnr_db=15.0, seed=8,
                  transmitters=[Transmitter(modulation="speech", dcs_code="D023N",
                                            keyed=[(0.5, 2.5)])])
    truth = simulate(sc)
    x = truth["samples"]
    a = truth["annotations"][0]
    ev = _events(x, sc.offset_hz, "noise,dcs:D023N")
    assert len(ev) == 1 and ev[0]["dcs_code"] == "D023N"
    assert ev[0]["close_reason"] == "dcs_turn_off" and ev[0]["open_reason"] == "dcs"
    assert abs(ev[0]["start_sample"] - a["sample_start"]) <= 0.02 * FS
    assert abs(ev[0]["end_sample"] - a["sample_start"] - a["sample_count"]) <= 0.02 * FS
    assert _events(x, sc.offset_hz, "noise,dcs:D025N") == []
    same = _events(x, sc.offset_hz, "noise,dcs:D047I")          # the same bitstream on air
    assert len(same) == 1
    decode = _events(x, sc.offset_hz, "noise,dcs")
    assert len(decode) == 1 and decode[0]["dcs_code"] == "D023N"


SC_CODES = Scenario(duration_s=2.4, fs=FS, cnr_db=15.0, seed=9,
                    transmitters=[Transmitter(ctcss_hz=88.5, keyed=[(0.2, 1.1)]),
                                  Transmitter(dcs_code="D754N", keyed=[(1.3, 2.3)])])
X_CODES = simulate(SC_CODES)["samples"]


@settings(max_examples=6)
@given(data=st.data())
def test_any_chunking_gives_the_same_events_with_both_decoders(data):
    spec = "noise,ctcss,dcs"
    a0, e0 = _run_chunked(X_CODES, SC_CODES.offset_hz, spec, [])
    a1, e1 = _run_chunked(X_CODES, SC_CODES.offset_hz, spec, data.draw(splits(X_CODES.size)))
    assert a1.tobytes() == a0.tobytes() and e1 == e0
    assert [(e["ctcss_hz"], e["dcs_code"]) for e in e0] == [(88.5, None), (None, "D754N")]


def test_no_ctcss_on_the_real_capture_whose_100_hz_is_mains_hum():
    # the recording has no CTCSS; its transmitter adds 100 Hz hum (2.6-4.6 Hz of deviation),
    # steady like a tone of the table: only the minimum level tells them apart
    rec = open_recording(CAPTURE)
    rx = NFMReceiver(rec.sample_rate_hz, 30e3, input_format=rec.format, squelch="noise,ctcss")
    for _, c in rec.chunks():
        rx.process(c)
    ev = rx.finish()
    assert len(ev) == 1 and ev[0]["ctcss_hz"] is None


@pytest.mark.parametrize("dev_hz,found", [(4.0, False), (40.0, False), (250.0, True)])
def test_ctcss_needs_a_real_tone_level(dev_hz, found):
    sc = Scenario(duration_s=1.5, fs=FS, cnr_db=25.0, seed=int(dev_hz),
                  transmitters=[Transmitter(modulation="silence", ctcss_hz=100.0,
                                            subaudible_deviation_hz=dev_hz, keyed=[(0.2, 1.4)])])
    ev = _events(simulate(sc)["samples"], sc.offset_hz, "noise,ctcss")
    assert len(ev) == 1 and (ev[0]["ctcss_hz"] == 100.0) == found
