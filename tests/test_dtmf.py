"""DTMF PTT-ID against encoder truth: Q.24's limits (frequency, twist, duration, pause,
interruption), bursts in noisy speech-like audio at 12 dB SINAD, no decode in ten minutes each
of noise, adversarial speech-like audio and CTCSS, none on selcall, and the streaming
contract (any chunking, copy, reset) on the decoder.

The audio builders here are shared with tests/test_selcall.py and bench/test_tones.py.
"""

import functools

import numpy as np
import pytest
import scipy.signal

from htdsp.rx.dtmf import KEYS, DtmfDecoder, dtmf, dtmf_zi, encode

FS = 8000.0


# ------------------------------------------------------------------ audio builders
@functools.lru_cache(maxsize=16)
def _band(lo_hz, hi_hz, fs):
    return scipy.signal.butter(4, [lo_hz, min(hi_hz, 0.45 * fs)], "bandpass", fs=fs,
                               output="sos")


def band_noise(n, fs, rng, lo_hz=300.0, hi_hz=3000.0):
    """Gaussian noise band-limited to ``lo_hz``-``hi_hz`` (8th-order Butterworth), unit power."""
    y = scipy.signal.sosfilt(_band(lo_hz, hi_hz, fs), rng.standard_normal(n + 2000))[2000:]
    return y / np.sqrt(np.mean(y * y))


def _resonator(f_hz, bw_hz, fs):
    r = np.exp(-np.pi * bw_hz / fs)
    return np.array([1 - r]), np.array([1.0, -2 * r * np.cos(2 * np.pi * f_hz / fs), r * r])


def speech_like(n, fs, rng):
    """Adversarial speech-like audio, unit power over its voiced parts: a pulse train whose pitch
    glides between 80 and 300 Hz (fast and slow glides, some slow enough to look steady for a
    syllable) through three formant resonators (F1 250-900, F2 800-2500, F3 2000-3200 Hz,
    bandwidths 50-120 Hz, new formants every syllable), with a syllabic envelope (80-300 ms
    syllables) and pauses between words, plus unvoiced bursts (noise 2-4 kHz) in pauses."""
    # pitch: glides between random targets at random rates, per 10 ms
    block = int(fs * 0.01)
    nb = n // block + 2
    f0 = np.empty(nb)
    b = 0
    f = rng.uniform(80, 300)
    while b < nb:
        target = rng.uniform(80, 300)
        rate = rng.choice([0.05, 0.3, 1.0, 3.0])                 # Hz per 10 ms
        steps = max(1, int(abs(target - f) / rate))
        seg = np.linspace(f, target, steps)
        f0[b:b + steps] = seg[:nb - b]
        b += steps
        f = target
    f0s = np.repeat(f0, block)[:n]
    phase = np.cumsum(f0s / fs)
    pulses = np.diff(np.floor(phase), prepend=0.0)
    # syllables: raised-cosine envelopes, each with its own formants
    env = np.zeros(n)
    y = np.zeros(n)
    zis = [np.zeros(2) for _ in range(3)]
    ranges = [(250, 900), (800, 2500), (2000, min(3200, 0.45 * fs))]
    t = 0
    while t < n:
        length = int(rng.uniform(0.08, 0.3) * fs)
        e = min(n, t + length)
        env[t:e] = np.sin(np.pi * np.arange(e - t) / length) ** 2
        t2 = min(n, e + int(rng.choice([0.0, 0.02, 0.05, 0.3]) * fs))
        for i, (lo, hi) in enumerate(ranges):
            bb, aa = _resonator(rng.uniform(lo, hi), rng.uniform(50, 120), fs)
            part, zis[i] = scipy.signal.lfilter(bb, aa, pulses[t:t2], zi=zis[i])
            y[t:t2] += part * (1.0 - 0.25 * i)
        t = t2
    voiced = y * env
    voiced /= np.sqrt(np.mean(voiced[env > 0.1] ** 2) + 1e-30)
    hiss = band_noise(n, fs, rng, 2000.0, 0.49 * fs) * 0.3
    gate = np.repeat(rng.random(nb) < 0.15, block)[:n] * (env < 0.05)
    return voiced + hiss * gate


def ctcss_only(n, fs, rng):
    """A CTCSS tone (67-254 Hz, amplitude 0.1) in band-limited noise 26 dB under it."""
    f = rng.uniform(67.0, 254.1)
    t = np.arange(n) / fs
    return 0.1 * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3)) + \
        0.0035 * band_noise(n, fs, rng, 50.0, 3400.0)


