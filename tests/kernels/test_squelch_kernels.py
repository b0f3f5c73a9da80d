"""Squelch kernels: exact against plain-Python references; any chunking gives the same frames,
decisions and events; copy, reset, empty chunks."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from htdsp.kernels import (
    frame_energy_kernel,
    frame_energy_state,
    gate_kernel,
    level_detect_kernel,
    level_detect_state,
    squelch_kernel,
    squelch_state,
)
from tests import reference as ref
from tests.strategies import splits

PARAMS = dict(open_db=6.0, close_db=3.0, alpha=0.04, alpha_up=0.004, gate_db=2.0, warmup=5)


def _levels(n, seed):
    """Frame levels in dB: noise around -40 with bursts of 'signal' and a floor step."""
    rng = np.random.default_rng(seed)
    db = -40 + rng.normal(0, 1.0, n)
    for _ in range(max(1, n // 60)):
        a = rng.integers(0, max(n, 1))
        db[a:a + rng.integers(5, 40)] += rng.uniform(3, 20)
    db[n // 2:] -= rng.choice([0.0, 10.0])
    return db


def _run_level(db, sign, absolute, cuts):
    st = level_detect_state()
    out = []
    for a, b in zip([0, *cuts], [*cuts, db.size], strict=True):
        p = np.empty(b - a, np.uint8)
        level_detect_kernel(db[a:b], sign, PARAMS["open_db"], PARAMS["close_db"], absolute,
                            PARAMS["alpha"], PARAMS["alpha_up"], PARAMS["gate_db"],
                            PARAMS["warmup"], st, p)
        out.append(p)
    return np.concatenate(out), st


@given(n=st.integers(0, 4000), seed=st.integers(0, 2**32 - 1), fe=st.integers(1, 200))
def test_frame_energy_matches_reference_any_chunking(n, seed, fe):
    x = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    out = np.empty(n // fe + 2)
    k = frame_energy_kernel(x, fe, frame_energy_state(), out)
    np.testing.assert_allclose(out[:k], ref.frame_energy_ref(x, fe), rtol=1e-12)
    st = frame_energy_state()
    parts = []
    for a, b in zip([0, n // 3, n], [n // 3, n, n], strict=True):
        o = np.empty((b - a) // fe + 2)
        parts.append(o[: frame_energy_kernel(x[a:b], fe, st, o)].copy())
    assert np.concatenate(parts).tobytes() == out[:k].tobytes()


@pytest.mark.parametrize("sign,absolute", [(1.0, False), (-1.0, False), (1.0, True)])
@given(data=st.data(), n=st.integers(0, 1500), seed=st.integers(0, 2**32 - 1))
def test_level_detect_matches_reference_and_chunking(sign, absolute, data, n, seed):
    db = _levels(n, seed) * (1 if sign > 0 else -1)
    if absolute:
        db = db + 43.0                          # around the absolute thresholds
    whole, st_whole = _run_level(db, sign, absolute, [])
    expect = ref.level_detect_ref(db, sign, PARAMS["open_db"], PARAMS["close_db"], absolute,
                                  PARAMS["alpha"], PARAMS["alpha_up"], PARAMS["gate_db"],
                                  PARAMS["warmup"])
    assert whole.tobytes() == expect.tobytes()
    chunked, st_chunked = _run_level(db, sign, absolute, data.draw(splits(n)))
    assert chunked.tobytes() == whole.tobytes()
    assert st_chunked.tobytes() == st_whole.tobytes()


def _run_squelch(ok, force, cuts, attack=2, hang=7, timing=None):
    timing = np.zeros(ok.shape[0], np.uint8) if timing is None else np.asarray(timing, np.uint8)
    st = squelch_state()
    since = np.full(ok.shape[0], -1, np.int64)
    masks, events = [], []
    for a, b in zip([0, *cuts], [*cuts, ok.shape[1]], strict=True):
        m = np.empty(b - a, np.uint8)
        ev = np.empty(((b - a) // attack + 2, 4), np.int64)
        k = squelch_kernel(np.ascontiguousarray(ok[:, a:b]), force[a:b], timing, attack, hang,
                           st, since, m, ev)
        masks.append(m)
        events += [tuple(int(v) for v in e) for e in ev[:k]]
    return np.concatenate(masks) if masks else np.zeros(0, np.uint8), events, st


@given(data=st.data(), n=st.integers(0, 1200), nt=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_squelch_matches_reference_and_chunking(data, n, nt, seed):
    rng = np.random.default_rng(seed)
    # terms: runs of ok with flicker
    ok = np.zeros((nt, n), np.uint8)
    for t in range(nt):
        x = 0
        while x < n:
            length = int(rng.integers(1, 60))
            ok[t, x:x + length] = rng.random() < 0.6
            x += length
        flicker = rng.random(n) < 0.03
        ok[t, flicker] ^= 1
    force = (rng.random(n) < 0.005).astype(np.uint8)
    timing = (rng.random(nt) < 0.5).astype(np.uint8)
    mask, events, st = _run_squelch(ok, force, [], timing=timing)
    rmask, revents, pending = ref.squelch_ref(ok, force, 2, 7, timing)
    assert mask.tobytes() == rmask.tobytes() and events == revents
    if pending is None:
        assert st[0]["open"] == 0 and st[0]["closing"] == 0
    else:
        assert (int(st[0]["start"]), int(st[0]["last"]) + 1, int(st[0]["reason_open"])) == pending
    cm, ce, cst = _run_squelch(ok, force, data.draw(splits(n)), timing=timing)
    assert cm.tobytes() == mask.tobytes() and ce == events and cst.tobytes() == st.tobytes()


def test_forced_close_shuts_the_audio_and_follows_the_carrier_to_its_end():
    ok = np.zeros((2, 100), np.uint8)
    ok[0, 10:80] = 1                              # carrier (a timing term)
    ok[1, 30:60] = 1                              # a tone, confirmed late, burst at 60
    force = np.zeros(100, np.uint8)
    force[60] = 1
    mask, events, _ = _run_squelch(ok, force, [], timing=[1, 0])
    assert events == [(10, 80, 1, -2)]            # starts with the carrier, ends with it
    assert mask[31] == 1 and mask[60] == 0 and mask[60:].sum() == 0


def test_after_a_forced_close_the_hang_bridges_a_fade_not_a_later_carrier():
    # a reverse burst at frame 60, the carrier fading at 64-67 (within hang 7 of the force)
    # and back until 70: one event to 70, the audio shut throughout
    ok = np.zeros((1, 120), np.uint8)
    ok[0, 10:64] = 1
    ok[0, 68:70] = 1
    force = np.zeros(120, np.uint8)
    force[60] = 1
    mask, events, _ = _run_squelch(ok, force, [], timing=[1])
    assert events == [(10, 70, 0, -2)] and mask[60:].sum() == 0
    # one noise frame in the fade does not move the end: the carrier must hold `attack` frames
    ok2 = ok.copy()
    ok2[0, 68:70] = 0
    ok2[0, 66] = 1
    _, events, _ = _run_squelch(ok2, force, [], timing=[1])
    assert events == [(10, 64, 0, -2)]
    # a carrier back after the hang is another over (the burst's transmitter has unkeyed)
    ok3 = ok.copy()
    ok3[0, 64:] = 0
    ok3[0, 75:100] = 1
    mask, events, _ = _run_squelch(ok3, force, [], timing=[1])
    assert events == [(10, 64, 0, -2), (75, 100, 0, 0)] and mask[77] == 1


def test_squelch_events_are_back_dated_and_hang_bridges():
    ok = np.zeros((1, 100), np.uint8)
    ok[0, 10:30] = 1
    ok[0, 34:50] = 1                              # a 4-frame dropout: bridged by hang 7
    ok[0, 70:71] = 1                              # a single frame: shorter than the attack
    mask, events, _ = _run_squelch(ok, np.zeros(100, np.uint8), [])
    assert events == [(10, 50, 0, 0)]             # start back-dated over the attack, end = last
    # open from the attack (frame 11) through 7 failing frames (50-56), closed at 57
    assert mask[11] == 1 and mask[10] == 0 and mask[56] == 1 and mask[57] == 0
    assert mask[70:].sum() == 0


def _run_gate(audio, mask, ratio, post, frame, final_open, audio_cuts, mask_cuts):
    """Feed audio and frame decisions in independent pieces, as the receiver does, then flush."""
    held, pend, base, n_done, outs, gates = audio[:0], mask[:0], 0, 0, [], []

    def step(final):
        nonlocal held, pend, base, n_done
        out = np.empty(held.size, np.float32)
        g = np.empty(held.size, np.uint8)
        k, drop = gate_kernel(held, pend, base, n_done, ratio, post, frame, final, final_open,
                              out, g)
        outs.append(out[:k])
        gates.append(g[:k])
        held, n_done = held[k:], n_done + k
        pend, base = pend[drop:], base + drop

    a = np.split(audio, audio_cuts)
    m = np.split(mask, mask_cuts)
    for i in range(max(len(a), len(m))):
        if i < len(m):
            pend = np.concatenate([pend, m[i]])
        if i < len(a):
            held = np.concatenate([held, a[i]])
        step(False)
    step(True)
    return np.concatenate(outs), np.concatenate(gates).astype(bool)


@given(data=st.data(), n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1),
       frame=st.integers(1, 200), resampled=st.booleans(), final_open=st.booleans())
def test_gate_matches_reference_any_chunking(data, n, seed, frame, resampled, final_open):
    rng = np.random.default_rng(seed)
    audio = rng.standard_normal(n).astype(np.float32)
    ratio, post = (8 / 9, 17.5 / 9) if resampled else (1.0, 0.0)
    n_frames = int(n * ratio // frame) + rng.integers(-2, 3)
    mask = (rng.random(max(n_frames, 0)) < 0.5).astype(np.uint8)
    got, gate = _run_gate(audio, mask, ratio, post, frame, final_open,
                          data.draw(splits(n)), data.draw(splits(mask.size)))
    want, want_gate = ref.gate_ref(audio, mask, ratio, post, frame, final_open)
    np.testing.assert_array_equal(gate, want_gate)
    np.testing.assert_array_equal(got, want)
    assert got.size == n


def test_gate_waits_for_undecided_frames():
    out, g = np.empty(10, np.float32), np.empty(10, np.uint8)
    audio = np.ones(10, np.float32)
    # frames of 4 samples, two decided (open, closed): samples 0-7 are gated, 8-9 wait
    k, drop = gate_kernel(audio, np.array([1, 0], np.uint8), 0, 0, 1.0, 0.0, 4, False, True,
                          out, g)
    assert k == 8 and drop == 1
    np.testing.assert_array_equal(out[:8], [1, 1, 1, 1, 0, 0, 0, 0])
