"""Every benchmark runs once (timing disabled, small sizes: ``bench/smoke.py``), so an API change
cannot silently break bench/."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_runs():
    r = subprocess.run([sys.executable, "-m", "pytest", "bench", "--benchmark-disable", "-q",
                        "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, timeout=900,
                       env={**os.environ, "HTDSP_BENCH_SMOKE": "1"})
    out = r.stdout.decode()
    assert r.returncode == 0, out[-3000:]
    assert " passed" in out and "failed" not in out
