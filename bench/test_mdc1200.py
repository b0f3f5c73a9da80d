"""mdc1200_kernel: the decoder on a long 8 kHz stream of noise with packets in it, one-shot and
in 20 ms chunks, and the plain reference (tests/reference.py::mdc1200_ref) on a short piece.

Group name is the kernel name (tests/test_pairing.py checks every kernel has one).
"""

import numpy as np
import pytest

from bench.smoke import size
from htdsp.rx.mdc1200 import Mdc1200Decoder, _tables, encode
from tests import reference as ref

FS = 8000.0
LARGE = size(8_000 * 120, 8_000)              # two minutes of audio
REF_N = size(8_000 * 2, 2_000)                # the reference is plain Python: two seconds
RNG = np.random.default_rng(0)


def _stream(n):
    x = 0.1 * RNG.standard_normal(n)
    pkt = encode(0x1234, FS)
    for i in range(0, n - pkt.size, 4 * pkt.size):
        x[i:i + pkt.size] += 0.5 * pkt
    return x.astype(np.float32)


X = _stream(LARGE)
XR = X[:REF_N]


@pytest.mark.benchmark(group="mdc1200_kernel")
def test_mdc1200_kernel(measure):
    def run():
        dec = Mdc1200Decoder(FS)
        return dec.process(X) + dec.flush()
    measure(run, LARGE)


@pytest.mark.benchmark(group="mdc1200_kernel")
def test_mdc1200_stream(measure):
    def run():
        dec = Mdc1200Decoder(FS)
        out = []
        for i in range(0, X.size, 160):
            out += dec.process(X[i:i + 160])
        return out + dec.flush()
    measure(run, LARGE)


@pytest.mark.benchmark(group="mdc1200_kernel")
def test_mdc1200_reference(measure):
    spb, tab = _tables(FS)
    taps, wa, wb = tab[0] + 1j * tab[1], tab[2] + 1j * tab[3], tab[4] + 1j * tab[5]
    measure(lambda: ref.mdc1200_ref(XR, spb, taps, wa, wb, 8, 4, 12, 0.25, 0.02, 0.02), REF_N,
            rounds=1)
