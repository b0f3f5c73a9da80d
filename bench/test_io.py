"""Reading throughput: chunked cu8 -> complex64 through htdsp.io vs np.fromfile + NumPy conversion.

Both read the same 24e6-sample (48 MB) cu8 file from the page cache; MS/s of complex samples.
"""

import numpy as np
import pytest

from bench.smoke import size
from htdsp.io import open_recording

N = size(24_000_000, 1_000_000)


@pytest.fixture(scope="module")
def cu8_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "g001_100M_2400k.cu8"
    np.random.default_rng(0).integers(0, 256, 2 * N, dtype=np.uint8).tofile(path)
    return path


@pytest.mark.benchmark(group="read_cu8")
def test_read_htdsp_chunks_complex64(measure, cu8_file):
    rec = open_recording(cu8_file)

    def run():
        for _ in rec.chunks(raw=False):
            pass
    measure(run, N)


@pytest.mark.benchmark(group="read_cu8")
def test_read_htdsp_chunks_raw_elements(measure, cu8_file):
    rec = open_recording(cu8_file)

    def run():
        for _ in rec.chunks():
            pass
    measure(run, N)


@pytest.mark.benchmark(group="read_cu8")
def test_read_reference_fromfile_numpy(measure, cu8_file):
    def run():
        u = np.fromfile(cu8_file, dtype=np.uint8)
        v = (u.astype(np.float32) - np.float32(127.5)) * np.float32(1 / 127.5)
        return v.view(np.complex64)
    measure(run, N, rounds=5)
