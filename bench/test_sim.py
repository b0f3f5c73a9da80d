"""Simulator throughput: scenarios at 2.4 MS/s written as cu8 SigMF (MS/s of output and x real
time in extra_info). The issue's target: at least 20x real time on one core."""

import pytest

from bench.smoke import size
from htdsp.sim import simulate
from htdsp.sim.scenarios import scenario

SECONDS = size(4.0, 0.3)


@pytest.mark.benchmark(group="simulate_2.4M")
@pytest.mark.parametrize("name", ["clear-los", "hill-shadow", "interference", "ctcss-net"])
def test_simulate(benchmark, tmp_path, name):
    sc = scenario(name, SECONDS)
    out = tmp_path / "b.sigmf-meta"
    simulate(scenario(name, 0.2), tmp_path / "warm.sigmf-meta")   # compile / load caches
    # each round writes the recording afresh over the last (a simulator refuses that unasked)
    benchmark.pedantic(simulate, args=(sc, out), kwargs={"overwrite": True}, rounds=3,
                       iterations=1)
    n = SECONDS * sc.fs
    benchmark.extra_info["samples"] = int(n)
    if benchmark.stats is not None:
        med = benchmark.stats.stats.median
        benchmark.extra_info["msamples_per_s"] = round(n / med / 1e6, 2)
        benchmark.extra_info["x_real_time"] = round(SECONDS / med, 1)
