"""DCS: decode the 83 standard codes (normal and inverted) and the turn-off code.

The discriminator output is low-passed (300 Hz) and decimated to about 4 kHz (30 samples per
134.4 bit/s bit). Every ``hop_bits`` bits the last two words (46 bits, mean removed: the mean of
a whole number of words takes out the carrier's frequency error) are sliced at the bit phase
with the widest eye; the newest 23 bits and the 23 before must each be a rotation of the same
code's Golay word (DCS repeats its word with no frame marker, so any 23 consecutive bits are a
rotation). A code is declared after ``confirm`` such hops and dropped after ``confirm`` failing
ones. The turn-off code is a 134.4 Hz tone: NRZ data at 134.4 bit/s has a spectral null exactly
there, so the tone shows as at least ``turn_off_fraction`` of the newest 8 bits' power at
134.4 Hz (measured: data windows at most 0.06, turn-off windows at least 0.6).

Inverted codes that are on the air the same bitstream as another code's normal form (D023I is
D047N) are reported by the normal name; :func:`same_code` compares codes up to that.
"""

import numpy as np

from htdsp.kernels import dcs_slice_kernel
from htdsp.rx.subaudible import HopDecoder
from htdsp.standards import DCS_BAUD, DCS_CODES, dcs_codeword

_MASK = (1 << 23) - 1


def _rot(w, r):
    return ((w >> r) | (w << (23 - r))) & _MASK


def _table():
    """23-bit window -> code name, normal forms first (so an alias is named by its N form)."""
    t = {}
    for suffix in ("N", "I"):
        for c in DCS_CODES:
            w = dcs_codeword(f"D{c}{suffix}")
            for r in range(23):
                t.setdefault(_rot(w, r), f"D{c}{suffix}")
    return t


WINDOWS = _table()


def canonical(code):
    """The name the decoder reports for ``code`` (``D023I`` -> ``D047N``).

    Examples
    --------
    >>> canonical("D023I"), canonical("d023"), canonical("D754I")   # D754I is D116N on air
    ('D047N', 'D023N', 'D116N')
    """
    from htdsp.standards import parse_dcs

    octal, inv = parse_dcs(code)
    return WINDOWS[dcs_codeword(f"D{octal}{'I' if inv else 'N'}")]


def same_code(a, b):
    """Whether two DCS names are the same bitstream on the air."""
    return canonical(a) == canonical(b)


class DCSDetector(HopDecoder):
    """Streaming DCS decoder on the discriminator output (channel rate ``fs``).

    ``process(disc)`` returns, for every hop completed, ``(code or None, turn_off)``.
    """

    def __init__(self, fs, *, hop_bits=4, phases=8, confirm=2, turn_off_fraction=0.3):
        fs_d = float(fs) / max(1, int(round(float(fs) / 4000.0)))
        spb = fs_d / DCS_BAUD                                # samples per bit
        self._front(fs, 4000.0, 4, 300.0, 400.0, 1500.0, int(np.ceil(46 * spb)) + 2,
                    round(hop_bits * spb))
        self.spb = spb
        self.phases = phases
        self.confirm = confirm
        self.turn_off_fraction = turn_off_fraction
        self.grace = int(np.ceil(0.2 * DCS_BAUD / hop_bits))  # hops in 200 ms
        k = int(round(8 * self.spb))
        tone = np.exp(-2j * np.pi * DCS_BAUD * np.arange(k) / self.fs_d)
        self._tone_c = np.ascontiguousarray(tone.real)
        self._tone_s = np.ascontiguousarray(tone.imag)
        self._work = np.empty(self.w)
        self.reset()

    def _reset_decisions(self):
        super()._reset_decisions()
        self._since_code = 10**9
        self._rotations = np.zeros(0, dtype=np.int64)

    @property
    def code(self):
        """The code held now (e.g. ``D023N``), or None."""
        return self.held

    def _declared(self, code):
        w = next(k for k, v in WINDOWS.items() if v == code)
        self._rotations = np.array([_rot(w, r) for r in range(23)], dtype=np.int64)

    def copy(self):
        new = super().copy()
        new._rotations = self._rotations.copy()
        return new

    def _analyse(self, y):
        w_old, w_new, turn_off, dist = dcs_slice_kernel(
            y, self.spb, self.phases, self._tone_c, self._tone_s, self.turn_off_fraction,
            self._rotations, self._work)
        if turn_off:
            return None, True
        a, c = WINDOWS.get(w_old), WINDOWS.get(w_new)
        if a is not None and a == c:
            return c, False
        # a declared code is kept while the newest word stays within 2 bit errors of one of
        # its rotations (Golay words are 7 apart): noise at 12 dB SINAD flips a bit now and then
        if self.code is not None and dist <= 2:
            return self.code, False
        return None, False

    def _update(self, code, turn_off):
        # the word is garbled as the turn-off begins, so the code may already have been
        # dropped: a turn-off counts within a grace of hops after the code was last held
        if turn_off and (self.held is not None or self._since_code <= self.grace):
            self._drop()
            self._since_code = self.grace + 1
            return None, True
        self._since_code = 0 if self.held is not None else self._since_code + 1
        return self._confirm(code), False
