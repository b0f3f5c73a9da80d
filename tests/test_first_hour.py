"""A new user's first hour (issue 13): the rough edges of the commands and the reports, each
with the case that showed it."""

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from htdsp.cli import main
from tests.signals import nfm_tone_iq, to_cu8

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.sigmf-meta"
FS = 250e3


@pytest.fixture(scope="module")
def tone_at_minus_25k(tmp_path_factory):
    """A 1 kHz tone on a carrier at -25 kHz, cu8 at 250 kS/s."""
    d = tmp_path_factory.mktemp("neg")
    p = d / "t.cu8"
    to_cu8(nfm_tone_iq(FS, -25e3, 1.0, amplitude=0.6)).tofile(p)
    return p


# ------------------------------------------------------------------ 4. negative frequencies
@pytest.mark.parametrize("form", [["--offset", "-25k"], ["--offset=-25k"],
                                  ["--offset", "-25000"], ["--offset", "-.025M"]])
def test_negative_offsets_with_suffixes_are_accepted(tone_at_minus_25k, tmp_path, form):
    out = tmp_path / "a.wav"
    assert main(["demod", str(tone_at_minus_25k), "--rate", "250k", *form, "-o", str(out),
                 "-q"]) == 0
    with wave.open(str(out)) as w:
        y = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767.0
    assert np.sqrt(2 * np.mean(y[9600:] ** 2)) == pytest.approx(0.6, rel=0.05)


def test_negative_lists_and_every_command(tone_at_minus_25k, tmp_path):
    out = tmp_path / "s.json"
    assert main(["score", str(tone_at_minus_25k), "--rate", "250k", "--offset", "-25k,30k",
                 "--json", str(out), "-q"]) in (0, 1)
    offs = [c["channel"]["offset_hz"] for c in json.loads(out.read_text())["captures"]]
    assert offs == [-25000.0, 30000.0]
    assert main(["simulate", "--scenario", "clear-los", "--duration", "0.2", "--rate", "250k",
                 "--offset", "-25k", "--freq-error", "-300", "-o",
                 str(tmp_path / "n.sigmf-meta"), "-q"]) == 0
    meta = json.loads((tmp_path / "n.sigmf-meta").read_text())
    assert meta["global"]["htdsp:channel"]["offset_hz"] == -25000.0


# ------------------------------------------------------------------ 6. audio formats
@pytest.mark.parametrize("ext,fmt", [(".flac", "FLAC"), (".ogg", "OGG"), (".opus", "OGG"),
                                     (".mp3", "MP3"), (".wav", "WAV")])
def test_demod_writes_the_format_its_name_asks_for(tmp_path, ext, fmt):
    import soundfile

    out = tmp_path / f"a{ext}"
    assert main(["demod", str(CAPTURE), "--channel", "144.5M", "-o", str(out), "-q"]) == 0
    info = soundfile.info(str(out))
    assert info.format == fmt and info.samplerate == 48000
    assert info.frames == pytest.approx(1728000 / 280000 * 48000, rel=0.01)
    if ext in (".wav", ".flac"):                          # lossless: the same samples
        a, _ = soundfile.read(str(out), dtype="int16")
        w = tmp_path / "ref.wav"
        if ext == ".flac":
            assert main(["demod", str(CAPTURE), "--channel", "144.5M", "-o", str(w),
                         "-q"]) == 0
            assert np.array_equal(a, soundfile.read(str(w), dtype="int16")[0])


def test_demod_refuses_an_unknown_audio_format(tmp_path, capsys):
    assert main(["demod", str(CAPTURE), "--channel", "144.5M", "-o",
                 str(tmp_path / "a.xyz")]) == 2
    err = capsys.readouterr().err
    assert "unknown audio format .xyz" in err and ".flac" in err
    assert main(["demod", str(CAPTURE), "--channel", "144.5M", "-o", str(tmp_path / "a.opus"),
                 "--audio-rate", "44100"]) == 2
    assert "Opus takes" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ 8. decode-only squelch
def test_a_decode_only_squelch_gets_its_carrier_term(capsys):
    from htdsp.rx.squelch import Squelch

    sq = Squelch("ctcss", 48000.0)
    assert [t.kind for t in sq.terms] == ["noise", "ctcss"] and sq.added_term.kind == "noise"
    assert [t.kind for t in Squelch("dcs", 32000.0).terms] == ["power", "dcs"]
    assert Squelch("noise,ctcss", 48000.0).added_term is None
    code = main(["score", str(ROOT / "captures" / "synthetic" / "ctcss-net.sigmf-meta"),
                 "--offset", "31.25k", "--squelch", "ctcss", "--json", "-", "-q"])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "--squelch ctcss has no carrier term: using noise,ctcss" in err
    doc = json.loads(out)
    events = doc["captures"][0]["events"]
    # before: always open, and a toneless "transmission" right after every reverse burst
    assert 1 <= len(events) <= 6
    assert all(e["ctcss_hz"] is not None or e["open_reason"] == "noise" for e in events)
    assert doc["captures"][0]["channel"]["squelch"] == "noise,ctcss"


