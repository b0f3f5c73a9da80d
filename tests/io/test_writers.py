"""Writers: round trips for every writable format, SigMF validity, crash safety; convert, info."""

import hashlib
import json
import subprocess
import sys
import textwrap
import wave

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sigmf.validate import validate

from htdsp.cli import main
from htdsp.io import SigMFWriter, open_recording, open_writer
from htdsp.io.datatypes import datatype
from tests.io.helpers import SHORT, numpy_decode, random_elements, write_sigmf_by_hand
from tests.strategies import splits

OUTPUTS = [("raw", "cu8"), ("raw", "cs8"), ("raw", "cs16"), ("raw", "cf32"),
           ("wav", "cu8"), ("wav", "cs16"), ("wav", "cf32"),
           ("sigmf", "cu8"), ("sigmf", "cs8"), ("sigmf", "cs16"), ("sigmf", "cf32"),
           ("archive", "cs16")]


def _name(kind, dt):
    return {"raw": f"out.{dt}", "wav": "out.wav", "sigmf": "out.sigmf-meta",
            "archive": "out.sigmf"}[kind]


def _source(tmp, dt, n, seed):
    e = random_elements(SHORT[dt], n, seed)
    path = tmp / f"src.{dt}"
    e.tofile(path)
    return e, open_recording(path, rate_hz=250000.0, center_hz=433.92e6)


@pytest.mark.parametrize("kind,dt", OUTPUTS)
@settings(max_examples=15)
@given(data=st.data(), n=st.integers(1, 4000), seed=st.integers(0, 2**32 - 1))
def test_write_then_read_gives_the_same_samples(tmp_path_factory, kind, dt, data, n, seed):
    tmp = tmp_path_factory.mktemp("w")
    e, src = _source(tmp, dt, n, seed)
    out = tmp / _name(kind, dt)
    writer, _ = open_writer(out, src, None if kind == "raw" else dt)
    x = numpy_decode(e, SHORT[dt]).astype(np.complex64)
    cuts = data.draw(splits(n))
    with writer:
        for k, (a, b) in enumerate(zip([0, *cuts], [*cuts, n], strict=True)):
            # alternate: complex samples (quantised on write) and raw elements (passed through)
            writer.write(x[a:b] if k % 2 else e[2 * a:2 * b])
    back = open_recording(out, rate_hz=250000.0 if kind == "raw" else None)
    assert back.samples == n and back.dt == datatype(dt)
    chunk = data.draw(st.integers(1, 5000))
    got = np.concatenate([c.copy() for _, c in back.chunks(chunk)])
    assert got.tobytes() == e.tobytes()


def test_sigmf_output_validates_carries_metadata_and_hash(tmp_path):
    geo = {"type": "Point", "coordinates": [103.61, -1.61]}
    src = open_recording(write_sigmf_by_hand(
        tmp_path / "in", random_elements("ci16_le", 3000, 1), "ci16_le",
        meta_global={"core:geolocation": geo, "core:hw": "RTL-SDR", "core:author": "me",
                     "my:gain_db": 20, "core:extensions": [
                         {"name": "my", "version": "1.0.0", "optional": True}]},
        captures=[{"core:sample_start": 0, "core:frequency": 146.52e6,
                   "core:datetime": "2026-03-04T05:06:07Z"}],
        annotations=[{"core:sample_start": 10, "core:sample_count": 5, "core:label": "tx"}]))
    assert main(["convert", src.path, str(tmp_path / "out.sigmf-meta"), "-q"]) == 0
    meta = json.loads((tmp_path / "out.sigmf-meta").read_text())
    validate(meta)
    g = meta["global"]
    assert g["core:datatype"] == "ci16_le" and g["core:sample_rate"] == 250000.0
    assert g["core:geolocation"] == geo and g["core:hw"] == "RTL-SDR"
    assert g["core:author"] == "me" and g["my:gain_db"] == 20
    assert meta["captures"][0]["core:datetime"] == "2026-03-04T05:06:07Z"
    assert meta["annotations"] == [{"core:sample_start": 10, "core:sample_count": 5,
                                    "core:label": "tx"}]
    data = (tmp_path / "out.sigmf-data").read_bytes()
    assert g["core:sha512"] == hashlib.sha512(data).hexdigest()
    assert data == (tmp_path / "in.sigmf-data").read_bytes()      # same datatype: lossless


