"""Domain facts of each kernel area: exact values, frequencies, responses, error bounds."""

import math

import numpy as np
import pytest
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st

import htdsp
from htdsp.dsp.design import kaiser_lowpass
from htdsp.dsp.iir import audio_highpass_sos, audio_lowpass_sos
from htdsp.dsp.mix import realised_shift_hz
from htdsp.kernels import FAST_MAX_PHASE_ERROR_RAD, fm_demod_fast_kernel, fm_demod_state
from tests.signals import tone_frequency_amplitude


def test_convert_scales_are_exact_at_the_rails():
    y = htdsp.convert(np.array([0, 255, 255, 0], np.uint8), "cu8")
    assert y.tolist() == [complex(-1, 1), complex(1, -1)]
    y = htdsp.convert(np.array([-32768, 16384], np.int16), "cs16")
    assert y.tolist() == [complex(-1, 0.5)]
    y = htdsp.convert(np.array([-128, 64], np.int8), "cs8")
    assert y.tolist() == [complex(-1, 0.5)]


def test_convert_holds_an_odd_element_across_chunks():
    c = htdsp.Converter("cu8")
    assert c.process(np.array([255], np.uint8)).size == 0
    assert c.process(np.array([0, 255], np.uint8)).tolist() == [complex(1, -1)]
    assert c.state["state"]["has_pending"][0] == 1


@given(f=st.floats(-20000, 20000))
def test_nco_moves_a_tone_to_dc_exactly(f):
    fs = 48000.0
    n = np.arange(4000)
    x = np.exp(2j * np.pi * realised_shift_hz(f, fs) * n / fs).astype(np.complex64)
    y = htdsp.nco_shift(x, fs=fs, shift_hz=-f)
    assert np.max(np.abs(y - y[0])) < 1e-5   # a constant: the tone sits at 0 Hz


def test_dc_blocker_removes_dc_and_keeps_a_tone():
    fs = 48000.0
    t = np.arange(48000) / fs
    x = (0.3 + 0.2j + 0.5 * np.exp(2j * np.pi * 1000 * t)).astype(np.complex64)
    y = htdsp.dc_block(x, fs=fs, cutoff_hz=10.0)[24000:]
    assert abs(np.mean(y)) < 1e-3
    assert abs(np.sqrt(np.mean(np.abs(y) ** 2)) - 0.5) < 0.005


def test_xlating_decimator_keeps_the_channel_and_rejects_its_image():
    fs, off = 240000.0, 30000.0
    h = kaiser_lowpass(fs, 6000, 18000, 65)
    n = np.arange(48000)
    want = np.exp(2j * np.pi * (off + 1000) * n / fs)
    image = np.exp(2j * np.pi * (-off + 1000) * n / fs)
    xl = htdsp.XlatingDecimator(h, 5, fs=fs, offset_hz=off)
    y = xl.process((want + image).astype(np.complex64))[200:]
    # what is left is the wanted tone at +1 kHz; the image (60 kHz away) is down >= 60 dB
    ref = np.exp(2j * np.pi * 1000 * (np.arange(y.size) + 200) * 5 / fs)
    resid = y - ref * np.vdot(ref, y) / np.vdot(ref, ref)
    assert 10 * np.log10(np.mean(np.abs(resid) ** 2)) < -60


