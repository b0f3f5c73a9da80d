"""One benchmark group per kernel: kernel (small and large), NumPy reference, chunked stream.

Group names are the kernel names (tests/test_pairing.py checks every kernel has one).
"""

import numpy as np
import pytest
import scipy.signal

import htdsp
from bench.smoke import size
from htdsp.dsp.convert import format_scale
from htdsp.dsp.design import kaiser_lowpass, resample_taps
from htdsp.dsp.fm import fm_gain
from htdsp.dsp.iir import audio_highpass_sos, deemph_coeffs
from htdsp.dsp.mix import dc_block_alpha, phase_increment
from htdsp.kernels import (
    convert_kernel,
    convert_state,
    fm_demod_fast_kernel,
    fm_demod_kernel,
    fm_demod_state,
)

SMALL, LARGE = 4096, size(1 << 21, 1 << 15)
CHUNK = 8192
RNG = np.random.default_rng(0)
FS = 2.4e6
X = {n: (RNG.standard_normal(n) + 1j * RNG.standard_normal(n)).astype(np.complex64) * 0.3
     for n in (SMALL, LARGE)}
R = {n: RNG.standard_normal(n).astype(np.float32) for n in (SMALL, LARGE)}
U8 = {n: RNG.integers(0, 256, 2 * n, dtype=np.uint8) for n in (SMALL, LARGE)}


def _stream(obj, x, chunk=CHUNK):
    for i in range(0, len(x), chunk):
        obj.process(x[i:i + chunk])


def _size_id(n):
    return "small" if n == SMALL else "large"


