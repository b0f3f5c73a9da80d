"""DTMF and selcall: the kernels (groups ``dtmf_kernel``, ``selcall_kernel``: kernel on a large
input, NumPy reference, the decoder's chunked stream) at 8 kHz, and the long accuracy runs
(thousands of transmissions at 12 dB SINAD in speech-like audio; groups ``dtmf_accuracy``,
``selcall_accuracy``: each run once, the share decoded exactly right in ``extra_info``).

The kernel inputs are band-limited noise with a burst every 10 s (busier than a real channel's
ANI), plus the all-burst worst case (``*_bursts``: the guard spectrum of a DTMF hop is
computed only for hops that pass every other test, that is all through a digit).
"""

import numpy as np
import pytest

from bench.smoke import size
from htdsp.kernels import (
    DTMF_RUN,
    SELCALL_RUN,
    dtmf_kernel,
    dtmf_state,
    selcall_kernel,
    selcall_state,
)
from htdsp.rx import dtmf as dt
from htdsp.rx import selcall as sc
from tests import reference as ref
from tests.test_dtmf import band_noise, match, random_dtmf, run, transmissions
from tests.test_selcall import random_selcall

FS = 8000.0
LARGE = size(1 << 21, 1 << 14)
REF_N = size(1 << 14, 1 << 12)               # the reference is slow: a shorter input
CHUNK = 8192
RNG = np.random.default_rng(0)


def _mix(bursts, n):
    """Noise (0.05 rms) with the bursts laid in every 10 s."""
    x = 0.05 * band_noise(n, FS, RNG)
    for i, b in enumerate(bursts):
        a = int((10 * i + 0.2) * FS)
        if a + b.size > n:
            break
        x[a:a + b.size] += 0.4 * b
    return x.astype(np.float32)


DTMF_X = _mix([dt.encode("1234#", FS)] * 300, LARGE)
SEL_X = _mix([sc.encode("12345", FS, s) for s in sc.STANDARDS] * 60, LARGE)
DTMF_ALL = np.tile(0.4 * dt.encode("123A456B789C*0#D", FS), LARGE // 15360 + 1)[:LARGE].astype(
    np.float32)
SEL_ALL = np.tile(0.4 * sc.encode("12345", FS, "ccir"), LARGE // 4000 + 1)[:LARGE].astype(
    np.float32)


def _dtmf(x):
    dec = dt.DtmfDecoder(FS)
    out = np.empty(x.size // dec.sub + 2, dtype=DTMF_RUN)
    return dtmf_kernel(x, dec.sub, dt.WINDOW_SUBS, dec._bank, dec._rot, dec._tones, dec._hann,
                       dec._grid, dec._grid_hz, dec.fs, dec._limits, dtmf_state(), out)


def _selcall(x):
    dec = sc.SelcallDecoder(FS)
    out = np.empty(x.size // dec.sub + 2, dtype=SELCALL_RUN)
    return selcall_kernel(x, dec.sub, sc.WINDOW_SUBS, dec._bank, dec._rot, dec._tones, dec.fs,
                          dec._limits, selcall_state(), out)


def _stream(dec, x):
    for i in range(0, x.size, CHUNK):
        dec.process(x[i:i + CHUNK])
    return dec.flush()


# ------------------------------------------------------------------ dtmf_kernel
@pytest.mark.benchmark(group="dtmf_kernel")
def test_dtmf_kernel(measure):
    measure(_dtmf, LARGE, DTMF_X)


@pytest.mark.benchmark(group="dtmf_kernel")
def test_dtmf_kernel_bursts(measure):
    measure(_dtmf, LARGE, DTMF_ALL)


@pytest.mark.benchmark(group="dtmf_kernel")
def test_dtmf_reference(measure):
    dec = dt.DtmfDecoder(FS)
    measure(ref.dtmf_ref, REF_N, DTMF_X[:REF_N], FS, dt.TONES_HZ, dec.sub, dt.WINDOW_SUBS,
            dec._limits, rounds=1)


@pytest.mark.benchmark(group="dtmf_kernel")
def test_dtmf_stream(measure):
    measure(lambda: _stream(dt.DtmfDecoder(FS), DTMF_X), LARGE)


# ------------------------------------------------------------------ selcall_kernel
@pytest.mark.benchmark(group="selcall_kernel")
def test_selcall_kernel(measure):
    measure(_selcall, LARGE, SEL_X)


@pytest.mark.benchmark(group="selcall_kernel")
def test_selcall_kernel_bursts(measure):
    measure(_selcall, LARGE, SEL_ALL)


@pytest.mark.benchmark(group="selcall_kernel")
def test_selcall_reference(measure):
    dec = sc.SelcallDecoder(FS)
    measure(ref.selcall_ref, REF_N, SEL_X[:REF_N], FS, dec._tones, dec.sub, sc.WINDOW_SUBS,
            dec._limits, rounds=1)


@pytest.mark.benchmark(group="selcall_kernel")
def test_selcall_stream(measure):
    measure(lambda: _stream(sc.SelcallDecoder(FS), SEL_X), LARGE)


# ------------------------------------------------------------------ long accuracy runs
@pytest.mark.benchmark(group="dtmf_accuracy")
@pytest.mark.parametrize("sinad_db", [12.0, 9.0])
def test_dtmf_accuracy(benchmark, sinad_db):
    n = size(3000, 20)
    x, truth = transmissions(random_dtmf(FS), n, FS, np.random.default_rng(100), sinad_db)
    got = benchmark.pedantic(run, args=(dt.DtmfDecoder(FS), x), rounds=1, iterations=1)
    right, extra = match(got, truth, FS)
    benchmark.extra_info.update(transmissions=n, right=right, wrong_or_extra=len(extra))
    if sinad_db >= 12:
        assert right >= 0.99 * n and not extra


@pytest.mark.benchmark(group="selcall_accuracy")
@pytest.mark.parametrize("sinad_db", [12.0, 9.0])
def test_selcall_accuracy(benchmark, sinad_db):
    n = size(3000, 20)
    x, truth = transmissions(random_selcall(FS), n, FS, np.random.default_rng(101), sinad_db)
    got = benchmark.pedantic(run, args=(sc.SelcallDecoder(FS), x), rounds=1, iterations=1)
    right, extra = match(got, [(i, a, b) for (i, _), a, b in truth], FS)
    benchmark.extra_info.update(transmissions=n, right=right, wrong_or_extra=len(extra))
    if sinad_db >= 12:
        assert right >= 0.99 * n and not extra
