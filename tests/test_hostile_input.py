"""Bad input, every class for every command that reads files: one line on stderr naming the
file and the problem, exit 2, no traceback, no hang (issue 12, items 7, 9, 12, 14, 15, 17); and
the readers fuzzed over bytes and over JSON structure."""

import io
import json
import os
import struct
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from htdsp.cli import main
from htdsp.errors import InputError
from htdsp.io import open_recording

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.sigmf-meta"
GOOD_GLOBAL = {"core:datatype": "cu8", "core:version": "1.2.0", "core:sample_rate": 250000.0}


def _meta(folder, name, g=None, text=None, data=b"\x80\x7f" * 5000, captures=None,
          annotations=None):
    p = folder / f"{name}.sigmf-meta"
    if data is not None:
        (folder / f"{name}.sigmf-data").write_bytes(data)
    if text is None:
        text = json.dumps({"global": {**GOOD_GLOBAL, **(g or {})},
                           "captures": captures if captures is not None
                           else [{"core:sample_start": 0, "core:frequency": 145.2e6}],
                           "annotations": annotations or []})
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def _archive(folder, truncate=None):
    meta = json.dumps({"global": GOOD_GLOBAL, "captures": [{"core:sample_start": 0}],
                       "annotations": []}).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, body in (("r/r.sigmf-meta", meta), ("r/r.sigmf-data", bytes(40000))):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    data = buf.getvalue()
    p = folder / "t.sigmf"
    p.write_bytes(data[:truncate] if truncate else data)
    return p


def _rf64_truncated_ds64(folder):
    p = folder / "r.wav"
    p.write_bytes(b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + b"ds64"
                  + struct.pack("<I", 28) + b"\x00" * 6)
    return p


def _wav_chunk_cut(folder):
    p = folder / "c.wav"
    p.write_bytes(b"RIFF" + struct.pack("<I", 100) + b"WAVE" + b"fmt ")   # header cut short
    return p


def _loop(folder):
    os.symlink(folder / "l2.cu8", folder / "l1.cu8")
    os.symlink(folder / "l1.cu8", folder / "l2.cu8")
    return folder / "l1.cu8"


def _fifo(folder):
    os.mkfifo(folder / "f.cu8")
    return folder / "f.cu8"


def _deep(folder):
    return _meta(folder, "deep", text="[" * 100000 + "]" * 100000)


def _dataset(ds):
    def make(folder):
        (folder / "sub").mkdir(exist_ok=True)
        (folder / "private.txt").write_bytes(b"secret" * 100)
        return _meta(folder / "sub", "evil", {"core:dataset": ds}, data=None)
    return make


def _dataset_symlink(folder):
    (folder / "sub").mkdir()
    (folder / "private.txt").write_bytes(b"secret" * 100)
    os.symlink(folder / "private.txt", folder / "sub" / "link.cu8")
    return _meta(folder / "sub", "evil", {"core:dataset": "link.cu8"}, data=None)


#: (name, make(folder) -> path, words the one line must hold)
BAD_INPUTS = [
    ("missing", lambda d: d / "nope.cu8", ["nope.cu8", "no such file"]),
    ("empty", lambda d: (d / "e.cu8").write_bytes(b"") or d / "e.cu8", ["e.cu8", "empty"]),
    ("directory", lambda d: d, ["is a directory"]),
    ("fifo", _fifo, ["f.cu8", "FIFO"]),
    ("char device", lambda d: Path("/dev/zero"), ["/dev/zero", "character device"]),
    ("stdin", lambda d: Path("-"), ["standard input", "not supported"]),
    ("symlink loop", _loop, ["l1.cu8", "symbolic link loop"]),
    ("name too long", lambda d: d / ("n" * 300 + ".cu8"), ["file name too long"]),
    ("non-UTF-8 meta", lambda d: _meta(d, "u", text=b'{"global": "\xff\xfe"}'),
     ["u.sigmf-meta", "not UTF-8"]),
    ("deep JSON", _deep, ["deep.sigmf-meta", "nested deeper"]),
    ("not JSON", lambda d: _meta(d, "j", text="{oops"), ["j.sigmf-meta", "not valid JSON"]),
    ("JSON not an object", lambda d: _meta(d, "a", text="[1, 2]"), ["a.sigmf-meta", "object"]),
    ("schema", lambda d: _meta(d, "s", text='{"global": {}}'), ["s.sigmf-meta", "schema"]),
    ("non-UTF-8 in archive", lambda d: _archive_bad_utf8(d), ["t.sigmf", "not UTF-8"]),
    ("truncated archive", lambda d: _archive(d, truncate=3000), ["t.sigmf", "archive"]),
    ("RF64 without ds64 body", _rf64_truncated_ds64, ["r.wav", "ds64"]),
    ("WAV chunk cut", _wav_chunk_cut, ["c.wav", "no 'data' chunk"]),
    ("dataset ..", _dataset("../private.txt"), ["evil.sigmf-meta", "outside"]),
    ("dataset symlink", _dataset_symlink, ["evil.sigmf-meta", "symbolic link"]),
    ("rate 1e12", lambda d: _meta(d, "r", {"core:sample_rate": 1e12}),
     ["r.sigmf-meta", "outside the supported range"]),
    ("rate NaN", lambda d: _meta(d, "n", text=json.dumps(
        {"global": {**GOOD_GLOBAL, "core:sample_rate": float("nan")},
         "captures": [], "annotations": []})), ["n.sigmf-meta", "sample rate unknown"]),
]


