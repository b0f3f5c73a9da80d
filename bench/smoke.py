"""Benchmark sizes: the real ones, or small ones when ``HTDSP_BENCH_SMOKE`` is set.

The test suite runs every benchmark once that way (``tests/test_bench_smoke.py``), so that an
API change cannot silently break ``bench/``, in seconds rather than the minutes the real sizes
take; the figures in bench/README.md always come from the real sizes.
"""

import os

SMOKE = bool(os.environ.get("HTDSP_BENCH_SMOKE"))


def size(full, smoke):
    """``full`` for a benchmark run, ``smoke`` for the suite's smoke run."""
    return smoke if SMOKE else full
