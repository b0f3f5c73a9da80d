"""Measurement kernels against plain NumPy references: block moments and per-window
histograms (streaming: any chunking is bit-identical to one call; reset; empty chunks) and the
stateless tone fit (against ``numpy.linalg.lstsq``, and its frequency against the truth)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from htdsp.kernels import (
    block_moments_kernel,
    block_moments_state,
    raw_levels_kernel,
    raw_levels_state,
    tone_fit_kernel,
    window_hist_kernel,
    window_hist_state,
)
from tests import reference as ref
from tests.strategies import complex_signal, real_signal, splits


def _blocks(x, block, cuts, state=None):
    st_ = block_moments_state() if state is None else state
    outs = []
    for a, b in zip([0, *cuts], [*cuts, x.size], strict=True):
        out = np.empty(((b - a) // block + 2, 4))
        k = block_moments_kernel(x[a:b], block, st_, out)
        outs.append(out[:k])
    return np.concatenate(outs), st_


@given(data=st.data(), n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1),
       block=st.integers(1, 300))
def test_block_moments_matches_reference_any_chunking(data, n, seed, block):
    x = complex_signal(n, seed)
    one, st1 = _blocks(x, block, [])
    chunked, st2 = _blocks(x, block, data.draw(splits(n)))
    np.testing.assert_array_equal(chunked, one)           # bit for bit
    assert st1.tobytes() == st2.tobytes()
    want = ref.block_moments_ref(x, block)
    np.testing.assert_allclose(one, want, rtol=1e-9, atol=1e-9)


def test_block_moments_reset_and_empty_chunk():
    x = complex_signal(1000, 3)
    st_ = block_moments_state()
    before = st_.tobytes()
    assert block_moments_kernel(x[:0], 48, st_, np.empty((1, 4))) == 0
    assert st_.tobytes() == before
    first, _ = _blocks(x, 48, [], st_)
    again, _ = _blocks(x, 48, [], block_moments_state())
    np.testing.assert_array_equal(first, again)


def _hist(x, window, cuts, nbins=64, lo=-2.0, width=4 / 64, pct=99.0):
    st_, h = window_hist_state(nbins)
    sums, hists = [], []
    for a, b in zip([0, *cuts], [*cuts, x.size], strict=True):
        s = np.empty(((b - a) // window + 2, 3))
        hh = np.empty(((b - a) // window + 2, nbins), np.int64)
        k = window_hist_kernel(x[a:b], window, lo, width, pct, st_, h, s, hh)
        sums.append(s[:k])
        hists.append(hh[:k])
    return np.concatenate(sums), np.concatenate(hists), (st_, h)


@given(data=st.data(), n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1),
       window=st.integers(1, 400), pct=st.sampled_from([50.0, 90.0, 99.0, 99.9]))
def test_window_hist_matches_reference_any_chunking(data, n, seed, window, pct):
    x = real_signal(n, seed) * np.float32(3.0)              # some values beyond the range
    s1, h1, (st1, p1) = _hist(x, window, [], pct=pct)
    s2, h2, (st2, p2) = _hist(x, window, data.draw(splits(n)), pct=pct)
    np.testing.assert_array_equal(s2, s1)
    np.testing.assert_array_equal(h2, h1)
    assert st1.tobytes() == st2.tobytes() and np.array_equal(p1, p2)
    ws, wh = ref.window_hist_ref(x, window, -2.0, 4 / 64, 64, pct)
    np.testing.assert_array_equal(h1, wh)
    np.testing.assert_allclose(s1[:, :2], ws[:, :2], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(s1[:, 2], ws[:, 2], rtol=0, atol=1e-12)


def test_window_hist_percentile_of_a_sinusoid():
    # 99.9th percentile of |A sin| is A within half a bin
    x = (1.5 * np.sin(2 * np.pi * np.arange(48000) / 48.0)).astype(np.float32)
    s, _, _ = _hist(x, 4800, [], nbins=1024, lo=-4.0, width=8 / 1024, pct=99.9)
    assert np.all(np.abs(s[:, 2] - 1.5) <= 4 / 1024 + 1e-9)


@pytest.mark.parametrize("pct", [50.0, 80.0])
def test_window_hist_percentile_when_the_count_reaches_it_exactly(pct):
    # 10 samples, mean -0.1: five 0.1 from it, three 1.1, two 1.9. Half of them (5 of 10) are
    # within 0.1, eight (80 %) within 1.1: the percentile is reached exactly at a bin, and is
    # that bin's distance (the one whose count reaches pct %), not the next one out
    x = np.array([0, 0, 0, 0, 0, 1, 1, 1, -2, -2], np.float32)
    s, _, _ = _hist(x, 10, [], pct=pct)
    near = {50.0: 0.1, 80.0: 1.1}[pct]
    assert abs(s[0, 2] - near) <= 4 / 64                    # within a bin of the truth
    ws, _ = ref.window_hist_ref(x, 10, -2.0, 4 / 64, 64, pct)
    assert s[0, 2] == pytest.approx(ws[0, 2], abs=1e-12)


def _tone(n, fs, f, amp, dc=0.0, noise=0.0, seed=0, h2=0.0, ph=None):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs
    ph = rng.uniform(0, 2 * np.pi) if ph is None else ph
    y = dc + amp * np.cos(2 * np.pi * f * t + ph) + h2 * np.cos(4 * np.pi * f * t + 2 * ph)
    return (y + noise * rng.standard_normal(n)).astype(np.float32)


@given(f=st.floats(300.0, 3000.0), off=st.floats(-8.0, 8.0), amp=st.floats(0.05, 0.9),
       dc=st.floats(-0.01, 0.01), seed=st.integers(0, 2**32 - 1))
def test_tone_fit_matches_lstsq_at_its_frequency(f, off, amp, dc, seed):
    fs, n = 48000.0, 4800
    y = _tone(n, fs, f, amp, dc, noise=0.01, seed=seed, h2=0.01)
    work = np.empty(3 * n)
    fk, ak, dk, pt, pr, ph, phase = tone_fit_kernel(y, fs, f + off, 1, 4, work)
    assert abs(fk - f) < 0.2             # off by up to 8 Hz: one step lands (noise: ~0.05)
    want = ref.tone_fit_ref(y, fs, fk, 4)               # the exact fit at the found frequency
    assert ak == pytest.approx(want["amp"], rel=1e-6)
    assert abs(np.angle(np.exp(1j * (phase - want["phase"])))) < 1e-5
    assert dk == pytest.approx(want["dc"], abs=1e-7)
    assert pt == pytest.approx(want["p_total"], rel=1e-6)
    assert pr == pytest.approx(want["p_residual"], rel=1e-4)
    assert ph == pytest.approx(want["p_harmonics"], rel=1e-3)
    np.testing.assert_allclose(work[:n], want["residual"], atol=1e-6)


def test_tone_fit_frequency_and_powers_against_truth():
    fs, n = 48000.0, 4800
    y = _tone(n, fs, 1000.37, 0.6, noise=0.0, h2=0.006, ph=-2.0)
    work = np.empty(3 * n)
    f, amp, dc, pt, pr, ph, phase = tone_fit_kernel(y, fs, 1000.0, 1, 4, work)
    assert abs(f - 1000.37) < 1e-3
    assert phase == pytest.approx(-2.0, abs=1e-3)        # 0.6 cos(w n - 2.0)
    assert amp == pytest.approx(0.6, rel=1e-4)
    assert ph == pytest.approx(0.006**2 / 2, rel=1e-2)   # the 2nd harmonic is all that is left
    assert pr == pytest.approx(0.006**2 / 2, rel=1e-2)


def test_tone_fit_degenerate_inputs_are_finite():
    work = np.empty(3 * 4800)
    for y in (np.zeros(4800, np.float32), np.zeros(3, np.float32),
              np.full(4800, 0.3, np.float32)):
        out = tone_fit_kernel(y, 48000.0, 1000.0, 1, 4, work)
        assert all(np.isfinite(v) for v in out)


@pytest.mark.parametrize("dtype,lo,hi", [(np.uint8, 0, 255), (np.int8, -128, 127),
                                         (np.int16, -32768, 32767)])
@given(data=st.data(), n=st.integers(0, 2000), seed=st.integers(0, 2**32 - 1),
       window=st.integers(1, 300))
def test_raw_levels_matches_reference_any_chunking(dtype, lo, hi, data, n, seed, window):
    rng = np.random.default_rng(seed)
    x = rng.integers(lo, hi + 1, 2 * n, endpoint=False).astype(dtype)   # rails included
    x[rng.random(2 * n) < 0.05] = hi
    cuts = [2 * c for c in data.draw(splits(n))]          # whole samples, as the Meter feeds
    outs = []
    st_ = raw_levels_state()
    for a, b in zip([0, *cuts], [*cuts, x.size], strict=True):
        out = np.empty(((b - a) // 2 // window + 2, 3))
        k = raw_levels_kernel(x[a:b], lo, hi, window, st_, out)
        outs.append(out[:k])
    got = np.concatenate(outs)
    np.testing.assert_array_equal(got, ref.raw_levels_ref(x, lo, hi, window))
    one = np.empty((n // window + 2, 3))
    k = raw_levels_kernel(x, lo, hi, window, raw_levels_state(), one)
    np.testing.assert_array_equal(one[:k], got)