# ------------------------------------------------------------------ convert_kernel
@pytest.mark.benchmark(group="convert_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_convert_kernel(measure, n):
    off, sc = format_scale("cu8")
    out = np.empty(n + 1, np.complex64).view(np.float32)
    measure(lambda: convert_kernel(U8[n], off, sc, convert_state(), out), n)


@pytest.mark.benchmark(group="convert_kernel")
def test_convert_reference(measure):
    def ref(u):
        v = (u.astype(np.float32) - np.float32(127.5)) * np.float32(1 / 127.5)
        return v.view(np.complex64)
    measure(ref, LARGE, U8[LARGE])


@pytest.mark.benchmark(group="convert_kernel")
def test_convert_stream(measure):
    measure(lambda: _stream(htdsp.Converter("cu8"), U8[LARGE], 2 * CHUNK), LARGE)


# ------------------------------------------------------------------ nco_kernel
@pytest.mark.benchmark(group="nco_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_nco_kernel(measure, n):
    nco = htdsp.NCO(fs=FS, shift_hz=-100e3)
    measure(nco.process, n, X[n])


@pytest.mark.benchmark(group="nco_kernel")
def test_nco_reference(measure):
    def ref(x):
        ph = np.mod(2 * np.pi * -100e3 / FS * np.arange(x.size), 2 * np.pi).astype(np.float32)
        return x * np.exp(1j * ph).astype(np.complex64)
    measure(ref, LARGE, X[LARGE])


@pytest.mark.benchmark(group="nco_kernel")
def test_nco_stream(measure):
    measure(lambda: _stream(htdsp.NCO(fs=FS, shift_hz=-100e3), X[LARGE]), LARGE)


# ------------------------------------------------------------------ dc_block_kernel
@pytest.mark.benchmark(group="dc_block_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_dc_block_kernel(measure, n):
    measure(htdsp.DCBlocker(fs=FS).process, n, X[n])


@pytest.mark.benchmark(group="dc_block_kernel")
def test_dc_block_reference(measure):
    a = dc_block_alpha(10.0, FS)
    measure(lambda x: scipy.signal.lfilter([1.0, -1.0], [1.0, -a], x), LARGE, X[LARGE])


@pytest.mark.benchmark(group="dc_block_kernel")
def test_dc_block_stream(measure):
    measure(lambda: _stream(htdsp.DCBlocker(fs=FS), X[LARGE]), LARGE)


# ------------------------------------------------------------------ fir_decim_kernel
H5 = kaiser_lowpass(240e3, 6000, 40500, 65)


@pytest.mark.benchmark(group="fir_decim_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_fir_decim_kernel(measure, n):
    measure(htdsp.FIRDecimator(H5, 5).process, n, X[n])


@pytest.mark.benchmark(group="fir_decim_kernel")
def test_fir_decim_reference(measure):
    measure(lambda x: scipy.signal.upfirdn(H5.astype(np.float32), x, down=5), LARGE, X[LARGE])


@pytest.mark.benchmark(group="fir_decim_kernel")
def test_fir_decim_stream(measure):
    measure(lambda: _stream(htdsp.FIRDecimator(H5, 5), X[LARGE]), LARGE)


# ------------------------------------------------------------------ xlate_decim_kernel
H10 = kaiser_lowpass(FS, 5625, 232500, 65)


@pytest.mark.benchmark(group="xlate_decim_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_xlate_decim_kernel_cu8(measure, n):
    xl = htdsp.XlatingDecimator(H10, 10, fs=FS, offset_hz=300e3, fmt="cu8")
    measure(xl.process, n, U8[n])


@pytest.mark.benchmark(group="xlate_decim_kernel")
def test_xlate_decim_kernel_cf32(measure):
    xl = htdsp.XlatingDecimator(H10, 10, fs=FS, offset_hz=300e3)
    measure(xl.process, LARGE, X[LARGE])


@pytest.mark.benchmark(group="xlate_decim_kernel")
def test_xlate_decim_reference(measure):
    d = phase_increment(300e3, FS)

    def ref(x):
        ph = ((np.arange(x.size, dtype=np.int64) * d) % 2**32) * (2 * np.pi / 2**32)
        return scipy.signal.upfirdn(H10.astype(np.float32), x * np.exp(-1j * ph).astype(
            np.complex64), down=10)
    measure(ref, LARGE, X[LARGE], rounds=5)


@pytest.mark.benchmark(group="xlate_decim_kernel")
def test_xlate_decim_stream(measure):
    measure(lambda: _stream(htdsp.XlatingDecimator(H10, 10, fs=FS, offset_hz=300e3, fmt="cu8"),
                            U8[LARGE], 2 * CHUNK), LARGE)


# ------------------------------------------------------------------ resample_kernel
HR = resample_taps(3, 4, 64000.0)


@pytest.mark.benchmark(group="resample_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_resample_kernel(measure, n):
    measure(htdsp.Resampler(3, 4, HR).process, n, R[n])


@pytest.mark.benchmark(group="resample_kernel")
def test_resample_reference(measure):
    measure(lambda x: scipy.signal.upfirdn(HR, x, 3, 4), LARGE, R[LARGE])


@pytest.mark.benchmark(group="resample_kernel")
def test_resample_stream(measure):
    measure(lambda: _stream(htdsp.Resampler(3, 4, HR), R[LARGE]), LARGE)


# ------------------------------------------------------------------ fm_demod_kernel / fast
G = fm_gain(48000.0, 2500.0)


def _np_angle(x):
    return np.angle(x[1:] * np.conj(x[:-1]))


@pytest.mark.benchmark(group="fm_demod_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_fm_demod_kernel(measure, n):
    out = np.empty(n, np.float32)
    measure(lambda: fm_demod_kernel(X[n], G, fm_demod_state(), out), n)


@pytest.mark.benchmark(group="fm_demod_kernel")
def test_fm_demod_reference(measure):
    measure(_np_angle, LARGE, X[LARGE])


@pytest.mark.benchmark(group="fm_demod_kernel")
def test_fm_demod_stream(measure):
    measure(lambda: _stream(htdsp.FMDemodulator(fs=48000.0, deviation_hz=2500.0, fast=False),
                            X[LARGE]), LARGE)


@pytest.mark.benchmark(group="fm_demod_fast_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_fm_demod_fast_kernel(measure, n):
    out = np.empty(n, np.float32)
    measure(lambda: fm_demod_fast_kernel(X[n], G, fm_demod_state(), out), n)


@pytest.mark.benchmark(group="fm_demod_fast_kernel")
def test_fm_demod_fast_reference_np_angle(measure):
    measure(_np_angle, LARGE, X[LARGE])


@pytest.mark.benchmark(group="fm_demod_fast_kernel")
def test_fm_demod_fast_stream(measure):
    measure(lambda: _stream(htdsp.FMDemodulator(fs=48000.0, deviation_hz=2500.0), X[LARGE]),
            LARGE)


# ------------------------------------------------------------------ deemph_kernel
DE = deemph_coeffs(48000.0, 750e-6)


@pytest.mark.benchmark(group="deemph_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_deemph_kernel(measure, n):
    measure(htdsp.Deemphasis(fs=48000.0).process, n, R[n])


@pytest.mark.benchmark(group="deemph_kernel")
def test_deemph_reference(measure):
    measure(lambda x: scipy.signal.lfilter([DE[0], DE[1]], [1.0, DE[2]], x), LARGE, R[LARGE])


@pytest.mark.benchmark(group="deemph_kernel")
def test_deemph_stream(measure):
    measure(lambda: _stream(htdsp.Deemphasis(fs=48000.0), R[LARGE]), LARGE)


# ------------------------------------------------------------------ sosfilt_kernel
SOS = audio_highpass_sos(48000.0)


@pytest.mark.benchmark(group="sosfilt_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_sosfilt_kernel(measure, n):
    measure(htdsp.BiquadFilter(SOS).process, n, R[n])


@pytest.mark.benchmark(group="sosfilt_kernel")
def test_sosfilt_reference(measure):
    measure(lambda x: scipy.signal.sosfilt(SOS, x), LARGE, R[LARGE])


@pytest.mark.benchmark(group="sosfilt_kernel")
def test_sosfilt_stream(measure):
    measure(lambda: _stream(htdsp.BiquadFilter(SOS), R[LARGE]), LARGE)


# ------------------------------------------------------------------ iq_stats_kernel
@pytest.mark.benchmark(group="iq_stats_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_iq_stats_kernel(measure, n):
    from htdsp.dsp.iqstats import IQStats
    from htdsp.io.datatypes import datatype

    measure(IQStats(datatype("cu8")).process, n, U8[n])


@pytest.mark.benchmark(group="iq_stats_kernel")
def test_iq_stats_reference(measure):
    from tests.reference import iq_stats_ref

    measure(lambda u: iq_stats_ref(u, 127.5, 1 / 127.5, -1.0, 1.0), LARGE, U8[LARGE])


@pytest.mark.benchmark(group="iq_stats_kernel")
def test_iq_stats_stream(measure):
    from htdsp.dsp.iqstats import IQStats
    from htdsp.io.datatypes import datatype

    measure(lambda: _stream(IQStats(datatype("cu8")), U8[LARGE], 2 * CHUNK), LARGE)


# ------------------------------------------------------------------ gauss_kernel
@pytest.mark.benchmark(group="gauss_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_gauss_kernel(measure, n):
    from htdsp.dsp.noise import GaussianNoise

    g = GaussianNoise(1)
    measure(lambda: g.complex(n), n)


@pytest.mark.benchmark(group="gauss_kernel")
def test_gauss_reference_numpy(measure):
    rng = np.random.default_rng(1)
    measure(lambda: rng.standard_normal(2 * LARGE, dtype=np.float32).view(np.complex64), LARGE)


@pytest.mark.benchmark(group="gauss_kernel")
def test_gauss_stream(measure):
    from htdsp.dsp.noise import GaussianNoise

    def run():
        g = GaussianNoise(1)
        for _ in range(LARGE // CHUNK):
            g.complex(CHUNK)
    measure(run, LARGE)


# ------------------------------------------------------------------ xlate_interp_kernel
HI = kaiser_lowpass(FS, 40e3, 200e3, 65) * 10


@pytest.mark.benchmark(group="xlate_interp_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_xlate_interp_kernel(measure, n):
    it = htdsp.dsp.fir.XlatingInterpolator(HI, 10, fs=FS, offset_hz=300e3)
    x = X[n][: n // 10]
    measure(it.process, n, x)


@pytest.mark.benchmark(group="xlate_interp_kernel")
def test_xlate_interp_reference(measure):
    d = phase_increment(300e3, FS)
    x = X[LARGE][: LARGE // 10]

    def ref(x):
        y = scipy.signal.upfirdn(HI.astype(np.float32), x, up=10)[: x.size * 10]
        ph = ((np.arange(y.size, dtype=np.int64) * d) % 2**32) * (2 * np.pi / 2**32)
        return y * np.exp(1j * ph).astype(np.complex64)
    measure(ref, LARGE, x, rounds=5)


@pytest.mark.benchmark(group="xlate_interp_kernel")
def test_xlate_interp_stream(measure):
    x = X[LARGE][: LARGE // 10]
    measure(lambda: _stream(htdsp.dsp.fir.XlatingInterpolator(HI, 10, fs=FS, offset_hz=300e3), x,
                            CHUNK // 10), LARGE)


# ------------------------------------------------------------------ quantize_kernel
@pytest.mark.benchmark(group="quantize_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_quantize_kernel(measure, n):
    from htdsp.kernels import quantize_kernel

    v = X[n].view(np.float32)
    out = np.empty(v.size, np.uint8)
    measure(lambda: quantize_kernel(v, np.float32(127.5), np.float32(127.5), np.float32(0),
                                    np.float32(255), out), n)


@pytest.mark.benchmark(group="quantize_kernel")
def test_quantize_reference(measure):
    v = X[LARGE].view(np.float32)

    def ref():
        q = np.rint(v * np.float32(127.5) + np.float32(127.5))
        return np.clip(q, 0, 255).astype(np.uint8)
    measure(ref, LARGE)


@pytest.mark.benchmark(group="quantize_kernel")
def test_quantize_stream(measure):
    from htdsp.io.datatypes import datatype, to_elements

    dt = datatype("cu8")
    measure(lambda: [to_elements(X[LARGE][i:i + CHUNK], dt) for i in range(0, LARGE, CHUNK)],
            LARGE)


# ------------------------------------------------------------------ squelch kernels
FRAMES = (np.random.default_rng(3).normal(-40, 1, LARGE // 96)).astype(np.float64)


@pytest.mark.benchmark(group="frame_energy_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_frame_energy_kernel(measure, n):
    from htdsp.kernels import frame_energy_kernel, frame_energy_state

    v = X[n].view(np.float32)
    out = np.empty(v.size // 192 + 2)
    measure(lambda: frame_energy_kernel(v, 192, frame_energy_state(), out), n)


@pytest.mark.benchmark(group="frame_energy_kernel")
def test_frame_energy_reference(measure):
    from tests.reference import frame_energy_ref

    measure(frame_energy_ref, LARGE, X[LARGE].view(np.float32), 192)


@pytest.mark.benchmark(group="frame_energy_kernel")
def test_frame_energy_stream(measure):
    from htdsp.kernels import frame_energy_kernel, frame_energy_state

    v = X[LARGE].view(np.float32)

    def run():
        st = frame_energy_state()
        out = np.empty(2 * CHUNK // 192 + 2)
        for i in range(0, v.size, 2 * CHUNK):
            frame_energy_kernel(v[i:i + 2 * CHUNK], 192, st, out)
    measure(run, LARGE)


def _level(frames):
    from htdsp.kernels import level_detect_kernel, level_detect_state

    p = np.empty(frames.size, np.uint8)
    level_detect_kernel(frames, 1.0, 6.0, 3.0, False, 0.04, 0.001, 2.0, 25, level_detect_state(),
                        p)
    return p


@pytest.mark.benchmark(group="level_detect_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_level_detect_kernel(measure, n):
    f = FRAMES[: max(1, n // 96)]
    measure(_level, f.size, f)


@pytest.mark.benchmark(group="level_detect_kernel")
def test_level_detect_reference(measure):
    from tests.reference import level_detect_ref

    measure(level_detect_ref, FRAMES.size, FRAMES, 1.0, 6.0, 3.0, False, 0.04, 0.001, 2.0, 25,
            rounds=3)


@pytest.mark.benchmark(group="level_detect_kernel")
def test_level_detect_stream(measure):
    measure(lambda: [_level(FRAMES[i:i + 100]) for i in range(0, FRAMES.size, 100)],
            FRAMES.size)


def _squelch(ok):
    from htdsp.kernels import squelch_kernel, squelch_state

    n = ok.shape[1]
    m = np.empty(n, np.uint8)
    ev = np.empty((n // 2 + 2, 4), np.int64)
    return squelch_kernel(ok, np.zeros(n, np.uint8), np.ones(ok.shape[0], np.uint8), 2, 100,
                          squelch_state(), np.full(ok.shape[0], -1, np.int64), m, ev)


OK = np.ascontiguousarray(np.stack([_level(FRAMES), _level(FRAMES[::-1].copy())]))


@pytest.mark.benchmark(group="squelch_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_squelch_kernel(measure, n):
    ok = np.ascontiguousarray(OK[:, : max(1, n // 96)])
    measure(_squelch, ok.shape[1], ok)


@pytest.mark.benchmark(group="squelch_kernel")
def test_squelch_reference(measure):
    from tests.reference import squelch_ref

    measure(squelch_ref, OK.shape[1], OK, np.zeros(OK.shape[1], np.uint8), 2, 100, [1, 1],
            rounds=3)


@pytest.mark.benchmark(group="squelch_kernel")
def test_squelch_stream(measure):
    measure(lambda: [_squelch(np.ascontiguousarray(OK[:, i:i + 100]))
                     for i in range(0, OK.shape[1], 100)], OK.shape[1])


def _gate(audio, mask, audio_n=0):
    from htdsp.kernels import gate_kernel

    out = np.empty(audio.size, np.float32)
    g = np.empty(audio.size, np.uint8)
    return gate_kernel(audio, mask, 0, audio_n, 1.0, 0.0, 96, True, False, out, g)


GATE_MASK = (np.arange(LARGE // 96 + 1) // 50 % 2).astype(np.uint8)    # 100 ms on, 100 off


@pytest.mark.benchmark(group="gate_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_gate_kernel(measure, n):
    audio = X[n].real.copy()
    measure(_gate, n, audio, GATE_MASK)


@pytest.mark.benchmark(group="gate_kernel")
def test_gate_reference(measure):
    from tests.reference import gate_ref

    audio = X[LARGE].real.copy()
    measure(gate_ref, LARGE, audio, GATE_MASK, 1.0, 0.0, 96, False)


@pytest.mark.benchmark(group="gate_kernel")
def test_gate_stream(measure):
    audio = X[LARGE].real.copy()
    measure(lambda: [_gate(audio[i:i + CHUNK], GATE_MASK, i) for i in range(0, LARGE, CHUNK)],
            LARGE)


# ------------------------------------------------------------------ sub-audible analyses
def _ctcss_args():
    from htdsp.rx.ctcss import TONES

    rng = np.random.default_rng(1)
    y = np.cos(2 * np.pi * 123.0 * np.arange(200) / 1000.0) + 0.1 * rng.standard_normal(200)
    e = np.exp(-2j * np.pi * TONES[:, None] * np.arange(200)[None, :] / 1000.0)
    return y, np.ascontiguousarray(e.real), np.ascontiguousarray(e.imag), TONES


@pytest.mark.benchmark(group="ctcss_analyse_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_ctcss_analyse_kernel(measure, n):
    from htdsp.kernels import ctcss_analyse_kernel
    from htdsp.rx.ctcss import tone_tolerances_hz

    y, c, s, tones = _ctcss_args()
    tol = tone_tolerances_hz(0.6, 0.3)
    work = np.empty(200)
    # one hop analyses 200 samples; report per hop of 20 new samples (the stream's rate); a
    # tone held, so the hop pays for the identification and the reverse-burst test
    measure(lambda: ctcss_analyse_kernel(y, c, s, tones, tol, 1000.0, 0.4, 0.03, 0.96, 20,
                                         123.0, 2.2, work), 20)


@pytest.mark.benchmark(group="ctcss_analyse_kernel")
def test_ctcss_analyse_reference(measure):
    y, _, _, tones = _ctcss_args()
    from htdsp.rx.ctcss import tone_tolerances_hz
    from tests.reference import ctcss_analyse_ref

    measure(ctcss_analyse_ref, 20, y, tones, tone_tolerances_hz(0.6, 0.3), 1000.0, 0.4, 0.03,
            0.96, 20, 123.0, 2.2)


@pytest.mark.benchmark(group="ctcss_analyse_kernel")
def test_ctcss_analyse_stream(measure):
    from htdsp.rx.ctcss import CTCSSDetector

    x = (np.cos(2 * np.pi * 123.0 * np.arange(48000) / 48000.0) * 0.1).astype(np.float32)
    measure(lambda: CTCSSDetector(48000.0).process(x), x.size)


def _dcs_args():
    from htdsp.standards import DCS_BAUD, dcs_bits

    spb = 4000.0 / DCS_BAUD
    n = int(np.ceil(46 * spb)) + 2
    t = np.arange(n) / 4000.0
    y = (np.array(dcs_bits("D023N")) * 2 - 1)[(np.floor(t * DCS_BAUD).astype(int)) % 23] * 1.0
    k = int(round(8 * spb))
    tone = np.exp(-2j * np.pi * DCS_BAUD * np.arange(k) / 4000.0)
    return y, spb, np.ascontiguousarray(tone.real), np.ascontiguousarray(tone.imag)


@pytest.mark.benchmark(group="dcs_slice_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_dcs_slice_kernel(measure, n):
    from htdsp.kernels import dcs_slice_kernel

    y, spb, c, s = _dcs_args()
    rot = np.arange(23, dtype=np.int64)
    work = np.empty(y.size)
    measure(lambda: dcs_slice_kernel(y, spb, 8, c, s, 0.3, rot, work), int(4 * spb))


@pytest.mark.benchmark(group="dcs_slice_kernel")
def test_dcs_slice_reference(measure):
    from tests.reference import dcs_slice_ref

    y, spb, _, _ = _dcs_args()
    measure(dcs_slice_ref, int(4 * spb), y, spb, 8, 134.4, 4000.0, 0.3, list(range(23)))


@pytest.mark.benchmark(group="dcs_slice_kernel")
def test_dcs_slice_stream(measure):
    from htdsp.rx.dcs import DCSDetector

    x = (np.sin(2 * np.pi * 100.0 * np.arange(48000) / 48000.0) * 0.1).astype(np.float32)
    measure(lambda: DCSDetector(48000.0).process(x), x.size)


# ------------------------------------------------------------------ measurement
@pytest.mark.benchmark(group="block_moments_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_block_moments_kernel(measure, n):
    from htdsp.kernels import block_moments_kernel, block_moments_state

    out = np.empty((n // 48 + 2, 4))
    measure(lambda: block_moments_kernel(X[n], 48, block_moments_state(), out), n)


@pytest.mark.benchmark(group="block_moments_kernel")
def test_block_moments_reference(measure):
    from tests.reference import block_moments_ref

    measure(block_moments_ref, LARGE, X[LARGE], 48)


@pytest.mark.benchmark(group="block_moments_kernel")
def test_block_moments_stream(measure):
    from htdsp.kernels import block_moments_kernel, block_moments_state

    def run():
        st = block_moments_state()
        out = np.empty((CHUNK // 48 + 2, 4))
        for i in range(0, LARGE, CHUNK):
            block_moments_kernel(X[LARGE][i:i + CHUNK], 48, st, out)
    measure(run, LARGE)


def _whist(x, window=4800):
    from htdsp.kernels import window_hist_kernel, window_hist_state

    st, h = window_hist_state(1024)
    k = x.size // window + 2
    s = np.empty((k, 3))
    hh = np.empty((k, 1024), np.int64)
    return window_hist_kernel(x, window, -4.0, 8 / 1024, 99.9, st, h, s, hh)


@pytest.mark.benchmark(group="window_hist_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_window_hist_kernel(measure, n):
    x = X[n].real.copy()
    measure(_whist, n, x)


@pytest.mark.benchmark(group="window_hist_kernel")
def test_window_hist_reference(measure):
    from tests.reference import window_hist_ref

    measure(window_hist_ref, LARGE, X[LARGE].real.copy(), 4800, -4.0, 8 / 1024, 1024, 99.9,
            rounds=3)


@pytest.mark.benchmark(group="window_hist_kernel")
def test_window_hist_stream(measure):
    from htdsp.kernels import window_hist_kernel, window_hist_state

    x = X[LARGE].real.copy()

    def run():
        st, h = window_hist_state(1024)
        s = np.empty((CHUNK // 4800 + 2, 3))
        hh = np.empty((CHUNK // 4800 + 2, 1024), np.int64)
        for i in range(0, LARGE, CHUNK):
            window_hist_kernel(x[i:i + CHUNK], 4800, -4.0, 8 / 1024, 99.9, st, h, s, hh)
    measure(run, LARGE)


TONE_WINDOW = (0.6 * np.cos(2 * np.pi * 1000.3 * np.arange(4800) / 48000.0)
               + 0.01 * RNG.standard_normal(4800)).astype(np.float32)


@pytest.mark.benchmark(group="tone_fit_kernel")
def test_tone_fit_kernel(measure):
    """One 100 ms window at 48 kHz (the size does not change: stateless, per window)."""
    from htdsp.kernels import tone_fit_kernel

    work = np.empty(3 * 4800)
    measure(lambda: tone_fit_kernel(TONE_WINDOW, 48000.0, 1000.0, 1, 4, work), 4800)


@pytest.mark.benchmark(group="tone_fit_kernel")
def test_tone_fit_reference(measure):
    from tests.reference import tone_fit_ref

    measure(tone_fit_ref, 4800, TONE_WINDOW, 48000.0, 1000.3, 4)


RAW_CU8 = RNG.integers(0, 256, 2 * LARGE).astype(np.uint8)


@pytest.mark.benchmark(group="raw_levels_kernel")
@pytest.mark.parametrize("n", [SMALL, LARGE], ids=_size_id)
def test_raw_levels_kernel(measure, n):
    from htdsp.kernels import raw_levels_kernel, raw_levels_state

    out = np.empty((n // 24000 + 2, 3))
    measure(lambda: raw_levels_kernel(RAW_CU8[:2 * n], 0, 255, 24000, raw_levels_state(), out),
            n)


@pytest.mark.benchmark(group="raw_levels_kernel")
def test_raw_levels_reference(measure):
    from tests.reference import raw_levels_ref

    measure(raw_levels_ref, LARGE, RAW_CU8, 0, 255, 24000)


BANK_X = (RNG.standard_normal((26, 14000)) + 1j * RNG.standard_normal((26, 14000))).astype(
    np.complex64)        # one 262144-sample chunk's blocks of the 2.4 MS/s filter bank


@pytest.mark.benchmark(group="hann_power_kernel")
def test_hann_power_kernel(measure):
    from htdsp.kernels import hann_power_kernel

    out = np.empty(BANK_X.shape, np.float32)
    measure(lambda: hann_power_kernel(BANK_X, out), BANK_X.size)


@pytest.mark.benchmark(group="hann_power_kernel")
def test_hann_power_reference(measure):
    from tests.reference import hann_power_ref

    measure(hann_power_ref, BANK_X.size, BANK_X)


#: the 2.4 MS/s bank's 192 channels: 171 bins each, 134 apart (12.5 kHz at 93.75 Hz a bin)
BANK_LO = (np.arange(192) * 133.33).astype(np.int64) % 14000
BANK_W2 = RNG.random((192, 171)).astype(np.float32)


@pytest.mark.benchmark(group="band_power_kernel")
def test_band_power_kernel(measure):
    from htdsp.kernels import band_power_kernel

    out = np.empty((BANK_X.shape[0], 192), np.float32)
    scratch = np.empty(BANK_X.shape[1], np.float32)
    measure(lambda: band_power_kernel(BANK_X, BANK_LO, BANK_W2, scratch, out), BANK_X.size)


@pytest.mark.benchmark(group="band_power_kernel")
def test_band_power_reference(measure):
    from tests.reference import band_power_ref

    measure(band_power_ref, BANK_X.size, BANK_X, BANK_LO, BANK_W2)
