"""Readers agree with plain NumPy decodes; metadata inference; random access; bad input."""

import json
import struct
import tarfile
import wave

import numpy as np
import pytest
import scipy.io.wavfile
from hypothesis import given
from hypothesis import strategies as st

from htdsp.errors import InputError
from htdsp.io import open_recording
from htdsp.io.names import metadata_from_name
from tests.io.helpers import DECODE, SHORT, numpy_decode, random_elements, write_sigmf_by_hand

CAPTURE = "captures/kpbenz-2m-nfm-voice/capture"
ULP = 1.2e-7   # one float32 ulp at full scale: readers return complex64


def _close(a, ref):
    assert a.dtype == np.complex64 and a.shape == ref.shape
    assert np.max(np.abs(a - ref), initial=0) <= ULP


@pytest.mark.parametrize("name", sorted(DECODE))
@given(n=st.integers(1, 3000), seed=st.integers(0, 2**32 - 1),
       chunk=st.integers(1, 5000))
def test_sigmf_every_complex_datatype_matches_numpy_decode(tmp_path_factory, name, n, seed,
                                                           chunk):
    base = tmp_path_factory.mktemp("s") / "rec"
    e = random_elements(name, n, seed)
    rec = open_recording(write_sigmf_by_hand(base, e, name))
    assert (rec.samples, rec.datatype, rec.sample_rate_hz) == (n, name, 250000.0)
    got = np.concatenate([c for _, c in rec.chunks(chunk, raw=False)])
    _close(got, numpy_decode(e, name))


@pytest.mark.parametrize("fmt", ["cu8", "cs8", "cs16", "cf32"])
@given(n=st.integers(1, 3000), seed=st.integers(0, 2**32 - 1), chunk=st.integers(1, 5000))
def test_raw_formats_match_numpy_decode_in_raw_and_complex_chunks(tmp_path_factory, fmt, n, seed,
                                                                  chunk):
    path = tmp_path_factory.mktemp("r") / f"x.{fmt}"
    e = random_elements(SHORT[fmt], n, seed)
    e.tofile(path)
    rec = open_recording(path, rate_hz=1e6)
    ref = numpy_decode(e, SHORT[fmt])
    _close(np.concatenate([c for _, c in rec.chunks(chunk, raw=False)]), ref)
    raw = np.concatenate([c.copy() for _, c in rec.chunks(chunk)])
    assert raw.tobytes() == e.tobytes()          # raw path: the file's elements untouched


def test_wav_8_and_16_bit_pcm_written_by_the_wave_module(tmp_path):
    for width, name, dtype in ((1, "cu8", np.uint8), (2, "ci16_le", "<i2")):
        e = random_elements(name, 1000, width)
        path = tmp_path / f"w{width}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(width)
            w.setframerate(96000)
            w.writeframes(np.asarray(e, dtype=dtype).tobytes())
        rec = open_recording(path)
        assert (rec.container, rec.datatype, rec.sample_rate_hz) == ("wav", name, 96000.0)
        _close(rec.read(), numpy_decode(e, name))


def test_wav_float_written_by_scipy(tmp_path):
    e = random_elements("cf32_le", 777, 3)
    path = tmp_path / "f.wav"
    scipy.io.wavfile.write(path, 192000, e.reshape(-1, 2))
    rec = open_recording(path)
    assert rec.datatype == "cf32_le" and rec.samples == 777
    _close(rec.read(), numpy_decode(e, "cf32_le"))


def test_swap_iq(tmp_path):
    e = random_elements("ci16_le", 100, 1)
    path = tmp_path / "s.cs16"
    e.tofile(path)
    a = open_recording(path, rate_hz=1e6).read()
    b = open_recording(path, rate_hz=1e6, swap_iq=True).read()
    assert np.array_equal(a.real, b.imag) and np.array_equal(a.imag, b.real)


@given(start=st.integers(0, 4999), count=st.integers(0, 5000), chunk=st.integers(1, 3000))
def test_random_access_equals_slicing(tmp_path_factory, start, count, chunk):
    path = tmp_path_factory.mktemp("a") / "a.cs16"
    e = random_elements("ci16_le", 5000, 9)
    e.tofile(path)
    rec = open_recording(path, rate_hz=1e6)
    count = min(count, 5000 - start)
    full = rec.read()
    assert np.array_equal(rec.read(start, count), full[start:start + count])
    idx = [i for i, _ in rec.chunks(chunk, start, count)]
    assert idx == list(range(start, start + count, chunk))


def test_bundled_capture_raw_and_sigmf_are_identical():
    raw = open_recording(CAPTURE + ".cu8", rate_hz=280e3, center_hz=144.47e6)
    sig = open_recording(CAPTURE + ".sigmf-meta")
    assert (sig.sample_rate_hz, sig.center_freq_hz, sig.samples) == (280e3, 144.47e6, 1728000)
    assert np.array_equal(raw.read(), sig.read())
    assert sig.annotations[0]["core:label"] == "NFM voice"


