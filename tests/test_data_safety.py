"""Data is sacred: no command damages an input, replaces a recording silently, or leaves a
half-written file; every output path is checked before the work starts (issue 12, items 1-5
and 13). Real files on disk; real processes where a kill is the point."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from htdsp.cli import main
from htdsp.io import open_recording
from tests.signals import nfm_tone_iq, to_cu8

# (the new mechanism is imported inside the tests that use it, so that every command-line test
# here also runs, and fails, on a version without it)
TMP_SUFFIX = ".htdsp-tmp"

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.sigmf-meta"
FS = 250e3


def _tone_cu8(path, seconds=0.3):
    to_cu8(nfm_tone_iq(FS, 25e3, seconds, amplitude=0.6)).tofile(path)
    return path


@pytest.fixture
def pair(tmp_path):
    """A SigMF pair a.sigmf-meta / a.sigmf-data (and the bytes of both)."""
    raw = _tone_cu8(tmp_path / "src.cu8")
    assert main(["convert", str(raw), str(tmp_path / "a.sigmf-meta"), "--rate", "250k",
                 "--center", "145.2M", "-q"]) == 0
    meta, data = tmp_path / "a.sigmf-meta", tmp_path / "a.sigmf-data"
    return meta, data, meta.read_bytes(), data.read_bytes()


def _temps(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.endswith(TMP_SUFFIX))


# ------------------------------------------------------------------ 1. convert onto its input
def test_convert_pair_to_archive_keeps_the_input_pair(pair, tmp_path):
    meta, data, m0, d0 = pair
    assert main(["convert", str(meta), str(tmp_path / "a.sigmf"), "-q"]) == 0
    assert meta.read_bytes() == m0 and data.read_bytes() == d0        # the input untouched
    arc = open_recording(tmp_path / "a.sigmf")
    assert arc.samples == len(d0) // 2
    assert np.array_equal(arc.read(), open_recording(meta).read())    # no empty data member
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("src,dst", [("a.sigmf-meta", "a.sigmf-meta"),
                                     ("a.sigmf-data", "a.sigmf-meta"),
                                     ("a.sigmf-meta", "a.sigmf-data")])
def test_convert_onto_its_own_pair_is_refused(pair, tmp_path, capsys, src, dst):
    meta, data, m0, d0 = pair
    assert main(["convert", str(tmp_path / src), str(tmp_path / dst), "--force"]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
    assert meta.read_bytes() == m0 and data.read_bytes() == d0


def test_an_output_linked_to_the_input_is_refused(tmp_path, capsys):
    src = _tone_cu8(tmp_path / "x.cu8")
    before = src.read_bytes()
    os.symlink(src, tmp_path / "sym.cu8")
    os.link(src, tmp_path / "hard.cu8")
    for name in ("sym.cu8", "hard.cu8"):
        assert main(["convert", str(src), str(tmp_path / name), "--rate", "250k",
                     "--force"]) == 2
        assert "would overwrite an input" in capsys.readouterr().err
    assert src.read_bytes() == before


def test_convert_onto_a_dataset_another_input_uses_is_refused(tmp_path, capsys):
    # d.sigmf-meta describes raw.cu8 in place: writing raw.cu8 would destroy its samples
    raw = _tone_cu8(tmp_path / "raw.cu8")
    before = raw.read_bytes()
    (tmp_path / "d.sigmf-meta").write_text(json.dumps(
        {"global": {"core:datatype": "cu8", "core:version": "1.2.0", "core:sample_rate": FS,
                    "core:dataset": "raw.cu8"}, "captures": [{"core:sample_start": 0}],
         "annotations": []}))
    assert main(["convert", str(tmp_path / "d.sigmf-meta"), str(raw), "--force"]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
    assert raw.read_bytes() == before


# ------------------------------------------------------------------ 2. archives and their names
def test_writing_an_archive_leaves_a_pair_of_that_name_alone(pair, tmp_path):
    meta, data, m0, d0 = pair
    other = _tone_cu8(tmp_path / "other.cu8", 0.2)
    # a.sigmf is a new file; a.sigmf-meta / a.sigmf-data beside it are someone's recording
    assert main(["convert", str(other), str(tmp_path / "a.sigmf"), "--rate", "250k", "-q"]) == 0
    assert meta.read_bytes() == m0 and data.read_bytes() == d0
    assert open_recording(tmp_path / "a.sigmf").samples == other.stat().st_size // 2
    assert main(["simulate", "--scenario", "clear-los", "--duration", "0.2", "--rate", "250k",
                 "-o", str(tmp_path / "b.sigmf"), "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("b.")) == ["b.sigmf"]


# ------------------------------------------------------------------ 3. derived outputs onto inputs
def test_demod_to_its_own_wav_is_refused(tmp_path, capsys):
    import scipy.io.wavfile

    x = nfm_tone_iq(FS, 25e3, 0.2, amplitude=0.5)
    wav = tmp_path / "x.wav"
    scipy.io.wavfile.write(wav, int(FS), np.stack([x.real, x.imag], 1).astype(np.float32))
    before = wav.read_bytes()
    assert main(["demod", str(wav), "-o", str(wav), "--offset", "25k"]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
    assert wav.read_bytes() == before


def test_score_report_onto_the_input_metadata_is_refused(pair, capsys):
    meta, data, m0, d0 = pair
    for opt in ("--json", "--csv", "--html"):
        assert main(["score", str(meta), opt, str(meta), "-q"]) == 2
        assert "would overwrite an input" in capsys.readouterr().err
        assert meta.read_bytes() == m0 and data.read_bytes() == d0


def test_demod_events_onto_the_input_metadata_is_refused(pair, tmp_path, capsys):
    meta, data, m0, _ = pair
    assert main(["demod", str(meta), "-o", str(tmp_path / "o.wav"), "--offset", "25k",
                 "--squelch", "power", "--events", str(meta)]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
    assert meta.read_bytes() == m0
    assert not (tmp_path / "o.wav").exists() and _temps(tmp_path) == []


def test_annotate_onto_its_own_input_is_refused(pair, tmp_path, capsys):
    meta, _, _, _ = pair
    assert main(["score", str(meta), "--offset", "25k", "--annotate", "-q"]) in (0, 1)
    scored = tmp_path / "a.scored.sigmf-meta"
    before = scored.read_bytes()
    # scoring the annotation file itself would write the same name over it
    assert main(["score", str(scored), "--offset", "25k", "--annotate", "-q"]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
    assert scored.read_bytes() == before


# ------------------------------------------------------------------ 4. existing recordings
def test_recordings_are_never_replaced_without_force(tmp_path, capsys):
    src = _tone_cu8(tmp_path / "src.cu8")
    for out in ("o.cf32", "o.wav", "o.sigmf-meta", "o.sigmf"):
        target = tmp_path / out
        args = ["convert", str(src), str(target), "--rate", "250k", "-q"]
        assert main(args) == 0
        first = {p: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("o.")}
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "exists" in err and "--force" in err, err
        assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("o.")} == first
        for p in first:
            p.unlink()
    # --force replaces, and the result is whole
    target = tmp_path / "f.cu8"
    target.write_bytes(b"old")
    assert main(["convert", str(src), str(target), "--rate", "250k", "--force", "-q"]) == 0
    assert target.read_bytes() == src.read_bytes()


def test_simulate_refuses_an_existing_recording(tmp_path, capsys):
    out = tmp_path / "s.sigmf-meta"
    args = ["simulate", "--scenario", "clear-los", "--duration", "0.2", "--rate", "250k", "-o",
            str(out), "-q"]
    assert main(args) == 0
    before = (tmp_path / "s.sigmf-data").read_bytes()
    assert main(args) == 2
    assert "exists" in capsys.readouterr().err
    assert (tmp_path / "s.sigmf-data").read_bytes() == before
    (tmp_path / "s.sigmf-meta").unlink()                 # half a pair is still a recording
    assert main(args) == 2
    assert (tmp_path / "s.sigmf-data").read_bytes() == before
    assert main([*args, "--seed", "3", "--force"]) == 0
    assert (tmp_path / "s.sigmf-data").read_bytes() != before


def test_live_refuses_to_record_over_a_recording_before_connecting(tmp_path, capsys):
    rec = tmp_path / "r.sigmf-meta"
    rec.write_text("{}")
    t0 = time.monotonic()
    # port 9 (discard): never contacted, the check comes first
    assert main(["live", "--rtltcp", "127.0.0.1:9", "--center", "144.47M", "--rate", "280k",
                 "--channel", "144.5M", "--record", str(rec), "-q"]) == 2
    assert time.monotonic() - t0 < 2
    assert "exists" in capsys.readouterr().err and rec.read_text() == "{}"


def test_reports_and_audio_are_replaced_on_a_rerun(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old")
    assert main(["score", str(CAPTURE), "--channel", "144.5M", "--json", str(out), "-q"]) == 0
    assert json.loads(out.read_text())["schema"] == "htdsp.score/3"
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"old")
    assert main(["demod", str(CAPTURE), "--channel", "144.5M", "-o", str(wav), "-q"]) == 0
    assert wav.read_bytes()[:4] == b"RIFF" and _temps(tmp_path) == []


# ------------------------------------------------------------------ 5. atomic outputs
def test_atomic_file_commits_whole_or_not_at_all(tmp_path):
    from htdsp.io.outputs import AtomicFile

    target = tmp_path / "t.bin"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError), AtomicFile(target) as f:
        f.file.write(b"half")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"previous" and _temps(tmp_path) == []
    with AtomicFile(target) as f:
        f.file.write(b"whole")
        assert target.read_bytes() == b"previous"          # nothing visible until the end
    assert target.read_bytes() == b"whole"


_KILLED_WRITER = """
import os, signal, numpy as np
from htdsp.io import AudioWriter, RawWriter, WavWriter
w = {make}
w.write(np.ones(1 << 16, np.complex64) if {iq} else np.full(1 << 16, 0.5, np.float32))
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("name,make,iq,again", [
    ("big.cf32", 'RawWriter({path!r}, "cf32", overwrite=True)', True,
     ["convert", "{src}", "{target}", "--rate", "250k", "--force", "-q"]),
    ("iq.wav", 'WavWriter({path!r}, "cf32", 250000, overwrite=True)', True,
     ["convert", "{src}", "{target}", "--rate", "250k", "--force", "-q"]),
    ("audio.wav", "AudioWriter({path!r}, 48000)", False,
     ["demod", "{src}", "-o", "{target}", "--rate", "250k", "--offset", "25k", "-q"]),
])
def test_a_killed_writer_leaves_the_old_file_and_the_next_run_removes_its_temporary(
        tmp_path, name, make, iq, again):
    target = tmp_path / name
    target.write_bytes(b"previous recording")
    code = _KILLED_WRITER.format(make=make.format(path=str(target)), iq=iq)
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert p.returncode == -signal.SIGKILL, p.stderr
    assert target.read_bytes() == b"previous recording"       # not a header with sizes 0
    assert len(_temps(tmp_path)) == 1                          # at most one temporary file
    src = _tone_cu8(tmp_path / "s.cu8", 0.05)
    assert main([a.format(src=src, target=target) for a in again]) == 0
    assert _temps(tmp_path) == []                              # the leftover is gone
    assert target.stat().st_size > 1000                        # and the new file is there


