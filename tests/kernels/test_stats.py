"""iq_stats_kernel: reference, streaming contract (on its final state), domain facts."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from htdsp.dsp.iqstats import IQStats, iq_stats
from htdsp.io.datatypes import datatype
from htdsp.kernels import iq_stats_state
from tests import reference as ref
from tests.strategies import splits

TYPES = ["cu8", "cs8", "cs16", "cf32"]


def _elements(name, n, seed):
    rng = np.random.default_rng(seed)
    dt = datatype(name)
    if dt.is_float:
        e = rng.uniform(-1.2, 1.2, 2 * n).astype(np.float32)
        e[rng.integers(0, 2 * n, n // 50 + 1) if n else []] = np.nan
        return e
    info = np.iinfo(dt.element)
    return rng.integers(info.min, info.max + 1, 2 * n).astype(dt.element)


@pytest.mark.parametrize("name", TYPES)
@given(n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1))
def test_matches_reference(name, n, seed):
    dt = datatype(name)
    x = _elements(name, n, seed)
    s = IQStats(dt)
    s.process(x)
    r = ref.iq_stats_ref(x, dt.offset, dt.scale, dt.rail_lo, dt.rail_hi)
    got = s.state["state"][0]
    for k in ("n", "clipped", "nonfinite"):
        assert int(got[k]) == r[k], k
    for k in ("sum_i", "sum_q", "sum_ii", "sum_qq", "sum_iq", "peak_p"):
        assert got[k] == pytest.approx(r[k], rel=1e-9, abs=1e-9), k


@pytest.mark.parametrize("name", TYPES)
@given(data=st.data(), n=st.integers(0, 2000), seed=st.integers(0, 2**32 - 1))
def test_any_chunking_gives_the_same_state_bit_for_bit(name, data, n, seed):
    dt = datatype(name)
    x = _elements(name, n, seed)
    whole = IQStats(dt)
    whole.process(x)
    cuts = [c - c % 2 for c in data.draw(splits(x.size))]
    parts = IQStats(dt)
    zi = iq_stats_state()
    for a, b in zip([0, *cuts], [*cuts, x.size], strict=True):
        parts.process(x[a:b])
        zi = iq_stats(x[a:b], dt, zi=zi)[1]
    assert parts.state["state"].tobytes() == whole.state["state"].tobytes()
    assert zi.tobytes() == whole.state["state"].tobytes()


def test_copy_reset_and_empty():
    dt = datatype("cs16")
    x = _elements("cs16", 1000, 1)
    s = IQStats(dt)
    s.process(x[:600])
    twin = s.copy()
    s.process(x[600:])
    twin.process(x[600:])
    assert twin.state["state"].tobytes() == s.state["state"].tobytes()
    before = s.state["state"].tobytes()
    s.process(x[:0])
    assert s.state["state"].tobytes() == before
    s.reset()
    s.process(x)
    fresh = IQStats(dt)
    fresh.process(x)
    assert s.state["state"].tobytes() == fresh.state["state"].tobytes()


def test_known_signal_reads_its_truth():
    n = 200_000
    rng = np.random.default_rng(3)
    t = np.arange(n)
    # tone of amplitude 0.5 (-6.02 dBFS), DC 0.01 + 0.02j, I gain 1 dB high, Q leaking 3 degrees
    z = 0.5 * np.exp(2j * np.pi * 0.0123 * t) + 0.05 * (rng.standard_normal(n)
                                                        + 1j * rng.standard_normal(n))
    g = 10 ** (1 / 20)
    i = g * z.real
    q = z.imag * math.cos(math.radians(3)) + z.real * math.sin(math.radians(3))
    x = (i + 0.01) + 1j * (q + 0.02)
    r = iq_stats(x.astype(np.complex64), datatype("cf32"))
    assert r["dc_offset_i"] == pytest.approx(0.01, abs=1e-3)
    assert r["dc_offset_q"] == pytest.approx(0.02, abs=1e-3)
    assert r["iq_amplitude_imbalance_db"] == pytest.approx(1.0, abs=0.05)
    assert r["iq_phase_imbalance_deg"] == pytest.approx(3.0, abs=0.2)
    assert r["clipping_fraction"] == 0.0 and r["nonfinite_count"] == 0


def test_rails_and_silence():
    r = iq_stats(np.array([0, 255, 1, 254], np.uint8), datatype("cu8"))
    assert r["clipping_fraction"] == 0.5
    r = iq_stats(np.array([-32768, 32767, 0, 1], np.int16), datatype("cs16"))
    assert r["clipping_fraction"] == 0.5
    r = iq_stats(np.zeros(8, np.int8), datatype("cs8"))
    assert r["mean_power_dbfs"] is None and r["iq_phase_imbalance_deg"] is None
    assert iq_stats(np.zeros(0, np.int8), datatype("cs8"))["mean_power_dbfs"] is None
