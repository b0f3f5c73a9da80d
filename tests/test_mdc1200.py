"""MDC1200 against encoder truth: packets in realistic audio at 12 dB SINAD, edge-case IDs and
CRCs, corrupted packets, chunk boundaries, and no false decodes in 10 minutes each of noise,
speech-like audio, CTCSS and tone signalling."""

import numpy as np
import pytest
import scipy.signal as ss

from htdsp.rx.mdc1200 import (
    ARG_POST_ID,
    ARG_PRE_ID,
    Mdc1200Decoder,
    block_bits,
    encode,
    mdc1200,
    mdc1200_zi,
    packet_bits,
)


def _band_noise(rng, n, fs, lo=300.0, hi=3000.0):
    sos = ss.butter(6, [lo, min(hi, 0.45 * fs)], "bandpass", fs=fs, output="sos")
    v = ss.sosfilt(sos, rng.standard_normal(n + 2000))[2000:]
    return v / np.sqrt(np.mean(v ** 2))


def _speech(rng, n, fs):
    """Adversarial speech-like audio, unit power: a glottal pulse train whose pitch glides over
    80-300 Hz, through three formant resonators redrawn every 100 ms, under a syllabic envelope
    with pauses, plus bursts of unvoiced (fricative) noise."""
    t = np.arange(n) / fs
    f0 = 80 + 220 * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.2, 1.5) * t
                                       + rng.uniform(0, 6)))
    pulses = np.diff(np.floor(np.cumsum(f0 / fs)), prepend=0.0)
    y = np.zeros(n)
    seg = int(0.1 * fs)
    for a in range(0, n, seg):
        src = pulses[a:a + seg]
        for _ in range(3):
            fc, bw = rng.uniform(250, 3000), rng.uniform(60, 200)
            r = np.exp(-np.pi * bw / fs)
            src = ss.lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * fc / fs), r * r], src)
        y[a:a + seg] = src
    env = np.clip(np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6)), 0, None) ** 0.7
    env *= (rng.random(n // seg + 1) > 0.25).repeat(seg)[:n]
    y *= env
    y /= np.sqrt(np.mean(y ** 2)) + 1e-12
    hiss = _band_noise(rng, n, fs, 2000.0, 3900.0)
    return y + 0.5 * hiss * (rng.random(n // seg + 1) > 0.8).repeat(seg)[:n]


def _ctcss(rng, n, fs, amp):
    f = rng.choice([67.0, 88.5, 100.0, 131.8, 162.2, 203.5, 254.1])
    return amp * np.sin(2 * np.pi * f * np.arange(n) / fs + rng.uniform(0, 6))


def _transmissions(fs, n_packets, sinad_db, seed):
    """One long stream of transmissions: speech before and after each packet (random lengths,
    level +-6 dB relative to the packet), the packet at a random level with its clock (tones
    and bit rate) off by up to 1 %, CTCSS at 10 % of the audio's amplitude, and band-limited
    noise (300-3000 Hz) setting (S+N)/N over the packet to ``sinad_db``. Returns the audio and
    the truth: (unit, op, arg, start of the sync word, end of the block) per packet."""
    rng = np.random.default_rng(seed)
    parts, truth, pos = [], [], 0
    for _ in range(n_packets):
        unit = int(rng.integers(0, 65536))
        arg = int(rng.choice([ARG_PRE_ID, ARG_POST_ID]))
        pre_bits = int(rng.choice([24, 32, 56]))
        clock = float(rng.uniform(-0.01, 0.01))
        y = encode(unit, fs, arg=arg, preamble_bits=pre_bits, clock_error=clock)
        lvl = 0.3 * 10 ** (rng.uniform(-6, 6) / 20)
        p_s = np.mean((lvl * y) ** 2)
        lead, tail = int(rng.uniform(0.15, 0.6) * fs), int(rng.uniform(0.15, 0.6) * fs)
        n = lead + y.size + tail
        a = np.zeros(n)
        a[lead:lead + y.size] = lvl * y
        voice = _speech(rng, n, fs) * np.sqrt(p_s) * 10 ** (rng.uniform(-6, 6) / 20)
        voice[lead - int(0.03 * fs):lead + y.size + int(0.03 * fs)] = 0.0
        a += voice + _ctcss(rng, n, fs, 0.1 * lvl)
        a += np.sqrt(p_s / (10 ** (sinad_db / 10) - 1)) * _band_noise(rng, n, fs)
        spb = fs / (1200.0 * (1 + clock))
        truth.append((unit, 1, arg, pos + lead + int(np.ceil(pre_bits * spb)),
                      pos + lead + int(np.ceil((pre_bits + 152) * spb)) - 1))
        parts.append(a)
        pos += n
    return np.concatenate(parts).astype(np.float32), truth


def _decode_chunked(dec, x, chunk):
    out = []
    for i in range(0, len(x), chunk):
        out += dec.process(x[i:i + chunk])
    return out + dec.flush()


@pytest.mark.parametrize("fs", [8000.0, 7000.0, 11025.0, 16000.0])
def test_packets_at_12_db_sinad_are_decoded_exactly(fs):
    # 4 rates x 80 = 320 transmissions; >= 99 % exactly right, none wrong
    x, truth = _transmissions(fs, 80, 12.0, seed=int(fs))
    got = _decode_chunked(Mdc1200Decoder(fs), x, 4096)
    right = 0
    for unit, op, arg, start, end in truth:
        hits = [d for d in got if abs(d["start_sample"] - start) <= 3]
        if len(hits) == 1 and (hits[0]["id"], hits[0]["op"], hits[0]["arg"]) == \
                (f"{unit:04X}", op, arg) and abs(hits[0]["end_sample"] - end) <= 3:
            right += 1
    assert right >= 0.99 * len(truth), (right, len(truth))
    sent = {(f"{u:04X}", o, a) for u, o, a, _, _ in truth}
    assert all((d["id"], d["op"], d["arg"]) in sent for d in got)     # nothing made up
    assert len(got) <= len(truth)


@pytest.mark.parametrize("unit", [0x0000, 0xFFFF, 0x0001, 0x8000, 0x1234])
@pytest.mark.parametrize("arg", [ARG_PRE_ID, ARG_POST_ID])
def test_edge_ids_and_both_ptt_ids(unit, arg):
    fs = 8000.0
    x = np.r_[np.zeros(333), encode(unit, fs, arg=arg), np.zeros(100)]
    out, _ = mdc1200(x, fs)
    assert [(d["id"], d["op"], d["arg"], d["double"], d["corrected"]) for d in out] == \
        [(f"{unit:04X}", 1, arg, 0, 0)]
    assert abs(out[0]["start_sample"] - (333 + np.ceil(56 * fs / 1200))) <= 1
    assert abs(out[0]["end_sample"] - (333 + np.ceil(208 * fs / 1200) - 1)) <= 1


def test_inverted_audio_decodes_too():
    fs = 8000.0
    out, _ = mdc1200(-np.r_[np.zeros(100), encode(0xABCD, fs)], fs)
    assert [d["id"] for d in out] == ["ABCD"]


def test_double_packet_carries_its_extra_bytes():
    fs = 11025.0
    x = np.r_[np.zeros(200), encode(0x1234, fs, op=0x35, arg=0x89, extra=[0x56, 0x78, 0, 0xFF])]
    out, _ = mdc1200(x, fs)
    assert [(d["id"], d["op"], d["double"], d["extra"]) for d in out] == \
        [("1234", 0x35, 1, [0x56, 0x78, 0, 0xFF])]


def test_block_code_and_interleave_by_hand():
    # the systematic half of the code word, de-interleaved, is the 7 bytes LSB first
    bits = block_bits([0x01, 0x80, 0x12, 0x34])
    code = [bits[16 * (q % 7) + q // 7] for q in range(112)]
    data = [sum(code[8 * i + j] << j for j in range(8)) for i in range(7)]
    assert data[:4] == [0x01, 0x80, 0x12, 0x34] and data[6] == 0
    d = code[:56]
    assert code[56 + 10] == d[10] ^ d[8] ^ d[5] ^ d[4]
    sync = packet_bits(0x1234, preamble_bits=4)[4:44]
    assert int("".join(map(str, sync)), 2) == 0x07092A446F


def _bits_to_audio(bits, fs):
    """FFSK of an arbitrary bit list (the encoder's modulation, for corrupted packets)."""
    prev = [1, *bits[:-1]]
    cycles = np.array([1.5 if b != p else 1.0 for b, p in zip(bits, prev, strict=True)])
    start = np.concatenate([[0.0], np.cumsum(cycles)]) * 2 * np.pi
    t = np.arange(int(np.ceil(len(bits) * fs / 1200))) * 1200 / fs
    k = np.minimum(t.astype(int), len(bits) - 1)
    return np.sin(start[k] + 2 * np.pi * cycles[k] * (t - k))


def test_the_modulator_copy_matches_the_encoder():
    fs = 8000.0
    assert np.allclose(_bits_to_audio(packet_bits(0x4321), fs), encode(0x4321, fs))


@pytest.mark.parametrize("n_flips", [1, 2, 3])
def test_a_few_flipped_bits_are_corrected(n_flips):
    fs = 8000.0
    rng = np.random.default_rng(n_flips)
    bits = packet_bits(0x2468)
    # flip systematic and parity bits spread over the block (the code corrects these)
    for q in rng.choice(np.arange(0, 100, 7), n_flips, replace=False):
        bits[56 + 40 + 16 * (q % 7) + q // 7] ^= 1
    out, _ = mdc1200(np.r_[np.zeros(50), _bits_to_audio(bits, fs)], fs)
    assert [d["id"] for d in out] == ["2468"]
    assert out[0]["corrected"] == n_flips


def test_corruption_beyond_the_code_never_gives_a_wrong_id():
    # many packets each with a burst of 12 consecutive sent bits inverted (beyond the code's
    # reach once interleaved back): either the right ID or nothing, never another packet
    fs = 8000.0
    rng = np.random.default_rng(7)
    decoded = 0
    for _ in range(40):
        unit = int(rng.integers(0, 65536))
        bits = packet_bits(unit)
        a = 56 + 40 + int(rng.integers(0, 100))
        for i in range(a, a + 12):
            bits[i] ^= 1
        out, _ = mdc1200(np.r_[np.zeros(50), _bits_to_audio(bits, fs)], fs)
        assert all(d["id"] == f"{unit:04X}" and d["op"] == 1 for d in out)
        decoded += len(out)
    assert decoded < 40                  # the corruption did defeat the code at times


def _sent(code):
    sent = [0] * 112
    for q, c in enumerate(code):
        sent[16 * (q % 7) + q // 7] = c
    return sent


def test_a_wrong_crc_is_refused():
    # a valid code word whose bytes are ID 0x1356 with the CRC of ID 0x1357: nothing
    fs = 8000.0
    bits = packet_bits(0x1357)
    good = [0x01, 0x80, 0x13, 0x57]
    crc = block_bits(good)
    code = [crc[16 * (q % 7) + q // 7] for q in range(112)]
    d = [(0x56 >> j) & 1 for j in range(8)]
    d = code[:24] + d + code[32:56]                   # byte 3 changed, CRC bytes kept
    par = [d[n] ^ (d[n - 2] if n >= 2 else 0) ^ (d[n - 5] if n >= 5 else 0)
           ^ (d[n - 6] if n >= 6 else 0) for n in range(56)]
    forged = bits[:96] + _sent(d + par) + bits[208:]
    assert forged != bits
    out, _ = mdc1200(np.r_[np.zeros(50), _bits_to_audio(forged, fs)], fs)
    assert out == []
    out, _ = mdc1200(np.r_[np.zeros(50), _bits_to_audio(bits, fs)], fs)
    assert [d["id"] for d in out] == ["1357"]


@pytest.mark.parametrize("cut_bits", [10, 60, 100, 150, 200, 207])
def test_a_packet_split_across_chunks(cut_bits):
    fs = 7000.0
    x = np.r_[np.zeros(123), encode(0x0F0F, fs), np.zeros(50)].astype(np.float32)
    k = 123 + int(cut_bits * fs / 1200)
    dec = Mdc1200Decoder(fs)
    out = dec.process(x[:k]) + dec.process(x[k:k + 1]) + dec.process(x[k + 1:]) + dec.flush()
    assert [d["id"] for d in out] == ["0F0F"]
    whole, _ = mdc1200(x, fs)
    assert out == whole


def test_functional_face_continues_from_zi():
    fs = 8000.0
    x = np.r_[np.zeros(100), encode(0x0BAD, fs), np.zeros(300), encode(0x0D0D, fs),
              np.zeros(300)]
    zi = mdc1200_zi(fs)
    a, zf = mdc1200(x[:1600], fs, zi=zi)
    b, zf2 = mdc1200(x[1600:], fs, zi=zf)
    assert [d["id"] for d in a + b + zf2.flush()] == ["0BAD", "0D0D"]
    c, _ = mdc1200(x[:1600], fs, zi=zi)                 # zi itself was left alone
    assert c == a


def test_copy_and_reset():
    fs = 8000.0
    x = np.r_[np.zeros(100), encode(0x7777, fs)].astype(np.float32)
    dec = Mdc1200Decoder(fs)
    dec.process(x[:700])
    twin = dec.copy()
    assert dec.process(x[700:]) + dec.flush() == twin.process(x[700:]) + twin.flush()
    dec.reset()
    assert [d["id"] for d in dec.process(x) + dec.flush()] == ["7777"]


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="fs"):
        Mdc1200Decoder(48000.0)
    with pytest.raises(ValueError, match="unit_id"):
        encode(0x10000, 8000.0)
    with pytest.raises(ValueError, match="extra"):
        encode(1, 8000.0, op=0x35)


TEN_MIN_S = 600.0


def _tone_signalling(rng, n, fs):
    """DTMF pairs, sequential selcall tones (60-100 ms, 1000-2800 Hz, 1200 and 1800 Hz among
    them) and random 1200/1800 Hz FFSK-like runs at 1200 baud, with gaps and noise."""
    y = np.zeros(n)
    i = 0
    lo, hi = [697, 770, 852, 941], [1209, 1336, 1477, 1633]
    while i < n:
        kind = rng.integers(0, 3)
        if kind == 0:
            m = int(rng.uniform(0.05, 0.15) * fs)
            t = np.arange(m) / fs
            seg = np.sin(2 * np.pi * rng.choice(lo) * t) + np.sin(2 * np.pi * rng.choice(hi) * t)
        elif kind == 1:
            m = int(rng.uniform(0.06, 0.1) * fs)
            f = rng.choice([1060, 1160, 1200, 1270, 1400, 1530, 1670, 1800, 1950, 2110, 2400])
            seg = np.sin(2 * np.pi * f * np.arange(m) / fs)
        else:
            nb = int(rng.integers(20, 300))
            seg = _bits_to_audio(list(rng.integers(0, 2, nb)), fs)
        seg = seg[: n - i]
        y[i:i + seg.size] = seg
        i += seg.size + int(rng.uniform(0.02, 0.3) * fs)
    return y + 0.05 * _band_noise(rng, n, fs)


@pytest.mark.parametrize("kind", ["noise", "speech", "ctcss", "tones"])
def test_no_false_decodes_in_ten_minutes(kind):
    fs = 8000.0
    n = int(TEN_MIN_S * fs) if kind != "tones" else int(TEN_MIN_S * fs / 5)
    rng = np.random.default_rng(hash(kind) % 2**32)
    if kind == "noise":
        x = _band_noise(rng, n, fs)
    elif kind == "speech":
        x = _speech(rng, n, fs) + 0.03 * _band_noise(rng, n, fs)
    elif kind == "ctcss":
        x = _ctcss(rng, n, fs, 1.0) + 0.3 * _band_noise(rng, n, fs)
    else:
        x = _tone_signalling(rng, n, fs)
    x = np.clip(x / np.max(np.abs(x)) * 1.5, -1, 1)         # clipped, as a receiver may be
    out, _ = mdc1200(x, fs)
    assert out == []
