"""ctcss_analyse_kernel and dcs_slice_kernel against their NumPy references (stateless: one
window in, one decision out; the decoders' streaming is tested in tests/test_squelch.py)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from htdsp.kernels import ctcss_analyse_kernel, dcs_slice_kernel
from htdsp.kernels import subaudible as sub
from htdsp.rx.ctcss import TONES, tone_tolerances_hz
from htdsp.standards import DCS_BAUD, dcs_bits
from tests import reference as ref

FS_C = 1000.0
W, HOP = 200, 20
TOL = tone_tolerances_hz(0.6, 0.3)


def _ctcss_window(tone, seed, flip_at=None, snr_db=15.0, fade_at=None):
    rng = np.random.default_rng(seed)
    n = np.arange(W)
    s = np.cos(2 * np.pi * tone * n / FS_C + rng.uniform(0, 6.3))
    if flip_at is not None:
        s[flip_at:] *= -1
    if fade_at is not None:                # the discriminator in a fade: the tone gives way
        s[fade_at:] *= 0.1
    return s + 10 ** (-snr_db / 20) * rng.standard_normal(W) + 0.3     # DC: a carrier error


def _analyse(y, held_hz):
    e = np.exp(-2j * np.pi * TONES[:, None] * np.arange(W)[None, :] / FS_C)
    got = ctcss_analyse_kernel(y, np.ascontiguousarray(e.real), np.ascontiguousarray(e.imag),
                               TONES, TOL, FS_C, 0.4, 0.03, 0.96, HOP, held_hz, 2.2,
                               np.empty(W))
    want = ref.ctcss_analyse_ref(y, TONES, TOL, FS_C, 0.4, 0.03, 0.96, HOP, held_hz, 2.2)
    return got, want


def test_burst_limits_match_the_reference():
    assert (sub.BURST_PERSIST_RAD, sub.BURST_AMP_RATIO, sub.BURST_MIN_FRACTION) == \
        ref.CTCSS_BURST_LIMITS


@given(k=st.integers(0, len(TONES) - 1), seed=st.integers(0, 2**32 - 1),
       flip=st.one_of(st.none(), st.integers(60, 190)), held=st.booleans())
def test_ctcss_analyse_matches_reference(k, seed, flip, held):
    y = _ctcss_window(float(TONES[k]), seed, flip)
    got, want = _analyse(y, float(TONES[k]) if held else 0.0)
    assert (int(got[0]), bool(got[1])) == want[:2]
    assert got[2] == pytest.approx(want[2], abs=1e-9)
    assert got[3] == pytest.approx(want[3], rel=1e-9)
    assert want[0] in (k, -1)              # a window holding a flip is refused, never misnamed
    if flip is None:
        assert want[:2] == (k, False)      # a clean tone is itself, without a burst
        assert abs(want[2] - TONES[k]) < 0.3 and want[3] == pytest.approx(1.0, rel=0.05)
    elif held and 120 <= flip <= 160:      # flipped in hops 2-3, both newest hops flipped
        assert want[1]


@given(k=st.integers(0, len(TONES) - 1), seed=st.integers(0, 2**32 - 1),
       fade=st.integers(60, 190))
def test_a_fade_is_not_a_reverse_burst(k, seed, fade):
    # the tone collapsing into the noise (a deep fade, or the carrier gone) over any part of
    # the last hops gives random phases: without the tone on both sides, no burst
    y = _ctcss_window(float(TONES[k]), seed, fade_at=fade)
    got, want = _analyse(y, float(TONES[k]))
    assert (int(got[0]), bool(got[1])) == want[:2]
    assert not want[1]


def _dcs_window(code, seed, fs=4000.0, turn_off=False):
    rng = np.random.default_rng(seed)
    spb = fs / DCS_BAUD
    n = int(np.ceil(46 * spb)) + 2
    t = np.arange(n) / fs + rng.uniform(0, 1 / DCS_BAUD)
    bits = np.array(dcs_bits(code)) * 2 - 1
    y = bits[(np.floor(t * DCS_BAUD).astype(int)) % 23].astype(float)
    # band-limited like the real thing (a sharp-edged NRZ leaves the eye search no preference)
    m = int(spb / 3)
    y = np.convolve(y, np.ones(m) / m, mode="same")
    if turn_off:
        y[-int(10 * spb):] = np.sin(2 * np.pi * DCS_BAUD * t[-int(10 * spb):])
    return y + 0.2 * rng.standard_normal(n) + 0.5, spb


@pytest.mark.parametrize("code", ["D023N", "D754I", "D411N"])
@given(seed=st.integers(0, 2**32 - 1), turn_off=st.booleans())
def test_dcs_slice_matches_reference(code, seed, turn_off):
    y, spb = _dcs_window(code, seed, turn_off=turn_off)
    k = int(round(8 * spb))
    tone = np.exp(-2j * np.pi * DCS_BAUD * np.arange(k) / 4000.0)
    rot = np.array([1, 2, 3], dtype=np.int64)
    got = dcs_slice_kernel(y, spb, 8, np.ascontiguousarray(tone.real),
                           np.ascontiguousarray(tone.imag), 0.3, rot, np.empty(y.size))
    want = ref.dcs_slice_ref(y, spb, 8, DCS_BAUD, 4000.0, 0.3, rot)
    assert tuple(int(v) for v in got) == tuple(int(v) for v in want)
    assert bool(got[2]) == turn_off
    if not turn_off:
        from htdsp.rx.dcs import WINDOWS, same_code

        assert same_code(WINDOWS[int(got[1])], code)     # the newest word is a rotation


@given(seed=st.integers(0, 2**32 - 1), best=st.integers(0, 7))
def test_dcs_slice_reads_each_bit_at_the_centre_of_the_widest_eye(seed, best):
    # a window where the right answer is known: at the centre of bit phase `best` each bit's
    # sample carries the bit (+-1), a little earlier (the phase's start) the opposite sign, and
    # small noise elsewhere; slicing anywhere but the centres reads other bits
    rng = np.random.default_rng(seed)
    fs, phases = 4000.0, 8
    spb = fs / DCS_BAUD
    n46 = int(round(46 * spb))
    bits = rng.integers(0, 2, 46)
    y = 0.05 * rng.standard_normal(n46)
    for b in range(46):
        centre = min(int((b + (best + 0.5) / phases) * spb), n46 - 1)
        edge = int((b + best / phases) * spb)
        assert edge != centre
        y[edge] = 0.5 - bits[b]
        y[centre] = 2.0 * bits[b] - 1.0
    y -= y.mean()
    k = int(round(8 * spb))
    tone = np.exp(-2j * np.pi * DCS_BAUD * np.arange(k) / fs)
    rot = np.zeros(0, dtype=np.int64)
    got = dcs_slice_kernel(y, spb, phases, np.ascontiguousarray(tone.real),
                           np.ascontiguousarray(tone.imag), 2.0, rot, np.empty(n46))
    weights = 1 << np.arange(23)
    assert (int(got[0]), int(got[1])) == (int(bits[:23] @ weights), int(bits[23:] @ weights))
    assert not got[2] and int(got[3]) == 99
    assert tuple(int(v) for v in got) == tuple(
        int(v) for v in ref.dcs_slice_ref(y, spb, phases, DCS_BAUD, fs, 2.0, rot))
