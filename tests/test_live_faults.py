"""Live sources that misbehave: a server that keeps closing (a retry budget over time, not
reset by a trickle of data: issue 12 item 10), one that serves another rate than asked (issue
13 item 5), and IPv6 on both sides (issue 12 item 17)."""

import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from htdsp.cli import main
from htdsp.io import open_recording
from htdsp.replay import ReplayServer
from htdsp.sources import RtlTcpSource, SourceLost

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.sigmf-meta"
FS = 280000.0


def _serve(host="127.0.0.1", **kw):
    logs = []
    srv = ReplayServer(open_recording(CAPTURE), host=host, port=0, log=logs.append, **kw).bind()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv, t, logs


def test_a_server_that_keeps_closing_is_lost_after_the_budget():
    # a replay without --loop: every connection gets the whole file, then is closed
    srv, t, _ = _serve()
    try:
        src = RtlTcpSource("127.0.0.1", srv.port, 144.47e6, FS, retries=3, backoff_s=0.01,
                           timeout_s=2.0)
        got = 0
        with pytest.raises(SourceLost, match="gave up after 3 retries"):
            for ch in src:
                got += ch.samples
                if src.reconnects > 10:
                    pytest.fail("reconnected for ever: data reset the retry budget")
        assert src.reconnects == 3 and got == 4 * open_recording(CAPTURE).samples
    finally:
        srv.stop()
        t.join(5)


def test_failures_spread_over_time_do_not_exhaust_the_budget():
    srv, t, _ = _serve()
    try:
        src = RtlTcpSource("127.0.0.1", srv.port, 144.47e6, FS, retries=1, backoff_s=0.01,
                           retry_window_s=0.2, timeout_s=2.0)
        it = iter(src)
        for _ in range(3):                  # each failure leaves the 0.2 s window first
            while True:
                ch = next(it)
                if ch.lost:
                    break
            time.sleep(0.3)
        assert src.reconnects >= 3
        src.close()
    finally:
        srv.stop()
        t.join(5)


def _paced_server(rate_hz, seconds):
    """An rtl_tcp server that ignores the commands and sends cu8 at ``rate_hz``."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)

    def run():
        c, _ = lst.accept()
        c.sendall(b"RTL0" + struct.pack(">II", 5, 29))
        t0 = time.monotonic()
        sent = 0
        block = np.full(2 * 2800, 128, np.uint8).tobytes()
        try:
            while time.monotonic() - t0 < seconds:
                ahead = sent / rate_hz - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
                c.sendall(block)
                sent += 2800
        except OSError:
            pass
        c.close()
        lst.close()
    threading.Thread(target=run, daemon=True).start()
    return lst.getsockname()[1]


def test_a_server_delivering_another_rate_is_unusable():
    from htdsp.sources import SourceUnusable

    port = _paced_server(FS, 5.0)
    src = RtlTcpSource("127.0.0.1", port, 144.47e6, 2.4e6, retries=0, rate_check_s=0.8)
    t0 = time.monotonic()
    with pytest.raises(SourceUnusable, match="delivers about 2[0-9]{5} S/s, not the 2400000"):
        for _ in src:
            pass
    assert time.monotonic() - t0 < 2.5
    assert SourceUnusable.exit_code == 3


def test_the_rate_asked_for_is_accepted():
    from htdsp.sources import SourceUnusable

    port = _paced_server(FS, 1.3)
    src = RtlTcpSource("127.0.0.1", port, 144.47e6, FS, retries=0, rate_check_s=0.8)
    n = 0
    with pytest.raises(SourceLost) as e:                     # the end of the stream
        for ch in src:
            n += ch.samples
    assert not isinstance(e.value, SourceUnusable) and n > 0.9 * FS


def test_replay_drops_a_client_asking_for_a_rate_it_cannot_serve(capsys, quick_retries):
    srv, t, logs = _serve()
    try:
        code = main(["live", "--rtltcp", f"127.0.0.1:{srv.port}", "--center", "144.47M",
                     "--channel", "144.5M", "--duration", "5", "-q"])        # 2.4 MS/s asked
        err = capsys.readouterr().err
        assert code == 3
        assert "never sent a sample" in err and "2400000 S/s" in err, err
        assert any("cannot be resampled: client dropped" in m for m in logs)
    finally:
        srv.stop()
        t.join(5)


def test_ipv6_on_both_sides(tmp_path):
    from htdsp.sources import parse_host_port

    srv, t, _ = _serve(host="::1")
    try:
        assert parse_host_port(f"[::1]:{srv.port}") == ("::1", srv.port)
        src = RtlTcpSource("::1", srv.port, 144.47e6, FS, retries=0)
        first = next(iter(src))
        assert first.samples > 0
        src.close()
        out = tmp_path / "v6.json"
        assert main(["live", "--rtltcp", f"[::1]:{srv.port}", "--center", "144.47M", "--rate",
                     "280k", "--channel", "144.5M", "--duration", "2", "--json", str(out),
                     "-q"]) in (0, 1)
        assert out.exists()
    finally:
        srv.stop()
        t.join(5)


@pytest.mark.parametrize("text,why", [("::1:1234", "brackets"), ("host:99999", "1-65535"),
                                      ("[::1]1234", "[IPV6]:PORT"), ("host", "HOST:PORT")])
def test_bad_host_port(text, why):
    from htdsp.sources import parse_host_port

    with pytest.raises(ValueError, match=why.replace("[", r"\[").replace("]", r"\]")):
        parse_host_port(text)
