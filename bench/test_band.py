"""A whole band scored at once: every 12.5 kHz channel of a 2.4 MS/s cu8 recording (192, the
whole captured band) watched through one filter bank, the full chain (receiver, squelch,
meter, judge) on the channels with a carrier, in one pass (``htdsp score --channels auto``
without its start-up and reports).

- ``band_active_0`` / ``_4`` / ``_10``: 0, 4 or 10 NFM carriers (a 1 kHz tone at 1.5 kHz
  deviation, 25 dB CNR, keyed from 0.4 s to the end) among the 192 channels;
- ``xlating_1``: one channel's whole score pass the single-channel way (the reference, in
  the same run).

Each band benchmark also records where its time goes (one extra run, timed inside each part,
ms per s of input): ``bank_ms_per_s`` (the filter bank: every channel's power, the active
channels' baseband, the cu8 conversion and the input kept for back-dating),
``detector_ms_per_s`` (the carrier detector), ``back_end_ms_per_s`` (each active channel's
receiver after the bank, squelch, meter and judge, per channel), ``raw_ms_per_s`` (the
input's clipping and DC, once for all channels).

MS/s of input, single thread; ``x real time`` = MS/s / 2.4.
"""

import time

import numpy as np
import pytest

from bench.smoke import size
from htdsp.io.raw import open_raw
from htdsp.measure.activity import BandFrontEnd
from htdsp.pipeline import Channel, ChannelRun, Session, Settings
from htdsp.sources import FileSource
from tests.signals import nfm_tone_iq, to_cu8

FS = 2.4e6
CENTER_HZ = 145.0e6
SECONDS = size(5.0, 0.6)
N = int(FS * SECONDS)
OFFSETS = np.arange(-96, 96) * 12500.0
#: the carriers' channels: spread over the band, off the centre
USED = (-80, -52, -31, -9, 7, 22, 40, 58, 71, 88)


def _make(k, tmp_path_factory):
    rng = np.random.default_rng(k)
    x = 0.02 * (rng.standard_normal(N) + 1j * rng.standard_normal(N))
    on = int(0.4 * FS)
    # each carrier 25 dB over the noise in its channel (the noise spread over fs)
    amp = np.sqrt(2 * 0.02**2 * 12500.0 / FS * 10 ** 2.5)
    for i in USED[:k]:
        x[on:] += nfm_tone_iq(FS, i * 12500.0, (N - on) / FS, amplitude=amp)
    path = tmp_path_factory.mktemp("band") / f"band{k}.cu8"
    to_cu8(x).tofile(path)
    return path, k


@pytest.fixture(scope="module", params=[0, 4, 10], ids=["active_0", "active_4", "active_10"])
def recording(request, tmp_path_factory):
    return _make(request.param, tmp_path_factory)


def _session(path):
    rec = open_raw(path, "cu8", FS, CENTER_HZ)
    src = FileSource(rec, copy=False)
    fe = BandFrontEnd(FS, OFFSETS, 12500.0, input_format="cu8")
    return src, Session(src.info, "cu8", [], Settings(), front_end=fe, band="auto")


def _score(path):
    src, s = _session(path)
    s.run(src)
    s.finish()
    return s


def _parts(path):
    """One run timed inside each part: ms per s of input (the back end per active channel)."""
    src, s = _session(path)
    fe = s.front
    spent = {"bank": 0.0, "detector": 0.0, "back_end": 0.0, "raw": 0.0}

    def timed(key, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[key] += time.perf_counter() - t
        return wrapper

    det_add = fe.detector.add
    fe.detector.add = timed("detector", det_add)
    proc = fe._process
    fe._process = timed("bank", proc)
    s._raw.process = timed("raw", s._raw.process)
    run_process = ChannelRun.process
    ChannelRun.process = timed("back_end", run_process)
    try:
        s.run(src)
        s.finish()
    finally:
        ChannelRun.process = run_process
    spent["bank"] -= spent["detector"]            # (the detector runs inside the bank's call)
    k = max(len(s.runs), 1)
    out = {f"{key}_ms_per_s": round(1e3 * v / SECONDS, 2) for key, v in spent.items()}
    out["back_end_ms_per_s"] = round(out["back_end_ms_per_s"] / k, 2)
    out["active_channels"] = len(s.runs)
    return out


@pytest.mark.benchmark(group="band_cu8_2.4M")
def test_band(measure, benchmark, recording):
    path, k = recording
    s = measure(_score, N, path, rounds=3)
    assert len(s.runs) == k                      # the carriers found, no other
    if not benchmark.disabled:
        benchmark.extra_info.update(_parts(path))


@pytest.mark.benchmark(group="band_cu8_2.4M")
def test_xlating_1(measure, tmp_path_factory):
    path, _ = _make(1, tmp_path_factory)
    rec = open_raw(path, "cu8", FS, CENTER_HZ)

    def run():
        src = FileSource(rec, copy=False)
        s = Session(src.info, "cu8", [Channel(USED[0] * 12500.0)], Settings())
        s.run(src)
        s.finish()
    measure(run, N, rounds=3)