def test_sigmf_archive_read_in_place(tmp_path):
    e = random_elements("ci16_le", 500, 4)
    meta = write_sigmf_by_hand(tmp_path / "inner", e, "ci16_le")
    arc = tmp_path / "rec.sigmf"
    with tarfile.open(arc, "w") as t:
        t.add(meta, arcname="inner/inner.sigmf-meta")
        t.add(tmp_path / "inner.sigmf-data", arcname="inner/inner.sigmf-data")
    rec = open_recording(arc)
    assert rec.container == "sigmf-archive" and rec.center_freq_hz == 433.92e6
    _close(rec.read(), numpy_decode(e, "ci16_le"))


def test_sigmf_non_conforming_dataset_with_headers_and_trailer(tmp_path):
    # two segments, each preceded by a 4-byte header, and a 3-byte trailer
    a = random_elements("cu8", 500, 1)
    b = random_elements("cu8", 300, 2)
    blob = b"HDR1" + a.tobytes() + b"HDR2" + b.tobytes() + b"END"
    (tmp_path / "dump.dat").write_bytes(blob)
    meta = {"global": {"core:datatype": "cu8", "core:version": "1.2.0",
                       "core:sample_rate": 1e6, "core:dataset": "dump.dat",
                       "core:trailing_bytes": 3},
            "captures": [{"core:sample_start": 0, "core:header_bytes": 4,
                          "core:frequency": 100e6},
                         {"core:sample_start": 500, "core:header_bytes": 4,
                          "core:frequency": 101e6}],
            "annotations": []}
    (tmp_path / "dump.sigmf-meta").write_text(json.dumps(meta))
    rec = open_recording(tmp_path / "dump.sigmf-meta")
    assert rec.samples == 800 and len(rec.extents) == 2
    _close(rec.read(), numpy_decode(np.concatenate([a, b]), "cu8"))
    _close(rec.read(490, 20), numpy_decode(np.concatenate([a, b]), "cu8")[490:510])
    assert rec.capture_at(600)["core:frequency"] == 101e6
    assert any("centre frequencies" in w for w in rec.warnings)


def test_sigmf_metadata_fields(tmp_path):
    geo = {"type": "Point", "coordinates": [103.61, -1.61, 30.0]}
    meta = write_sigmf_by_hand(
        tmp_path / "m", random_elements("cf32_le", 10, 1), "cf32_le",
        meta_global={"core:geolocation": geo, "core:hw": "RTL-SDR v3", "core:author": "x"},
        captures=[{"core:sample_start": 0, "core:frequency": 146.52e6,
                   "core:datetime": "2026-01-02T03:04:05Z"}],
        annotations=[{"core:sample_start": 2, "core:sample_count": 3, "core:label": "tx"}])
    rec = open_recording(meta)
    assert rec.geolocation == geo and rec.hw == "RTL-SDR v3"
    assert rec.datetime == "2026-01-02T03:04:05Z" and rec.annotations[0]["core:label"] == "tx"
    assert rec.extra_global == {"core:author": "x"}


def test_options_override_metadata(tmp_path):
    meta = write_sigmf_by_hand(tmp_path / "o", random_elements("cu8", 10, 1), "cu8")
    rec = open_recording(meta, rate_hz=2.4e6, center_hz=145e6)
    assert (rec.sample_rate_hz, rec.center_freq_hz) == (2.4e6, 145e6)
    assert rec.sources == {"sample_rate_hz": "option", "center_freq_hz": "option"}


