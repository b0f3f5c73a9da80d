"""5-tone sequential selcall ANI: ZVEI1, ZVEI2, CCIR, EEA and EIA, all decoded at once.

A call is a sequence of contiguous tones, one per digit, with no gap between them; a digit
equal to the one before is sent as the *repeat* tone instead (``"11223"`` is sent
``1 R 2 R 3``), so two consecutive tones always differ.

Tables (Hz, digits 0-9, then the repeat tone) and nominal tone durations. Tones from
multimon-ng (github.com/EliasOenal/multimon-ng: ``demod_zvei1.c``, ``demod_zvei2.c``,
``demod_ccir.c``, ``demod_eea.c``, ``demod_eia.c``: entries 0-9 and E); checked against SvxLink
(github.com/sm0svx/svxlink: ``src/svxlink/svxlink/SelCall.tcl``, which also names ``E`` the
repeat tone and gives the tone lengths in ms: EIA 33, EEA 40, ZVEI1/2 70, CCIR1 100). The two
agree on every entry below.

======  ======================================================  ======  ========
name    digits 0-9                                              repeat  tone, ms
======  ======================================================  ======  ========
zvei1   2400 1060 1160 1270 1400 1530 1670 1830 2000 2200       2600    70
zvei2   2400 1060 1160 1270 1400 1530 1670 1830 2000 2200       970     70
ccir    1981 1124 1197 1275 1358 1446 1540 1640 1747 1860       2110    100
eea     1981 1124 1197 1275 1358 1446 1540 1640 1747 1860       2110    40
eia     600 741 882 1023 1164 1305 1446 1587 1728 1869          459     33
======  ======================================================  ======  ========

ZVEI1 and ZVEI2 differ only in the repeat tone: a call without repeats is the same sound in
both, and is reported with every standard it fits (``"standards"``). CCIR and EEA share every
tone and differ only in duration: a standard accepts a sequence whose mean tone duration lies
within +-15 % of its nominal (:data:`MEAN_TOLERANCE`: CCIR 85-115 ms, ZVEI 59.5-80.5, EEA
34-46, EIA 28-38) and each of whose tones lasts 0.5 to 1.6 times nominal (the first and last
tones' outer edges are measured less well than the transitions), so a CCIR sequence is never
EEA, nor the reverse. Where two standards of different durations fit the same tones (EIA's
1446 / 1869 Hz are EEA's 1446 / 1860 Hz, and their ranges overlap at 34-38 ms) the nearer
nominal wins.

Analysis (:func:`htdsp.kernels.selcall_kernel`): the union of the listed standards' tones in
one bank, 5 ms sub-blocks, windows of four (20 ms: shorter than the 33 ms EIA tone, and 1124
and 1197 Hz 1.5 bins apart), a decision every 5 ms: the dominant tone, its frequency refined
by its phase step, when it holds ``min_fraction`` of the window's energy. Runs of a steady
frequency are tones; a tone boundary between two runs lies half a window before the middle of
the gap between them (a window is decided on either tone once that tone holds its share, the
same on both sides). Runs of one frequency with a short gap are one tone (a dropout: a call
never repeats a tone). A gap longer than a transition's (``max_gap_s``) ends the sequence;
tones at its ends that are no table tone of the listed standards are dropped (speech or noise
touching the call), and the rest is matched to each standard's table (every tone within
``tolerance`` of a digit or the repeat tone, no repeat first, ``length`` tones, durations as
above).

Each decode: ``{"kind": "selcall", "id": "12345", "standard": "ccir", "standards": [...],
"start_sample", "end_sample", "tone_s", "level", "freq_error"}``: repeat tones resolved back
to digits; ``standard`` the first of the decoder's ``standards`` the call fits, ``standards``
all of them; sample indexes at ``fs`` from the decoder's first input sample; the mean tone
duration (s), amplitude and relative frequency error.
"""

import copy as _copy
import math

import numpy as np

from htdsp.kernels import SELCALL_RUN, selcall_kernel, selcall_state
from htdsp.kernels.tones import MAX_TONES
from htdsp.rx.dtmf import as_audio, bank_tables, check_fs, sub_samples

