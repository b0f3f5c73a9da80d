"""DTMF PTT-ID: decode the burst of DTMF digits a radio sends at key-up or key-down.

Frequencies (ITU-T Q.23, table 1): low group 697, 770, 852, 941 Hz (rows), high group 1209,
1336, 1477, 1633 Hz (columns); keys ``1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D``.

Receiver limits (ITU-T Q.24 lists each administration's; the values chosen here, and why):

==========================  ======================  ==========================================
Q.24 item                   Q.24 (typical)          this decoder (parameter)
==========================  ======================  ==========================================
frequency deviation         operate +-1.5 %,        accept +-2.0 % (``tolerance``), measured
                            reject beyond +-3.5 %   per tone from its phase step, not inferred
                                                    from a bin's level
twist (high minus low)      -8 dB to +4 dB          -9 to +5 dB (``normal_twist_db``,
                                                    ``reverse_twist_db``: 1 dB for the
                                                    measurement in noise)
tone duration               >= 40 ms operate,       >= 30 ms (``min_digit_s``)
                            < 23 ms reject
pause                       >= 40 ms recognised     a gap is a pause from 20 ms (``bridge_s``)
interruption                < ~10 ms bridged        bridged under 20 ms (``bridge_s``)
==========================  ======================  ==========================================

The twist sign follows the brief of this project and, e.g., the EchoLink sysop notes (the
high group between 8 dB under and 4 dB over the low group); Q.24's administrations differ,
and some decoders (Asterisk's ``dsp.c``) allow the reverse.

Talk-off protection (voiced speech is a comb of pitch harmonics, and formants can pick out two
of them on a DTMF pair, within 0.5 %, holding 80 % of the energy): the two tones hold
``min_fraction`` (75 %) of the window's energy, and one window of the digit
``confirm_fraction`` (80 %; a digit at 12 dB SINAD holds 93 %); no other tone of either group
comes within ``other_db`` (10 dB) of its group's tone; the frequency of each is measured; and
no other line of the window's Hann-windowed spectrum (300 Hz to 3 kHz, 2.5 bins or more from
the tones) comes within ``guard_db`` (15 dB) of the pair: a harmonic's neighbours do, noise
(flat) does not. Measured on this module's adversarial speech-like audio (tests/test_dtmf.py):
the guard alone takes the runs of two or more hops in ten minutes from dozens to none. A pair
clipped at a third of its peak still decodes; clipped nearly square (a fifth) its
intermodulation lines fail the guard.

Analysis (:func:`htdsp.kernels.dtmf_kernel`): 5 ms sub-blocks, windows of five (25 ms, a
Goertzel over N = 200 samples at 8 kHz as the classic N = 205), a decision every 5 ms. A digit
is a run of hops with one key; its time is the run's extent less the window's reach (see
``EDGE``). Digits of one key separated by less than ``bridge_s`` are one digit. A burst is the
digits with pauses under ``burst_gap_s`` (300 ms) between them, emitted once that much silence
has followed it (or at :meth:`DtmfDecoder.flush`).

Each decode: ``{"kind": "dtmf", "id": "123#", "start_sample", "end_sample", "digits": [{"key",
"start_sample", "end_sample"}, ...], "twist_db", "level", "freq_error"}``: sample indexes at
``fs`` from the decoder's first input sample (end exclusive), the mean twist (high minus low,
dB), the mean tone amplitude (units of the audio) and the mean relative frequency error.
"""

import copy as _copy
import functools
import math

import numpy as np

from htdsp.kernels import DTMF_RUN, dtmf_kernel, dtmf_state

#: keys by index ``4 * row + column``
KEYS = "123A456B789C*0#D"
#: Q.23 low group (rows), Hz
LOW_HZ = (697.0, 770.0, 852.0, 941.0)
#: Q.23 high group (columns), Hz
HIGH_HZ = (1209.0, 1336.0, 1477.0, 1633.0)
TONES_HZ = LOW_HZ + HIGH_HZ

#: sub-block (the hop), s: 5 ms keeps the in-block loss under 0.2 dB for a tone 2 % off
#: 1633 Hz and the phase-step frequency estimate unambiguous within +-100 Hz
SUB_S = 0.005
#: sub-blocks per DTMF window (25 ms: 697 and 770 Hz 1.8 bins apart, leakage under -20 dB)
WINDOW_SUBS = 5
#: how far into a window a tone's edge lies when the window is first (last) decided on it, as
#: a share of the window: a tone into silence is decided once it fills 75 % of the window (its
#: share of the energy), into another sound once its power share does (87 %); 0.8 between
EDGE = 0.8


def sub_samples(fs):
    """Samples per sub-block (the hop) at ``fs``."""
    return max(1, int(round(float(fs) * SUB_S)))


