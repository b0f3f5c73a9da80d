"""Benchmark helpers: single thread, compile excluded, throughput in MS/s in extra_info.

Run: ``pytest bench --benchmark-only`` (add ``--benchmark-columns=median,ops`` for a short table,
``python bench/report.py .benchmarks/...json`` for the MS/s table in bench/README.md).
"""

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402


@pytest.fixture
def measure(benchmark):
    """``measure(fn, n_samples, *args, rounds=None)``: warm up once, time, record MS/s."""

    def run(fn, n_samples, *args, rounds=None):
        if not benchmark.disabled:
            fn(*args)  # compile / load from cache and touch the memory before timing
        if rounds is None:
            result = benchmark(fn, *args)
        else:
            result = benchmark.pedantic(fn, args=args, rounds=rounds, iterations=1,
                                        warmup_rounds=0)
        benchmark.extra_info["samples"] = int(n_samples)
        if benchmark.stats is not None:          # None under --benchmark-disable (smoke runs)
            median = benchmark.stats.stats.median
            benchmark.extra_info["msamples_per_s"] = round(n_samples / median / 1e6, 2)
        return result

    return run
