"""The streaming contract, checked for every kernel through its object and functional faces.

For each case: matches its NumPy reference within a stated tolerance; any chunking is
bit-identical to one call (object and functional face); a copy taken mid-stream continues
identically; reset equals fresh; an empty chunk leaves the state alone.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import htdsp
from htdsp.dsp.design import kaiser_lowpass
from htdsp.dsp.fm import fm_gain
from htdsp.dsp.iir import audio_highpass_sos, audio_lowpass_sos, deemph_coeffs
from htdsp.dsp.mix import dc_block_alpha, phase_increment
from tests import reference as ref
from tests.strategies import (
    assert_bit_identical,
    asymmetric,
    chunked,
    complex_signal,
    real_signal,
    splits,
)

FS = 48000.0
# every FIR is asymmetric (a designed low-pass made lopsided): with linear-phase taps a kernel that
# reversed them, or a layout that reversed them twice, would still match its reference
H_DEC = asymmetric(kaiser_lowpass(FS, 3000, 9000, 60))          # 33 taps
H_XL = asymmetric(kaiser_lowpass(FS, 2000, 6000, 60))
H_RS = asymmetric(htdsp.dsp.design.resample_taps(3, 2, FS))
SOS = audio_highpass_sos(FS, 300.0)                              # 4 sections: pairs only
SOS_ODD = np.vstack([SOS, audio_lowpass_sos(FS, 3000.0)])        # 7: pairs and a last single


def _u8(n, seed):
    return np.random.default_rng(seed).integers(0, 256, 2 * n, dtype=np.uint8)


def _s16(n, seed):
    return np.random.default_rng(seed).integers(-32768, 32768, 2 * n, dtype=np.int16)


def _s8(n, seed):
    return np.random.default_rng(seed).integers(-128, 128, 2 * n, dtype=np.int8)


@dataclass
class Case:
    kernel: str
    make: Callable            # () -> stateful object
    signal: Callable          # (n, seed) -> input array
    reference: Callable       # (x) -> expected output (float64 / complex128)
    functional: Callable      # (x, zi) -> (y, zf)
    zi: Callable              # () -> initial zi
    rtol: float               # |y - ref| <= rtol * max(1, max|ref|)
    name: str = ""
    unit: int = 1             # cut only at multiples of this (2: raw elements in whole samples)

    def __str__(self):
        return self.name or self.kernel


OFFSET_HZ = 7000.0
DPHASE = phase_increment(OFFSET_HZ, FS)
ALPHA = dc_block_alpha(20.0, FS)
GAIN = fm_gain(FS, 2500.0)
DEEMPH = deemph_coeffs(FS, 750e-6)

CASES = [
    Case("convert_kernel", lambda: htdsp.Converter("cu8"), _u8,
         lambda x: ref.convert_ref(x, 127.5, 1 / 127.5),
         lambda x, zi: htdsp.convert(x, "cu8", zi=zi), htdsp.convert_zi, 1e-6, "convert_cu8"),
    Case("convert_kernel", lambda: htdsp.Converter("cs16"), _s16,
         lambda x: ref.convert_ref(x, 0.0, 1 / 32768),
         lambda x, zi: htdsp.convert(x, "cs16", zi=zi), htdsp.convert_zi, 1e-6, "convert_cs16"),
    Case("convert_kernel", lambda: htdsp.Converter("cs8"), _s8,
         lambda x: ref.convert_ref(x, 0.0, 1 / 128),
         lambda x, zi: htdsp.convert(x, "cs8", zi=zi), htdsp.convert_zi, 1e-6, "convert_cs8"),
    Case("nco_kernel", lambda: htdsp.NCO(fs=FS, shift_hz=-OFFSET_HZ), complex_signal,
         lambda x: ref.nco_ref(x, phase_increment(-OFFSET_HZ, FS)),
         lambda x, zi: htdsp.nco_shift(x, fs=FS, shift_hz=-OFFSET_HZ, zi=zi),
         htdsp.nco_shift_zi, 2e-6),
    Case("dc_block_kernel", lambda: htdsp.DCBlocker(fs=FS, cutoff_hz=20.0), complex_signal,
         lambda x: ref.dc_block_ref(x, ALPHA),
         lambda x, zi: htdsp.dc_block(x, fs=FS, cutoff_hz=20.0, zi=zi), htdsp.dc_block_zi, 2e-6),
    Case("fir_decim_kernel", lambda: htdsp.FIRDecimator(H_DEC, 3), complex_signal,
         lambda x: ref.fir_decim_ref(x, H_DEC, 3),
         lambda x, zi: htdsp.fir_decimate(x, H_DEC, 3, zi=zi),
         lambda: htdsp.fir_decimate_zi(H_DEC), 2e-6),
    Case("xlate_decim_kernel",
         lambda: htdsp.XlatingDecimator(H_XL, 4, fs=FS, offset_hz=OFFSET_HZ), complex_signal,
         lambda x: ref.xlate_decim_ref(x, H_XL, 4, DPHASE),
         lambda x, zi: htdsp.xlate_decimate(x, H_XL, 4, fs=FS, offset_hz=OFFSET_HZ, zi=zi),
         lambda: htdsp.xlate_decimate_zi(H_XL), 3e-6, "xlate_decim_cf32"),
    Case("xlate_decim_kernel",
         lambda: htdsp.XlatingDecimator(H_XL, 5, fs=FS, offset_hz=-OFFSET_HZ, fmt="cu8"), _u8,
         lambda x: ref.xlate_decim_ref(ref.convert_ref(x, 127.5, 1 / 127.5), H_XL, 5,
                                       phase_increment(-OFFSET_HZ, FS)),
         lambda x, zi: htdsp.xlate_decimate(x, H_XL, 5, fs=FS, offset_hz=-OFFSET_HZ, zi=zi),
         lambda: htdsp.xlate_decimate_zi(H_XL), 3e-6, "xlate_decim_cu8", unit=2),
    Case("resample_kernel", lambda: htdsp.Resampler(3, 2, taps=H_RS), real_signal,
         lambda x: ref.resample_ref(x, H_RS, 3, 2),
         lambda x, zi: htdsp.resample(x, 3, 2, H_RS, zi=zi),
         lambda: htdsp.resample_zi(3, 2, H_RS), 2e-6),
    Case("fm_demod_kernel", lambda: htdsp.FMDemodulator(fs=FS, deviation_hz=2500.0, fast=False),
         complex_signal, lambda x: ref.fm_demod_ref(x, GAIN),
         lambda x, zi: htdsp.fm_demod(x, fs=FS, deviation_hz=2500.0, fast=False, zi=zi),
         htdsp.fm_demod_zi, 1e-5),
    Case("fm_demod_fast_kernel", lambda: htdsp.FMDemodulator(fs=FS, deviation_hz=2500.0),
         complex_signal, lambda x: ref.fm_demod_fast_ref(x, GAIN),
         lambda x, zi: htdsp.fm_demod(x, fs=FS, deviation_hz=2500.0, zi=zi),
         htdsp.fm_demod_zi, 1e-5),
    Case("deemph_kernel", lambda: htdsp.Deemphasis(fs=FS, tau_s=750e-6), real_signal,
         lambda x: ref.deemph_ref(x, *DEEMPH),
         lambda x, zi: htdsp.deemphasis(x, fs=FS, tau_s=750e-6, zi=zi), htdsp.deemphasis_zi, 2e-6),
    Case("xlate_interp_kernel",
         lambda: htdsp.dsp.fir.XlatingInterpolator(H_XL * 4, 4, fs=FS, offset_hz=OFFSET_HZ),
         complex_signal, lambda x: ref.xlate_interp_ref(x, H_XL * 4, 4, DPHASE),
         lambda x, zi: htdsp.dsp.fir.xlate_interpolate(x, H_XL * 4, 4, fs=FS, offset_hz=OFFSET_HZ,
                                                   zi=zi),
         lambda: htdsp.dsp.fir.xlate_interpolate_zi(H_XL, 4), 3e-6),
    Case("sosfilt_kernel", lambda: htdsp.BiquadFilter(SOS), real_signal,
         lambda x: ref.sosfilt_ref(x, SOS),
         lambda x, zi: htdsp.sosfilt(x, SOS, zi=zi), lambda: htdsp.sosfilt_zi(SOS), 1e-5,
         "sosfilt_4"),
    Case("sosfilt_kernel", lambda: htdsp.BiquadFilter(SOS_ODD), real_signal,
         lambda x: ref.sosfilt_ref(x, SOS_ODD),
         lambda x, zi: htdsp.sosfilt(x, SOS_ODD, zi=zi), lambda: htdsp.sosfilt_zi(SOS_ODD), 1e-5,
         "sosfilt_7"),
]
IDS = [str(c) for c in CASES]


def _close(y, expected, rtol):
    expected = np.asarray(expected)
    assert y.shape == expected.shape, (y.shape, expected.shape)
    if y.size:
        scale = max(1.0, float(np.max(np.abs(expected))))
        err = float(np.max(np.abs(y.astype(expected.dtype) - expected)))
        assert err <= rtol * scale, f"max error {err:.3g} > {rtol * scale:.3g}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
@given(n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1))
def test_matches_reference(case, n, seed):
    x = case.signal(n, seed)
    _close(case.make().process(x), case.reference(x), case.rtol)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@given(data=st.data(), n=st.integers(0, 2500), seed=st.integers(0, 2**32 - 1))
def test_any_chunking_is_bit_identical(case, data, n, seed):
    x = case.signal(n, seed)
    whole = case.make().process(x)
    cuts = [c - c % case.unit for c in data.draw(splits(len(x)))]
    assert_bit_identical(chunked(case.make().process, x, cuts), whole)
    # the functional face threads zi -> zf the same way
    zi = case.zi()
    parts = []
    for a, b in zip([0, *cuts], [*cuts, len(x)], strict=True):
        y, zi = case.functional(x[a:b], zi)
        parts.append(y)
    assert_bit_identical(np.concatenate(parts), whole)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@given(n=st.integers(0, 2500), frac=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_copy_mid_stream_continues_identically(case, n, frac, seed):
    x = case.signal(n, seed)
    cut = int(frac * len(x))
    cut -= cut % case.unit
    obj = case.make()
    obj.process(x[:cut])
    twin = obj.copy()
    assert_bit_identical(twin.process(x[cut:]), obj.process(x[cut:]))


@pytest.mark.parametrize("case", CASES, ids=IDS)
@given(n=st.integers(1, 2000), seed=st.integers(0, 2**32 - 1))
def test_reset_equals_fresh(case, n, seed):
    x = case.signal(n, seed)
    obj = case.make()
    obj.process(case.signal(777, seed ^ 1))
    obj.reset()
    assert_bit_identical(obj.process(x), case.make().process(x))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_empty_input_leaves_state_alone(case):
    obj = case.make()
    obj.process(case.signal(333, 5))
    before = {k: v.copy() for k, v in obj.state.items()}
    y = obj.process(case.signal(0, 6))
    assert y.size == 0
    for k, v in obj.state.items():
        assert v.tobytes() == before[k].tobytes(), k


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_is_read_only_and_repr_shows_parameters(case):
    obj = case.make()
    for v in obj.state.values():
        assert not v.flags.writeable
    assert type(obj).__name__ in repr(obj) and "=" in repr(obj)