@pytest.mark.parametrize("decim", [1, 3, 4])
def test_xlate_kernel_applies_complex_taps_in_order(decim):
    # the kernel takes complex taps g (the Python face rotates a real prototype into them): with
    # random complex, asymmetric g it must compute exp(-1j w n_k) sum_j g[j] x[n_k - j], taps in
    # order (not reversed, not conjugated), I and Q in place, the phase in the right direction
    from htdsp.dsp.mix import phase_increment
    from htdsp.kernels import xlate_decim_kernel, xlate_decim_state

    rng = np.random.default_rng(decim)
    g = rng.standard_normal(13) + 1j * rng.standard_normal(13)
    dphase = phase_increment(5000.0, 48000.0)
    x = (rng.standard_normal(1000) + 1j * rng.standard_normal(1000)).astype(np.complex64)
    # the documented layout: g reversed, row 0 [Re, -Im] and row 1 [Im, Re] per tap
    gr = g[::-1]
    taps = np.empty((2, 2 * g.size), np.float32)
    taps[0, 0::2], taps[0, 1::2] = gr.real, -gr.imag
    taps[1, 0::2], taps[1, 1::2] = gr.imag, gr.real
    out = np.empty(x.size, np.complex64)
    work = np.zeros(2 * (g.size - 1 + 256), np.float32)
    k = xlate_decim_kernel(x.view(np.float32), np.float32(0), np.float32(1), taps, decim,
                           (dphase * decim) % 2**32, xlate_decim_state(), work, out)
    n = np.arange(0, x.size, decim)
    w = 2 * np.pi * dphase / 2**32
    want = np.exp(-1j * w * n) * np.convolve(x.astype(np.complex128), g)[n]
    assert k == n.size
    np.testing.assert_allclose(out[:k], want, atol=2e-5 * np.max(np.abs(want)))


@pytest.mark.parametrize("up,down", [(3, 4), (6, 5), (1, 6), (2, 1), (24, 25)])
def test_resampler_keeps_a_tone_and_the_rate(up, down):
    fs_in = 48000.0 * down / up
    t = np.arange(int(fs_in)) / fs_in
    y = htdsp.resample(np.sin(2 * np.pi * 1000 * t).astype(np.float32), up, down)
    assert len(y) == pytest.approx(len(t) * up / down, abs=1)
    f, a = tone_frequency_amplitude(y[2000:], 48000.0)
    assert f == pytest.approx(1000.0, abs=0.01)
    assert a == pytest.approx(1.0, abs=0.002)


@given(f=st.floats(-2400, 2400))
def test_discriminator_reads_a_steady_frequency(f):
    fs = 48000.0
    x = np.exp(2j * np.pi * f * np.arange(500) / fs).astype(np.complex64)
    for fast in (True, False):
        y = htdsp.fm_demod(x, fs=fs, deviation_hz=2500.0, fast=fast)[1:]
        assert np.max(np.abs(y - f / 2500.0)) < 2e-4


def test_fast_discriminator_phase_error_bound():
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(400_001) + 1j * rng.standard_normal(400_001)).astype(np.complex64)
    # include the octant edges and axes
    x[:8] = [1, 1 + 1j, 1j, -1 + 1j, -1, -1 - 1j, -1j, 1 - 1j]
    out = np.empty(x.size, np.float32)
    fm_demod_fast_kernel(x, np.float32(1.0), fm_demod_state(), out)
    prod = x[1:].astype(np.complex128) * np.conj(x[:-1].astype(np.complex128))
    err = np.abs(np.angle(np.exp(1j * (out[1:] - np.angle(prod)))))
    assert err.max() < FAST_MAX_PHASE_ERROR_RAD
    assert err.max() > 1e-7          # it is an approximation: the bound is not vacuous


def test_discriminators_read_silence_as_zero():
    for fast in (True, False):
        y = htdsp.fm_demod(np.zeros(64, np.complex64), fs=48000.0, deviation_hz=2500, fast=fast)
        assert np.all(y == 0)


@pytest.mark.parametrize("fs", [8000.0, 16000.0, 24000.0, 48000.0])
def test_deemphasis_is_0db_at_1khz_and_falls_6db_per_octave(fs):
    t = np.arange(int(fs) * 2) / fs
    gains = []
    for f in (1000.0, 2000.0):
        y = htdsp.deemphasis(np.sin(2 * np.pi * f * t).astype(np.float32), fs=fs, tau_s=750e-6)
        gains.append(20 * math.log10(tone_frequency_amplitude(y[int(fs):], fs)[1]))
    assert gains[0] == pytest.approx(0.0, abs=0.01)
    # one pole at 212 Hz: about -5.8 dB from 1 to 2 kHz; at 8 kHz the bilinear zero at Nyquist
    # (4 kHz) pulls 2 kHz down further (documented in deemph_coeffs)
    slope = gains[1] - gains[0]
    assert (-6.3 < slope < -5.5) if fs >= 16000 else (-8.0 < slope < -7.0)