@pytest.mark.parametrize("name,center,rate,stamp", [
    ("SDRSharp_20240101_120000Z_146520000Hz_IQ.wav", 146.52e6, 48000.0, "2024-01-01T12:00:00Z"),
    ("baseband_146520000Hz_12-00-00_01-01-2024.wav", 146.52e6, 48000.0, None),
    ("HDSDR_20240101_120000Z_146520kHz_RF.wav", 146.52e6, 48000.0, "2024-01-01T12:00:00Z"),
    ("g001_433.92M_250k.cu8", 433.92e6, 250e3, None),
    ("g017_868.3M_1024k.cs16", 868.3e6, 1.024e6, None),
])
def test_file_name_conventions_give_rate_and_centre(tmp_path, name, center, rate, stamp):
    path = tmp_path / name
    if name.endswith(".wav"):
        with wave.open(str(path), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(48000)
            w.writeframes(bytes(400))
    else:
        path.write_bytes(bytes(400))
    rec = open_recording(path)                      # no options at all
    assert (rec.center_freq_hz, rec.sample_rate_hz, rec.datetime) == (center, rate, stamp)
    assert rec.sources["center_freq_hz"] == "file name"
    assert metadata_from_name(name)["center_freq_hz"] == center


def _error(tmp_path, make, *needles, **kw):
    path = make(tmp_path)
    with pytest.raises(InputError) as e:
        open_recording(path, **kw)
    msg = str(e.value)
    assert "\n" not in msg
    for n in needles:
        assert n in msg, (n, msg)


def _file(name, data):
    def make(p):
        (p / name).write_bytes(data)
        return p / name
    return make


def _meta(text):
    def make(p):
        (p / "m.sigmf-data").write_bytes(bytes(8))
        (p / "m.sigmf-meta").write_text(text)
        return p / "m.sigmf-meta"
    return make


GOOD_GLOBAL = '"core:datatype": "ci16_le", "core:version": "1.2.0", "core:sample_rate": 48000'


@pytest.mark.parametrize("make,needles,kw", [
    (lambda p: p / "missing.cu8", ["missing.cu8", "no such file"], {"rate_hz": 1e6}),
    (lambda p: p, ["is a directory"], {"rate_hz": 1e6}),
    (_file("e.cu8", b""), ["e.cu8", "empty"], {"rate_hz": 1e6}),
    (_file("x.bin", bytes(8)), ["x.bin", "`fmt`"], {}),
    (_file("x.cu8", bytes(8)), ["x.cu8", "`rate_hz`"], {}),
    (_file("x.cs16", bytes(3)), ["shorter than one"],
     {"rate_hz": 1e6}),
    (_meta("{not json"), ["m.sigmf-meta", "not valid JSON", "line 1"], {}),
    (_meta('{"global": {"core:version": "1.2.0"}, "captures": [], "annotations": []}'),
     ["m.sigmf-meta", "fails the SigMF schema", "core:datatype"], {}),
    (_meta('{"global": {' + GOOD_GLOBAL + ', "core:dataset": "gone.bin"}, "captures": [], '
           '"annotations": []}'), ["m.sigmf-meta", "gone.bin", "not found"], {}),
    (_meta('{"global": {"core:datatype": "cf64_le", "core:version": "1.2.0"}, "captures": [], '
           '"annotations": []}'), ["not a whole number of cf64_le samples"], {"rate_hz": 1e6}),
    (_meta('{"global": {"core:datatype": "ci16_le", "core:version": "1.2.0"}, "captures": [], '
           '"annotations": []}'), ["sample rate unknown", "`rate_hz`"], {}),
    (_meta('{"global": {"core:datatype": "rf32_le", "core:version": "1.2.0", '
           '"core:sample_rate": 1}, "captures": [], "annotations": []}'), ["real-valued"], {}),
    (_meta('{"global": {' + GOOD_GLOBAL + ', "core:num_channels": 2}, "captures": [], '
           '"annotations": []}'), ["channels"], {}),
    (_file("n.wav", b"RIFF\0\0\0\0WAVEjunk"), ["no 'data'"],
     {}),
    (_file("t.wav", b"hello world, not a wav"),
     ["not a WAV file"], {}),
])
def test_bad_input_is_one_line_naming_the_problem(tmp_path, make, needles, kw):
    _error(tmp_path, make, *needles, **kw)


def test_mono_wav_is_rejected(tmp_path):
    path = tmp_path / "mono.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(100))
    _error(tmp_path, lambda p: path, "mono.wav", "1 channel")


def test_partial_last_sample_is_a_warning(tmp_path):
    path = tmp_path / "p.cs16"
    path.write_bytes(bytes(4 * 10 + 3))
    rec = open_recording(path, rate_hz=1e6)
    assert rec.samples == 10 and "3 trailing bytes" in rec.warnings[0]


def test_nan_and_inf_are_zeroed_and_counted(tmp_path):
    e = random_elements("cf32_le", 100, 5)
    e[[3, 10, 11]] = [np.nan, np.inf, -np.inf]
    path = tmp_path / "n.cf32"
    e.tofile(path)
    rec = open_recording(path, rate_hz=1e6)
    x = rec.read()
    assert np.all(np.isfinite(x)) and x[1].imag == 0 and x[5].real == 0 and x[5].imag == 0
    assert rec.nonfinite == 3 and any("NaN" in w for w in rec.warnings)


def test_truncated_wav_reads_what_is_there(tmp_path):
    path = tmp_path / "cut.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(4000))
    data = path.read_bytes()
    path.write_bytes(data[:-1000])                      # recorder died: header says more
    rec = open_recording(path)
    assert rec.samples == 750 and "unfinished" in rec.warnings[0]


def test_rf64_header_fields(tmp_path):
    from htdsp.io import WavWriter

    path = tmp_path / "big.wav"
    with WavWriter(path, "cs16", 48000, rf64_threshold=100) as w:
        w.write(random_elements("ci16_le", 1000, 1))
    b = path.read_bytes()
    assert b[:4] == b"RF64" and struct.unpack("<I", b[4:8])[0] == 0xFFFFFFFF
    assert b[12:16] == b"ds64"
    riff, data, count = struct.unpack("<QQQ", b[20:44])
    assert (data, count, riff) == (4000, 1000, len(b) - 8)
    rec = open_recording(path)
    assert rec.samples == 1000
