"""Squelch kernels: exact against plain-Python references; any chunking gives the same frames,
decisions and events; a state copied mid-stream continues identically (and independently of
the original); a fresh state after use is a fresh start; an empty chunk leaves the state alone.
"""

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


def _run_energy(x, fe, cuts, st=None):
    st = frame_energy_state() if st is None else st
    parts = []
    for a, b in zip([0, *cuts], [*cuts, x.size], strict=True):
        o = np.empty((b - a) // fe + 2)
        parts.append(o[: frame_energy_kernel(x[a:b], fe, st, o)])
    return np.concatenate(parts), st


@given(data=st.data(), n=st.integers(0, 4000), seed=st.integers(0, 2**32 - 1),
       fe=st.integers(1, 200))
def test_frame_energy_matches_reference_any_chunking(data, n, seed, fe):
    x = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    whole, st_whole = _run_energy(x, fe, [])
    np.testing.assert_allclose(whole, ref.frame_energy_ref(x, fe), rtol=1e-12)
    parts, st_parts = _run_energy(x, fe, data.draw(splits(n)))
    assert parts.tobytes() == whole.tobytes() and st_parts.tobytes() == st_whole.tobytes()


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


# ----------------------------------------------------------------- copy, reset, empty chunks
# Each kernel's whole state is its record (and, for the combiner, ``term_since``; for the gate,
# the audio and decisions still held and the two counters): a copy of it taken mid-stream must
# continue exactly as the original, and writing a fresh record over a used one must give a
# fresh start. The original is run on after the copy is taken, so a copy sharing memory with it
# would differ.
def _split(n, frac):
    return int(frac * n)


@given(n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1), fe=st.integers(1, 200),
       frac=st.floats(0, 1))
def test_frame_energy_copy_reset_and_empty_chunk(n, seed, fe, frac):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(np.float32)
    c = _split(n, frac)
    _, st_ = _run_energy(x[:c], fe, [])
    twin = st_.copy()
    rest, _ = _run_energy(x[c:], fe, [], st_)
    rest_twin, _ = _run_energy(x[c:], fe, [], twin)
    assert rest_twin.tobytes() == rest.tobytes() and twin.tobytes() == st_.tobytes()
    before = st_.tobytes()
    assert frame_energy_kernel(x[:0], fe, st_, np.empty(1)) == 0 and st_.tobytes() == before
    st_[...] = frame_energy_state()
    again, _ = _run_energy(x, fe, [], st_)
    assert again.tobytes() == _run_energy(x, fe, [])[0].tobytes()


@pytest.mark.parametrize("sign,absolute", [(1.0, False), (-1.0, False), (1.0, True)])
@given(n=st.integers(0, 1500), seed=st.integers(0, 2**32 - 1), frac=st.floats(0, 1))
def test_level_detect_copy_reset_and_empty_chunk(sign, absolute, n, seed, frac):
    db = _levels(n, seed) * (1 if sign > 0 else -1) + (43.0 if absolute else 0.0)
    c = _split(n, frac)

    def run(d, st_):
        p = np.empty(d.size, np.uint8)
        level_detect_kernel(d, sign, PARAMS["open_db"], PARAMS["close_db"], absolute,
                            PARAMS["alpha"], PARAMS["alpha_up"], PARAMS["gate_db"],
                            PARAMS["warmup"], st_, p)
        return p

    st_ = level_detect_state()
    run(db[:c], st_)
    twin = st_.copy()
    rest = run(db[c:], st_)
    assert run(db[c:], twin).tobytes() == rest.tobytes() and twin.tobytes() == st_.tobytes()
    before = st_.tobytes()
    assert run(db[:0], st_).size == 0 and st_.tobytes() == before
    st_[...] = level_detect_state()
    assert run(db, st_).tobytes() == run(db, level_detect_state()).tobytes()


@given(n=st.integers(0, 1200), nt=st.integers(1, 3), seed=st.integers(0, 2**32 - 1),
       frac=st.floats(0, 1))
