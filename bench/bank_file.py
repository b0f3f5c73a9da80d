"""htdsp's filter bank on a cf32 file, to run side by side with GNU Radio's
``pfb_channelizer_ccf`` on the same file (``../shared/peers/peer_gnuradio_pfb.py``: 192
channels of 12.5 kHz, every channel's block power).

Usage: ``python bench/bank_file.py FILE.cf32 [powers|all]`` (``powers``: every channel's block
power, every 8.7 ms; ``all``: also every channel's baseband at 48 kS/s). The file is read in
262144-sample chunks into one buffer; the kernels load before the clock starts. Prints MS/s
of input and the real-time factor at 2.4 MS/s.
"""

import sys
import time

import numpy as np

from htdsp.dsp.channelizer import Channelizer

FS = 2.4e6
CHUNK = 1 << 18


def main(path, mode="powers"):
    bank = Channelizer(FS, np.arange(-96, 96) * 12500.0, 12500.0)
    active = None if mode == "all" else []
    bank.process_active(np.zeros(CHUNK, np.complex64), active)    # (untimed: loads kernels)
    bank.reset()
    buf = np.empty(CHUNK, np.complex64)
    n = 0
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        while k := f.readinto(buf):
            x = buf[:k // 8]
            bank.process_active(x, active)
            n += x.size
    dt = time.perf_counter() - t0
    print(f"htdsp filter bank, 192 channels, {mode}: {n / dt / 1e6:.1f} MS/s, "
          f"{n / FS / dt:.1f}x real time")


if __name__ == "__main__":
    main(*sys.argv[1:])
