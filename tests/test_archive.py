"""``htdsp score`` over an archive: 40 small simulated captures and two bad inputs, scored in
this process and on a real Dask local cluster of worker processes (one killed mid-run), a
rerun from the cache, one capture changed."""

import contextlib
import copy
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from htdsp.archive import engine
from htdsp.cli import archive, build_parser
from tests.cli import run_cli

N_CAPTURES = 40


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory):
    """40 captures of 1 s at 250 kS/s in two day folders (a SigMF pair each), an empty
    recording and one with broken metadata."""
    root = tmp_path_factory.mktemp("archive")
    for i in range(N_CAPTURES):
        day = root / f"day{i % 2 + 1}"
        day.mkdir(exist_ok=True)
        scen = "clear-los" if i % 3 else "weak-edge"
        r = run_cli("simulate", "--scenario", scen, "--rate", "250k", "--duration", "1s",
                    "--seed", i, "-q", "-o", day / f"c{i:02d}.sigmf-meta")
        assert r.returncode == 0, r.stderr
    (root / "day1" / "empty.cu8").write_bytes(b"")
    (root / "day2" / "broken.sigmf-meta").write_text('{"global": {"core:datatype": ')
    return root


def _recordings(root):
    """The archive's inputs as a plain run lists them (the archive's order: folders and
    files sorted), the two bad ones among them."""
    return sorted(str(p) for p in root.rglob("*")
                  if p.suffix in (".sigmf-meta", ".cu8"))


@pytest.fixture(scope="session")
def sequential(archive_dir, tmp_path_factory):
    """The archive as a plain run of its files scores it: one process, one station book."""
    out = tmp_path_factory.mktemp("seq")
    r = run_cli("score", *_recordings(archive_dir), "--json", out / "a.json", text=True)
    return r, json.loads((out / "a.json").read_text())


def _plain(doc):
    """An archive's document without its archive views (the rest is a plain run's)."""
    doc = copy.deepcopy(doc)
    doc.pop("archive")
    return doc


@pytest.fixture(scope="session")
def in_order(archive_dir, tmp_path_factory):
    """The archive scored in this process (--jobs 1, no cluster), into its own cache."""
    out = tmp_path_factory.mktemp("arch")
    r = run_cli("score", archive_dir, "--cache-dir", out / "cache", "--json", out / "a.json",
                text=True)
    return r, json.loads((out / "a.json").read_text()), out / "cache"