# ------------------------------------------------------------------ 9. no transmission found
def _fsk_bursts(path, rng):
    """1.6 MS/s cu8: two 2-FSK bursts (+-50 kHz, 20 kb/s) of 7 and 15 ms, 14 and 20 dB SNR in
    200 kHz, at +200 kHz (the case of a real sensor recording)."""
    fs = 1.6e6
    n = int(0.3 * fs)
    x = ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.02).astype(np.complex64)
    pn = 2 * 0.02**2 * 200e3 / fs
    for t0, dur, snr in ((0.08, 0.007, 14.0), (0.16, 0.015, 20.0)):
        i0, m = int(t0 * fs), int(dur * fs)
        bits = rng.integers(0, 2, int(dur * 20e3) + 1) * 2 - 1
        f = 200e3 + 50e3 * np.repeat(bits, int(fs / 20e3))[:m]
        x[i0:i0 + m] += (np.sqrt(pn * 10 ** (snr / 10)) *
                         np.exp(2j * np.pi * np.cumsum(f) / fs)).astype(np.complex64)
    to_cu8(x).tofile(path)
    return path


def test_no_transmission_says_why_for_data_bursts(tmp_path, capsys):
    p = _fsk_bursts(tmp_path / "fsk.cu8", np.random.default_rng(5))
    out = tmp_path / "f.json"
    assert main(["score", str(p), "--rate", "1.6M", "--bandwidth", "200k", "--json",
                 str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "no transmission found" in err and "2 carrier bursts" in err
    assert "noise squelch never opened" in err and "try --squelch power" in err
    s = json.loads(out.read_text())["captures"][0]["summary"]
    assert any("no transmission found" in w for w in s["warnings"])
    # the way out works: the power squelch finds both bursts (one event from the first's start
    # to the second's end: the 200 ms hang bridges the 73 ms between them)
    assert main(["score", str(p), "--rate", "1.6M", "--bandwidth", "200k", "--squelch",
                 "power", "--json", str(out), "-q"]) == 1
    (e,) = json.loads(out.read_text())["captures"][0]["events"]
    assert abs(e["start_s"] - 0.08) < 0.005 and abs(e["end_s"] - 0.175) < 0.005


def test_no_transmission_says_why_for_a_short_capture(tmp_path, capsys):
    rng = np.random.default_rng(6)
    fs = 2.4e6
    n = int(0.0427 * fs)
    y = ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.02).astype(np.complex64)
    i0, m = int(0.02 * fs), int(0.007 * fs)
    y[i0:i0 + m] += (0.3 * np.exp(2j * np.pi * 280e3 * np.arange(m) / fs)).astype(np.complex64)
    p = tmp_path / "short.cu8"
    to_cu8(y).tofile(p)
    assert main(["score", str(p), "--rate", "2.4M", "-q"]) == 1
    err = capsys.readouterr().err
    assert "no transmission found at offset +280.000 kHz" in err
    assert "42.7 ms, too short to score" in err and "record at least" in err


# ------------------------------------------------------------------ 10. one vocabulary
@pytest.mark.parametrize("criterion,require", [("cnr>=30", "cnr>=30"),
                                               ("cnr_db>=30", "cnr_db>=30"),
                                               ("sinad>=20", "sinad>=20"),
                                               ("quality_db>=20", "quality_db_p50>=20")])
def test_criterion_and_requirement_share_their_metric_names(tmp_path, criterion, require):
    out = tmp_path / "v.json"
    assert main(["score", str(CAPTURE), "--channel", "144.5M", "--criterion", criterion,
                 "--require", require, "--json", str(out), "-q"]) == 0
    doc = json.loads(out.read_text())
    (r,) = doc["captures"][0]["summary"]["requirements"]
    assert r["met"] is True and r["value"] > 20
    assert doc["criterion"] == criterion


def test_the_default_criterion_keeps_its_meaning():
    from htdsp.metrics import REQUIREMENT_METRICS, WINDOW_METRICS, parse_expr

    assert parse_expr("sinad>=20", WINDOW_METRICS).field == "quality_db"
    assert parse_expr("cnr>=30", REQUIREMENT_METRICS).field == "cnr_db"
    assert parse_expr("sinad>=20", REQUIREMENT_METRICS).field == "quality_db_p50"
    with pytest.raises(ValueError, match="unknown metric 'availability'"):
        parse_expr("availability>=0.9", WINDOW_METRICS)


# ------------------------------------------------------------------ 11. help
def _help(capsys, *argv):
    assert main([*argv, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


def test_help_says_what_there_is(capsys):
    d = _help(capsys, "demod")
    assert "ctcss:123.0" in d and "dcs:D023N" in d
    s = _help(capsys, "score")
    assert "power:-40dbfs" in s and "ctcss" in s and "METRIC OP NUMBER" in s
    for metric in ("sinad", "cnr_db", "availability", "quality_db_p50", "daq_p10"):
        assert metric in s
    assert main(["simulate", "--help"]) == 0
    raw = capsys.readouterr().out
    for opt in ("--seed", "--datatype", "--bandwidth"):
        line = next(ln for ln in raw.splitlines() if ln.strip().startswith(opt))
        assert len(line.split()) > 2 or opt in line and "random" in raw, line
    assert "same seed gives the same recording" in " ".join(raw.split())
    assert max(len(ln) for ln in raw.splitlines()) <= 100        # the description is wrapped


def test_simulate_summary_line(tmp_path, capsys):
    assert main(["simulate", "--scenario", "clear-los", "--duration", "0.4", "--rate", "250k",
                 "-o", str(tmp_path / "s.sigmf-meta")]) == 0
    err = capsys.readouterr().err
    assert "1 transmission," in err and "transmissions" not in err
    assert "(realised 30.0 dB)" in err or "(realised 29.9 dB)" in err, err


# ------------------------------------------------------------------ 16. labels
def test_offsets_are_labelled_as_offsets(tmp_path, capsys, tone_at_minus_25k):
    from htdsp.cli.scoring import table

    out = tmp_path / "o.json"
    assert main(["score", str(tone_at_minus_25k), "--rate", "250k", "--offset", "-25k",
                 "--json", str(out), "--html", str(tmp_path / "o.html"), "-q"]) in (0, 1)
    import io

    buf = io.StringIO()
    table(json.loads(out.read_text()), buf)
    assert "offset -25.000 kHz" in buf.getvalue()
    html = (tmp_path / "o.html").read_text()
    assert "offset -25.000 kHz" in html and "-25000" not in html.split("<body>")[1][:2000]


def test_live_report_describes_its_source_in_words():
    import types

    from htdsp.cli.live import _describe

    src = types.SimpleNamespace(metadata={"hw": "rtl_tcp server", "gain_db": None, "ppm": 0,
                                          "tuner_type": 5, "tuner_gains": 29})
    args = types.SimpleNamespace(rtltcp="127.0.0.1:1234", rtlsdr=None, gain="auto", ppm=0)
    d = _describe(src, args)
    assert d == "htdsp live from rtl_tcp 127.0.0.1:1234 (tuner type 5, gain auto, ppm 0)"
    assert "{" not in d


# ------------------------------------------------------------------ 15. plots and columns
def test_level_axes_have_a_minimum_span_and_no_empty_position_column(tmp_path):
    from htdsp.sinks.html import LEVEL_MIN_SPAN_DB

    syn = ROOT / "captures" / "synthetic"
    out = tmp_path / "i.html"
    assert main(["score", str(syn / "interference.sigmf-meta"), str(syn / "clear-los.sigmf-meta"),
                 "--offset", "25k", "--html", str(out), "-q"]) in (0, 1)
    html = out.read_text()
    assert "<th>position</th>" not in html               # no capture has a location
    assert "width: 100%" in html
    assert LEVEL_MIN_SPAN_DB >= 10


def test_the_rssi_axis_of_a_flat_carrier_spans_the_minimum(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from htdsp.sinks.html import LEVEL_MIN_SPAN_DB, _min_span

    fig, ax = plt.subplots()
    v = -20 + 0.03 * np.sin(np.arange(100))               # 0.06 dB of wiggle
    ax.plot(v)
    _min_span(ax, v, LEVEL_MIN_SPAN_DB)
    lo, hi = ax.get_ylim()
    assert hi - lo == pytest.approx(LEVEL_MIN_SPAN_DB) and lo < -20 < hi
    plt.close(fig)


def test_no_transmission_with_only_spikes_says_no_carrier():
    # 1 ms spikes 10 dB over the floor (impulsive noise) are not "carrier bursts": a channel
    # with nothing longer says nothing rose above the noise (it once said "0 carrier bursts
    # up to 0 ms long ... were seen")
    from htdsp.measure.diagnose import no_transmission_reason

    class Meter:
        window_s = 0.1

        def envelope(self):
            p = np.ones(5000)
            p[::250] = 10.0                         # a 1 ms block every 250 ms
            return np.sqrt(p), 1000.0

    why = no_transmission_reason(Meter(), ["noise"], 5.0)
    assert why.startswith("nothing rose above the noise for 2 ms or more"), why
    assert "10 dB above the floor" in why and "carrier burst" not in why