def _archive_bad_utf8(folder):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, body in (("r/r.sigmf-meta", b'{"g": "\xff"}'), ("r/r.sigmf-data", bytes(8))):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    p = folder / "t.sigmf"
    p.write_bytes(buf.getvalue())
    return p


COMMANDS = {
    "info": lambda p, d: ["info", p, "--rate", "250k"],
    "demod": lambda p, d: ["demod", p, "-o", str(d / "o.wav"), "--rate", "250k", "--offset",
                           "10k"],
    "score": lambda p, d: ["score", p, "--rate", "250k", "--json", str(d / "r.json")],
    "convert": lambda p, d: ["convert", p, str(d / "o.cf32"), "--rate", "250k"],
    "replay": lambda p, d: ["replay", p, "--rate", "250k", "--port", "0"],
}


@pytest.fixture
def no_serving(monkeypatch):
    """A replay that got past its checks would serve for ever: fail instead."""
    from htdsp.replay import ReplayServer

    def serve(self):
        raise AssertionError("replay accepted a bad input")
    monkeypatch.setattr(ReplayServer, "serve_forever", serve)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name,make,words", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_every_command_gives_one_line_and_exit_2(tmp_path, capsys, no_serving, command, name,
                                                 make, words):
    path = make(tmp_path)
    rate_words = name.startswith("rate")
    argv = COMMANDS[command](str(path), tmp_path)
    if rate_words:                      # the metadata's rate is the point: no --rate option
        argv = [a for i, a in enumerate(argv)
                if a != "--rate" and (i == 0 or argv[i - 1] != "--rate")]
    t0 = time.monotonic()
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert time.monotonic() - t0 < 10, "a bad input took too long"
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if ": warning: " not in ln]
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert not (tmp_path / "o.wav").exists() and not (tmp_path / "o.cf32").exists()
    assert not (tmp_path / "r.json").exists()


# ------------------------------------------------------------------ impossible options
@pytest.mark.parametrize("argv,words", [
    (["demod", "{cap}", "-o", "{d}/x.wav", "--rate", "1e30", "--offset", "0"],
     ["--rate", "outside the supported range", "64 MHz"]),
    (["score", "{cap}", "--rate", "1e30"], ["--rate", "outside the supported range"]),
    (["score", "{cap}", "--rate", "1e-300"], ["--rate", "8 kHz to 64 MHz"]),
    (["score", "{cap}", "--rate", "0.5"], ["--rate", "outside"]),
    (["live", "--rtltcp", "127.0.0.1:9", "--center", "144M", "--offset", "0", "--rate",
      "1e30"], ["--rate", "outside"]),
    (["score", "{cap}", "--window", "1e9"], ["--window", "10 ms to 10 s"]),
    (["demod", "{cap}", "-o", "{d}/x.wav", "--channel", "144.5M", "--bandwidth", "1"],
     ["--bandwidth", "2.5 kHz to 250 kHz"]),
    (["score", "{cap}", "--cal-db", "nan"], ["--cal-db", "not a finite number"]),
    (["score", "{cap}", "--cal-db", "inf"], ["--cal-db", "not a finite number"]),
    (["replay", "{cap}", "--port", "99999"], ["--port", "outside 0-65535"]),
    (["replay", "{cap}", "--port", "-1"], ["--port", "outside 0-65535"]),
    (["live", "--rtltcp", "host:99999", "--center", "144M", "--offset", "0"],
     ["--rtltcp", "outside 1-65535"]),
    (["live", "--rtltcp", "127.0.0.1:9", "--center", "144.47M", "--rate", "280k", "--channel",
      "144.5M", "--record", "/nonexistent/x.sigmf-meta"], ["--record", "no such directory"]),
    (["score", "{cap}", "--area-reliability", "1"], ["between 0 and 1"]),
    (["simulate", "--scenario", "clear-los", "-o", "{d}/s.sigmf-meta", "--duration", "1e9"],
     ["--duration", "outside"]),
    (["simulate", "--scenario", "clear-los", "-o", "{d}/s.sigmf-meta", "--doppler", "1e6"],
     ["--doppler", "outside"]),
    (["simulate", "--scenario", "clear-los", "-o", "{d}/s.sigmf-meta", "--duration", "3600",
      "--doppler", "900", "--fading", "rayleigh"], ["fading", "Doppler"]),
])
def test_impossible_options_are_refused_at_once(tmp_path, capsys, argv, words):
    argv = [a.format(cap=CAPTURE, d=tmp_path) for a in argv]
    t0 = time.monotonic()
    assert main(argv) == 2
    assert time.monotonic() - t0 < 10
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)