@functools.lru_cache(maxsize=3)
def ten_minutes(kind, fs=FS):
    """Ten minutes of ``"noise"`` (band-limited, 0.3 rms), ``"speech"`` (:func:`speech_like`,
    0.3 rms voiced) or ``"ctcss"`` (:func:`ctcss_only`), float32; made once per session (the
    DTMF and selcall tests share them)."""
    rng = np.random.default_rng({"noise": 1, "speech": 2, "ctcss": 3}[kind])
    n = int(600 * fs)
    if kind == "noise":
        x = 0.3 * band_noise(n, fs, rng)
    elif kind == "speech":
        x = 0.3 * speech_like(n, fs, rng)
    else:
        x = ctcss_only(n, fs, rng)
    x = x.astype(np.float32)
    x.flags.writeable = False
    return x


def transmissions(make, count, fs, rng, sinad_db=12.0):
    """``count`` transmissions, each ``make(rng) -> (burst audio, truth)`` inside speech-like
    audio (before and after, random lengths and gaps), at a random level (+-6 dB), in
    band-limited noise such that (S+N)/N = ``sinad_db`` over the burst's tones; a CTCSS tone
    under it all. Returns the audio (float32) and ``[(truth, start, end)]`` in samples."""
    parts = []
    truth = []
    pos = 0
    noise_parts = []
    for _ in range(count):
        burst, ident = make(rng)
        level = 0.3 * 10 ** (rng.uniform(-6, 6) / 20)
        burst = burst * level
        on = np.abs(burst) > 1e-9
        p_sig = np.mean(burst[on] ** 2)
        sigma = np.sqrt(p_sig / (10 ** (sinad_db / 10) - 1))
        n_before = int(rng.uniform(0.2, 0.8) * fs)
        n_after = int(rng.uniform(0.2, 0.8) * fs)
        g1 = int(rng.uniform(0.03, 0.3) * fs)
        g2 = int(rng.uniform(0.03, 0.3) * fs)
        sp = speech_like(n_before + n_after, fs, rng) * level * 10 ** (rng.uniform(-6, 3) / 20)
        seg = np.concatenate([sp[:n_before], np.zeros(g1), burst, np.zeros(g2),
                              sp[n_before:], np.zeros(int(0.4 * fs))])
        start = pos + n_before + g1
        truth.append((ident, start, start + burst.size))
        parts.append(seg)
        noise_parts.append(np.full(seg.size, sigma))
        pos += seg.size
    x = np.concatenate(parts)
    sig = np.concatenate(noise_parts)
    x += sig * band_noise(x.size, fs, rng)
    x += 0.03 * np.sin(2 * np.pi * 88.5 * np.arange(x.size) / fs)
    return x.astype(np.float32), truth


def random_dtmf(fs):
    def make(rng):
        ident = "".join(rng.choice(list(KEYS), int(rng.integers(3, 7))))
        y = encode(ident, fs, digit_s=rng.uniform(0.05, 0.1), gap_s=rng.uniform(0.05, 0.1),
                   twist_db=rng.uniform(-4, 2), freq_error=rng.uniform(-0.01, 0.01))
        return y, ident
    return make


def match(decodes, truth, fs, slack_s=0.015):
    """How many truths were decoded exactly (id, and start and end within ``slack_s``), and
    the decodes that match no truth."""
    right = 0
    used = set()
    for ident, a, b in truth:
        for i, d in enumerate(decodes):
            if i not in used and abs(d["start_sample"] - a) <= slack_s * fs and \
                    abs(d["end_sample"] - b) <= slack_s * fs and d["id"] == ident:
                right += 1
                used.add(i)
                break
    return right, [d for i, d in enumerate(decodes) if i not in used]


def run(decoder, x, chunk=4096):
    out = []
    for i in range(0, x.size, chunk):
        out += decoder.process(x[i:i + chunk])
    return out + decoder.flush()


# ------------------------------------------------------------------ tests
def _one(ident, fs=FS, pad_s=0.2, **kw):
    y = 0.4 * encode(ident, fs, **kw)
    pad = np.zeros(int(pad_s * fs))
    return np.concatenate([pad, y, pad]).astype(np.float32)


