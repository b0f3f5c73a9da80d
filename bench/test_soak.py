"""The long run: 6 hours of 2.4 MS/s cu8 (a 6 s chunk repeated: an over of 3 s with a CTCSS
tone, 3 s of noise; 3600 transmissions) through the whole score pipeline with the JSON,
JSON-lines and HTML sinks on, as fast as it goes: throughput, and the resident memory every
half hour (the suite's ``tests/test_memory.py`` does 30 minutes at 250 kS/s).

Run: ``pytest bench/test_soak.py --benchmark-only -s`` (``HTDSP_SOAK_HOURS`` for another
length); the RSS series is printed and kept in the benchmark's ``extra_info``.
"""

import os
import time

import pytest

from bench.smoke import size
from tests.proc import rss_mb

FS = 2.4e6
HOURS = float(os.environ.get("HTDSP_SOAK_HOURS", 6.0))
SECONDS = size(HOURS * 3600, 12.0)


@pytest.mark.benchmark(group="soak_2.4M")
def test_six_hours_at_2_4_msps(benchmark, tmp_path):
    from htdsp.pipeline import Channel, Scoring, Settings
    from htdsp.sim import Scenario, Transmitter, simulate
    from htdsp.sinks.document import JsonSink
    from htdsp.sinks.html import HtmlSink
    from htdsp.sinks.jsonl import JsonLinesSink
    from htdsp.sources import RepeatSource
    from tests.signals import to_cu8

    sc = Scenario(duration_s=6.0, fs=FS, cnr_db=25.0, seed=3, datatype="cu8",
                  transmitters=[Transmitter(modulation="tone", ctcss_hz=123.0,
                                            keyed=[(0.0, 3.0)])])
    raw, off = to_cu8(simulate(sc)["samples"]), sc.offset_hz
    n = int(SECONDS * FS)
    series = []

    def run():
        src = RepeatSource(raw, FS, samples=n, center_hz=145.2e6)
        files = [open(tmp_path / f, "w") for f in ("s.json", "s.jsonl", "s.html")]
        scoring = Scoring(Settings(waterfall=True),
                          [JsonSink(files[0]), JsonLinesSink(files[1]), HtmlSink(files[2])])
        s = scoring.session(src.info, "cu8", [Channel(off)])
        t0 = time.monotonic()
        step = max(1, int(min(1800.0, SECONDS / 4) * FS))
        nxt = [step]

        def at(samples):
            if samples >= nxt[0]:
                nxt[0] += step
                series.append((round(samples / FS / 3600, 3), round(rss_mb(), 1),
                               round(time.monotonic() - t0, 1)))
                print(f"{series[-1][0]:6.2f} h of stream  RSS {series[-1][1]:7.1f} MB  "
                      f"after {series[-1][2]:7.1f} s", flush=True)
        s.run(src, progress=at)
        e = s.finish()
        scoring.add(e)
        scoring.finish()
        for f in files:
            f.close()
        return e[0]["summary"]

    summary = benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info["samples"] = n
    benchmark.extra_info["rss_mb"] = series
    if benchmark.stats is not None:
        benchmark.extra_info["msamples_per_s"] = round(n / benchmark.stats.stats.median / 1e6, 2)
    assert summary["transmissions"] >= int(SECONDS / 6) - 1
    rss = [r for _, r, _ in series]
    assert max(rss) - min(rss[1:] or rss) <= 5.0, series
