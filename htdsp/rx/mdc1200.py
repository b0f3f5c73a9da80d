"""MDC1200: Motorola's 1200 bit/s FFSK signalling (PTT ID and friends): encoder and decoder.

Framing (from Matthew Kaufman's MDC encoder/decoder library, github.com/atmatthewat/
mdc-encode-decode: ``mdc_encode.c`` for the order of everything sent, ``mdc_decode.c`` for
the sync tolerance, the deinterleaving and the double-packet op codes, ``mdc_common.c`` for
the CRC):

- bits at 1200 bit/s, each byte most significant bit first; bit ``k`` is one cycle of 1200 Hz
  when it equals bit ``k - 1``, one and a half cycles of 1800 Hz when it differs (XOR
  precoding; the first bit sent counts as a change), phase continuous;
- a bit-sync preamble (Kaufman sends 7 bytes of 0x55, i.e. 1800 Hz throughout; radios send at
  least 24 bits), the 40-bit sync word 0x07092A446F, then a 112-bit block;
- the block: 7 bytes ``op, arg, unit ID high, unit ID low, CRC low, CRC high, 0``, taken least
  significant bit first as data bits ``d[0..55]``, followed by 56 parity bits ``d[n] ^ d[n-2]
  ^ d[n-5] ^ d[n-6]`` (rate 1/2 systematic convolutional code, K = 7, the register starting at
  zero); code bit ``q`` (0..111) is sent as bit ``16 (q mod 7) + q div 7`` of the block;
- the CRC: polynomial 0x1021, initial value 0, input bytes and result bit-reflected, final xor
  0xFFFF, over the first 4 bytes;
- op codes 0x35 and 0x55 (call alert, selcall) are double packets: a second block of 4 extra
  bytes (same coding) follows the first without another sync word.

PTT ID is op 0x01: argument 0x80 at key-up (pre-ID), 0x00 at key-down (post-ID); the same
table is in the UV-K5 firmwares' ``mdc1200.h`` (e.g. egzumer/uv-k5-firmware-custom).

Each decode is a dict: ``kind`` ("mdc1200"), ``id`` (the unit ID, 4 hex digits), ``op``,
``arg``, ``start_sample`` (the first sample of the sync word), ``end_sample`` (the last sample
of the last block), ``double`` (0 single; 1 double, ``extra`` its 4 bytes; -1 a double packet
whose second block failed, ``extra`` None), ``metric`` (the soft bits' agreement with the code
word, 1 = perfect) and ``corrected`` (hard decisions the decoder overruled). Sample indexes are
counted at ``fs`` from the decoder's first input sample, within about a sample.
"""

import numpy as np

from htdsp.kernels.mdc1200 import (
    MDC1200_DECODE,
    MDC1200_MAX_SAMPLERS,
    MDC1200_MAX_TAPS,
    SYNC_WORD,
    mdc1200_kernel,
    mdc1200_state,
)

BAUD = 1200.0
#: the tone of a bit equal to the one before, and of a bit that differs, Hz
TONE_SAME_HZ = 1200.0
TONE_CHANGE_HZ = 1800.0
#: op codes followed by a second block (mdc_decode.c, _procbits)
DOUBLE_OPS = (0x35, 0x55)
OP_PTT_ID = 0x01
ARG_PRE_ID = 0x80
ARG_POST_ID = 0x00
#: interpolation table size (boundaries placed to 1/256 of a sample)
_Q = 256
FS_RANGE_HZ = (7000.0, 16000.0)


def crc16(data):
    """The MDC CRC of ``data`` (bytes): CRC-16 polynomial 0x1021, initial 0, reflected in and
    out, final xor 0xFFFF (``mdc_common.c``, ``_docrc``).

    Examples
    --------
    >>> hex(crc16(b"123456789"))      # CRC-16/KERMIT (0x2189) with its final xor
    '0xde76'
    """
    crc = 0
    for byte in data:
        for j in range(8):
            bit = ((crc >> 15) ^ (byte >> j)) & 1
            crc = (crc << 1) & 0xFFFF
            if bit:
                crc ^= 0x1021
    return int(f"{crc:016b}"[::-1], 2) ^ 0xFFFF