def test_sigmf_writer_survives_a_crash(tmp_path):
    script = textwrap.dedent(f"""
        import os, numpy as np
        from htdsp.io import SigMFWriter
        w = SigMFWriter({str(tmp_path / 'crash.sigmf-meta')!r}, 'cu8', 1e6,
                        center_freq_hz=100e6, flush_interval_s=0)
        for k in range(3):
            w.write(np.full(2000, k, np.uint8))
        os._exit(1)          # no close(): a crash or a kill
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert r.returncode == 1, r.stderr.decode()
    meta = json.loads((tmp_path / "crash.sigmf-meta").read_text())
    validate(meta)
    assert "core:sha512" not in meta["global"]              # only a finished one has a hash
    rec = open_recording(tmp_path / "crash.sigmf-meta")
    assert rec.samples == 3000 and rec.center_freq_hz == 100e6


def test_sigmf_writer_annotations_and_extensions(tmp_path):
    with SigMFWriter(tmp_path / "a.sigmf-meta", "cf32", 48000.0) as w:
        w.write(np.zeros(100, np.complex64))
        w.add_annotation(50, 10, label="late", **{"htdsp:sinad_db": 21.5})
        w.add_annotation(5, 3, comment="early")
    meta = json.loads((tmp_path / "a.sigmf-meta").read_text())
    validate(meta)
    assert [a["core:sample_start"] for a in meta["annotations"]] == [5, 50]
    assert {"name": "htdsp", "version": "1.0.0", "optional": True} in \
        meta["global"]["core:extensions"]


def _cli(*args):
    from tests.cli import run_cli

    return run_cli(*args)


def test_convert_rtl433_raw_to_sigmf_keeps_rate_and_centre(tmp_path):
    src = tmp_path / "g001_433.92M_250k.cu8"
    e = random_elements("cu8", 1000, 3)
    e.tofile(src)
    r = _cli("convert", src, tmp_path / "x.sigmf-meta")
    assert r.returncode == 0, r.stderr
    rec = open_recording(tmp_path / "x.sigmf-meta")
    assert (rec.sample_rate_hz, rec.center_freq_hz) == (250e3, 433.92e6)
    assert np.array_equal(rec.read(), open_recording(src).read())


def test_convert_to_archive_and_wav_and_requantise(tmp_path):
    meta = write_sigmf_by_hand(tmp_path / "s", random_elements("cf32_le", 2000, 2) * 0.5,
                               "cf32_le")
    assert _cli("convert", meta, tmp_path / "s2.sigmf", "--datatype", "cs16").returncode == 0
    arc = open_recording(tmp_path / "s2.sigmf")
    assert arc.container == "sigmf-archive" and arc.datatype == "ci16_le"
    src = open_recording(meta).read()
    d = arc.read() - src                     # rounding to 16 bits, per component
    assert max(np.abs(d.real).max(), np.abs(d.imag).max()) <= 0.5 / 32768 + 1e-7
    r = _cli("convert", tmp_path / "s2.sigmf", tmp_path / "w.wav")
    assert r.returncode == 0
    assert "keeps the sample rate only" in r.stderr.decode() and "centre frequency" in \
        r.stderr.decode()
    with wave.open(str(tmp_path / "w.wav")) as w:        # a plain WAV reader agrees
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 250000)
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert np.array_equal(numpy_decode(pcm, "ci16_le"), arc.read())


@pytest.mark.parametrize("args,needle", [
    (["OUT.xyz"], "unknown output type"),
    (["OUT.wav", "--datatype", "cs8"], "cs8"),
    (["OUT.cu8", "--datatype", "cs16"], "contradicts"),
])
def test_convert_bad_output_is_one_line_exit_2(tmp_path, args, needle):
    src = tmp_path / "a.cu8"
    random_elements("cu8", 10, 1).tofile(src)
    args = [str(tmp_path / a) if a.startswith("OUT") else a for a in args]
    r = _cli("convert", src, *args, "--rate", "1M")
    err = r.stderr.decode()
    assert r.returncode == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert needle in err


def test_convert_refuses_to_overwrite_its_input(tmp_path):
    src = tmp_path / "a.cu8"
    random_elements("cu8", 10, 1).tofile(src)
    r = _cli("convert", src, src, "--rate", "1M")
    assert r.returncode == 2 and "overwrite" in r.stderr.decode()
    assert src.stat().st_size == 20


def test_info_json_reports_truth_and_counts(tmp_path):
    n = 100_000
    t = np.arange(n)
    x = 0.5 * np.exp(2j * np.pi * 0.01 * t) + (0.02 + 0.01j)
    v = np.empty(2 * n, np.float32)
    v[0::2], v[1::2] = x.real, x.imag
    v[7] = np.nan
    v[100:110] = 1.0                        # at full scale: clipped
    f = tmp_path / "SDRSharp_20240101_120000Z_146520000Hz_IQ.wav"
    import scipy.io.wavfile
    scipy.io.wavfile.write(f, 2400000, v.reshape(-1, 2))
    bad = tmp_path / "empty.cu8"
    bad.touch()
    r = _cli("info", "--json", f, bad)
    assert r.returncode == 2                # one bad file: reported, the others still described
    assert "empty.cu8" in r.stderr.decode() and "empty" in r.stderr.decode()
    doc = json.loads(r.stdout)
    assert doc["schema"] == "htdsp.info/1" and len(doc["files"]) == 1
    d = doc["files"][0]
    assert (d["format"], d["container"], d["sample_rate_hz"], d["center_freq_hz"]) == \
        ("cf32", "wav", 2400000.0, 146.52e6)
    assert d["datetime"] == "2024-01-01T12:00:00Z" and d["samples"] == n
    assert d["nonfinite_count"] == 1 and d["clipping_fraction"] == pytest.approx(10 / (2 * n))
    assert d["mean_power_dbfs"] == pytest.approx(10 * np.log10(0.25 + 0.0005), abs=0.05)
    assert d["dc_offset_i"] == pytest.approx(0.02, abs=1e-3)
    assert d["dc_offset_q"] == pytest.approx(0.01, abs=1e-3)
    assert d["metadata_sources"] == {"sample_rate_hz": "wav header",
                                     "center_freq_hz": "file name"}
    assert any("NaN" in w for w in d["warnings"])


def test_info_of_silence_gives_nulls_not_nan(tmp_path):
    f = tmp_path / "z.cs16"
    np.zeros(200, np.int16).tofile(f)
    r = _cli("info", "--json", f, "--rate", "1M")
    assert r.returncode == 0
    assert "NaN" not in r.stdout.decode()
    d = json.loads(r.stdout)["files"][0]
    assert d["mean_power_dbfs"] is None and d["iq_phase_imbalance_deg"] is None


def test_info_text_for_the_bundled_capture():
    r = _cli("info", "captures/kpbenz-2m-nfm-voice/capture.sigmf-meta")
    out = r.stdout.decode()
    assert r.returncode == 0
    assert "280000 S/s" in out and "144.470000 MHz" in out and "1728000 samples" in out
    assert "annotation @ 257880+1008280" in out


def test_reading_a_multi_gb_file_keeps_memory_flat(tmp_path):
    big = tmp_path / "g001_100M_2400k.cu8"
    with open(big, "wb") as f:               # sparse: 1 GiB on a small disk
        f.truncate(2**30)
    script = textwrap.dedent(f"""
        import resource
        from htdsp.io import open_recording
        rec = open_recording({str(big)!r})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        n = 0
        for _, c in rec.chunks():
            n += c.size // 2
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(n, after - before)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=600)
    n, grew_kib = map(int, r.stdout.split())
    assert n == 2**29
    assert grew_kib < 20 * 1024              # under 20 MiB of growth for 1 GiB read