def test_stale_temporaries_of_running_processes_are_kept(tmp_path):
    from htdsp.io.outputs import TMP_SUFFIX as suffix
    from htdsp.io.outputs import remove_stale

    assert suffix == TMP_SUFFIX
    target = tmp_path / "t.bin"
    mine = tmp_path / f".t.bin.{os.getppid()}{TMP_SUFFIX}"      # a live process (our parent)
    gone = tmp_path / f".t.bin.{2**22 + 12345}{TMP_SUFFIX}"     # no such pid
    mine.write_bytes(b"x")
    gone.write_bytes(b"x")
    assert remove_stale(target) == [str(gone)]
    assert mine.exists()


def _sparse_sigmf(folder, gib=2):
    data = folder / "huge.sigmf-data"
    with open(data, "wb") as f:
        f.truncate(gib << 30)
    (folder / "huge.sigmf-meta").write_text(json.dumps(
        {"global": {"core:datatype": "cu8", "core:version": "1.2.0", "core:sample_rate": 2.4e6},
         "captures": [{"core:sample_start": 0}], "annotations": []}))
    return folder / "huge.sigmf-meta"


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_convert_interrupted_mid_write_leaves_nothing_half_written(tmp_path, sig, code):
    src = _sparse_sigmf(tmp_path)
    out = tmp_path / "out.cu8"
    out.write_bytes(b"previous")
    p = subprocess.Popen([sys.executable, "-m", "htdsp.cli", "convert", str(src), str(out),
                          "--force", "-q"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:                   # until the copy is under way
        tmp = _temps(tmp_path)
        if tmp and (tmp_path / tmp[0]).stat().st_size > 1 << 20:
            break
        time.sleep(0.005)
    else:
        pytest.fail("convert never started writing")
    p.send_signal(sig)
    err = p.communicate(timeout=30)[1]
    assert p.returncode == code, err
    assert "Traceback" not in err
    assert out.read_bytes() == b"previous" and _temps(tmp_path) == []


# ------------------------------------------------------------------ 13. outputs checked first
@pytest.mark.parametrize("opt", ["--json", "--csv", "--html"])
def test_score_checks_every_output_before_the_work(monkeypatch, tmp_path, capsys, opt):
    import htdsp.pipeline

    def never(*a, **k):
        raise AssertionError("the recording was processed before the output was checked")

    monkeypatch.setattr(htdsp.pipeline.Session, "run", never)
    assert main(["score", str(CAPTURE), opt, str(tmp_path / "nodir" / "x.out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "no such directory" in err and len(err.strip().splitlines()) == 1


def test_demod_checks_its_outputs_before_the_work(tmp_path, capsys):
    r = subprocess.run([sys.executable, "-m", "htdsp.cli", "demod", str(CAPTURE), "--channel",
                        "144.5M", "-o", str(tmp_path / "nodir" / "x.wav")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "no such directory" in r.stderr
    assert "Exception ignored" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_two_outputs_naming_one_file_are_refused(tmp_path, capsys):
    out = tmp_path / "same"
    assert main(["score", str(CAPTURE), "--json", str(out), "--csv", str(out), "-q"]) == 2
    assert "names the same file" in capsys.readouterr().err


def test_check_output_and_input_files_by_identity(tmp_path):
    from htdsp.io import RawWriter
    from htdsp.io.outputs import InputFiles, check_output

    a = tmp_path / "a.cu8"
    a.write_bytes(b"12")
    rec = open_recording(a, rate_hz=1e6)
    used = InputFiles([rec])
    assert used.uses(a) and used.uses(tmp_path / "." / "a.cu8")
    assert not used.uses(tmp_path / "b.cu8")
    with pytest.raises(Exception, match="is a directory"):
        check_output(tmp_path)
    with pytest.raises(Exception, match="exists"):
        check_output(a, overwrite=False)
    RawWriter(tmp_path / "new.cu8", "cu8").close()
    with pytest.raises(Exception, match="exists"):
        RawWriter(tmp_path / "new.cu8", "cu8")
