"""Who is talking, and what it costs: a regent-net stretch (the base and eleven stations, CTCSS,
ANI on every over, doublings) as a 2.4 MS/s cu8 recording, one channel scored in one pass.

- ``stations_on``: the whole score pass with station identity (the three ANI decoders on the
  receiver's audio, the station clues that split transmissions, the attribution);
- ``stations_off``: the same pass with ``Settings(stations=False)`` (the reference, in the
  same run): the cost of station identity is the ratio, to be at most 1.15.

MS/s of input, single thread; ``x real time`` = MS/s / 2.4.
"""

import pytest

from bench.smoke import size
from htdsp.pipeline import Channel, Session, Settings
from htdsp.sim.engine import simulate
from htdsp.sim.scenarios import scenario
from htdsp.sources import FileSource

FS = 2.4e6
SECONDS = size(40.0, 1.5)


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    sc = scenario("regent-net", SECONDS)
    sc.fs = FS
    path = tmp_path_factory.mktemp("net") / "net.sigmf-meta"
    simulate(sc, str(path))
    return path, sc.offset_hz


def _score(path, off, stations):
    from htdsp.io import open_recording

    src = FileSource(open_recording(path))
    s = Session(src.info, src.format, [Channel(off)], Settings(stations=stations))
    s.run(src)
    return s.finish()


@pytest.mark.parametrize("stations", [True, False], ids=["on", "off"])
def test_stations(benchmark, measure, recording, stations):
    path, off = recording
    benchmark.group = "stations"
    entries = measure(_score, int(FS * SECONDS), path, off, stations, rounds=3)
    assert entries[0]["summary"]["transmissions"] >= 1
