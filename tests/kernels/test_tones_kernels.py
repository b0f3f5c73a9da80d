"""dtmf_kernel and selcall_kernel against their NumPy references, and their streaming contract:
any chunking bit-identical to one call, a copy taken mid-stream continues identically, a
fresh state equals a reset one, empty input leaves the state alone."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from tests.strategies import splits

RATES = [7000.0, 8000.0, 11025.0, 16000.0]


def _dtmf_signal(seed, fs, n_digits):
    rng = np.random.default_rng(seed)
    ident = "".join(rng.choice(list(dt.KEYS), n_digits))
    y = 0.4 * dt.encode(ident, fs, digit_s=rng.uniform(0.04, 0.09), gap_s=rng.uniform(0.03, 0.08),
                        twist_db=rng.uniform(-6, 3), freq_error=rng.uniform(-0.015, 0.015))
    pad = np.zeros(int(rng.uniform(0.02, 0.1) * fs))
    x = np.concatenate([pad, y, pad])
    return (x + 0.02 * rng.standard_normal(x.size)).astype(np.float32), ident


def _selcall_signal(seed, fs):
    rng = np.random.default_rng(seed)
    std = str(rng.choice(sc.STANDARDS))
    ident = "".join(str(d) for d in rng.integers(0, 10, 5))
    y = 0.4 * sc.encode(ident, fs, std, freq_error=rng.uniform(-0.015, 0.015))
    pad = np.zeros(int(rng.uniform(0.02, 0.1) * fs))
    x = np.concatenate([pad, y, pad])
    return (x + 0.02 * rng.standard_normal(x.size)).astype(np.float32), ident


def _dtmf_runs(dec, x, state):
    out = np.empty(x.size // dec.sub + 2, dtype=DTMF_RUN)
    n = dtmf_kernel(x, dec.sub, dt.WINDOW_SUBS, dec._bank, dec._rot, dec._tones, dec._hann,
                    dec._grid, dec._grid_hz, dec.fs, dec._limits, state, out)
    return out[:n]


def _selcall_runs(dec, x, state):
    out = np.empty(x.size // dec.sub + 2, dtype=SELCALL_RUN)
    n = selcall_kernel(x, dec.sub, sc.WINDOW_SUBS, dec._bank, dec._rot, dec._tones, dec.fs,
                       dec._limits, state, out)
    return out[:n]


def _chunked_runs(runs, dec, x, state, cuts):
    edges = [0, *cuts, x.size]
    parts = [runs(dec, x[a:b], state) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return np.concatenate(parts)


# ------------------------------------------------------------------ dtmf_kernel
@settings(max_examples=10)      # the reference is plain Python: 0.1-0.2 s an example
@given(seed=st.integers(0, 2**32 - 1), fs=st.sampled_from(RATES), n=st.integers(1, 5))
def test_dtmf_kernel_matches_reference(seed, fs, n):
    x, ident = _dtmf_signal(seed, fs, n)
    dec = dt.DtmfDecoder(fs)
    got = _dtmf_runs(dec, x, dtmf_state())
    want = ref.dtmf_ref(x, fs, dt.TONES_HZ, dec.sub, dt.WINDOW_SUBS, dec._limits)
    assert [tuple(int(v) for v in r[["key", "first", "last", "hops"]].tolist()) for r in got] \
        == [w[:4] for w in want]
    for r, w in zip(got, want, strict=True):
        assert list(r.tolist()[4:]) == pytest.approx(list(w[4:]), rel=1e-9, abs=1e-12)
    # and the runs are the keys sent, in order (clean enough to have no other run)
    assert "".join(dt.KEYS[w[0]] for w in want) == ident


@given(seed=st.integers(0, 2**32 - 1), fs=st.sampled_from(RATES), data=st.data())
def test_dtmf_kernel_any_chunking_is_bit_identical(seed, fs, data):
    x, _ = _dtmf_signal(seed, fs, 3)
    dec = dt.DtmfDecoder(fs)
    s1 = dtmf_state()
    whole = _dtmf_runs(dec, x, s1)
    s2 = dtmf_state()
    parts = _chunked_runs(_dtmf_runs, dec, x, s2, data.draw(splits(x.size, max_cuts=12)))
    assert whole.tobytes() == parts.tobytes() and s1.tobytes() == s2.tobytes()
    # the three digits' runs at least (a transition between two keys may add a short run of
    # a third, as the reference's does: the digits are made of runs above it)
    assert len(whole) >= 3


@given(seed=st.integers(0, 2**32 - 1), cut=st.floats(0.0, 1.0))
def test_dtmf_kernel_copy_mid_stream_reset_and_empty_input(seed, cut):
    x, _ = _dtmf_signal(seed, 8000.0, 3)
    dec = dt.DtmfDecoder(8000.0)
    k = int(cut * x.size)
    s = dtmf_state()
    a = _dtmf_runs(dec, x[:k], s)
    twin = s.copy()
    before = s.tobytes()
    assert len(_dtmf_runs(dec, x[:0], s)) == 0 and s.tobytes() == before
    b1 = _dtmf_runs(dec, x[k:], s)
    b2 = _dtmf_runs(dec, x[k:], twin)
    assert b1.tobytes() == b2.tobytes() and s.tobytes() == twin.tobytes()
    assert np.concatenate([a, b1]).tobytes() == _dtmf_runs(dec, x, dtmf_state()).tobytes()
    # a decoder reset after use holds a fresh state
    dec.process(x)
    dec.reset()
    assert dec.state.tobytes() == dtmf_state().tobytes()


# ------------------------------------------------------------------ selcall_kernel
@settings(max_examples=10)      # (likewise)
@given(seed=st.integers(0, 2**32 - 1), fs=st.sampled_from(RATES))
def test_selcall_kernel_matches_reference(seed, fs):
    x, ident = _selcall_signal(seed, fs)
    dec = sc.SelcallDecoder(fs)
    got = _selcall_runs(dec, x, selcall_state())
    want = ref.selcall_ref(x, fs, dec._tones, dec.sub, sc.WINDOW_SUBS, dec._limits)
    assert [tuple(int(v) for v in r[["first", "last", "hops"]].tolist()) for r in got] \
        == [w[1:4] for w in want]
    for r, w in zip(got, want, strict=True):
        assert [r["freq"], r["amp"], r["frac"]] == pytest.approx([w[0], w[4], w[5]], rel=1e-9)
    assert len(want) >= 5                   # the call's tones (a repeat is a tone of its own)


@given(seed=st.integers(0, 2**32 - 1), fs=st.sampled_from(RATES), data=st.data())
def test_selcall_kernel_any_chunking_is_bit_identical(seed, fs, data):
    x, _ = _selcall_signal(seed, fs)
    dec = sc.SelcallDecoder(fs)
    s1 = selcall_state()
    whole = _selcall_runs(dec, x, s1)
    s2 = selcall_state()
    parts = _chunked_runs(_selcall_runs, dec, x, s2, data.draw(splits(x.size, max_cuts=12)))
    assert whole.tobytes() == parts.tobytes() and s1.tobytes() == s2.tobytes()


@given(seed=st.integers(0, 2**32 - 1), cut=st.floats(0.0, 1.0))
def test_selcall_kernel_copy_mid_stream_reset_and_empty_input(seed, cut):
    x, _ = _selcall_signal(seed, 8000.0)
    dec = sc.SelcallDecoder(8000.0)
    k = int(cut * x.size)
    s = selcall_state()
    a = _selcall_runs(dec, x[:k], s)
    twin = s.copy()
    before = s.tobytes()
    assert len(_selcall_runs(dec, x[:0], s)) == 0 and s.tobytes() == before
    b1 = _selcall_runs(dec, x[k:], s)
    b2 = _selcall_runs(dec, x[k:], twin)
    assert b1.tobytes() == b2.tobytes() and s.tobytes() == twin.tobytes()
    assert np.concatenate([a, b1]).tobytes() == _selcall_runs(dec, x, selcall_state()).tobytes()
    dec.process(x)
    dec.reset()
    assert dec.state.tobytes() == selcall_state().tobytes()


def test_a_tone_off_its_table_frequency_is_measured():
    # the refined frequency is the tone's own, whichever table correlator caught it
    fs = 8000.0
    dec = sc.SelcallDecoder(fs)
    for f in (1124.0 * 1.013, 1446.0 * 0.987, 600.0 * 1.01, 2600.0 * 0.99):
        t = np.arange(int(0.2 * fs)) / fs
        x = np.concatenate([0.4 * np.sin(2 * np.pi * f * t), np.zeros(400)]).astype(np.float32)
        r = _selcall_runs(dec, x, selcall_state())
        assert len(r) == 1 and r[0]["freq"] == pytest.approx(f, abs=0.5)
        assert r[0]["amp"] == pytest.approx(0.4, rel=0.01) and r[0]["frac"] > 0.99
