"""Live links: the rtl_tcp replay server, the sources (rtl_tcp client, a fake librtlsdr), the
recorder, and ``htdsp live`` end to end over loopback, with the faults the issue names."""

import errno
import json
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from htdsp.cli import main
from htdsp.io import open_recording
from htdsp.replay import ReplayServer
from htdsp.sinks.recorder import Recorder
from htdsp.sinks.terminal import LiveDisplay
from htdsp.sources import (
    Chunk,
    FileSource,
    RtlSdrSource,
    RtlTcpSource,
    SourceLost,
    pack_command,
)

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.sigmf-meta"
CAPTURE_BYTES = (CAPTURE.with_name("capture.cu8")).read_bytes()
FS = 280000.0
N = len(CAPTURE_BYTES) // 2


def _replay(*extra):
    """``htdsp replay`` in a subprocess; returns (process, port)."""
    p = subprocess.Popen([sys.executable, "-m", "htdsp.cli", "replay", str(CAPTURE), "--port",
                          "0", *extra], stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = p.stderr.readline()
    assert "serving" in line, line
    return p, int(line.rsplit(":", 1)[1])


@pytest.fixture
def server():
    """An in-process replay server on a free port (no pacing, no loop)."""
    rec = open_recording(CAPTURE)
    logs = []
    srv = ReplayServer(rec, port=0, log=logs.append, send_timeout_s=1.0).bind()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv, logs
    srv.stop()
    t.join(timeout=3)


def _read_all(port, **kw):
    src = RtlTcpSource("127.0.0.1", port, 144.47e6, FS, retries=0, timeout_s=2.0, **kw)
    data = []
    with pytest.raises(SourceLost):         # without --loop the server closes at the end
        for ch in src:
            assert ch.index == sum(d.size for d in data) // 2 and ch.lost == 0
            data.append(ch.data.copy())
    return np.concatenate(data)


def test_replay_serves_the_recording_byte_for_byte(server):
    srv, logs = server
    got = _read_all(srv.port)
    assert got.tobytes() == CAPTURE_BYTES
    assert any("set_gain_mode" in m for m in logs)          # logged what it cannot honour


def test_replay_converts_other_formats_to_cu8(tmp_path):
    from htdsp.sim.engine import Scenario, simulate
    from htdsp.sim.transmitter import Transmitter

    sc = Scenario(duration_s=0.2, fs=240e3, datatype="cf32", seed=1,
                  transmitters=[Transmitter()])
    simulate(sc, str(tmp_path / "f.sigmf-meta"))
    rec = open_recording(tmp_path / "f.sigmf-meta")
    srv = ReplayServer(rec, port=0).bind()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        src = RtlTcpSource("127.0.0.1", srv.port, 145.2e6, 240e3, retries=0, timeout_s=2.0)
        data = []
        with pytest.raises(SourceLost):
            for ch in src:
                data.append(ch.data.copy())
    finally:
        srv.stop()
    got = np.concatenate(data)
    x = np.concatenate([c for _, c in rec.chunks(raw=False)])
    assert got.size == 2 * x.size
    back = (got.astype(np.float32) - 127.5) / 127.5
    assert np.max(np.abs(back[0::2] - x.real)) <= 0.5 / 127.5 + 1e-6


def test_replay_survives_garbage_and_stalled_clients(server):
    srv, logs = server
    # garbage: unknown command codes (the server does not stream past them)
    g = socket.create_connection(("127.0.0.1", srv.port))
    assert g.recv(12)[:4] == b"RTL0"
    g.sendall(bytes([0xEE, 1, 2, 3, 4]) * 40)
    deadline = time.time() + 5
    while not any("garbage" in m for m in logs) and time.time() < deadline:
        time.sleep(0.05)
    g.close()
    assert any("garbage" in m for m in logs)
    # and the next client is served in full
    assert _read_all(srv.port).tobytes() == CAPTURE_BYTES


def test_replay_drops_a_client_that_stops_reading():
    # a looping server (the stream never ends, so socket buffers of any size fill up)
    rec = open_recording(CAPTURE)
    logs = []
    srv = ReplayServer(rec, port=0, loop=True, log=logs.append, send_timeout_s=0.5).bind()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", srv.port))
        deadline = time.time() + 20
        while not any("stalled" in m for m in logs) and time.time() < deadline:
            time.sleep(0.1)
        s.close()
        assert any("stalled" in m for m in logs)
        # the next client is served: the recording from its start
        src = RtlTcpSource("127.0.0.1", srv.port, 144.47e6, FS, retries=0, timeout_s=2.0)
        got = b""
        for ch in src:
            got += ch.data.tobytes()
            if len(got) >= 1 << 20:
                break
        src.close()
        assert got[: 1 << 20] == CAPTURE_BYTES[: 1 << 20]
    finally:
        srv.stop()
        t.join(timeout=3)


def test_rtl_tcp_client_sends_the_commands():
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    port = lst.getsockname()[1]
    got = {}

    def fake():
        c, _ = lst.accept()
        c.sendall(b"RTL0" + struct.pack(">II", 5, 29))
        c.settimeout(2)
        buf = b""
        while len(buf) < 5 * 5:
            buf += c.recv(64)
        got["cmds"] = [struct.unpack(">BI", buf[i:i + 5]) for i in range(0, len(buf), 5)]
        c.sendall(bytes(range(10)))
        c.close()

    t = threading.Thread(target=fake, daemon=True)
    t.start()
    src = RtlTcpSource("127.0.0.1", port, 144.47e6, 2.4e6, gain_db=19.0, ppm=-3, retries=0)
    it = iter(src)
    first = next(it)
    t.join(2)
    assert first.data.tolist() == list(range(10))
    assert got["cmds"] == [(0x02, 2400000), (0x01, 144470000), (0x05, (-3) & 0xFFFFFFFF),
                           (0x03, 1), (0x04, 197)]
    assert pack_command(0x0E, 1) == b"\x0e\x00\x00\x00\x01"


def test_stalled_server_is_lost_after_retries():
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    port = lst.getsockname()[1]
    conns = []

    def stall():                              # header, then nothing, on every connection
        lst.settimeout(5)
        try:
            while True:
                c, _ = lst.accept()
                c.sendall(b"RTL0" + struct.pack(">II", 5, 29))
                conns.append(c)
        except OSError:
            pass

    threading.Thread(target=stall, daemon=True).start()
    logs = []
    src = RtlTcpSource("127.0.0.1", port, 1e8, 1e6, timeout_s=0.3, retries=2, backoff_s=0.05,
                       log=logs.append)
    t0 = time.monotonic()
    with pytest.raises(SourceLost, match="gave up after 2 retries"):
        for _ in src:
            pass
    assert time.monotonic() - t0 < 5 and len(conns) == 3      # first try + 2 reconnections
    lst.close()


def test_reconnect_counts_the_lost_samples():
    # a server that sends 1000 samples, drops the client, then serves again after 0.3 s
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    port = lst.getsockname()[1]

    def serve():
        for k in range(2):
            c, _ = lst.accept()
            c.sendall(b"RTL0" + struct.pack(">II", 5, 29) + bytes([k]) * 2000)
            if k == 0:
                time.sleep(0.05)
                c.close()
                time.sleep(0.3)
            else:
                time.sleep(0.2)
                c.close()

    threading.Thread(target=serve, daemon=True).start()
    src = RtlTcpSource("127.0.0.1", port, 1e8, 100e3, timeout_s=1.0, retries=1, backoff_s=0.01)
    chunks = []
    with pytest.raises(SourceLost):
        for ch in src:
            chunks.append((ch.index, ch.samples, ch.lost, int(ch.data[0])))
    firsts = [c for c in chunks if c[3] == 0]
    seconds = [c for c in chunks if c[3] == 1]
    assert sum(c[1] for c in firsts) == 1000 and sum(c[1] for c in seconds) == 1000
    lost = seconds[0][2]
    assert 0.3 * 100e3 * 0.8 < lost < 0.3 * 100e3 * 3       # about the wall-clock gap
    assert seconds[0][0] == 1000 + lost and src.lost == lost and src.reconnects == 1


class FakeRtlSdr:
    """The part of pyrtlsdr's RtlSdr that htdsp uses, producing bursts of transfers faster
    than a slow consumer takes them (to provoke overruns)."""

    instances = []

    def __init__(self, device_index=0):
        self.device_index = device_index
        self.valid_gains_db = [0.0, 9.0, 19.7, 49.6]
        self.calls = {}
        self._cancel = threading.Event()
        FakeRtlSdr.instances.append(self)

    def __setattr__(self, k, v):
        if k in ("sample_rate", "center_freq", "gain", "freq_correction"):
            self.calls[k] = v
        object.__setattr__(self, k, v)

    def set_bias_tee(self, on):
        self.calls["bias_tee"] = on

    def read_bytes_async(self, callback, num_bytes):
        for k in range(40):                       # 40 transfers, numbered by their bytes
            if self._cancel.is_set():
                return
            callback(bytes([k % 256]) * num_bytes, None)
        time.sleep(0.05)

    def cancel_read_async(self):
        self._cancel.set()

    def close(self):
        self.calls["closed"] = True


def test_rtlsdr_source_counts_overruns_with_a_fake_driver():
    src = RtlSdrSource(0, 144.47e6, 2.4e6, gain_db=20.0, ppm=5, bias_tee=True,
                       queue_transfers=4, transfer_bytes=1024, driver=FakeRtlSdr)
    dev = FakeRtlSdr.instances[-1]
    assert dev.calls["gain"] == 19.7 and dev.calls["freq_correction"] == 5
    assert dev.calls["bias_tee"] is True and dev.calls["sample_rate"] == 2.4e6
    got = []
    for ch in src:
        time.sleep(0.01)                          # a consumer slower than the dongle
        got.append(ch)
    src.close()
    assert dev.calls["closed"]
    delivered = len(got)
    assert src.overruns == 40 - delivered > 0
    assert src.lost == src.overruns * 512               # 1024 bytes = 512 samples each
    # time keeps its count: every chunk's index = samples before it, lost ones included
    pos = 0
    for ch in got:
        pos += ch.lost
        assert ch.index == pos
        pos += ch.samples
    assert pos == 40 * 512


def test_rtlsdr_without_the_driver_is_a_clear_error(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_rtlsdr(name, *a, **k):
        if name == "rtlsdr":
            raise ImportError("No module named 'rtlsdr'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_rtlsdr)
    from htdsp.errors import HtdspError

    with pytest.raises(HtdspError, match=r"pip install 'htdsp\[rtlsdr\]'"):
        RtlSdrSource(0, 1e8, 2.4e6)


def test_file_source_paces_and_indexes():
    src = FileSource(open_recording(CAPTURE), realtime=True, chunk_samples=28000)
    t0 = time.monotonic()
    idx = []
    for ch in src:
        idx.append(ch.index)
        if len(idx) == 6:
            break
    assert idx == [28000 * k for k in range(6)]
    assert time.monotonic() - t0 >= 0.45           # 5 chunks of 0.1 s paced


@pytest.mark.hardware
def test_a_real_dongle_delivers_samples():
    src = RtlSdrSource(0, 145e6, 2.4e6)
    n = 0
    for ch in src:
        n += ch.samples
        if n > 2.4e6:
            break
    src.close()
    assert n > 2.4e6


# ------------------------------------------------------------------ htdsp live end to end
def test_live_over_loopback_matches_score_on_the_file(tmp_path):
    p, port = _replay("--loop")           # unpaced: the samples, not the pace, are compared
    try:
        out, rec = tmp_path / "live.json", tmp_path / "live.sigmf-meta"
        code = main(["live", "--rtltcp", f"127.0.0.1:{port}", "--center", "144.47M", "--rate",
                     "280k", "--duration", f"{N / FS:.10f}", "--channel", "144.5M", "--json",
                     str(out), "--record", str(rec), "-q"])
    finally:
        p.terminate()
        p.wait(5)
    assert code == 0
    assert (tmp_path / "live.sigmf-data").read_bytes() == CAPTURE_BYTES   # exactly what served
    r = open_recording(rec)
    assert r.sample_rate_hz == FS and r.center_freq_hz == 144.47e6
    assert main(["score", str(CAPTURE), "--channel", "144.5M", "--json",
                 str(tmp_path / "file.json"), "-q"]) == 0
    live = json.loads(out.read_text())["captures"][0]
    file = json.loads((tmp_path / "file.json").read_text())["captures"][0]
    assert [(e["start_sample"], e["end_sample"]) for e in live["events"]] == \
        [(e["start_sample"], e["end_sample"]) for e in file["events"]]
    for k, v in file["summary"].items():
        if k != "location":
            assert live["summary"][k] == v, k
    meta = json.loads(rec.read_text())
    assert meta["global"]["htdsp:live"]["ppm"] == 0 and "rtl_tcp" in meta["global"]["core:hw"]


def test_server_killed_mid_stream_exit_3_and_a_valid_partial_recording(tmp_path, capsys):
    p, port = _replay("--realtime")
    threading.Timer(1.5, p.kill).start()
    rec = tmp_path / "part.sigmf-meta"
    code = main(["live", "--rtltcp", f"127.0.0.1:{port}", "--center", "144.47M", "--rate",
                 "280k", "--channel", "144.5M", "--record", str(rec), "--json",
                 str(tmp_path / "p.json"), "-q"])
    p.wait(5)
    assert code == 3
    err = capsys.readouterr().err
    assert "rtl_tcp 127.0.0.1" in err and "finalising" in err
    r = open_recording(rec)
    assert 0.5 * FS < r.samples < 4 * FS
    assert (tmp_path / "part.sigmf-data").read_bytes() == CAPTURE_BYTES[: 2 * r.samples]
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["captures"][0]["source"]["samples"] == r.samples


def test_unreachable_server_exit_3(tmp_path, capsys, quick_retries):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                        # nothing listens there
    code = main(["live", "--rtltcp", f"127.0.0.1:{port}", "--center", "144.47M", "--rate",
                 "280k", "--channel", "144.5M", "-q"])
    assert code == 3 and "gave up" in capsys.readouterr().err


# ------------------------------------------------------------------ recorder
def _chunks(n_chunks=20, size=14000):
    data = np.frombuffer(CAPTURE_BYTES, np.uint8)
    for k in range(n_chunks):
        yield Chunk(k * size, data[2 * k * size:2 * (k + 1) * size])


def test_recorder_full_disk_stops_cleanly(tmp_path, monkeypatch):
    free = {"n": 10**12}

    def usage(_):
        return shutil._ntuple_diskusage(10**12, 10**12 - free["n"], free["n"])

    monkeypatch.setattr(shutil, "disk_usage", usage)
    logs = []
    r = Recorder(str(tmp_path / "d.sigmf-meta"), "full", fs=FS, center_hz=144.47e6, fmt="cu8",
                 metadata={"hw": "test"}, log=logs.append)
    for k, ch in enumerate(_chunks()):
        if k == 7:
            free["n"] = 10 << 20                   # 10 MiB left: below the 100 MiB floor
        r.write(ch.data, ch.index)
    r.close()
    assert r.stopped and "disk nearly full" in r.stopped and any("stopped" in m for m in logs)
    rec = open_recording(tmp_path / "d.sigmf-meta")
    assert rec.samples == 7 * 14000


def test_recorder_no_space_error_keeps_a_valid_file(tmp_path, monkeypatch):
    r = Recorder(str(tmp_path / "e.sigmf-meta"), "full", fs=FS, center_hz=144.47e6, fmt="cu8",
                 metadata={"hw": "test"})
    chunks = list(_chunks(6))
    for ch in chunks[:3]:
        r.write(ch.data, ch.index)
    w = r._w
    real_write = w._data.write

    def full(b):
        real_write(b[: len(b) // 3 + 1])           # a partial write, then the device is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(w._data, "write", full)
    r.write(chunks[3].data, chunks[3].index)
    assert r.stopped == "no space left on the device"
    r.write(chunks[4].data, chunks[4].index)         # ignored once stopped
    rec = open_recording(tmp_path / "e.sigmf-meta")
    assert rec.samples == 3 * 14000


def test_recorder_rotates_and_marks_lost_samples(tmp_path):
    r = Recorder(str(tmp_path / "rot.sigmf-meta"), "full", fs=FS, center_hz=1e8, fmt="cu8",
                 metadata={"hw": "t"}, rotate_s=0.2)
    data = np.frombuffer(CAPTURE_BYTES, np.uint8)
    r.write(data[:2 * 28000], 0)
    r.write(data[2 * 28000:2 * 42000], 28000)
    r.write(data[2 * 42000:2 * 60000], 44000, lost=2000)      # 2000 lost before this chunk
    r.write(data[2 * 60000:2 * 90000], 62000)
    r.close()
    names = [Path(f).name for f in r.files]
    assert names == ["rot-000.sigmf-meta", "rot-001.sigmf-meta"]
    m0 = json.loads((tmp_path / names[0]).read_text())
    assert [c.get("core:global_index") for c in m0["captures"]] == [None, 44000]
    assert m0["annotations"][0]["htdsp:lost_samples"] == 2000
    m1 = json.loads((tmp_path / names[1]).read_text())
    assert m1["captures"][0]["core:global_index"] == 62000
    assert open_recording(tmp_path / names[1]).samples == 30000


def test_recorder_squelched_keeps_only_transmissions(tmp_path):
    r = Recorder(str(tmp_path / "sq.sigmf-meta"), "squelched", fs=FS, center_hz=1e8,
                 fmt="cu8", metadata={"hw": "t"})
    data = np.frombuffer(CAPTURE_BYTES, np.uint8)
    size = 14000                                       # 50 ms chunks
    opened = {20, 21, 22, 40}                          # chunks after which the squelch is open
    for k in range(50):
        r.write(data[2 * k * size:2 * (k + 1) * size], k * size, squelch_open=k in opened)
    r.close()
    meta = json.loads((tmp_path / "sq.sigmf-meta").read_text())
    gi = [c.get("core:global_index") for c in meta["captures"]]
    pre = int(np.ceil(0.5 * FS / size))                # 0.5 s of chunks, the opening one too
    assert gi == [(21 - pre) * size, (41 - pre) * size]
    rec = open_recording(tmp_path / "sq.sigmf-meta")
    assert rec.samples == (pre + 2 + pre) * size


def test_live_record_channel_mode(tmp_path):
    p, port = _replay()
    try:
        rec = tmp_path / "ch.sigmf-meta"
        main(["live", "--rtltcp", f"127.0.0.1:{port}", "--center", "144.47M", "--rate", "280k",
              "--duration", "2", "--channel", "144.5M", "--record", str(rec),
              "--record-mode", "channel", "-q"])
    finally:
        p.terminate()
        p.wait(5)
    r = open_recording(rec)
    assert r.datatype == "cf32_le" and r.sample_rate_hz == 40000.0
    assert r.center_freq_hz == 144.5e6 and abs(r.samples - 2 * 40000) <= 8


def test_live_display_renders_the_numbers():
    from htdsp.pipeline import Channel, Session
    from htdsp.sources import SourceInfo

    sc = Session(SourceInfo("live", "cu8", FS, 144.47e6), "cu8", [Channel(30000.0)])
    data = np.frombuffer(CAPTURE_BYTES, np.uint8)
    sc.feed(data[: 2 * int(2.5 * FS)])
    src = FileSource(open_recording(CAPTURE))
    d = LiveDisplay(out=None)
    lines = d.render(sc, src, None, 2.5)
    assert "144.5000 MHz" in lines[0]
    assert lines[1].startswith("RSSI ###") and "dBFS" in lines[1]
    assert "CNR 58" in lines[2] and "squelch OPEN" in lines[3]
    # who is talking: the over so far against the stations heard (none yet: unknown)
    assert lines[3].endswith("talking: -")


def test_live_usage_errors():
    for argv, needle in ((["--rtltcp", "nohost"], "HOST:PORT"),
                         (["--rtltcp", "127.0.0.1:1", "--gain", "loud"], "--gain")):
        from tests.cli import run_cli

        p = run_cli("live", *argv, "--center", "144.47M", "--channel", "144.5M", text=True)
        assert p.returncode == 2 and needle in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("spec,freqs", [("144.4875M-144.5125M", [144.4875e6, 144.5e6, 144.5125e6]),
                                         ("auto", [144.5e6])])
def test_live_channels_over_loopback_match_score_on_the_file(tmp_path, spec, freqs):
    # a band watched through one filter bank (the whole chain on the channels with a carrier),
    # live over rtl_tcp and on the file: the same channels, transmissions and summaries
    p, port = _replay("--loop")
    try:
        out = tmp_path / "live.json"
        code = main(["live", "--rtltcp", f"127.0.0.1:{port}", "--center", "144.47M", "--rate",
                     "280k", "--duration", f"{N / FS:.10f}", "--channels", spec,
                     "--json", str(out), "-q"])
    finally:
        p.terminate()
        p.wait(5)
    assert code in (0, 1)
    assert main(["score", str(CAPTURE), "--channels", spec, "--json",
                 str(tmp_path / "file.json"), "-q"]) in (0, 1)
    live = json.loads(out.read_text())["captures"]
    file = json.loads((tmp_path / "file.json").read_text())["captures"]
    assert [c["channel"]["freq_hz"] for c in live] == [c["channel"]["freq_hz"] for c in file] \
        == freqs
    assert sum(len(c["events"]) for c in file) >= 1
    for a, b in zip(live, file, strict=True):
        assert [(e["start_sample"], e["end_sample"]) for e in a["events"]] == \
            [(e["start_sample"], e["end_sample"]) for e in b["events"]]
        for k, v in b["summary"].items():
            if k != "location":
                assert a["summary"][k] == v, k


def test_live_channel_recording_of_a_band_is_refused(capsys):
    assert main(["live", "--rtltcp", "127.0.0.1:1", "--center", "145M", "--channels",
                 "all", "--record", "x.sigmf-meta", "--record-mode", "channel", "-q"]) == 2
    err = capsys.readouterr().err
    assert "--record-mode channel" in err and len(err.strip().splitlines()) == 1