@functools.lru_cache(maxsize=32)
def bank_tables(fs, tones_hz, sub, m_sub):
    """The kernels' correlator tables for ``tones_hz`` (a tuple) at ``fs``: ``bank``
    (``[2, K, sub]``: ``cos`` / ``-sin`` of ``w_k i``) and ``rot`` (``[2, m_sub, K]``: sub-block
    ``m``'s phase alignment). Shared by the decoders of a rate, never written."""
    w = 2 * np.pi * np.asarray(tones_hz, dtype=np.float64) / float(fs)
    e = np.exp(-1j * w[:, None] * np.arange(sub)[None, :])
    bank = np.ascontiguousarray(np.stack([e.real, e.imag]))
    r = np.exp(-1j * w[None, :] * sub * np.arange(m_sub)[:, None])
    rot = np.ascontiguousarray(np.stack([r.real, r.imag]))
    return bank, rot


@functools.lru_cache(maxsize=16)
def guard_tables(fs, n):
    """DTMF's guard spectrum at ``fs`` over windows of ``n``: the Hann window, the grid
    (``[2, G, n]``: window times ``cos`` / ``-sin``) and its frequencies (300 Hz to 3 kHz, or
    0.45 ``fs``, a bin ``fs / n`` apart). Shared, never written."""
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(n) + 0.5) / n)
    grid_hz = np.arange(300.0, min(3000.0, 0.45 * fs), fs / n)
    e = hann[None, :] * np.exp(-2j * np.pi * grid_hz[:, None] * np.arange(n)[None, :] / fs)
    return hann, np.ascontiguousarray(np.stack([e.real, e.imag])), grid_hz


def as_audio(audio):
    """``audio`` as contiguous float32, one-dimensional and real (a clear error otherwise)."""
    x = np.asarray(audio)
    if x.ndim != 1:
        raise ValueError(f"audio must be one-dimensional, got shape {x.shape}")
    if np.iscomplexobj(x):
        raise ValueError("audio must be real (demodulated audio, not IQ)")
    return np.ascontiguousarray(x, dtype=np.float32)


def check_fs(fs):
    """``fs`` as float when it is an audio rate the decoders run at (7 to 19.2 kHz)."""
    fs = float(fs)
    if not 7000.0 <= fs <= 19200.0:
        raise ValueError(f"fs must be an audio rate in [7000, 19200] Hz, got {fs}")
    return fs


