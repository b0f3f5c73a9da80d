"""Regenerate the synthetic corpus: ``python captures/synthetic/make_corpus.py``.

Five simulator scenarios at 250 kS/s, cu8 (a few MB in all), each a SigMF recording whose
metadata carries its ground truth, and ``expected.json``: what each must contain (the data's
SHA-512, the transmissions, the requested and realised CNR). The tests regenerate every file and
check it, so the corpus can never drift from the simulator unnoticed: the truth must be
identical everywhere; the samples are bit-identical only on the machine that made them (the same
CPU model and the same numpy / numba / llvmlite, recorded as ``made_on``: Numba compiles for the
host CPU, and an AVX-512 machine rounds a few float sums differently), and within one LSB on any
other.
"""

import hashlib
import json
import sys
from pathlib import Path

from htdsp.sim.engine import simulate
from htdsp.sim.scenarios import scenario

HERE = Path(__file__).resolve().parent
RATE = 250e3
#: name -> (scenario, duration_s, seed)
CORPUS = {
    "clear-los": ("clear-los", 1.5, 1),
    "weak-edge": ("weak-edge", 1.5, 2),
    "hill-shadow": ("hill-shadow", 3.0, 3),
    "ctcss-net": ("ctcss-net", 4.0, 4),
    "interference": ("interference", 1.5, 5),
}


def fingerprint():
    """What decides the samples' last bits: the CPU model Numba compiled for and the versions."""
    import llvmlite
    import llvmlite.binding as ll
    import numba
    import numpy

    cpu = numba.config.CPU_NAME or ll.get_host_cpu_name()
    return {"cpu": cpu, "numpy": numpy.__version__, "numba": numba.__version__,
            "llvmlite": llvmlite.__version__}


def make(name, out_dir):
    """Write one corpus recording into ``out_dir``; returns its expected-results entry."""
    sc_name, duration, seed = CORPUS[name]
    sc = scenario(sc_name, duration)
    sc.fs, sc.seed, sc.datatype = RATE, seed, "cu8"
    truth = simulate(sc, Path(out_dir) / f"{name}.sigmf-meta", overwrite=True)  # regenerated
    data = (Path(out_dir) / f"{name}.sigmf-data").read_bytes()
    ch = truth["global"]["htdsp:channel"]
    return {
        "meta": f"{name}.sigmf-meta", "scenario": sc_name, "seed": seed,
        "duration_s": duration, "sample_rate_hz": RATE, "center_freq_hz": sc.center_hz,
        "channel_freq_hz": ch["freq_hz"], "bandwidth_hz": ch["bandwidth_hz"],
        "cnr_db": ch["cnr_db"], "cnr_realised_db": ch["cnr_realised_db"],
        "sha512": hashlib.sha512(data).hexdigest(), "made_on": fingerprint(),
        "transmissions": [{"label": a["label"], "start_s": a["htdsp:start_s"],
                           "end_s": a["htdsp:end_s"], "sample_start": a["sample_start"],
                           "sample_count": a["sample_count"], "ctcss_hz": a["htdsp:ctcss_hz"],
                           "dcs_code": a["htdsp:dcs_code"],
                           "carrier_offset_hz": a["htdsp:carrier_offset_hz"]}
                          for a in truth["annotations"]],
    }


def main():
    expected = {name: make(name, HERE) for name in CORPUS}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
