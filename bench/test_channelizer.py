"""The filter bank: every 12.5 kHz channel of a 2.4 MS/s input at once
(htdsp.dsp.channelizer), against one channel's xlating front end in the same run.

- ``powers_only``: every channel's block power (192 channels), no baseband;
- ``active_4`` / ``active_10``: that, plus the baseband of 4 / 10 channels;
- ``all_192``: the baseband of every channel;
- ``xlating_1``: one channel through the single-channel front end (the reference: N channels
  that way cost N times it).

MS/s of input, single thread; ``ms per s of input`` = 1000 * 2.4 / MS/s.
"""

import numpy as np
import pytest

from bench.smoke import size
from htdsp.dsp.channelizer import Channelizer
from htdsp.rx.frontend import XlatingFrontEnd

FS = 2.4e6
SECONDS = size(2.0, 0.2)
N = int(FS * SECONDS)
OFFSETS = np.arange(-96, 96) * 12500.0
CHUNK = 1 << 18


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(0)
    return ((rng.standard_normal(N) + 1j * rng.standard_normal(N)) * 0.1).astype(np.complex64)


@pytest.mark.benchmark(group="channelizer_2.4M")
@pytest.mark.parametrize("active", [0, 4, 10, 192], ids=["powers_only", "active_4",
                                                        "active_10", "all_192"])
def test_channelizer(measure, x, active):
    which = list(range(0, 192, max(1, 192 // active)))[:active] if active else []

    bank = Channelizer(FS, OFFSETS, 12500.0)        # (its design, once, is not timed)

    def run():
        bank.reset()
        for i in range(0, x.size, CHUNK):
            bank.process_active(x[i:i + CHUNK], which)
    measure(run, N)


@pytest.mark.benchmark(group="channelizer_2.4M")
def test_xlating_1(measure, x):
    fe = XlatingFrontEnd(FS, [300e3], 12500.0)

    def run():
        fe.reset()
        for i in range(0, x.size, CHUNK):
            fe.process(x[i:i + CHUNK])
    measure(run, N)
