"""`htdsp demod` end to end: output files, stdout streaming, and one-line errors with exit 2."""

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from htdsp.cli import main
from tests.signals import nfm_tone_iq, to_cu8, tone_frequency_amplitude

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.cu8"
CAPTURE_ARGS = ["--rate", "280k", "--center", "144.47M", "--channel", "144.5M"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "htdsp.cli", *map(str, args)],
                          capture_output=True, timeout=300)


def test_demod_real_capture_to_wav(tmp_path):
    out = tmp_path / "a.wav"
    assert main(["demod", str(CAPTURE), "-o", str(out), *CAPTURE_ARGS, "-q"]) == 0
    with wave.open(str(out)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (48000, 2, 1)
        assert w.getnframes() == pytest.approx(1728000 / 280000 * 48000, abs=2)


@pytest.mark.parametrize("fmt,conv", [("cu8", to_cu8),
                                      ("cs16", lambda x: np.clip(np.rint(np.stack(
                                          [x.real, x.imag], 1).ravel() * 32768), -32768,
                                          32767).astype("<i2")),
                                      ("cf32", lambda x: x.astype("<c8"))])
def test_demod_each_raw_format_and_audio_rate(tmp_path, fmt, conv):
    fs = 1.024e6
    src = tmp_path / f"tone.{fmt}"
    conv(nfm_tone_iq(fs, 200e3, 0.6, amplitude=0.7)).tofile(src)
    out = tmp_path / "t.wav"
    assert main(["demod", str(src), "-o", str(out), "--rate", "1.024M", "--offset", "200k",
                 "--audio-rate", "16k", "-q"]) == 0
    with wave.open(str(out)) as w:
        fs_a = w.getframerate()
        y = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767.0
    assert fs_a == 16000
    f, a = tone_frequency_amplitude(y[3200:], fs_a)
    assert f == pytest.approx(1000.0, abs=0.1) and a == pytest.approx(0.6, rel=0.023)


def test_demod_to_stdout_streams_raw_s16le(tmp_path):
    wav = tmp_path / "w.wav"
    assert main(["demod", str(CAPTURE), "-o", str(wav), *CAPTURE_ARGS, "-q"]) == 0
    r = run("demod", CAPTURE, "-o", "-", *CAPTURE_ARGS, "--quiet")
    assert r.returncode == 0, r.stderr
    with wave.open(str(wav)) as w:
        assert r.stdout == w.readframes(w.getnframes())   # same samples, no header


def test_stdout_reader_closing_early_is_not_an_error():
    p = subprocess.Popen([sys.executable, "-m", "htdsp.cli", "demod", str(CAPTURE), "-o", "-",
                          *CAPTURE_ARGS, "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert len(p.stdout.read(1000)) == 1000
    p.stdout.close()                       # like `| head -c 1000`
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 0
    assert err == ""


class _Run:
    """The result of an in-process run, shaped like subprocess.run's."""

    def __init__(self, code, err):
        self.returncode, self.stderr = code, err.encode()


@pytest.fixture
def inproc(capsys):
    """``htdsp`` in this process (no interpreter start-up per call): a usage error needs no
    process of its own to show its exit code and its one line."""
    def run_here(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        return _Run(code, capsys.readouterr().err)
    return run_here


def _one_line_error(r, *needles):
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for n in needles:
        assert n in err, (n, err)


def test_bad_input_errors(tmp_path, inproc):
    run = inproc
    out = tmp_path / "o.wav"
    _one_line_error(run("demod", tmp_path / "nope.cu8", "-o", out, "--rate", "2.4M",
                        "--offset", "0"), "nope.cu8", "no such file")
    empty = tmp_path / "empty.cu8"
    empty.touch()
    _one_line_error(run("demod", empty, "-o", out, "--rate", "2.4M", "--offset", "0"),
                    "empty.cu8", "empty")
    data = tmp_path / "x.cu8"
    np.zeros(1000, np.uint8).tofile(data)
    _one_line_error(run("demod", data, "-o", out, "--offset", "0"), "x.cu8", "--rate")
    _one_line_error(run("demod", data, "-o", out, "--rate", "2.4M", "--center", "144M",
                        "--channel", "146.52M"), "x.cu8", "outside the captured band")
    _one_line_error(run("demod", data, "-o", out, "--rate", "2.4M", "--channel", "146.52M"),
                    "x.cu8", "--center")
    odd = tmp_path / "x.xyz"
    np.zeros(1000, np.uint8).tofile(odd)
    _one_line_error(run("demod", odd, "-o", out, "--rate", "2.4M", "--offset", "0"),
                    "x.xyz", "--format")
    _one_line_error(run("demod", data, "-o", out, "--rate", "2.4M", "--offset", "0",
                        "--format", "cu4"), "--format", "invalid choice")
    _one_line_error(run("demod", tmp_path, "-o", out, "--rate", "2.4M", "--offset", "0"),
                    "directory")
    _one_line_error(run("demod", data, "-o", out, "--rate", "fast", "--offset", "0"),
                    "--rate", "not a frequency")
    _one_line_error(run("demod", data, "-o", out, "--rate", "2.4M"), "--channel")
    assert not out.exists()
    # and the same through a process of its own: the console entry point's exit code
    _one_line_error(globals()["run"]("demod", tmp_path / "nope.cu8", "-o", out, "--rate",
                                     "2.4M", "--offset", "0"), "nope.cu8", "no such file")


def test_partial_last_sample_is_a_warning_not_an_error(tmp_path, inproc):
    data = tmp_path / "p.cu8"
    to_cu8(nfm_tone_iq(250e3, 0.0, 0.1))[:-1].tofile(data)   # odd byte count
    r = inproc("demod", data, "-o", tmp_path / "p.wav", "--rate", "250k", "--offset", "0")
    assert r.returncode == 0
    assert "warning" in r.stderr.decode() and "partial sample" in r.stderr.decode()


def test_demod_sigmf_capture_needs_no_options(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sig = str(CAPTURE).replace(".cu8", ".sigmf-meta")
    assert main(["demod", sig, "--channel", "144.5M", "-o", str(a), "-q"]) == 0
    assert main(["demod", str(CAPTURE), "-o", str(b), *CAPTURE_ARGS, "-q"]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_demod_wav_iq_with_swapped_channels(tmp_path):
    import scipy.io.wavfile

    fs = 250e3
    x = nfm_tone_iq(fs, -50e3, 0.5, amplitude=0.7)
    swapped = np.stack([x.imag, x.real], 1).astype(np.float32)     # a tool that writes Q first
    src = tmp_path / "baseband_433920000Hz_12-00-00_01-01-2024.wav"
    scipy.io.wavfile.write(src, int(fs), swapped)
    out = tmp_path / "t.wav"
    # without --swap-iq the spectrum is mirrored: the channel is at +50 kHz, not -50 kHz
    assert main(["demod", str(src), "-o", str(out), "--channel", "433.87M", "--swap-iq",
                 "-q"]) == 0
    with wave.open(str(out)) as w:
        y = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767.0
    f, a = tone_frequency_amplitude(y[9600:], 48000.0)
    assert f == pytest.approx(1000.0, abs=0.1) and a == pytest.approx(0.6, rel=0.023)