def test_strongest_channel_costs_one_spectrum_whatever_the_bandwidth(tmp_path):
    from htdsp.measure.spectrum import strongest_channel

    p = tmp_path / "n.cu8"
    np.random.default_rng(0).integers(0, 256, 40000, dtype=np.uint8).tofile(p)
    rec = open_recording(p, rate_hz=8000.0)
    rec.sample_rate_hz = 0.5         # the case (a rate the CLI now refuses up front)
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="no room"):
        strongest_channel(rec, 12500.0)
    assert time.monotonic() - t0 < 2


def test_area_statistics_are_closed_form_for_extreme_targets():
    from htdsp.score import area_summary, wilson_lower

    t0 = time.monotonic()
    a = area_summary(["pass"] * 3, 0.95, 0.9999999)
    assert time.monotonic() - t0 < 1
    m = a["locations_needed_if_all_pass"]
    assert wilson_lower(m, m, 0.95) >= 0.9999999 > wilson_lower(m - 1, m - 1, 0.95)


# ------------------------------------------------------------------ invalid numbers
def test_nan_in_metadata_never_reaches_json(tmp_path, capsys):
    raw = ('{"global": {"core:datatype": "cu8", "core:version": "1.2.0", "core:sample_rate": '
           '250000, "core:geolocation": {"type": "Point", "coordinates": [NaN, 1.0]}}, '
           '"captures": [{"core:sample_start": 0, "core:frequency": NaN}], "annotations": '
           '[{"core:sample_start": 0, "core:sample_count": 10, "core:freq_lower_edge": '
           'Infinity}]}')
    rng = np.random.default_rng(1)
    p = _meta(tmp_path, "n", text=raw, data=rng.integers(0, 256, 40000, np.uint8).tobytes())
    assert main(["info", str(p), "--json"]) == 0
    out, err = capsys.readouterr()

    def no_constants(c):
        raise AssertionError(f"invalid JSON token {c}")
    doc = json.loads(out, parse_constant=no_constants)
    f = doc["files"][0]
    assert f["center_freq_hz"] is None and f["geolocation"] is None
    assert "captures[0].core:frequency is not a finite number" in err
    assert "core:geolocation" in err and "core:freq_lower_edge" in err
    # convert carries no NaN into the metadata it writes
    assert main(["convert", str(p), str(tmp_path / "c.sigmf-meta"), "-q"]) == 0
    json.loads((tmp_path / "c.sigmf-meta").read_text(), parse_constant=no_constants)
    # and a NaN centre with --offset scores and reports
    assert main(["score", str(p), "--offset", "10k", "--json", str(tmp_path / "s.json"),
                 "-q"]) in (0, 1)
    json.loads((tmp_path / "s.json").read_text(), parse_constant=no_constants)


def test_all_nan_cf32_is_unusable_not_an_internal_error(tmp_path, capsys):
    p = tmp_path / "nan.cf32"
    np.full(200000, np.nan, np.float32).tofile(p)
    assert main(["score", str(p), "--rate", "250k"]) == 2
    err = capsys.readouterr().err
    assert "cannot convert" not in err and "Traceback" not in err
    assert "no signal to find a channel" in err or "unusable" in err, err
    assert main(["score", str(p), "--rate", "250k", "--offset", "25k", "-q"]) == 2
    assert "unusable" in capsys.readouterr().err


def test_no_numpy_warnings_on_stderr(tmp_path, capsys):
    p = tmp_path / "z.cu8"
    np.full(400000, 128, np.uint8).tofile(p)
    main(["score", str(p), "--rate", "250k", "--offset", "25k", "-q"])
    err = capsys.readouterr().err
    assert "RuntimeWarning" not in err and "divide by zero" not in err, err


