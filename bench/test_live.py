"""The live pipeline on a replayed stream: ``htdsp replay`` (its own process, unpaced, looping)
serving a 2.4 MS/s cu8 recording over loopback, an rtl_tcp client, and what ``htdsp live``
runs on every chunk (every channel's receiver, squelch, decoders and meter; with ``record``,
the SigMF recorder too) for 4 s of stream. MS/s / 2.4 is the headroom over real time on one
core (the server runs on the other).
"""

import json
import subprocess
import sys

import pytest

from bench.test_chain import FS, OFFSET, N


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from bench.test_chain import nfm_tone_iq, to_cu8

    d = tmp_path_factory.mktemp("live")
    to_cu8(nfm_tone_iq(FS, OFFSET, 4.0, cnr_db=20.0, seed=1)).tofile(d / "s.sigmf-data")
    (d / "s.sigmf-meta").write_text(json.dumps({
        "global": {"core:datatype": "cu8", "core:sample_rate": FS, "core:version": "1.2.0"},
        "captures": [{"core:sample_start": 0, "core:frequency": 145.0e6}],
        "annotations": []}))
    p = subprocess.Popen([sys.executable, "-m", "htdsp.cli", "replay", str(d / "s.sigmf-meta"),
                          "--port", "0", "--loop", "-q"], stderr=subprocess.PIPE, text=True)
    port = int(p.stderr.readline().rsplit(":", 1)[1])
    yield port
    p.terminate()
    p.wait(5)


@pytest.mark.benchmark(group="live_2.4M")
@pytest.mark.parametrize("record", [False, True], ids=["score", "score_and_record"])
def test_live_pipeline_on_a_replayed_stream(measure, server, tmp_path, record):
    from htdsp.pipeline import Channel, Session
    from htdsp.sinks.recorder import Recorder, RecorderSink
    from htdsp.sources import RtlTcpSource

    def run():
        # each round records afresh over the last one (a recorder refuses that by default)
        sinks = ([RecorderSink(Recorder(str(tmp_path / "r.sigmf-meta"), "full", fs=FS,
                                        center_hz=145.0e6, fmt="cu8",
                                        metadata={"hw": "bench"}, overwrite=True))]
                 if record else [])
        src = RtlTcpSource("127.0.0.1", server, 145.0e6, FS, retries=0, timeout_s=2.0)
        sc = Session(src.info, "cu8", [Channel(OFFSET)], sinks=sinks)
        with src:
            sc.run(src, limit_samples=N)
        sc.finish()
        assert sc.samples == N
    measure(run, N, rounds=5)