@pytest.mark.parametrize("fs", [7000.0, 8000.0, 11025.0, 16000.0])
def test_every_key_at_every_rate(fs):
    ident = KEYS + KEYS[::-1]
    x = _one(ident, fs)
    got = run(DtmfDecoder(fs), x)
    assert [d["id"] for d in got] == [ident]
    d = got[0]
    # each digit's edges within a hop (5 ms) and a sample of the truth
    step = int(round((0.07 + 0.05) * fs))
    for k, g in enumerate(d["digits"]):
        a = int(0.2 * fs) + int(round(k * 0.12 * fs))
        assert abs(g["start_sample"] - a) <= 0.005 * fs + 1, (k, g)
        assert abs(g["end_sample"] - (a + round(0.07 * fs))) <= 0.005 * fs + 1, (k, g)
    assert step > 0 and abs(d["twist_db"]) < 0.5 and abs(d["freq_error"]) < 0.002


@pytest.mark.parametrize("err", [-0.015, -0.01, 0.01, 0.015])
def test_frequency_within_1_5_percent_decodes(err):
    got = run(DtmfDecoder(FS), _one("159D*", freq_error=err))
    assert [d["id"] for d in got] == ["159D*"]
    assert got[0]["freq_error"] == pytest.approx(err, abs=0.002)


@pytest.mark.parametrize("err", [-0.05, -0.035, 0.035, 0.05])
def test_frequency_beyond_3_5_percent_is_rejected(err):
    assert run(DtmfDecoder(FS), _one("159D*", freq_error=err)) == []


@pytest.mark.parametrize("twist_db", [-8.0, -4.0, 0.0, 2.0, 4.0])
def test_twist_within_q24_decodes(twist_db):
    got = run(DtmfDecoder(FS), _one("2580", twist_db=twist_db))
    assert [d["id"] for d in got] == ["2580"]
    assert got[0]["twist_db"] == pytest.approx(twist_db, abs=0.5)


@pytest.mark.parametrize("twist_db", [-12.0, -20.0, 7.0, 12.0])
def test_twist_beyond_limits_is_rejected(twist_db):
    assert run(DtmfDecoder(FS), _one("2580", twist_db=twist_db)) == []


@pytest.mark.parametrize("over", [1.5, 3.0])
def test_clipped_bursts_decode(over):
    # the receiver's audio may be clipped: the pair clipped at 1/over of its peak
    y = np.clip(over * encode("123A456B789C*0#D", FS), -1, 1) * 0.4
    x = np.concatenate([np.zeros(800), y, np.zeros(3200)])
    assert [d["id"] for d in run(DtmfDecoder(FS), x)] == ["123A456B789C*0#D"]


def test_a_single_tone_is_not_a_digit():
    t = np.arange(int(0.5 * FS)) / FS
    for f in (697.0, 941.0, 1209.0, 1633.0):
        x = np.concatenate([np.zeros(800), 0.4 * np.sin(2 * np.pi * f * t), np.zeros(800)])
        assert run(DtmfDecoder(FS), x) == []


@pytest.mark.parametrize("digit_s", [0.04, 0.05])
def test_40_ms_tones_decode(digit_s):
    got = run(DtmfDecoder(FS), _one("0123456789", digit_s=digit_s, gap_s=0.04))
    assert [d["id"] for d in got] == ["0123456789"]


@pytest.mark.parametrize("digit_s", [0.015, 0.02, 0.023])
def test_tones_under_23_ms_are_rejected(digit_s):
    assert run(DtmfDecoder(FS), _one("0123456789", digit_s=digit_s, gap_s=0.04)) == []


@pytest.mark.parametrize("gap_s", [0.04, 0.06])
def test_a_40_ms_pause_separates_equal_digits(gap_s):
    got = run(DtmfDecoder(FS), _one("1111##", gap_s=gap_s))
    assert [d["id"] for d in got] == ["1111##"]


@pytest.mark.parametrize("cut_s", [0.005, 0.008, 0.01])
def test_an_interruption_under_10_ms_is_bridged(cut_s):
    y = 0.4 * encode("5", FS, digit_s=0.12)
    a = int(0.05 * FS)
    y[a:a + int(cut_s * FS)] = 0
    x = np.concatenate([np.zeros(1600), y, np.zeros(1600)])
    got = run(DtmfDecoder(FS), x)
    assert [d["id"] for d in got] == ["5"]
    assert got[0]["end_sample"] - got[0]["start_sample"] == pytest.approx(0.12 * FS, abs=41)