def test_deemphasis_off_is_identity():
    x = np.random.default_rng(1).standard_normal(100).astype(np.float32)
    assert np.array_equal(htdsp.deemphasis(x, fs=48000.0, tau_s=0.0), x)


def test_audio_highpass_removes_every_ctcss_tone_and_keeps_voice():
    sos = audio_highpass_sos(48000.0, 300.0)
    f = np.array([67.0, 150.0, 254.1, 300.0, 1000.0, 3000.0])
    _, h = scipy.signal.sosfreqz(sos, f, fs=48000.0)
    db = 20 * np.log10(np.abs(h))
    assert np.all(db[:3] < -40)          # the design: 40 dB equiripple stop band
    assert np.all(np.abs(db[3:]) < 0.011)


def test_audio_lowpass_corner():
    _, h = scipy.signal.sosfreqz(audio_lowpass_sos(48000.0, 3000.0), [1000.0, 3000.0, 6000.0],
                                 fs=48000.0)
    db = 20 * np.log10(np.abs(h))
    assert abs(db[0]) < 0.01 and abs(db[1] + 3.01) < 0.02 and db[2] < -35


QUANTIZE_FORMATS = [
    ("cu8", np.uint8, 127.5, 127.5, 0, 255), ("cs8", np.int8, 128, 0, -128, 127),
    ("cs16", np.int16, 32768, 0, -32768, 32767)]


@pytest.mark.parametrize("fmt,dtype,scale,offset,lo,hi", QUANTIZE_FORMATS)
@given(n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1), cut=st.floats(0, 1))
def test_quantize_matches_reference_and_any_chunking(fmt, dtype, scale, offset, lo, hi, n, seed,
                                                     cut):
    from htdsp.kernels import quantize_kernel
    from tests.reference import quantize_ref

    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.3, 1.3, n).astype(np.float32)
    x[rng.random(n) < 0.01] = np.nan                     # NaN -> the low rail, counted
    # float32 arithmetic (and a fused multiply-add) may move a value within 1e-3 of a half
    # code to either side: those are left out; every other element must give the exact code
    v = x.astype(np.float64) * scale + offset
    x = x[~(np.abs(v - np.floor(v) - 0.5) < 1e-3)]
    n = x.size
    args = (np.float32(scale), np.float32(offset), np.float32(lo), np.float32(hi))
    out = np.empty(n, dtype)
    k = quantize_kernel(x, *args, out)
    ref, clipped = quantize_ref(x, scale, offset, lo, hi)
    np.testing.assert_array_equal(out.astype(np.int64), ref)
    assert k == clipped
    c = int(cut * n)
    a, b = np.empty(c, dtype), np.empty(n - c, dtype)
    k2 = quantize_kernel(x[:c], *args, a) + quantize_kernel(x[c:], *args, b)
    assert np.concatenate([a, b]).tobytes() == out.tobytes() and k2 == k


@pytest.mark.parametrize("dtype,scale,lo,hi", [(np.int8, 128, -128, 127),
                                               (np.int16, 32768, -32768, 32767)])
def test_quantize_rounds_exact_halves_to_even(dtype, scale, lo, hi):
    # a power-of-two scale makes (k + 0.5) / scale exact in float32: each is a tie
    from htdsp.kernels import quantize_kernel

    k = np.arange(-40.0, 40.0)
    x = ((k + 0.5) / scale).astype(np.float32)
    out = np.empty(x.size, dtype)
    clipped = quantize_kernel(x, np.float32(scale), np.float32(0), np.float32(lo),
                              np.float32(hi), out)
    assert clipped == 0
    np.testing.assert_array_equal(out, np.rint(k + 0.5))          # ties to the even code
    assert np.all(out % 2 == 0)


def test_quantize_of_decoded_codes_is_exact():
    from htdsp.io.datatypes import datatype, to_complex, to_elements

    for name, dt in (("cu8", np.uint8), ("cs8", np.int8), ("cs16", np.int16)):
        info = np.iinfo(dt)
        e = np.arange(info.min, info.max + 1, dtype=dt)
        e = np.concatenate([e, e[::-1]])
        assert to_elements(to_complex(e, datatype(name)), datatype(name)).tobytes() == e.tobytes()