def encode(ident, fs, digit_s=0.07, gap_s=0.05, twist_db=0.0, *, freq_error=0.0):
    """The DTMF waveform of ``ident`` (keys of ``0-9 * # A-D``), peak amplitude 1.0.

    Digit ``k`` occupies samples ``[round(k (digit_s + gap_s) fs), + round(digit_s fs))``,
    silence between; the waveform ends with the last digit.

    Parameters
    ----------
    ident : str
    fs : float
        Sample rate, Hz.
    digit_s, gap_s : float
        Tone and pause durations, s.
    twist_db : float
        High-group level minus low-group level, dB (negative: the high group weaker).
    freq_error : float
        Relative error of every tone (0.01: 1 % high), as a transmitter's off reference.

    Returns
    -------
    numpy.ndarray
        float64 audio.

    Examples
    --------
    >>> y = encode("12", 8000.0)
    >>> y.size, float(abs(y).max())
    (1520, 1.0)
    """
    fs = float(fs)
    ident = str(ident).upper()
    bad = [c for c in ident if c not in KEYS]
    if bad or not ident:
        raise ValueError(f"ident must be DTMF keys (0-9 * # A-D), got {ident!r}")
    n_tone = int(round(digit_s * fs))
    starts = [int(round(k * (digit_s + gap_s) * fs)) for k in range(len(ident))]
    y = np.zeros(starts[-1] + n_tone)
    t = np.arange(n_tone) / fs
    g = 10 ** (twist_db / 20)
    for s0, c in zip(starts, ident, strict=True):
        k = KEYS.index(c)
        f_lo = LOW_HZ[k // 4] * (1 + freq_error)
        f_hi = HIGH_HZ[k % 4] * (1 + freq_error)
        y[s0:s0 + n_tone] = np.sin(2 * np.pi * f_lo * t) + g * np.sin(2 * np.pi * f_hi * t)
    return y / np.max(np.abs(y))


class DtmfDecoder:
    """Streaming DTMF (PTT-ID) decoder on receiver audio at ``fs`` (7 to 19.2 kHz).

    Parameters
    ----------
    fs : float
        Audio rate, Hz.
    tolerance : float
        Largest relative frequency error of each tone accepted (Q.24: operate within 1.5 %,
        reject beyond 3.5 %).
    normal_twist_db, reverse_twist_db : float
        How far the high group may lie under / over the low group, dB.
    min_fraction : float
        Smallest share of the window's energy (mean removed) the two tones hold: where a
        digit's edges are.
    confirm_fraction : float
        The share at least one window of a digit must reach (at 12 dB SINAD a digit's windows
        hold 93 %; voiced speech whose formants pick out two harmonics on a DTMF pair reaches
        75-85 %).
    other_db : float
        How far under its group's tone every other tone of the group must be, dB.
    guard_db : float
        How far under the pair's power every other line of the window's spectrum (300 Hz to
        3 kHz, Hann-windowed, 2.5 bins or more from the tones) must be, dB.
    min_level : float
        Smallest amplitude of each tone (units of the audio: 1.0 = rated deviation).
    min_digit_s : float
        Shortest digit accepted, s (Q.24: >= 40 ms operate, < 23 ms reject).
    bridge_s : float
        Gaps in one key shorter than this are interruptions, bridged; longer ones are pauses.
    burst_gap_s : float
        Silence that ends a burst, s.
    min_digits : int
        Fewest digits a burst reported has.

    Examples
    --------
    >>> fs = 8000.0
    >>> audio = np.concatenate([np.zeros(800), 0.5 * encode("123#", fs), np.zeros(4000)])
    >>> [(d["id"], d["start_sample"]) for d in DtmfDecoder(fs).process(audio)]
    [('123#', 800)]
    """

    def __init__(self, fs, *, tolerance=0.02, normal_twist_db=9.0, reverse_twist_db=5.0,
                 min_fraction=0.75, confirm_fraction=0.8, other_db=10.0, guard_db=15.0,
                 min_level=0.01, min_digit_s=0.03, bridge_s=0.02, burst_gap_s=0.3,
                 min_digits=1):
        self.fs = check_fs(fs)
        self.tolerance = float(tolerance)
        self.normal_twist_db = float(normal_twist_db)
        self.reverse_twist_db = float(reverse_twist_db)
        self.min_fraction = float(min_fraction)
        self.confirm_fraction = float(confirm_fraction)
        self.other_db = float(other_db)
        self.guard_db = float(guard_db)
        self.min_level = float(min_level)
        self.min_digit_s = float(min_digit_s)
        self.bridge_s = float(bridge_s)
        self.burst_gap_s = float(burst_gap_s)
        self.min_digits = int(min_digits)
        self.sub = sub_samples(self.fs)
        self.window = WINDOW_SUBS * self.sub
        self._bank, self._rot = bank_tables(self.fs, TONES_HZ, self.sub, WINDOW_SUBS)
        self._tones = np.array(TONES_HZ)
        self._limits = np.array([
            self.min_fraction, self.tolerance, 10 ** (-self.normal_twist_db / 10),
            10 ** (self.reverse_twist_db / 10), 10 ** (-self.other_db / 10), self.min_level,
            2.0, 10 ** (-self.guard_db / 10), 2.5 * self.fs / self.window])
        self._hann, self._grid, self._grid_hz = guard_tables(self.fs, self.window)
        self.reset()

    def __repr__(self):
        return (f"DtmfDecoder(fs={self.fs:g}, tolerance={self.tolerance:g}, "
                f"normal_twist_db={self.normal_twist_db:g}, "
                f"reverse_twist_db={self.reverse_twist_db:g}, "
                f"min_fraction={self.min_fraction:g}, min_digit_s={self.min_digit_s:g}, "
                f"burst_gap_s={self.burst_gap_s:g})")

    @property
    def state(self):
        """The kernel's state (read-only view)."""
        v = self._state.view()
        v.flags.writeable = False
        return v

    def reset(self):
        """Back to a fresh decoder (sample 0 is the next input's first)."""
        self._state = dtmf_state()
        self._digits = []                  # the burst being gathered: [key, first, last, ...]

    def copy(self):
        """An independent decoder in the same state."""
        new = _copy.copy(self)
        new._state = self._state.copy()
        new._digits = [list(d) for d in self._digits]
        return new

    # times of a run: the first (last) window decided on it reaches EDGE of a window before
    # (after) the tone's edge
    def _start(self, first):
        return first - EDGE * self.window

    def _end(self, last):
        return last - (1 - EDGE) * self.window

    def process(self, audio):
        """Decode ``audio`` (the next chunk); returns the bursts completed in it."""
        x = as_audio(audio)
        out = np.empty(x.size // self.sub + 2, dtype=DTMF_RUN)
        n = dtmf_kernel(x, self.sub, WINDOW_SUBS, self._bank, self._rot, self._tones,
                        self._hann, self._grid, self._grid_hz, self.fs, self._limits,
                        self._state, out)
        decodes = []
        for rec in out[:n].tolist():
            decodes += self._add_run(rec)
        st = self._state[0]
        if st["run_key"] >= 0:
            horizon = self._start(int(st["run_first"]))       # an open run starts there
        else:
            # the next hop's window end: the earliest a run can start
            horizon = self._start(int(st["pos"]) - int(st["nbuf"]) + self.sub)
        decodes += self._complete(horizon)
        return decodes

    def flush(self):
        """End of input: the digit still sounding and the burst pending."""
        st = self._state[0]
        decodes = []
        if st["run_key"] >= 0 and st["run_hops"] >= 2:
            h = int(st["run_hops"])
            decodes += self._add_run((int(st["run_key"]), int(st["run_first"]),
                                      int(st["run_last"]), h, st["run_amp_lo"] / h,
                                      st["run_amp_hi"] / h, st["run_df_lo"] / h,
                                      st["run_df_hi"] / h, st["run_frac"]))
        st["run_key"] = -1
        st["run_hops"] = 0
        decodes += self._complete(math.inf)
        return decodes

    def _add_run(self, rec):
        key, first, last, hops, a_lo, a_hi, d_lo, d_hi, frac = rec
        digits = self._digits
        decodes = []
        if digits:
            prev = digits[-1]
            pause = self._start(first) - self._end(prev[2])
            if prev[0] == key and pause < self.bridge_s * self.fs:
                # an interruption: the same digit goes on (levels weighted by hops)
                h = prev[3] + hops
                prev[4:8] = [(p * prev[3] + q * hops) / h
                             for p, q in zip(prev[4:8], (a_lo, a_hi, d_lo, d_hi), strict=True)]
                prev[2] = last
                prev[3] = h
                prev[8] = max(prev[8], frac)
                return decodes
            decodes += self._complete(self._start(first))
        self._digits.append([key, first, last, hops, a_lo, a_hi, d_lo, d_hi, frac])
        return decodes

    def _complete(self, horizon):
        """The burst, when nothing can join it any more (no run starts before ``horizon``)."""
        digits = [d for d in self._digits
                  if self._end(d[2]) - self._start(d[1]) >= self.min_digit_s * self.fs
                  and d[8] >= self.confirm_fraction]
        if not self._digits:
            return []
        last_end = self._end(self._digits[-1][2])
        if horizon - last_end <= self.burst_gap_s * self.fs:
            return []
        self._digits = []
        # the digits too short to count are dropped, and a gap they filled may split the burst
        bursts = []
        for d in digits:
            if bursts and self._start(d[1]) - self._end(bursts[-1][-1][2]) <= \
                    self.burst_gap_s * self.fs:
                bursts[-1].append(d)
            else:
                bursts.append([d])
        return [self._decode(b) for b in bursts if len(b) >= self.min_digits]

    def _decode(self, burst):
        digits = [{"key": KEYS[d[0]], "start_sample": max(0, int(round(self._start(d[1])))),
                   "end_sample": int(round(self._end(d[2])))} for d in burst]
        a_lo = np.array([d[4] for d in burst])
        a_hi = np.array([d[5] for d in burst])
        return {"kind": "dtmf", "id": "".join(d["key"] for d in digits),
                "start_sample": digits[0]["start_sample"],
                "end_sample": digits[-1]["end_sample"], "digits": digits,
                "twist_db": float(np.mean(20 * np.log10(a_hi / a_lo))),
                "level": float(np.mean((a_lo + a_hi) / 2)),
                "freq_error": float(np.mean([(d[6] + d[7]) / 2 for d in burst]))}


def dtmf_zi(fs, **params):
    """A fresh decoder for :func:`dtmf`'s ``zi`` (its parameters as :class:`DtmfDecoder`)."""
    return DtmfDecoder(fs, **params)


def dtmf(audio, fs, zi=None, final=None, **params):
    """Decode DTMF bursts in ``audio``: the functional face of :class:`DtmfDecoder`.

    Parameters
    ----------
    audio : array_like
    fs : float
    zi : DtmfDecoder, optional
        State to continue from (from :func:`dtmf_zi` or a previous call's ``zf``; never
        modified). None: a fresh decoder made with ``params``.
    final : bool, optional
        Flush at the end (the input ends here). Default: when ``zi`` is None.

    Returns
    -------
    (list of dict, DtmfDecoder)
        The bursts decoded and the state to continue with.

    Examples
    --------
    >>> y = np.concatenate([encode("*7", 8000.0), np.zeros(400)])
    >>> [d["id"] for d in dtmf(y, 8000.0)[0]]
    ['*7']
    """
    dec = DtmfDecoder(fs, **params) if zi is None else zi.copy()
    if final is None:
        final = zi is None
    decodes = dec.process(audio)
    if final:
        decodes += dec.flush()
    return decodes, dec