def test_squelch_copy_reset_and_empty_chunk(n, nt, seed, frac):
    rng = np.random.default_rng(seed)
    ok = np.zeros((nt, n), np.uint8)
    for t in range(nt):
        x = 0
        while x < n:
            length = int(rng.integers(1, 60))
            ok[t, x:x + length] = rng.random() < 0.6
            x += length
    force = (rng.random(n) < 0.005).astype(np.uint8)
    timing = (rng.random(nt) < 0.5).astype(np.uint8)
    c = _split(n, frac)

    def run(a, b, st_, since):
        m = np.empty(b - a, np.uint8)
        ev = np.empty(((b - a) // 2 + 2, 4), np.int64)
        k = squelch_kernel(np.ascontiguousarray(ok[:, a:b]), force[a:b], timing, 2, 7, st_,
                           since, m, ev)
        return m, ev[:k].copy()

    st_, since = squelch_state(), np.full(nt, -1, np.int64)
    run(0, c, st_, since)
    twin, twin_since = st_.copy(), since.copy()
    m1, e1 = run(c, n, st_, since)
    m2, e2 = run(c, n, twin, twin_since)
    assert m2.tobytes() == m1.tobytes() and e2.tobytes() == e1.tobytes()
    assert twin.tobytes() == st_.tobytes() and twin_since.tobytes() == since.tobytes()
    before = (st_.tobytes(), since.tobytes())
    m0, e0 = run(c, c, st_, since)
    assert m0.size == 0 and e0.size == 0 and (st_.tobytes(), since.tobytes()) == before
    st_[...] = squelch_state()
    since[:] = -1
    fresh = run(0, n, squelch_state(), np.full(nt, -1, np.int64))
    again = run(0, n, st_, since)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(again, fresh, strict=True))


class _GateStream:
    """The gate's whole streaming state as the receiver holds it: audio waiting for its frame,
    the decisions not yet dropped, the first of them and the audio samples already gated."""

    def __init__(self, ratio, post, frame, final_open):
        self.args = (ratio, post, frame)
        self.final_open = final_open
        self.held = np.zeros(0, np.float32)
        self.pend = np.zeros(0, np.uint8)
        self.base = 0
        self.n_done = 0

    def copy(self):
        new = _GateStream(*self.args, self.final_open)
        new.held, new.pend = self.held.copy(), self.pend.copy()
        new.base, new.n_done = self.base, self.n_done
        return new

    def feed(self, audio, mask, final=False):
        self.pend = np.concatenate([self.pend, mask])
        self.held = np.concatenate([self.held, audio])
        out = np.empty(self.held.size, np.float32)
        g = np.empty(self.held.size, np.uint8)
        k, drop = gate_kernel(self.held, self.pend, self.base, self.n_done, *self.args, final,
                              self.final_open, out, g)
        self.held, self.n_done = self.held[k:], self.n_done + k
        self.pend, self.base = self.pend[drop:], self.base + drop
        return out[:k], g[:k]

    def key(self):
        return (self.held.tobytes(), self.pend.tobytes(), self.base, self.n_done)


@given(n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1), frame=st.integers(1, 200),
       resampled=st.booleans(), final_open=st.booleans(), frac=st.floats(0, 1))
def test_gate_copy_reset_and_empty_chunk(n, seed, frame, resampled, final_open, frac):
    rng = np.random.default_rng(seed)
    audio = rng.standard_normal(n).astype(np.float32)
    ratio, post = (8 / 9, 17.5 / 9) if resampled else (1.0, 0.0)
    mask = (rng.random(int(n * ratio // frame) + 1) < 0.5).astype(np.uint8)
    c, cm = _split(n, frac), _split(mask.size, frac)
    g = _GateStream(ratio, post, frame, final_open)
    g.feed(audio[:c], mask[:cm])
    twin = g.copy()
    a = g.feed(audio[c:], mask[cm:], final=True)
    b = twin.feed(audio[c:], mask[cm:], final=True)
    assert all(u.tobytes() == v.tobytes() for u, v in zip(a, b, strict=True))
    assert twin.key() == g.key()
    h = _GateStream(ratio, post, frame, final_open)
    h.feed(audio[:c], mask[:cm])
    before = h.key()
    y, gate = h.feed(audio[:0], mask[:0])
    assert y.size == 0 and gate.size == 0 and h.key() == before
    # a fresh stream after use (the receiver's reset builds a new one) is a fresh start
    fresh = _GateStream(ratio, post, frame, final_open).feed(audio, mask, final=True)
    h = _GateStream(ratio, post, frame, final_open)
    h.feed(audio[:c], mask[:cm])
    h.__init__(ratio, post, frame, final_open)
    again = h.feed(audio, mask, final=True)
    assert all(u.tobytes() == v.tobytes() for u, v in zip(again, fresh, strict=True))
