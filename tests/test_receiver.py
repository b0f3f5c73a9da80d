"""NFMReceiver: audio scale and frequency, every common rate, streaming, the real capture."""

import math
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from htdsp import NFMReceiver
from tests.signals import envelope, nfm_tone_iq, to_cu8, tone_frequency_amplitude
from tests.strategies import assert_bit_identical, chunked, splits

CAPTURE = Path(__file__).resolve().parent.parent / "captures" / "kpbenz-2m-nfm-voice"


def _tone_check(fs, audio_fs, bandwidth_hz=12500.0, offset_hz=None, cu8=False):
    dev = {12500.0: 2500.0, 20000.0: 4000.0, 25000.0: 5000.0}[bandwidth_hz]
    offset_hz = fs / 4 - 1234.5 if offset_hz is None else offset_hz   # off-centre, odd offset
    x = nfm_tone_iq(fs, offset_hz, 1.2, peak_dev_hz=0.6 * dev)
    rx = NFMReceiver(fs, offset_hz, bandwidth_hz=bandwidth_hz, audio_fs=audio_fs,
                     input_format="cu8" if cu8 else "cf32")
    y = rx.process(to_cu8(x) if cu8 else x)
    assert len(y) == pytest.approx(1.2 * audio_fs, abs=2)
    f, a = tone_frequency_amplitude(y[int(0.2 * audio_fs):], audio_fs)
    return f, a


# every common RTL-SDR rate, each paired with an audio rate (all four audio rates covered)
RATES = [(2.4e6, 48000), (2.048e6, 48000), (1.024e6, 16000), (1.92e6, 24000), (280e3, 48000),
         (250e3, 8000), (3.2e6, 48000), (225001.0, 16000), (300e3, 24000), (900001.0, 8000)]


@pytest.mark.parametrize("fs,audio_fs", RATES)
def test_1khz_tone_at_60_percent_reads_1000hz_and_0_6(fs, audio_fs):
    f, a = _tone_check(fs, float(audio_fs))
    assert f == pytest.approx(1000.0, abs=0.1)
    assert 20 * math.log10(a / 0.6) == pytest.approx(0.0, abs=0.2)
    # measured: within 0.005 Hz and 0.02 dB at every rate (the issue allows 0.1 Hz, 0.2 dB)
    assert abs(f - 1000.0) < 0.01 and abs(20 * math.log10(a / 0.6)) < 0.03


@pytest.mark.parametrize("bandwidth_hz", [20000.0, 25000.0])
def test_wider_channels_scale_to_their_rated_deviation(bandwidth_hz):
    f, a = _tone_check(2.4e6, 48000.0, bandwidth_hz=bandwidth_hz)
    assert f == pytest.approx(1000.0, abs=0.1)
    assert 20 * math.log10(a / 0.6) == pytest.approx(0.0, abs=0.2)


def test_cu8_input_fast_path_matches_the_tone():
    f, a = _tone_check(2.4e6, 48000.0, cu8=True)
    assert f == pytest.approx(1000.0, abs=0.1)
    assert 20 * math.log10(a / 0.6) == pytest.approx(0.0, abs=0.2)


def test_cu8_elements_and_converted_complex_agree():
    fs = 2.4e6
    raw = to_cu8(nfm_tone_iq(fs, 300e3, 0.1))
    a = NFMReceiver(fs, 300e3, input_format="cu8").process(raw)
    v = (raw.astype(np.float64) - 127.5) / 127.5
    b = NFMReceiver(fs, 300e3).process((v[0::2] + 1j * v[1::2]).astype(np.complex64))
    assert np.max(np.abs(a - b)) < 1e-5


FS_STREAM = 250e3
X_STREAM = nfm_tone_iq(FS_STREAM, 40e3, 0.25, cnr_db=15.0, seed=3)
RAW_STREAM = to_cu8(X_STREAM)


@settings(max_examples=10)
@given(data=st.data())
def test_any_chunking_of_complex_input_is_bit_identical(data):
    make = lambda: NFMReceiver(FS_STREAM, 40e3, audio_fs=48000)  # noqa: E731
    whole = make().process(X_STREAM)
    assert_bit_identical(chunked(make().process, X_STREAM, data.draw(splits(X_STREAM.size))), whole)