#: digit tones 0-9 (Hz), repeat tone (Hz), nominal tone duration (s); see the module's table
TABLES = {
    "zvei1": ((2400, 1060, 1160, 1270, 1400, 1530, 1670, 1830, 2000, 2200), 2600, 0.070),
    "zvei2": ((2400, 1060, 1160, 1270, 1400, 1530, 1670, 1830, 2000, 2200), 970, 0.070),
    "ccir": ((1981, 1124, 1197, 1275, 1358, 1446, 1540, 1640, 1747, 1860), 2110, 0.100),
    "eea": ((1981, 1124, 1197, 1275, 1358, 1446, 1540, 1640, 1747, 1860), 2110, 0.040),
    "eia": ((600, 741, 882, 1023, 1164, 1305, 1446, 1587, 1728, 1869), 459, 0.033),
}
STANDARDS = tuple(TABLES)
#: a sequence's mean tone duration may lie this far (relative) from its standard's nominal
MEAN_TOLERANCE = 0.15
#: each tone's duration, as a share of nominal
TONE_RANGE = (0.5, 1.6)
#: sub-blocks per window (20 ms)
WINDOW_SUBS = 4
#: the window's share a tone's edge lies in when the window is first (last) decided on it, at
#: an outer edge (a tone from or into silence, noise or speech)
EDGE = 0.8


def encode(ident, fs, standard="ccir", tone_s=None, *, freq_error=0.0):
    """The selcall waveform of ``ident`` (digits 0-9) in ``standard``, peak amplitude 1.0.

    Tone ``k`` occupies samples ``[round(k tone_s fs), round((k + 1) tone_s fs))``, no gaps; a
    digit equal to the one before is sent as the standard's repeat tone; phase continuous
    across tones (as a synthesiser switching frequency).

    Parameters
    ----------
    ident : str
    fs : float
    standard : str
        One of :data:`STANDARDS`.
    tone_s : float, optional
        Tone duration, s (default: the standard's nominal).
    freq_error : float
        Relative error of every tone.

    Returns
    -------
    numpy.ndarray
        float64 audio.

    Examples
    --------
    >>> y = encode("12234", 8000.0, "ccir")
    >>> y.size, float(abs(y).max())
    (4000, 1.0)
    """
    fs = float(fs)
    digits, repeat, nominal = _table(standard)
    ident = str(ident)
    if not ident or not ident.isdigit():
        raise ValueError(f"ident must be digits 0-9, got {ident!r}")
    tone_s = nominal if tone_s is None else float(tone_s)
    freqs = []
    for i, c in enumerate(ident):
        same = i > 0 and c == ident[i - 1] and freqs[-1] != repeat
        freqs.append(repeat if same else digits[int(c)])
    edges = [int(round(k * tone_s * fs)) for k in range(len(ident) + 1)]
    f = np.zeros(edges[-1])
    for k, fk in enumerate(freqs):
        f[edges[k]:edges[k + 1]] = fk * (1 + freq_error)
    phase = 2 * np.pi * np.cumsum(f) / fs
    return np.sin(phase - phase[0])


def _table(standard):
    try:
        return TABLES[str(standard).lower()]
    except KeyError:
        raise ValueError(f"standard must be one of {', '.join(STANDARDS)}, got "
                         f"{standard!r}") from None