def block_bits(b4):
    """The 112 bits sent for the 4 bytes ``b4`` (op, arg, ID high, ID low, or a double packet's
    extra bytes): CRC, status byte, convolutional code and interleaving, in order sent."""
    crc = crc16(bytes(b4))
    data = [*b4, crc & 0xFF, crc >> 8, 0]
    d = [(data[n // 8] >> (n % 8)) & 1 for n in range(56)]
    par = [d[n] ^ (d[n - 2] if n >= 2 else 0) ^ (d[n - 5] if n >= 5 else 0)
           ^ (d[n - 6] if n >= 6 else 0) for n in range(56)]
    code = d + par
    sent = [0] * 112
    for q, c in enumerate(code):
        sent[16 * (q % 7) + q // 7] = c
    return sent


def packet_bits(unit_id, *, op=OP_PTT_ID, arg=ARG_PRE_ID, extra=None, preamble_bits=56,
                postamble_bits=8):
    """Every bit of one packet, in order sent (preamble 0101..., sync, block(s), 0 bits)."""
    if not 0 <= int(unit_id) <= 0xFFFF:
        raise ValueError(f"unit_id must be 0..0xFFFF, got {unit_id!r}")
    if not (0 <= op <= 255 and 0 <= arg <= 255):
        raise ValueError("op and arg must be bytes (0..255)")
    double = op in DOUBLE_OPS
    if double != (extra is not None):
        raise ValueError(f"op 0x{op:02X} {'needs' if double else 'takes no'} 4 extra bytes")
    bits = [i % 2 for i in range(int(preamble_bits))]
    bits += [(SYNC_WORD >> (39 - i)) & 1 for i in range(40)]
    bits += block_bits([op, arg, int(unit_id) >> 8, int(unit_id) & 0xFF])
    if double:
        if len(extra) != 4 or not all(0 <= int(e) <= 255 for e in extra):
            raise ValueError("extra must be 4 bytes")
        bits += block_bits([int(e) for e in extra])
    return bits + [0] * int(postamble_bits)


def encode(unit_id, fs, *, op=OP_PTT_ID, arg=ARG_PRE_ID, extra=None, preamble_bits=56,
           postamble_bits=8, clock_error=0.0, phase_rad=0.0):
    """An MDC1200 packet as audio: continuous-phase FFSK, peak amplitude 1.0.

    Parameters
    ----------
    unit_id : int
        0..0xFFFF.
    fs : float
        Sample rate, Hz.
    op, arg : int
        Op code and argument (default PTT ID, pre-ID).
    extra : sequence of 4 ints, optional
        The second block of a double packet (op 0x35 or 0x55); required for those only.
    preamble_bits, postamble_bits : int
        Bit-sync bits before the sync word (alternating, i.e. 1800 Hz), zero bits after.
    clock_error : float
        Relative error of the sender's clock: tones and bit rate together (``0.01``: 1 % fast,
        as a modem whose one clock makes both).
    phase_rad : float
        Phase of the tone at the first sample (the encoder's is 0: ``sin``).

    Returns
    -------
    numpy.ndarray
        float64. Bit ``k`` (0: the first preamble bit) occupies samples
        ``[k, k + 1) * fs / (1200 (1 + clock_error))``; the sync word starts with bit
        ``preamble_bits``, the last block ends before bit ``preamble_bits + 152`` (264 for a
        double packet).

    Examples
    --------
    >>> y = encode(0x1234, 8000.0)
    >>> y.shape, float(np.max(np.abs(y)))     # 56 + 40 + 112 + 8 bits at 6.67 samples a bit
    ((1440,), 1.0)
    >>> [d["id"] for d in Mdc1200Decoder(8000.0).process(np.r_[np.zeros(200), y])]
    ['1234']
    """
    bits = packet_bits(unit_id, op=op, arg=arg, extra=extra, preamble_bits=preamble_bits,
                       postamble_bits=postamble_bits)
    fs = float(fs)
    baud = BAUD * (1.0 + clock_error)
    n = int(np.ceil(len(bits) * fs / baud))
    # phase at each bit boundary: 2 pi for a bit equal to the one before, 3 pi for a change
    prev = [1, *bits[:-1]]
    cycles = np.array([1.5 if b != p else 1.0 for b, p in zip(bits, prev, strict=True)])
    start = np.concatenate([[0.0], np.cumsum(cycles)]) * 2 * np.pi + phase_rad
    t = np.arange(n) * baud / fs                     # time in bits
    k = np.minimum(t.astype(np.int64), len(bits) - 1)
    y = np.sin(start[k] + 2 * np.pi * cycles[k] * (t - k))
    return y / np.max(np.abs(y))


def _tables(fs):
    spb = float(fs) / BAUD
    m = int(np.ceil(spb)) - 1                        # taps |m| < one bit
    w = 2 * np.pi * 1500.0 / float(fs)
    mm = np.arange(-m, m + 1)
    p = np.cos(np.pi * mm / (2 * spb))
    g = p * np.exp(-1j * w * mm) / np.sum(p * p) * 2
    f = np.arange(_Q) / _Q + 0.5 / _Q
    wa = (1 - f) * np.exp(1j * w * f)
    wb = f * np.exp(-1j * w * (1 - f))
    return spb, (np.ascontiguousarray(g.real), np.ascontiguousarray(g.imag),
                 np.ascontiguousarray(wa.real), np.ascontiguousarray(wa.imag),
                 np.ascontiguousarray(wb.real), np.ascontiguousarray(wb.imag))


def _as_dict(r):
    d = {"kind": "mdc1200", "id": f"{int(r['unit']):04X}", "op": int(r["op"]),
         "arg": int(r["arg"]), "start_sample": int(r["start"]), "end_sample": int(r["end"]),
         "double": int(r["double"]), "metric": round(float(r["metric"]), 4),
         "corrected": int(r["corrected"])}
    if r["double"] == 1:
        d["extra"] = [int(e) for e in r["extra"]]
    elif r["double"] == -1:
        d["extra"] = None
    return d


class Mdc1200Decoder:
    """Streaming MDC1200 decoder on receiver audio (see :mod:`htdsp.kernels.mdc1200`).

    Parameters
    ----------
    fs : float
        Audio rate, 7000..16000 Hz.
    n_samplers : int
        Bit samplers started at evenly spread phases (8).
    max_dist : int
        Bit errors accepted in the 40-bit sync word (4).
    max_corrected : int
        Most of the block's 112 hard decisions the code word may overrule (12; noise that
        passed the CRC by chance needs about 35).
    kp, ki, leak : float
        Timing loop gains per bit and a hunting sampler's leak back to its phase.

    Examples
    --------
    >>> dec = Mdc1200Decoder(8000.0)
    >>> y = np.r_[np.zeros(500), encode(0xBEEF, 8000.0, arg=0x00), np.zeros(500)]
    >>> out = dec.process(y[:1000]) + dec.process(y[1000:]) + dec.flush()
    >>> [(d["id"], d["op"], d["arg"]) for d in out]
    [('BEEF', 1, 0)]
    """

    def __init__(self, fs, *, n_samplers=8, max_dist=4, max_corrected=12, kp=0.25, ki=0.02,
                 leak=0.02):
        fs = float(fs)
        if not FS_RANGE_HZ[0] <= fs <= FS_RANGE_HZ[1]:
            raise ValueError(f"fs must be in {FS_RANGE_HZ[0]:.0f}..{FS_RANGE_HZ[1]:.0f} Hz, "
                             f"got {fs}")
        if not 1 <= int(n_samplers) <= MDC1200_MAX_SAMPLERS:
            raise ValueError(f"n_samplers must be 1..{MDC1200_MAX_SAMPLERS}")
        if not 0 <= int(max_dist) < 10:
            raise ValueError("max_dist must be 0..9")
        self.fs = fs
        self.n_samplers = int(n_samplers)
        self.max_dist = int(max_dist)
        self.max_corrected = int(max_corrected)
        self.kp, self.ki, self.leak = float(kp), float(ki), float(leak)
        self.spb, self._tab = _tables(fs)
        assert self._tab[0].size <= MDC1200_MAX_TAPS
        self.reset()

    def __repr__(self):
        return (f"Mdc1200Decoder(fs={self.fs:g}, n_samplers={self.n_samplers}, "
                f"max_dist={self.max_dist}, max_corrected={self.max_corrected})")

    @property
    def state(self):
        """The kernel's state record (read-only view)."""
        v = self._state.view()
        v.flags.writeable = False
        return v

    def reset(self):
        self._state = mdc1200_state(self.spb, self.n_samplers)

    def copy(self):
        new = object.__new__(Mdc1200Decoder)
        new.__dict__.update(self.__dict__)
        new._state = self._state.copy()
        return new

    def _run(self, x, flush):
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError("audio must be one-dimensional")
        out = np.zeros(self.n_samplers * (x.size // int(100 * self.spb) + 2) + 1,
                       dtype=MDC1200_DECODE)
        k = mdc1200_kernel(x, self.spb, *self._tab, self.n_samplers, self.max_dist,
                           self.max_corrected, self.kp, self.ki, self.leak, flush,
                           self._state, out)
        return [_as_dict(r) for r in out[:k]]

    def process(self, audio):
        """Decodes completed within this chunk (a packet is reported two bits after its end)."""
        return self._run(audio, False)

    def flush(self):
        """End of input: the decode still held back, if any (the samplers' last boundary needs
        the bit after the block: a packet cut right at its end may be lost)."""
        return self._run(np.zeros(int(np.ceil(2 * self.spb)) + 2, np.float32), True)


def mdc1200_zi(fs, **params):
    """A fresh decoder state for :func:`mdc1200` (the decoder itself: it holds the tables)."""
    return Mdc1200Decoder(fs, **params)


def mdc1200(audio, fs, zi=None, **params):
    """Decode MDC1200 packets in ``audio``: ``(decodes, zf)``.

    With ``zi`` None the whole input is one stream (flushed at its end); with ``zi`` (from
    :func:`mdc1200_zi`, or a previous call's ``zf``) the stream continues from there and is
    not flushed; ``zi`` itself is left unchanged.

    Examples
    --------
    >>> y = np.r_[np.zeros(300), encode(0x0042, 12000.0)]
    >>> dec, zf = mdc1200(y, 12000.0)
    >>> [d["id"] for d in dec]
    ['0042']
    """
    if zi is None:
        dec = Mdc1200Decoder(fs, **params)
        out = dec.process(audio) + dec.flush()
        return out, dec
    if float(zi.fs) != float(fs):
        raise ValueError(f"zi was made for fs={zi.fs}, not {fs}")
    dec = zi.copy()
    return dec.process(audio), dec