def test_bursts_end_after_300_ms_of_silence_and_are_emitted_then():
    fs = FS
    a = 0.4 * encode("12", fs)
    b = 0.4 * encode("34", fs)
    gap_short = np.zeros(int(0.2 * fs))          # under 300 ms: one burst
    gap_long = np.zeros(int(0.45 * fs))          # over: two
    x = np.concatenate([a, gap_short, b, gap_long, a, np.zeros(int(0.6 * fs))])
    dec = DtmfDecoder(fs)
    first = dec.process(x[:a.size + gap_short.size + b.size + int(0.4 * fs)])
    assert [d["id"] for d in first] == ["1234"]         # emitted before any flush
    rest = dec.process(x[a.size + gap_short.size + b.size + int(0.4 * fs):])
    assert [d["id"] for d in rest] == ["12"] and dec.flush() == []


def test_flush_gives_the_burst_still_sounding():
    dec = DtmfDecoder(FS)
    y = 0.4 * encode("789", FS, digit_s=0.08)
    assert dec.process(y) == []
    got = dec.flush()
    assert [d["id"] for d in got] == ["789"] and got[0]["end_sample"] == pytest.approx(
        y.size, abs=0.005 * FS)
    assert dec.flush() == []


def test_any_chunking_copy_and_reset_give_the_same_decodes():
    rng = np.random.default_rng(5)
    x, truth = transmissions(random_dtmf(FS), 6, FS, rng)
    whole = DtmfDecoder(FS)
    want = whole.process(x) + whole.flush()
    assert len(want) == 6
    for seed in range(3):
        r = np.random.default_rng(seed)
        cuts = np.sort(r.integers(0, x.size, 40))
        dec = DtmfDecoder(FS)
        got = []
        for a, b in zip([0, *cuts], [*cuts, x.size], strict=True):
            got += dec.process(x[a:b])
        assert got + dec.flush() == want
    dec = DtmfDecoder(FS)
    half = dec.process(x[:x.size // 2])
    twin = dec.copy()
    assert half + dec.process(x[x.size // 2:]) + dec.flush() == want
    assert half + twin.process(x[x.size // 2:]) + twin.flush() == want
    dec.reset()
    assert dec.process(x) + dec.flush() == want
    # the functional face: one call, or continued from a state
    assert dtmf(x, FS)[0] == want
    d1, zf = dtmf(x[:1000], FS, zi=dtmf_zi(FS))
    d2, zf = dtmf(x[1000:], FS, zi=zf, final=True)
    assert d1 + d2 == want


def test_300_bursts_at_12_db_sinad_in_speech():
    rng = np.random.default_rng(12)
    x, truth = transmissions(random_dtmf(FS), 300, FS, rng)
    got = run(DtmfDecoder(FS), x)
    right, extra = match(got, truth, FS)
    assert right >= 297, (right, extra[:5])
    assert extra == []


@pytest.mark.parametrize("kind", ["noise", "speech", "ctcss"])
def test_no_decode_in_ten_minutes(kind):
    assert run(DtmfDecoder(FS), ten_minutes(kind), chunk=1 << 16) == []


def test_selcall_is_never_dtmf():
    from tests.test_selcall import random_selcall

    rng = np.random.default_rng(21)
    x, _ = transmissions(random_selcall(FS), 150, FS, rng, sinad_db=30.0)
    assert run(DtmfDecoder(FS), x, chunk=1 << 16) == []


def test_bad_input_is_refused_in_the_libraries_words():
    with pytest.raises(ValueError, match="fs"):
        DtmfDecoder(48000.0)
    with pytest.raises(ValueError, match="one-dimensional"):
        DtmfDecoder(FS).process(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="ident"):
        encode("12E", FS)


def test_a_chunk_ending_anywhere_in_a_pause_gives_the_same_burst():
    x = _one("1234", gap_s=0.06)
    want = run(DtmfDecoder(FS), x, chunk=x.size)
    assert [d["id"] for d in want] == ["1234"]
    a = int(0.2 * FS + 0.07 * FS) - 80             # around the first pause
    for cut in range(a, a + 640, 7):
        dec = DtmfDecoder(FS)
        assert dec.process(x[:cut]) + dec.process(x[cut:]) + dec.flush() == want, cut
