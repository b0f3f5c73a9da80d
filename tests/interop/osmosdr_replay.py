"""Interoperability check: GNU Radio's osmosdr source (an independent rtl_tcp client) reads a
recording served by ``htdsp replay``, and gets back exactly its samples.

Needs GNU Radio 3.10 and gr-osmosdr from the distribution (Debian 12: ``apt install gnuradio
gr-osmosdr``), run with the system Python that has them, and htdsp's own ``htdsp`` command:

    /usr/bin/python3 tests/interop/osmosdr_replay.py .venv/bin/htdsp

It is not part of the test suite (CI has no GNU Radio); its output is quoted in the closing
note of the live-links issue. GNU Radio is imported inside ``main`` so that pytest's doctest
collection can import this file without it.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CAPTURE = os.path.join(ROOT, "captures", "kpbenz-2m-nfm-voice", "capture.sigmf-meta")
DATA = os.path.join(ROOT, "captures", "kpbenz-2m-nfm-voice", "capture.cu8")
RATE = 280000
CENTER = 144.47e6


def main(htdsp="htdsp"):
    import numpy as np
    import osmosdr
    from gnuradio import blocks, gr

    # --loop: the stream does not end under the client, which reads until head has enough
    server = subprocess.Popen([htdsp, "replay", CAPTURE, "--port", "0", "--loop"],
                              stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    print(line.strip())
    port = int(line.rsplit(":", 1)[1])
    raw = np.fromfile(DATA, dtype=np.uint8)
    n = raw.size // 2
    out = os.path.join(HERE, "osmosdr_out.cf32")
    tb = gr.top_block()
    src = osmosdr.source(f"rtl_tcp=127.0.0.1:{port}")
    src.set_sample_rate(RATE)
    src.set_center_freq(CENTER)
    src.set_gain_mode(False)
    src.set_gain(20)
    head = blocks.head(gr.sizeof_gr_complex, n)
    sink = blocks.file_sink(gr.sizeof_gr_complex, out)
    tb.connect(src, head, sink)
    t0 = time.time()
    tb.run()
    print(f"GNU Radio {gr.version()} osmosdr source read {n} samples in {time.time() - t0:.2f} s")
    server.terminate()
    server.wait(5)
    print("".join(server.stderr.readlines()).strip())
    x = np.fromfile(out, dtype=np.complex64)
    os.unlink(out)
    # gr-osmosdr's rtl_tcp source maps a byte b to (b - 127.4) / 128
    back = np.rint(np.stack([x.real, x.imag], 1).ravel() * 128 + 127.4).astype(np.int64)
    same = back.size == raw.size and np.array_equal(back, raw)
    print(f"samples received {x.size}, expected {n}; every byte identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