class SelcallDecoder:
    """Streaming 5-tone selcall decoder on receiver audio at ``fs`` (7 to 19.2 kHz).

    Parameters
    ----------
    fs : float
    standards : tuple of str
        The standards decoded (all at once), in the order ``"standard"`` is chosen by.
    length : int or (int, int)
        Tones of a call: exactly ``length``, or a range ``(min, max)``; sequences of other
        lengths are not reported (5: the five-tone call).
    tolerance : float
        Largest relative distance of a tone from its table frequency.
    min_fraction : float
        Smallest share of the window's energy the tone holds.
    min_level : float
        Smallest tone amplitude (units of the audio).
    max_gap_s : float
        How much longer than a window (20 ms) the gap between the last window decided on one
        tone and the first on the next may be; a longer one ends the sequence (a transition
        between two tones leaves 15 ms undecided: windows holding under 87 % of either).

    Examples
    --------
    >>> fs = 8000.0
    >>> y = np.concatenate([np.zeros(400), 0.5 * encode("12234", fs, "ccir"), np.zeros(800)])
    >>> [(d["id"], d["standard"], d["tone_s"] > 0.09) for d in SelcallDecoder(fs).process(y)]
    [('12234', 'ccir', True)]
    """

    def __init__(self, fs, standards=STANDARDS, length=5, *, tolerance=0.02, min_fraction=0.75,
                 min_level=0.01, max_gap_s=0.005):
        self.fs = check_fs(fs)
        if isinstance(standards, str):
            standards = (standards,)
        self.standards = tuple(str(s).lower() for s in standards)
        for s in self.standards:
            _table(s)
        if not self.standards:
            raise ValueError("standards must name at least one standard")
        lo, hi = (length, length) if np.isscalar(length) else length
        self.length = (int(lo), int(hi))
        if not 1 <= self.length[0] <= self.length[1]:
            raise ValueError(f"length must be >= 1 (or a range lo <= hi), got {length!r}")
        self.tolerance = float(tolerance)
        self.min_fraction = float(min_fraction)
        self.min_level = float(min_level)
        self.max_gap_s = float(max_gap_s)
        tones = sorted({float(f) for s in self.standards
                        for f in (*TABLES[s][0], TABLES[s][1])})
        assert len(tones) <= MAX_TONES
        self._tones = np.array(tones)
        self._tone_list = tones
        self.sub = sub_samples(self.fs)
        self.window = WINDOW_SUBS * self.sub
        self._bank, self._rot = bank_tables(self.fs, tuple(tones), self.sub, WINDOW_SUBS)
        # a hop continues a run within a third of the closest two digit tones of a standard
        # (1124 / 1197 Hz: 6.5 %)
        self._limits = np.array([self.min_fraction, self.min_level, 0.015, 2.0])
        self.reset()

    def __repr__(self):
        return (f"SelcallDecoder(fs={self.fs:g}, standards={self.standards!r}, "
                f"length={self.length!r}, tolerance={self.tolerance:g}, "
                f"min_fraction={self.min_fraction:g})")

    @property
    def state(self):
        """The kernel's state (read-only view)."""
        v = self._state.view()
        v.flags.writeable = False
        return v

    def reset(self):
        """Back to a fresh decoder (sample 0 is the next input's first)."""
        self._state = selcall_state()
        self._tones_heard = []             # the sequence being gathered: [freq, first, last,
                                           # hops, amp]

    def copy(self):
        """An independent decoder in the same state."""
        new = _copy.copy(self)
        new._state = self._state.copy()
        new._tones_heard = [list(t) for t in self._tones_heard]
        return new

    def process(self, audio):
        """Decode ``audio`` (the next chunk); returns the calls completed in it."""
        x = as_audio(audio)
        out = np.empty(x.size // self.sub + 2, dtype=SELCALL_RUN)
        n = selcall_kernel(x, self.sub, WINDOW_SUBS, self._bank, self._rot, self._tones,
                           self.fs, self._limits, self._state, out)
        decodes = []
        for rec in out[:n].tolist():
            decodes += self._add_run(list(rec))
        st = self._state[0]
        # the earliest window end a run not yet written can have
        horizon = int(st["run_first"]) if st["run_hops"] > 0 else \
            int(st["pos"]) - int(st["nbuf"]) + self.sub
        decodes += self._complete(horizon)
        return decodes

    def flush(self):
        """End of input: the tone still sounding and the sequence pending."""
        st = self._state[0]
        decodes = []
        if st["run_hops"] >= 2:
            h = int(st["run_hops"])
            decodes += self._add_run([st["run_f"] / h, int(st["run_first"]),
                                      int(st["run_last"]), h, st["run_amp"] / h])
        st["run_hops"] = 0
        st["run_f"] = 0.0
        decodes += self._complete(math.inf)
        return decodes

    def _add_run(self, run):
        heard = self._tones_heard
        if heard:
            prev = heard[-1]
            if run[1] - prev[2] > self.max_gap_s * self.fs + self.window:
                out = self._complete(run[1])
                self._tones_heard.append(run)
                return out
            if abs(run[0] - prev[0]) <= 0.015 * prev[0]:
                # a dropout inside one tone (a call never sends a tone twice in a row)
                h = prev[3] + run[3]
                prev[0] = (prev[0] * prev[3] + run[0] * run[3]) / h
                prev[4] = (prev[4] * prev[3] + run[4] * run[3]) / h
                prev[2] = run[2]
                prev[3] = h
                return []
        heard.append(run)
        return []

    def _complete(self, horizon):
        """The sequence, when no run can join it (none ends its first hop before ``horizon``)."""
        heard = self._tones_heard
        if not heard or horizon - heard[-1][2] <= self.max_gap_s * self.fs + self.window:
            return []
        self._tones_heard = []
        d = self._match(heard)
        return [d] if d is not None else []

    def _match(self, heard):
        # a tone at either end that is no tone of any standard listed is not part of the call
        # (speech or noise right before or after it)
        while heard and not self._known(heard[0][0]):
            heard = heard[1:]
        while heard and not self._known(heard[-1][0]):
            heard = heard[:-1]
        n = len(heard)
        if not self.length[0] <= n <= self.length[1]:
            return None
        w = self.window
        # tone edges: the outer ones EDGE of a window from the first / last window decided;
        # transitions half a window before the middle of the gap
        edges = [heard[0][1] - EDGE * w]
        for a, b in zip(heard[:-1], heard[1:], strict=True):
            edges.append((a[2] + b[1]) / 2 - w / 2)
        edges.append(heard[-1][2] - (1 - EDGE) * w)
        dur_s = [(b - a) / self.fs for a, b in zip(edges[:-1], edges[1:], strict=True)]
        mean_s = (edges[-1] - edges[0]) / n / self.fs
        freqs = [t[0] for t in heard]
        fits = []
        for s in self.standards:
            ident = self._read(s, freqs, dur_s, mean_s)
            if ident is not None:
                fits.append((s, ident))
        if not fits:
            return None
        # standards of different nominal durations that both fit (EIA 33 / EEA 40 ms, whose
        # ranges overlap, on the tones they share): the nearer nominal
        near = min(abs(math.log(mean_s / TABLES[s][2])) for s, _ in fits)
        fits = [(s, i) for s, i in fits if abs(math.log(mean_s / TABLES[s][2])) <= near + 1e-9]
        ident = fits[0][1]
        std = fits[0][0]
        digits, repeat, _ = TABLES[std]
        sent = []
        for i, c in enumerate(ident):
            same = i > 0 and c == ident[i - 1] and sent[-1] != repeat
            sent.append(repeat if same else digits[int(c)])
        return {"kind": "selcall", "id": ident, "standard": std,
                "standards": [s for s, i in fits if i == ident],
                "start_sample": max(0, int(round(edges[0]))),
                "end_sample": int(round(edges[-1])), "tone_s": float(mean_s),
                "level": float(sum(t[4] for t in heard) / n),
                "freq_error": float(sum(f / t - 1 for f, t in zip(freqs, sent, strict=True)) / n)}

    def _known(self, f):
        return any(abs(f / t - 1) <= self.tolerance for t in self._tone_list)

    def _read(self, standard, freqs, dur_s, mean_s):
        """The digits ``freqs`` spell in ``standard``, or None when they do not fit (plain
        Python: five tones against eleven, once a sequence)."""
        digits, repeat, nominal = TABLES[standard]
        if abs(mean_s / nominal - 1) > MEAN_TOLERANCE:
            return None
        lo, hi = TONE_RANGE[0] * nominal, TONE_RANGE[1] * nominal
        if any(not lo <= d <= hi for d in dur_s):
            return None
        table = (*digits, repeat)
        out = []
        for f in freqs:
            k = min(range(11), key=lambda j, f=f: abs(table[j] - f))
            if abs(f / table[k] - 1) > self.tolerance:
                return None
            if k == 10:
                if not out or out[-1] == "R":
                    return None
                out.append("R")
            else:
                out.append(str(k))
        ident = []
        for c in out:
            ident.append(ident[-1] if c == "R" else c)
        # a digit sent plainly twice in a row is not how a call is sent (it would be the
        # repeat tone): two runs of one tone were merged, so this cannot come from one call
        for i in range(1, len(out)):
            if out[i] != "R" and out[i] == out[i - 1]:
                return None
        return "".join(ident)


def selcall_zi(fs, **params):
    """A fresh decoder for :func:`selcall`'s ``zi`` (parameters as :class:`SelcallDecoder`)."""
    return SelcallDecoder(fs, **params)


def selcall(audio, fs, zi=None, final=None, **params):
    """Decode selcall sequences in ``audio``: the functional face of :class:`SelcallDecoder`.

    Parameters
    ----------
    audio : array_like
    fs : float
    zi : SelcallDecoder, optional
        State to continue from (never modified). None: a fresh decoder made with ``params``.
    final : bool, optional
        Flush at the end. Default: when ``zi`` is None.

    Returns
    -------
    (list of dict, SelcallDecoder)

    Examples
    --------
    >>> y = encode("90210", 8000.0, "zvei1")
    >>> [(d["id"], d["standards"]) for d in selcall(y, 8000.0)[0]]
    [('90210', ['zvei1', 'zvei2'])]
    """
    dec = SelcallDecoder(fs, **params) if zi is None else zi.copy()
    if final is None:
        final = zi is None
    decodes = dec.process(audio)
    if final:
        decodes += dec.flush()
    return decodes, dec
