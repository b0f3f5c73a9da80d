"""A long run holds the memory of a short one: 30 minutes of 250 kS/s cu8 (a chunk repeated,
faster than real time) through the pipeline with the JSON, JSON-lines and HTML sinks on; the
resident memory at 10 and at 30 minutes is within 5 MB. Two streams: overs of 3 s with 3 s
between them (300 transmissions, every one judged and written as it ends), and one carrier
keyed for the whole 30 minutes (a single transmission, judged as it runs). Both carry a CTCSS
tone, so the decoder's readings are exercised too. (The 6-hour, 2.4 MS/s run of the same is
``bench/test_soak.py``.)"""

import json

import numpy as np
import pytest

from htdsp.pipeline import Channel, Scoring, Settings
from htdsp.sim import Scenario, Transmitter, simulate
from htdsp.sinks.document import JsonSink
from htdsp.sinks.html import HtmlSink
from htdsp.sinks.jsonl import JsonLinesSink
from htdsp.sources import RepeatSource
from tests.proc import rss_mb

FS = 250e3
MINUTES = 30
LIMIT_MB = 5.0


def _chunk(keyed):
    sc = Scenario(duration_s=6.0, fs=FS, cnr_db=25.0, seed=3, datatype="cu8",
                  transmitters=[Transmitter(modulation="tone", ctcss_hz=123.0, keyed=keyed)])
    out = simulate(sc)
    raw = out["samples"]
    if np.iscomplexobj(raw):                    # simulate gives complex; quantise as a dongle
        from tests.signals import to_cu8

        raw = to_cu8(raw)
    return raw, sc.offset_hz


@pytest.mark.parametrize("keyed,tx", [([(0.0, 3.0)], MINUTES * 10), ([(0.0, None)], 1)],
                         ids=["overs", "one_long_over"])
def test_memory_does_not_grow_with_the_run(tmp_path, keyed, tx):
    raw, off = _chunk(keyed)
    src = RepeatSource(raw, FS, samples=int(MINUTES * 60 * FS), center_hz=145.2e6)
    files = [open(tmp_path / n, "w") for n in ("s.json", "s.jsonl", "s.html")]
    sc = Scoring(Settings(waterfall=True),
                 [JsonSink(files[0]), JsonLinesSink(files[1]), HtmlSink(files[2])])
    s = sc.session(src.info, "cu8", [Channel(off)])
    rss = {}

    def at(samples):
        m = samples / FS / 60
        for k in (10, 30):
            if m >= k and k not in rss:
                rss[k] = rss_mb()
    s.run(src, progress=at)
    entries = s.finish()
    sc.add(entries)
    sc.finish()
    for f in files:
        f.close()
    assert set(rss) == {10, 30}
    print(f"RSS at 10 min {rss[10]:.1f} MB, at 30 min {rss[30]:.1f} MB")
    assert abs(rss[30] - rss[10]) <= LIMIT_MB, rss
    # and it did the work: every transmission judged, every window written
    summary = entries[0]["summary"]
    assert summary["transmissions"] == tx and summary["ctcss_hz"] == 123.0
    assert summary["availability"] >= 0.95      # (the repeated chunk's seam clicks)
    doc = json.loads((tmp_path / "s.json").read_text())
    assert len(doc["captures"][0]["windows"]) >= MINUTES * 600 - 2
    assert len(doc["captures"][0]["events"]) == tx
    lines = (tmp_path / "s.jsonl").read_text().splitlines()
    assert sum('"type": "transmission"' in ln for ln in lines) == tx
