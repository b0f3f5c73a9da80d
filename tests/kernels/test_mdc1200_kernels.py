"""mdc1200_kernel: the streaming contract (chunking, copy, reset, empty input) and the plain
reference (tests/reference.py::mdc1200_ref). Ground truth against the encoder is in
tests/test_mdc1200.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from htdsp.kernels import MDC1200_DECODE, mdc1200_kernel, mdc1200_state
from htdsp.kernels.mdc1200 import _crc16, _popcount
from htdsp.rx.mdc1200 import _tables, crc16, encode
from tests import reference as ref
from tests.strategies import assert_bit_identical, splits

PARAMS = dict(n_samplers=8, max_dist=4, max_corrected=12, kp=0.25, ki=0.02, leak=0.02)


def _signal(fs, seed, n_packets=2):
    """Noise, then packets (random IDs, a double packet now and then) with gaps of noise."""
    rng = np.random.default_rng(seed)
    parts = [0.05 * rng.standard_normal(int(rng.integers(50, 800)))]
    for _ in range(n_packets):
        if rng.random() < 0.3:
            y = encode(int(rng.integers(0, 65536)), fs, op=0x35, arg=0x89,
                       extra=[int(v) for v in rng.integers(0, 256, 4)])
        else:
            y = encode(int(rng.integers(0, 65536)), fs, arg=int(rng.choice([0, 0x80])),
                       preamble_bits=int(rng.integers(24, 60)),
                       clock_error=float(rng.uniform(-0.01, 0.01)))
        y = y * rng.uniform(0.2, 1.0)
        parts += [y + 0.05 * rng.standard_normal(y.size),
                  0.05 * rng.standard_normal(int(rng.integers(0, 600)))]
    return np.concatenate(parts).astype(np.float32)


def _kernel_run(x, fs, state=None, flush=False):
    spb, tab = _tables(fs)
    if state is None:
        state = mdc1200_state(spb, PARAMS["n_samplers"])
    out = np.zeros(PARAMS["n_samplers"] * (x.size // int(100 * spb) + 2) + 1, MDC1200_DECODE)
    k = mdc1200_kernel(x, spb, *tab, PARAMS["n_samplers"], PARAMS["max_dist"],
                       PARAMS["max_corrected"], PARAMS["kp"], PARAMS["ki"], PARAMS["leak"],
                       flush, state, out)
    return out[:k], state


def _flushed(x, fs, state=None):
    spb, _ = _tables(fs)
    a, state = _kernel_run(x, fs, state)
    b, state = _kernel_run(np.zeros(int(np.ceil(2 * spb)) + 2, np.float32), fs, state, True)
    return np.concatenate([a, b]), state


def _chunked_run(x, fs, cuts):
    edges = [0, *cuts, len(x)]
    state = None
    outs = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        o, state = _kernel_run(x[a:b], fs, state)
        outs.append(o)
    return np.concatenate(outs), state


FS = st.sampled_from([7000.0, 8000.0, 11025.0, 16000.0])


@settings(max_examples=8)           # the reference is plain Python: a second a packet
@given(fs=FS, seed=st.integers(0, 2**32 - 1))
def test_mdc1200_matches_reference(fs, seed):
    x = _signal(fs, seed, n_packets=1)
    got, _ = _flushed(x, fs)
    spb, tab = _tables(fs)
    want = ref.mdc1200_ref(x, spb, tab[0] + 1j * tab[1], tab[2] + 1j * tab[3],
                           tab[4] + 1j * tab[5], PARAMS["n_samplers"], PARAMS["max_dist"],
                           PARAMS["max_corrected"], PARAMS["kp"], PARAMS["ki"],
                           PARAMS["leak"])
    assert len(want) >= 1                      # a clean packet: the reference decodes it
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (int(g["start"]), int(g["end"]), int(g["op"]), int(g["arg"]),
                int(g["unit"])) == w[:5]
        assert tuple(int(e) for e in g["extra"]) == w[5] and int(g["double"]) == w[6]
        assert float(g["metric"]) == pytest.approx(w[7], abs=1e-9)
        assert int(g["corrected"]) == w[8]


@given(fs=FS, seed=st.integers(0, 2**32 - 1), data=st.data())
def test_mdc1200_any_chunking_is_bit_identical(fs, seed, data):
    x = _signal(fs, seed)
    cuts = data.draw(splits(len(x), max_cuts=8))
    whole, s1 = _kernel_run(x, fs)
    parts, s2 = _chunked_run(x, fs, cuts)
    assert len(whole) >= 1
    assert_bit_identical(parts, whole)
    assert_bit_identical(s2, s1)


@given(fs=FS, seed=st.integers(0, 2**32 - 1), cut=st.floats(0.05, 0.95))
def test_mdc1200_copy_mid_stream_continues_identically(fs, seed, cut):
    x = _signal(fs, seed)
    k = int(cut * len(x))
    _, state = _kernel_run(x[:k], fs)
    twin = state.copy()
    a, sa = _kernel_run(x[k:], fs, state)
    b, sb = _kernel_run(x[k:], fs, twin)
    assert_bit_identical(a, b)
    assert_bit_identical(sa, sb)


def test_mdc1200_reset_equals_fresh():
    fs = 8000.0
    x = _signal(fs, 3)
    spb, _ = _tables(fs)
    _, used = _kernel_run(x, fs)
    used[...] = mdc1200_state(spb, PARAMS["n_samplers"])        # what reset() does
    a, _ = _kernel_run(x, fs, used)
    b, _ = _kernel_run(x, fs)
    assert len(b) >= 1
    assert_bit_identical(a, b)


def test_mdc1200_empty_input_leaves_state_alone():
    fs = 8000.0
    x = _signal(fs, 4)
    _, state = _kernel_run(x[: len(x) // 2], fs)
    before = state.copy()
    out, state = _kernel_run(x[:0], fs, state, flush=False)
    assert len(out) == 0
    assert_bit_identical(state, before)


def test_crc_matches_the_reference_and_a_known_check_value():
    rng = np.random.default_rng(0)
    for four in [[0, 0, 0, 0], [255] * 4, [1, 0x80, 0x12, 0x34],
                 *rng.integers(0, 256, (50, 4)).tolist()]:
        assert _crc16(np.array(four + [0, 0, 0], np.int64)) == crc16(bytes(four)) == \
            ref.mdc_crc_ref(four)
    # CRC-16/KERMIT's check value is 0x2189; this is KERMIT with a final xor 0xFFFF
    assert crc16(b"123456789") == 0x2189 ^ 0xFFFF


@given(v=st.integers(0, 2**40 - 1))
def test_popcount(v):
    assert _popcount(v) == bin(v).count("1")