@settings(max_examples=10)
@given(data=st.data())
def test_any_chunking_of_raw_bytes_is_bit_identical(data):
    # raw byte chunks may end mid-sample: the receiver holds the odd element
    make = lambda: NFMReceiver(FS_STREAM, 40e3, audio_fs=16000, input_format="cu8")  # noqa: E731
    whole = make().process(RAW_STREAM)
    assert_bit_identical(chunked(make().process, RAW_STREAM, data.draw(splits(RAW_STREAM.size))),
                         whole)


def test_copy_mid_stream_and_reset():
    rx = NFMReceiver(FS_STREAM, 40e3, input_format="cu8")
    rx.process(RAW_STREAM[:30001])          # odd: one element pending
    twin = rx.copy()
    rest = RAW_STREAM[30001:]
    assert_bit_identical(twin.process(rest), rx.process(rest))
    rx.reset()
    assert_bit_identical(rx.process(RAW_STREAM), NFMReceiver(FS_STREAM, 40e3).process(
        (lambda v: (v[0::2] + 1j * v[1::2]).astype(np.complex64))(
            (RAW_STREAM.astype(np.float32) - np.float32(127.5)) * np.float32(1 / 127.5))))


def test_default_deviation_follows_bandwidth():
    assert NFMReceiver(2.4e6, 0, bandwidth_hz=25000).deviation_hz == 5000.0
    assert NFMReceiver(2.4e6, 0, bandwidth_hz=20000).deviation_hz == 4000.0
    assert NFMReceiver(2.4e6, 0).deviation_hz == 2500.0


@pytest.mark.parametrize("kwargs", [dict(offset_hz=1.3e6), dict(offset_hz=-1.195e6),
                                    dict(offset_hz=0, audio_fs=-1),
                                    dict(offset_hz=0, deviation_hz=20000.0),
                                    dict(offset_hz=0, audio_fs=4000.0)])
def test_impossible_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        NFMReceiver(2.4e6, **kwargs)


def _read_wav(path):
    with wave.open(str(path)) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0


def test_real_capture_audio_follows_the_publishers_audio():
    raw = np.fromfile(CAPTURE / "capture.cu8", dtype=np.uint8)
    rx = NFMReceiver(280e3, 144.5e6 - 144.47e6, input_format="cu8")
    audio = np.concatenate([rx.process(c) for c in np.array_split(raw, 13)])
    fs_ref, ref = _read_wav(CAPTURE / "output.wav")
    ours = envelope(audio, rx.audio_fs)
    theirs = envelope(ref, fs_ref)
    keyed = slice(95, 450)              # 0.95-4.5 s, where the publisher's squelch was open
    best = max(np.corrcoef(ours[keyed.start + lag: keyed.stop + lag], theirs[keyed])[0, 1]
               for lag in range(-20, 21))
    assert best >= 0.9
    # speech-band audio, not noise: most of the keyed audio power lies in 300-3000 Hz
    seg = audio[int(1.0 * rx.audio_fs): int(4.4 * rx.audio_fs)]
    spec = np.abs(np.fft.rfft(seg)) ** 2
    freqs = np.fft.rfftfreq(seg.size, 1 / rx.audio_fs)
    assert spec[(freqs > 300) & (freqs < 3000)].sum() / spec.sum() > 0.9


@pytest.mark.parametrize("fs,audio_fs", [(2.4e6, 48000.0), (2.048e6, 48000.0), (250e3, 8000.0)])
def test_receiver_matches_the_numpy_reference_chain(fs, audio_fs):
    from tests.reference import nfm_chain_ref_for

    raw = to_cu8(nfm_tone_iq(fs, fs / 8, 0.3, cnr_db=20.0, seed=11))
    rx = NFMReceiver(fs, fs / 8, audio_fs=audio_fs, input_format="cu8")
    ours = rx.process(raw)
    ref = nfm_chain_ref_for(NFMReceiver(fs, fs / 8, audio_fs=audio_fs, input_format="cu8"), raw)
    assert ours.shape == ref.shape
    # same maths, different rounding (float32 sums in another order, polynomial atan2):
    # measured -104 to -109 dB; far below 16-bit audio resolution (-96 dB)
    err = np.sqrt(np.mean((ours - ref) ** 2)) / np.sqrt(np.mean(ref ** 2))
    assert 20 * np.log10(err) < -90