def test_an_archive_run_is_the_plain_run_with_its_views(in_order, sequential):
    r, doc, _ = in_order
    _, seq = sequential
    assert r.returncode == 2                       # some inputs were bad
    assert _plain(doc) == seq
    # one station book across the captures, as the plain run's: a station heard in many
    assert max(v["captures"] for v in doc["archive"]["views"]["station"].values()) > 1
    assert len({c["source"]["path"] for c in doc["captures"]}) == N_CAPTURES
    bad = sorted(os.path.basename(e["path"]) for e in doc["errors"])
    assert bad == ["broken.sigmf-meta", "empty.cu8"]
    for name in bad:
        assert sum(name in line and "error" in line for line in r.stderr.splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert doc["archive"]["captures"] == N_CAPTURES + 2
    assert sum(v["captures"] for v in doc["archive"]["views"]["day"].values()) == N_CAPTURES


def _kill_one_worker(client):
    """After the first result: SIGKILL one worker process (its task is run again)."""
    state = {"done": False}

    def on_result(i, result):
        if not state["done"]:
            state["done"] = True
            pid = next(iter(client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)
    return on_result, state


def test_a_cluster_with_a_worker_killed_gives_the_plain_run_s_document(archive_dir,
                                                                       sequential, tmp_path):
    """A local cluster of 2 with one worker process SIGKILLed after the first result."""
    from distributed import Client, LocalCluster

    _, seq = sequential
    args = build_parser().parse_args(["score", str(archive_dir), "--jobs", "2", "--no-cache",
                                      "-q", "--json", str(tmp_path / "d.json")])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        on_result, state = _kill_one_worker(client)
        rc = archive.run(args, client=client, on_result=on_result)
    assert state["done"]
    assert rc == 2
    doc = json.loads((tmp_path / "d.json").read_text())
    assert _plain(doc) == seq


def test_a_rerun_scores_nothing_and_starts_no_cluster(archive_dir, in_order, tmp_path,
                                                      monkeypatch):
    _, seq, cache = in_order
    cache2 = tmp_path / "cache"
    shutil.copytree(cache, cache2)

    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started")
    monkeypatch.setattr(engine, "cluster_client", no_cluster)
    r = run_cli("score", archive_dir, "--jobs", "2", "--cache-dir", cache2, "--json",
                tmp_path / "b.json", text=True)
    assert f"{N_CAPTURES + 2} unchanged" in r.stderr and "0 to score" in r.stderr
    assert r.returncode == 2
    assert json.loads((tmp_path / "b.json").read_text()) == seq


def test_a_changed_or_corrupt_entry_is_scored_again_alone(archive_dir, tmp_path,
                                                         monkeypatch):
    work = tmp_path / "archive"
    work.mkdir()
    for n in ("c00", "c02", "c04"):
        for ext in (".sigmf-meta", ".sigmf-data"):
            shutil.copy2(archive_dir / "day1" / (n + ext), work / (n + ext))
    cache = tmp_path / "cache"
    scored = []
    real = archive.score_capture
    monkeypatch.setattr(archive, "score_capture",
                        lambda task: scored.append(os.path.basename(task["path"])) or
                        real(task))
    run_cli("score", work, "--cache-dir", cache, "-q", "--json", tmp_path / "0.json")
    assert sorted(scored) == ["c00.sigmf-meta", "c02.sigmf-meta", "c04.sigmf-meta"]
    data = work / "c02.sigmf-data"
    b = bytearray(data.read_bytes())
    b[len(b) // 2] ^= 0xFF
    data.write_bytes(bytes(b))
    scored.clear()
    r = run_cli("score", work, "--cache-dir", cache, "--json", tmp_path / "1.json",
                text=True)
    assert scored == ["c02.sigmf-meta"], r.stderr
    assert "2 unchanged" in r.stderr and "1 to score" in r.stderr
    entries = sorted(cache.rglob("*.entry"), key=os.path.getmtime)
    entries[-1].write_bytes(entries[-1].read_bytes()[:-100])      # cut short
    scored.clear()
    run_cli("score", work, "--cache-dir", cache, "-q", "--json", tmp_path / "2.json")
    assert scored == ["c02.sigmf-meta"]
    assert json.loads((tmp_path / "2.json").read_text()) == \
        json.loads((tmp_path / "1.json").read_text())


@pytest.mark.parametrize("argv, needle", [
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "many"], "--jobs"),
    (["--scheduler", "nowhere"], "--scheduler"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
])
def test_impossible_engine_options_are_one_line_and_exit_2(archive_dir, tmp_path, argv,
                                                           needle, monkeypatch):
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT_S", 1.0)     # (5 s in use: not waited here)
    r = run_cli("score", archive_dir / "day1" / "c00.sigmf-meta", *argv, "--no-cache", "-q",
                "--json", tmp_path / "x.json", text=True)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
    assert not (tmp_path / "x.json").exists()


def test_the_archive_document_is_valid_and_its_views_count_every_capture(in_order):
    import jsonschema

    from htdsp.sinks.document import schema

    _, doc, _ = in_order
    jsonschema.validate(doc, schema())
    views = doc["archive"]["views"]
    assert set(views) == {"day", "site", "location", "channel", "station"}
    for v in ("day", "site", "location", "channel"):
        assert sum(g["channels"] for g in views[v].values()) == len(doc["captures"])
    assert sum(g["pass"] + g["fail"] + g["unusable"] for g in views["day"].values()) == \
        len(doc["captures"])


def test_a_manifest_names_captures_their_site_and_location(archive_dir, tmp_path):
    m = tmp_path / "north.manifest.csv"
    day1 = archive_dir / "day1"
    m.write_text("path,location,site\n"
                 f"{day1 / 'c00.sigmf-meta'},hill-7,north-tower\n"
                 f"{day1 / 'c02.sigmf-meta'},hill-7,\n")
    r = run_cli("score", m, "--no-cache", "-q", "--json", tmp_path / "m.json", text=True)
    doc = json.loads((tmp_path / "m.json").read_text())
    assert [os.path.basename(c["source"]["path"]) for c in doc["captures"]] == \
        ["c00.sigmf-meta", "c02.sigmf-meta"], r.stderr
    views = doc["archive"]["views"]
    assert views["location"]["hill-7"]["captures"] == 2
    assert views["site"]["north-tower"]["captures"] == 1
    hw = json.loads((day1 / "c02.sigmf-meta").read_text())["global"]["core:hw"]
    assert views["site"][hw]["captures"] == 1            # no site given: the SigMF core:hw


def _boom(x):
    if x == 1:
        raise RuntimeError("worker lost")
    return x * 10


def test_a_task_dask_gives_up_on_is_that_capture_s_error_and_the_rest_complete():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        got = dict(engine.run_tasks(_boom, [0, 1, 2], client=client,
                                    on_error=lambda p, e: f"failed {p}: {e}"))
    assert got == {0: 0, 1: "failed 1: worker lost", 2: 20}


def _without_views(html):
    """An HTML report without its archive section (whitespace folded)."""
    import re

    html = re.sub(r"<h2>Archive</h2>.*?(?=<h2>)", "", html, flags=re.S)
    return re.sub(r"\s+", " ", html)


@contextlib.contextmanager
def dask_cluster(folder, workers):
    """A Dask cluster as README tells one to start: ``dask scheduler`` and ``dask worker``,
    each its own process (as on other machines); yields the scheduler's address."""
    from distributed import Client

    info = folder / "scheduler.json"
    dask = [os.path.join(os.path.dirname(sys.executable), "dask")]
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(info)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        procs.append(subprocess.Popen([*dask, "worker", "--scheduler-file", str(info),
                                       "--nthreads", "1", "--nworkers", str(workers),
                                       "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))
        with Client(scheduler_file=str(info), timeout=60) as c:
            c.wait_for_workers(workers, timeout=60)
            address = c.scheduler.address
        yield address
    finally:
        for p in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture(scope="module")
def dask_address(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as address:
        yield address


_ROSTER = "[[station]]\nname = 'base'\nani = ['dtmf:100']\n"
_ALL_REPORTS = {"--json": "r.json", "--csv": "r.csv", "--events-csv": "r.events.csv",
                "--html": "r.html", "--jsonl": "r.jsonl"}


@pytest.mark.parametrize("case", ["every-report", "band-all-roster-lo", "band-auto-no-ani"])
def test_every_report_of_an_archive_on_a_dask_cluster_is_the_plain_run_s(
        archive_dir, tmp_path, dask_address, case):
    """The reports of an archive scored on an existing Dask cluster (``--scheduler``:
    ``dask scheduler`` and ``dask worker`` processes), or with ``--jobs 2``, are a plain
    run's, byte for byte (the HTML with the archive's own section besides): every report and
    the annotations; a band of every channel (quiet runs, twins) with a roster and an LO
    error (``--jobs 2``); a band of the used channels without ANI, with a capture that has
    none (a capture discarded part way)."""
    work = tmp_path / "archive"
    work.mkdir()
    for i in range(3):
        for ext in (".sigmf-meta", ".sigmf-data"):
            shutil.copy2(archive_dir / f"day{i % 2 + 1}" / f"c{i:02d}{ext}", work)
    (work / "empty.cu8").write_bytes(b"")
    reports = dict(_ALL_REPORTS)
    more = ["--annotate"]
    if case != "every-report":
        del reports["--html"]
        more = ["--channels", "all" if case == "band-all-roster-lo" else "auto"]
    if case == "band-all-roster-lo":
        (tmp_path / "net.toml").write_text(_ROSTER)
        more += ["--roster", tmp_path / "net.toml", "--lo-ppm", "2"]
    if case == "band-auto-no-ani":
        more += ["--ani", "none"]
        r = run_cli("simulate", "--scenario", "clear-los", "--rate", "250k", "--duration",
                    "1s", "--cnr", "-30", "-q", "-o", work / "c09-noise.sigmf-meta")
        assert r.returncode == 0

    def score(where, *inputs, extra=()):
        where.mkdir()
        argv = [a for opt, name in reports.items() for a in (opt, where / name)]
        r = run_cli("score", *inputs, *argv, *more, *extra, text=True)
        for p in work.glob("*.scored.sigmf-meta"):      # (written beside the inputs)
            p.rename(where / p.name)
        return r

    plain = score(tmp_path / "plain", *_recordings(work))
    # (one case through --jobs 2: the local cluster htdsp starts itself)
    on = ("--jobs", "2") if case == "band-all-roster-lo" else ("--scheduler", dask_address)
    arch = score(tmp_path / "arch", work, extra=(*on, "--no-cache"))
    assert plain.returncode == arch.returncode == 2, arch.stderr
    assert "Traceback" not in arch.stderr
    p, a = tmp_path / "plain", tmp_path / "arch"
    for name in ("r.csv", "r.events.csv", "r.jsonl"):
        assert (a / name).read_bytes() == (p / name).read_bytes(), name
    doc = json.loads((a / "r.json").read_text())
    assert _plain(doc) == json.loads((p / "r.json").read_text())
    if case == "band-auto-no-ani":
        assert any("no carrier seen" in e["error"] for e in doc["errors"])
    if case == "band-all-roster-lo":
        assert sum(c["channel"]["activity"] == "idle" for c in doc["captures"]) > 3
    if case != "every-report":
        return
    ha = (a / "r.html").read_text()
    assert "<h2>Archive</h2>" in ha and "Per station" in ha
    assert _without_views(ha) == _without_views((p / "r.html").read_text())
    meta = sorted(x.name for x in p.glob("*.scored.sigmf-meta"))
    assert len(meta) == 3 and meta == sorted(x.name for x in a.glob("*.scored.sigmf-meta"))
    for name in meta:
        assert (a / name).read_bytes() == (p / name).read_bytes(), name


def test_results_that_come_early_wait_on_disk_and_are_replayed_in_order(tmp_path):
    from htdsp.cli.archive import _InOrder

    got = []
    order = _InOrder(lambda i, r: got.append((i, r, sorted(os.listdir(tmp_path)))), None,
                     str(tmp_path))
    for i in (3, 1, 2):
        order.arrived(i, {"n": i})
    assert got == [] and sorted(os.listdir(tmp_path)) == ["1.result", "2.result",
                                                          "3.result"]
    order.arrived(0, {"n": 0})
    assert [(i, r["n"]) for i, r, _ in got] == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert got[1][2] == ["2.result", "3.result"]    # each read from disk, then removed
    assert os.listdir(tmp_path) == []


def test_a_cache_entry_of_another_user_is_not_read(tmp_path, monkeypatch):
    from htdsp.archive.cache import ResultCache

    c = ResultCache(tmp_path)
    c.put("a" * 64, {"log": b"x"})
    assert c.get("a" * 64) == {"log": b"x"}
    monkeypatch.setattr(os, "getuid", lambda: os.stat(c.path("a" * 64)).st_uid + 1)
    assert c.get("a" * 64) is None                 # (a pickle runs code: only one's own)


def test_a_cache_that_cannot_be_written_is_said_once_and_the_run_goes_on(archive_dir,
                                                                        tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    r = run_cli("score", archive_dir / "day1" / "c00.sigmf-meta",
                archive_dir / "day1" / "c02.sigmf-meta", "--cache-dir", blocked, "-q",
                "--json", tmp_path / "x.json", text=True)
    assert r.returncode in (0, 1), r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if "cache" in ln]
    assert len(warnings) == 1 and str(blocked) in warnings[0], r.stderr
    assert len(json.loads((tmp_path / "x.json").read_text())["captures"]) == 2


def test_a_result_kept_without_the_waterfall_serves_all_but_the_html(archive_dir, tmp_path,
                                                                     monkeypatch):
    work = tmp_path / "archive"
    work.mkdir()
    for ext in (".sigmf-meta", ".sigmf-data"):
        shutil.copy2(archive_dir / "day1" / ("c02" + ext), work)
    cache = tmp_path / "cache"
    scored = []
    real = archive.score_capture
    monkeypatch.setattr(archive, "score_capture",
                        lambda task: scored.append(task["waterfall"]) or real(task))
    for n, more in enumerate([(), ("--csv", tmp_path / "w.csv"),
                              ("--html", tmp_path / "w.html"), ("--html", tmp_path / "x.html"),
                              ()]):
        r = run_cli("score", work, "--cache-dir", cache, "-q", "--json", tmp_path / f"{n}.json",
                    *more, text=True)
        assert r.returncode in (0, 1), r.stderr
    assert scored == [False, True]                 # once plain, once for the first HTML
    assert (tmp_path / "w.html").read_text() == (tmp_path / "x.html").read_text()
    docs = [json.loads((tmp_path / f"{n}.json").read_text()) for n in range(5)]
    assert all(d == docs[0] for d in docs)


def test_a_capture_discarded_part_way_leaves_the_book_as_a_plain_run_s():
    """A worker's capture that failed after a transmission was attributed: the replay tells
    the sinks to discard it and the book to take its transmissions away, keeping what they
    taught (as :meth:`htdsp.pipeline.Session.discard` does in a plain run)."""
    from types import SimpleNamespace as NS

    import numpy as np

    from htdsp.archive.replay import BookLog, CaptureLog, replay
    from htdsp.pipeline import Scoring, Settings, Sink
    from htdsp.records import TransmissionRecord
    from htdsp.stations import StationBook

    def tx():
        return TransmissionRecord(start_s=0.0, end_s=3.0, freq_error_hz=-20.0,
                                  rssi_dbfs=-30.0)

    log = CaptureLog()
    session = NS(info=NS(path="a.cu8", sample_rate_hz=250e3), band=None)
    run = NS(freq_hz=145e6, offset_hz=0.0, chosen="given",
             meter=NS(envelope=lambda a, b: (np.ones(8), 100.0)))
    log.start(session)
    log.add_run(session, run)
    t = tx()
    BookLog(log).attribute(t, capture="a.cu8", channel=145e6)
    log.transmission(run, t)
    log.discard(session)

    heard = []

    class Heard(Sink):
        def transmission(self, run, t):
            heard.append("transmission")

        def discard(self, session):
            heard.append("discard")

    sc = Scoring(Settings(), [Heard()])
    assert replay(sc, log.getvalue()) is None
    assert heard == ["transmission", "discard"]
    plain = StationBook()
    plain.attribute(tx(), capture="a.cu8", channel=145e6)
    plain.discard("a.cu8")

    def state(book):
        return [(e.label, e.carrier.n, dict(e.caps)) for e in book.entries], book.heard()
    assert state(sc.stations) == state(plain)
    assert sc.stations.entries and sc.stations.entries[0].carrier.n == 1   # (it taught)
    assert not sc.stations.entries[0].caps                                 # (its own: gone)


def test_a_directory_gives_its_recordings_not_a_pair_s_data_file_nor_audio():
    """The bundled captures: the kpbenz SigMF metadata names its data file ``capture.cu8``
    (``core:dataset``: that pair's data half) and holds ``output.wav`` (mono audio): neither
    is a recording of its own."""
    from pathlib import Path

    from htdsp.archive.inputs import expand

    root = Path(__file__).resolve().parents[1] / "captures"
    caps, problems = expand([root])
    names = sorted(os.path.relpath(c.path, root) for c in caps)
    assert problems == [] and names == [
        "band/band.sigmf-meta", "kpbenz-2m-nfm-voice/capture.sigmf-meta",
        *(f"synthetic/{n}.sigmf-meta" for n in ("clear-los", "ctcss-net", "hill-shadow",
                                                "interference", "weak-edge"))]
    assert (root / "kpbenz-2m-nfm-voice" / "capture.cu8").exists()
    assert (root / "kpbenz-2m-nfm-voice" / "output.wav").exists()