def test_segments_and_annotations_that_cannot_be_right_are_warned(tmp_path, capsys):
    rng = np.random.default_rng(2)
    p = _meta(tmp_path, "w", data=rng.integers(0, 256, 2000, np.uint8).tobytes(),
              captures=[{"core:sample_start": 0}, {"core:sample_start": 5000}],
              annotations=[{"core:sample_start": 10, "core:sample_count": 5,
                            "core:freq_lower_edge": 2e6, "core:freq_upper_edge": 1e6},
                           {"core:sample_start": 900, "core:sample_count": 500}])
    assert main(["info", str(p)]) == 0
    err = capsys.readouterr().err
    assert "capture segment(s) start beyond" in err
    assert "annotation(s) reach beyond" in err
    assert "freq_lower_edge above" in err


# ------------------------------------------------------------------ fuzz
_WAV_HEAD = (b"RIFF" + struct.pack("<I", 60) + b"WAVE" + b"fmt " + struct.pack("<I", 16)
             + struct.pack("<HHIIHH", 1, 2, 48000, 192000, 4, 16) + b"data"
             + struct.pack("<I", 16) + bytes(16))


def _read_all(path):
    try:
        rec = open_recording(path, rate_hz=250e3)
        for _ in rec.chunks(chunk_samples=4096):
            pass
    except InputError as e:
        assert "\n" not in str(e)


@settings(max_examples=150)
@given(st.binary(max_size=200), st.sampled_from([".wav", ".sigmf-meta", ".sigmf", ".cu8"]))
def test_fuzz_readers_over_bytes(tmp_path_factory, blob, ext):
    d = tmp_path_factory.mktemp("fz")
    p = d / f"x{ext}"
    p.write_bytes(blob or b"\x00")
    if ext == ".sigmf-meta":
        (d / "x.sigmf-data").write_bytes(bytes(64))
    _read_all(p)


@settings(max_examples=150)
@given(st.integers(0, len(_WAV_HEAD) - 1), st.integers(0, 255),
       st.integers(1, len(_WAV_HEAD)))
def test_fuzz_wav_headers(tmp_path_factory, pos, value, cut):
    b = bytearray(_WAV_HEAD)
    b[pos] = value
    p = tmp_path_factory.mktemp("fw") / "x.wav"
    p.write_bytes(bytes(b[:cut]))
    _read_all(p)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["core:datatype", "core:sample_rate", "core:version", "core:dataset",
                         "core:frequency", "core:sample_start", "core:header_bytes",
                         "core:trailing_bytes", "core:num_channels", "core:geolocation",
                         "global", "captures", "annotations", "x"]), kids, max_size=5),
    max_leaves=20)


@settings(max_examples=200)
@given(_json, st.dictionaries(st.sampled_from(list(GOOD_GLOBAL) + [
    "core:dataset", "core:trailing_bytes", "core:num_channels", "core:metadata_only",
    "core:geolocation"]), _json, max_size=4))
def test_fuzz_sigmf_metadata_structure(tmp_path_factory, anything, g):
    d = tmp_path_factory.mktemp("fj")
    for doc in (anything, {"global": {**GOOD_GLOBAL, **g}, "captures": [anything],
                           "annotations": anything}):
        p = d / "m.sigmf-meta"
        (d / "m.sigmf-data").write_bytes(bytes(400))
        p.write_text(json.dumps(doc, allow_nan=True))
        _read_all(p)


# ------------------------------------------------------------------ 8. CSV injection
def test_csv_text_cells_cannot_become_formulas(tmp_path, monkeypatch):
    import csv

    from tests.signals import nfm_tone_iq, to_cu8

    monkeypatch.chdir(tmp_path)                # the path goes into the CSV as given
    names = ["=HYPERLINK(1).cu8", "+1.cu8", "-2.cu8", "@x.cu8", "plain.cu8"]
    for n in names:
        to_cu8(nfm_tone_iq(250e3, 25e3, 0.5, amplitude=0.6)).tofile(tmp_path / n)
    assert main(["score", "--rate", "250k", "--offset", "25k", "--csv", "w.csv", "-q", "--",
                 *names]) in (0, 1)
    text = (tmp_path / "w.csv").read_text()
    rows = list(csv.reader(text.splitlines()))
    assert {r[0] for r in rows[1:]} == {"'=HYPERLINK(1).cu8", "'+1.cu8", "'-2.cu8", "'@x.cu8",
                                        "plain.cu8"}
    # every text field quoted; numbers bare (a negative dBFS is a number, not a formula)
    body = text.splitlines()[1:]
    assert all(line.startswith('"') for line in body)
    rssi = rows[0].index("rssi_dbfs")
    assert all(float(r[rssi]) < 0 for r in rows[1:] if r[rssi])
    assert any(f',{r[rssi]},' in line for r, line in zip(rows[1:], body, strict=True) if r[rssi])


def test_csv_cells_with_formula_starts_are_neutralised():
    from htdsp.sinks.table import csv_text

    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_text(bad) == "'" + bad
    assert csv_text("capture.cu8") == "capture.cu8"
