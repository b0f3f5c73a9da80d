"""Squelch as transmission events: carrier (power) and noise squelch, combined with AND.

SPEC (``htdsp demod --squelch``): terms joined by ``,`` (all must hold):

- ``power`` / ``power:DB``: channel power at least DB above the tracked noise floor (default 6;
  closes 3 dB lower); ``power:-40dbfs``: absolute, in dBFS of the channel power;
- ``noise`` / ``noise:DB``: the discriminator's noise above the voice band (8-16 kHz) at least
  DB below its no-signal level, i.e. DB of quieting (default 8; closes 3 dB lower);
- ``ctcss``: decode only: every event reports its tone (``ctcss_hz``), the audio is not gated
  by it; ``ctcss:123.0``: tone squelch, open only with that tone (:mod:`htdsp.rx.ctcss`). A
  reverse burst closes the audio at once (no tail); the event runs on to the carrier's end;
- ``dcs``: decode only (``dcs_code``); ``dcs:D023N``: code squelch (:mod:`htdsp.rx.dcs`; a code
  and the one that is the same bitstream, D023N = D047I, are the same). The turn-off code
  closes the audio at once.

Without a ``ctcss`` (``dcs``) term that decoder does not run (``ctcss_hz`` / ``dcs_code`` is
null). The carrier terms (power, noise) date the events: with ``noise,ctcss:123.0`` a
transmission starts at key-up, not when the tone was confirmed ~250 ms later. A SPEC made only
of decode terms (``ctcss``, ``dcs``, ``ctcss:123.0``) gets the default carrier term added
(:func:`carrier_term`: ``noise``, or ``power`` where the channel rate is too low for the noise
squelch; :attr:`Squelch.added_term` says which): a decode term alone would hold the squelch
open for ever (``ctcss`` decodes, it does not detect a carrier), and after a reverse burst a new
"transmission" without a tone would open at once.

Decisions are made every ``frame_s`` (2 ms) of the channel rate; the squelch opens after
``attack_s`` (4 ms) of the condition and closes after ``hang_s`` (200 ms) without it. Events
are back-dated: the start is the first frame of the run that opened it, the end the last frame
the condition held (the hang keeps the audio open, it does not stretch the event).
"""

import functools
from dataclasses import dataclass

import numpy as np

from htdsp.dsp._stream import StreamBlock, as_complex64, as_float32
from htdsp.dsp.iir import BiquadFilter, butter_sos
from htdsp.kernels import (
    frame_energy_kernel,
    frame_energy_state,
    level_detect_kernel,
    level_detect_state,
    squelch_kernel,
    squelch_state,
)
from htdsp.rx.dcs import WINDOWS

#: the names the DCS decoder reports (an index into this list travels through the frames)
DCS_NAMES = sorted(set(WINDOWS.values()))
#: the event field each decoder's value goes to
EVENT_FIELDS = {"ctcss": "ctcss_hz", "dcs": "dcs_code"}
FRAME_S = 0.002
ATTACK_S = 0.004
HANG_S = 0.2
POWER_OPEN_DB = 6.0
NOISE_OPEN_DB = 8.0
HYSTERESIS_DB = 3.0
NOISE_BAND_HZ = (8000.0, 16000.0)
#: reference smoothing: time constant of the floor / no-signal noise tracker, s
REF_TAU_S = 0.05
#: the power squelch's floor toward the signal (slowly: a carrier in a slow fade must not
#: become the floor), s
REF_UP_TAU_S = 2.0
#: the detectors only learn their reference for this long after the start (filters settling), s
WARMUP_S = 0.05
#: frames farther than this from the reference (in the signal's direction) do not move it, dB
REF_GATE_DB = 2.0


class Term:
    """One term of a squelch SPEC. Each kind is a class registered by its ``kind`` (adding a
    term touches one class): it parses its argument (:meth:`parse`), writes itself back
    (:meth:`text`) and builds what decides its frames (:meth:`decider`).

    ``timing``: a carrier term, which dates the events; ``gates``: whether it can keep the
    squelch shut (a decoder without a value only decodes).
    """

    kind = None
    timing = False
    _registry = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.kind is not None:
            Term._registry[cls.kind] = cls

    @classmethod
    def registered(cls):
        """The term kinds, by name."""
        return dict(Term._registry)

    @property
    def gates(self):
        return True


@dataclass(frozen=True)
class _CarrierTerm(Term):
    """A level against a reference with hysteresis (``open_db``; closes ``HYSTERESIS_DB``
    lower); ``absolute``: a level in dBFS instead of dB above the reference."""

    open_db: float
    absolute: bool = False
    timing = True
    default_db = None

    @property
    def close_db(self):
        return self.open_db - HYSTERESIS_DB

    @classmethod
    def parse(cls, arg, raw):
        if not arg:
            return cls(cls.default_db)
        absolute = False
        if arg.endswith("dbfs"):
            if cls is not PowerTerm:
                raise ValueError("only the power squelch takes an absolute level (dBFS)")
            absolute, arg = True, arg[:-4]
        elif arg.endswith("db"):
            arg = arg[:-2]
        try:
            value = float(arg)
        except ValueError:
            raise ValueError(f"bad number in squelch term {raw!r}") from None
        if not np.isfinite(value):
            raise ValueError(f"bad number in squelch term {raw!r}")
        if not absolute and value <= HYSTERESIS_DB:
            raise ValueError(f"{cls.kind} threshold must be above {HYSTERESIS_DB:g} dB")
        return cls(value, absolute)

    def text(self):
        if not self.absolute and self.open_db == self.default_db:
            return self.kind
        return f"{self.kind}:{self.open_db:g}" + ("dbfs" if self.absolute else "")


@dataclass(frozen=True)
class PowerTerm(_CarrierTerm):
    """``power`` / ``power:DB`` / ``power:-40dbfs``: the channel power above the tracked floor."""

    kind = "power"
    default_db = POWER_OPEN_DB

    def decider(self, sq, **_):
        return _LevelDecider(_Detector(self, 2 * sq.frame), power=True)


@dataclass(frozen=True)
class NoiseTerm(_CarrierTerm):
    """``noise`` / ``noise:DB``: DB of quieting of the discriminator's noise above the voice
    band against its no-signal level."""

    kind = "noise"
    default_db = NOISE_OPEN_DB

    def decider(self, sq, channel_taps=None, deviation_hz=None):
        need = 2.2 * NOISE_BAND_HZ[1]
        if sq.channel_fs < need:
            raise ValueError(f"noise squelch needs a channel rate above {need:.0f} Hz, this "
                             f"chain runs at {sq.channel_fs:.0f} Hz")
        sos = butter_sos(2, NOISE_BAND_HZ, "bandpass", sq.channel_fs)
        ref = (None if channel_taps is None or deviation_hz is None else
               noise_reference_db(tuple(np.asarray(channel_taps, float)), sq.channel_fs,
                                  float(deviation_hz)))
        return _LevelDecider(_Detector(self, sq.frame, BiquadFilter(sos), ref), power=False)


@dataclass(frozen=True)
class _DecoderTerm(Term):
    """A sub-audible decoder: ``value`` None decodes only (every event reports what it
    heard); a value is a tone or code squelch (open only with it)."""

    value: object = None

    @property
    def open_db(self):                 # the value, where the carrier terms keep their level
        return self.value

    @property
    def gates(self):
        return self.value is not None

    def text(self):
        return self.kind if self.value is None else f"{self.kind}:{self.value}"

    def decider(self, sq, **_):
        tr = sq.track(self)
        return _DecodeDecider(self.kind, None if self.value is None else tr.encode(self.value))


@dataclass(frozen=True)
class CtcssTerm(_DecoderTerm):
    """``ctcss`` / ``ctcss:123.0``: the CTCSS decoder (:mod:`htdsp.rx.ctcss`)."""

    kind = "ctcss"
    #: the close reason of a transmission this decoder's end signal closed
    end_signal = "reverse_burst"

    @classmethod
    def parse(cls, arg, raw):
        if not arg:
            return cls()
        from htdsp.standards import CTCSS_TONES_HZ

        try:
            tone = float(arg)
        except ValueError:
            raise ValueError(f"bad tone in squelch term {raw!r}") from None
        if not any(abs(tone - t) < 0.05 for t in CTCSS_TONES_HZ):
            raise ValueError(f"{tone} Hz is not a CTCSS tone of the table")
        return cls(tone)

    def text(self):
        return self.kind if self.value is None else f"{self.kind}:{self.value:g}"

    @staticmethod
    def detector(channel_fs):
        from htdsp.rx.ctcss import CTCSSDetector

        return CTCSSDetector(channel_fs)

    @staticmethod
    def encode(v):
        return np.nan if v is None else v

    @staticmethod
    def name(v):
        return v


@dataclass(frozen=True)
class DcsTerm(_DecoderTerm):
    """``dcs`` / ``dcs:D023N``: the DCS decoder (:mod:`htdsp.rx.dcs`)."""

    kind = "dcs"
    end_signal = "dcs_turn_off"

    @classmethod
    def parse(cls, arg, raw):
        if not arg:
            return cls()
        from htdsp.rx.dcs import canonical

        try:
            return cls(canonical(arg))
        except ValueError as e:
            raise ValueError(str(e)) from None

    @staticmethod
    def detector(channel_fs):
        from htdsp.rx.dcs import DCSDetector

        return DCSDetector(channel_fs)

    @staticmethod
    def encode(v):
        return np.nan if v is None else DCS_NAMES.index(v)

    @staticmethod
    def name(v):
        return DCS_NAMES[int(v)]


class _LevelDecider:
    """Decides a carrier term's frames: the channel's power, or the discriminator's noise band
    (through the detector's band-pass)."""

    def __init__(self, det, power):
        self.det, self.power = det, power

    def decide(self, channel, disc, vals):
        if self.power:
            return self.det.process(as_complex64(channel).view(np.float32))[1]
        return self.det.process_band(disc)[1]

    def copy(self):
        return _LevelDecider(self.det.copy(), self.power)

    def reset(self):
        self.det.reset()


class _DecodeDecider:
    """Decides a decoder term's frames from its track's values: always (decode only), or where
    the track holds the term's tone or code."""

    def __init__(self, kind, code):
        self.kind, self.code = kind, code

    def decide(self, channel, disc, vals):
        return 1 if self.code is None else vals[self.kind] == self.code

    def copy(self):
        return self

    def reset(self):
        pass


def parse_spec(spec):
    """Parse a squelch SPEC into terms (see module docstring).

    Examples
    --------
    >>> [(t.kind, t.open_db, t.absolute) for t in parse_spec("noise,power:-40dbfs")]
    [('noise', 8.0, False), ('power', -40.0, True)]
    >>> [t.text() for t in parse_spec("power, ctcss:123, dcs:d047i")]
    ['power', 'ctcss:123', 'dcs:D023N']
    """
    terms = []
    kinds = Term.registered()
    for raw in str(spec).split(","):
        part = raw.strip().lower()
        if not part:
            raise ValueError(f"empty term in squelch spec {spec!r}")
        kind, _, arg = part.partition(":")
        if kind not in kinds:
            raise ValueError(f"unknown squelch term {kind!r} (use power, power:DB, "
                             "power:-40dbfs, noise, noise:DB, ctcss, ctcss:HZ, dcs, dcs:CODE)")
        terms.append(kinds[kind].parse(arg, raw))
    if len({t.kind for t in terms}) != len(terms):
        raise ValueError(f"a term appears twice in {spec!r}")
    return terms


class _Detector(StreamBlock):
    """Frames of a signal -> dB -> "signal present" (power: +1, noise: -1 quieting)."""

    _mutable = ("_energy", "_level", "_skip")
    _params = ("term", "frame_elems")

    def __init__(self, term, frame_elems, pre=None, ref_db=None):
        self.term = term
        self.ref_db = ref_db
        self.frame_elems = int(frame_elems)
        self._power = isinstance(term, PowerTerm)
        self._sign = 1.0 if self._power else -1.0
        frames_per_s = 1.0 / FRAME_S
        self._alpha = 1.0 - np.exp(-1.0 / (REF_TAU_S * frames_per_s))
        # the power squelch's floor rises slowly (a faded carrier must not become the floor);
        # the noise squelch's no-signal level is a property of the receiver, and smoothing
        # it unevenly would bias it into the noise's own fluctuations: both ways alike
        self._alpha_up = (1.0 - np.exp(-1.0 / (REF_UP_TAU_S * frames_per_s))
                          if self._power else self._alpha)
        self._warmup = int(round(WARMUP_S * frames_per_s))
        self._pre = pre
        self._fresh()

    def _fresh(self):
        self._energy = frame_energy_state()
        self._level = level_detect_state()
        self._skip = np.zeros(1, dtype=np.int64)
        if self.ref_db is not None:
            # a known reference: no learning during the warm-up, whose frames are skipped
            # (the filters settling), so a transmission already on at the start is seen
            self._level[0]["ref_db"] = self.ref_db
            self._level[0]["seen"] = self._warmup
            self._skip[0] = self._warmup
        if self._pre is not None:
            self._pre.reset()

    def copy(self):
        new = super().copy()
        new._pre = None if self._pre is None else self._pre.copy()
        return new

    def process_band(self, disc):
        """The discriminator through the band-pass, then :meth:`process`."""
        return self.process(self._pre.process(disc))

    def process(self, x):
        """Elements in, per-frame (dB, present) out."""
        out = np.empty(x.size // self.frame_elems + 2, dtype=np.float64)
        k = frame_energy_kernel(x, self.frame_elems, self._energy, out)
        # complex frames hold 2 elements per sample: the mean square is half the power
        scale = 2.0 if self._power else 1.0
        db = 10.0 * np.log10(np.maximum(out[:k] * scale, 1e-30))
        present = np.zeros(k, dtype=np.uint8)
        s = int(min(k, self._skip[0]))
        self._skip[0] -= s
        t = self.term
        level_detect_kernel(db[s:], self._sign, t.open_db, t.close_db, t.absolute, self._alpha,
                            self._alpha_up, REF_GATE_DB, self._warmup, self._level, present[s:])
        return db, present


@functools.lru_cache(maxsize=32)
def noise_reference_db(channel_taps, channel_fs, deviation_hz):
    """The noise squelch's no-signal level (dB of the band-passed discriminator output) of a
    receiver: white noise through its channel filter, discriminator and band-pass. An FM
    discriminator's output for noise alone does not depend on the noise's level, so this is a
    property of the receiver (within 0.3 dB of the level learned from real and simulated
    noise at 240 k, 1.024 M, 2.048 M and 2.4 MS/s). Knowing it, the squelch needs no noise-only
    stretch to learn it from: a recording that starts mid-transmission opens at once."""
    from htdsp.dsp.fir import FIRDecimator
    from htdsp.dsp.fm import FMDemodulator

    rng = np.random.default_rng(0)
    n = int(0.5 * channel_fs)
    x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    y = FIRDecimator(np.asarray(channel_taps), 1).process(x)
    d = FMDemodulator(fs=channel_fs, deviation_hz=deviation_hz).process(y)
    b = BiquadFilter(butter_sos(2, NOISE_BAND_HZ, "bandpass", channel_fs)).process(d)
    b = b[len(channel_taps) + int(0.01 * channel_fs):].astype(np.float64)
    return float(10 * np.log10(np.mean(b * b)))


class _Track:
    """A sub-audible decoder (CTCSS or DCS) whose per-hop decisions are mapped onto frames.

    A frame takes the decision of the last hop that ended within it; both are fixed grids of
    channel samples, so the mapping cannot depend on the chunking. Values are floats (a tone in
    Hz, or an index into :data:`DCS_NAMES`), NaN for none; ``flag`` is a reverse burst or a DCS
    turn-off.
    """

    def __init__(self, detector, encode, name):
        self.det = detector
        self.encode = encode
        self.name = name
        self.hop = detector.hop_samples
        self.reset(detector_too=False)

    def reset(self, detector_too=True):
        if detector_too:
            self.det.reset()
        self.vals = []          # per hop from hop ``base`` on: the value (NaN: none) and flag
        self.flags = []
        self.base = 0

    def copy(self):
        import copy as _copy

        new = _copy.copy(self)
        new.det = self.det.copy()
        new.vals, new.flags = list(self.vals), list(self.flags)
        return new

    def frames(self, disc, first, n_frames, frame):
        for v, b in self.det.process(disc):
            self.vals.append(self.encode(v))
            self.flags.append(b)
        vals = np.full(n_frames, np.nan)
        force = np.zeros(n_frames, dtype=np.uint8)
        if not n_frames:
            return vals, force
        hop, end = self.hop, first + n_frames
        # frame f takes hop h(f) = (f + 1) * frame // hop - 1, the last hop ending within it:
        # hop j holds the frames [ceil((j + 1) * hop / frame) - 1, ceil((j + 2) * hop / frame)
        # - 1); a flagged hop forces the first of them (the first frame that has seen it).
        # A loop over the few hops of a chunk, not arrays over its frames.
        j0 = max(first * frame // hop - 1, self.base)    # the last hop before frame first
        j1 = min(end * frame // hop - 1, self.base + len(self.vals) - 1)
        for j in range(j0, j1 + 1):
            fa = -(-(j + 1) * hop // frame) - 1
            fb = min(-(-(j + 2) * hop // frame) - 1, end)
            if fb > max(fa, first):
                vals[max(fa, first) - first:fb - first] = self.vals[j - self.base]
            if self.flags[j - self.base] and first <= fa < end:
                force[fa - first] = 1
        # keep what later frames need: from the last hop before the last frame
        drop = max(0, (end - 1) * frame // hop - 1 - self.base)
        del self.vals[:drop], self.flags[:drop]
        self.base += drop
        return vals, force


def carrier_term(channel_fs):
    """The carrier term a SPEC without one gets: the noise squelch where the channel rate
    allows it (its band needs 2.2 x 16 kHz), else the power squelch."""
    if float(channel_fs) >= 2.2 * NOISE_BAND_HZ[1]:
        return NoiseTerm(NOISE_OPEN_DB)
    return PowerTerm(POWER_OPEN_DB)


class Squelch:
    """Power/noise squelch on the channel of an :class:`htdsp.NFMReceiver` (see module doc).

    Parameters
    ----------
    spec : str or list of Term
    channel_fs : float
        Channel rate, Hz.
    frame_s, attack_s, hang_s : float
    """

    def __init__(self, spec, channel_fs, *, frame_s=FRAME_S, attack_s=ATTACK_S, hang_s=HANG_S,
                 channel_taps=None, deviation_hz=None):
        self.terms = parse_spec(spec) if isinstance(spec, str) else list(spec)
        self.channel_fs = float(channel_fs)
        #: the carrier term added to a SPEC of decode terms only (None when it had one)
        self.added_term = None
        if not any(t.timing for t in self.terms):
            self.added_term = carrier_term(self.channel_fs)
            self.terms.insert(0, self.added_term)
        self.frame = max(1, int(round(frame_s * channel_fs)))
        self.attack = max(1, int(round(attack_s / frame_s)))
        self.hang = max(0, int(round(hang_s / frame_s)))
        self._tracks = {}                # decoder kind -> its track (built by its term)
        self._nsamp = 0                  # channel samples seen
        self._event_vals = {}            # per track: the first value seen in the open event
        self._forces = []                # (frame, decoder) of recent forced closes
        self.forced_by = []              # per event of the last call: the decoder that forced it
        self._deciders = [t.decider(self, channel_taps=channel_taps, deviation_hz=deviation_hz)
                          for t in self.terms]
        self._state = squelch_state()
        self._since = np.full(len(self.terms), -1, dtype=np.int64)
        self._timing = np.array([t.timing for t in self.terms], dtype=np.uint8)

    def track(self, term):
        """The frame track of a decoder term's detector (made once per kind)."""
        if term.kind not in self._tracks:
            self._tracks[term.kind] = _Track(term.detector(self.channel_fs), term.encode,
                                             term.name)
        return self._tracks[term.kind]

    def decoder(self, kind):
        """The running detector of a decoder term (``"ctcss"``, ``"dcs"``), or None."""
        tr = self._tracks.get(kind)
        return None if tr is None else tr.det

    def held(self, kind):
        """The tone or code a decoder holds now, or None."""
        det = self.decoder(kind)
        return None if det is None else det.held

    def reset(self):
        for d in self._deciders:
            d.reset()
        for tr in self._tracks.values():
            tr.reset()
        self._nsamp = 0
        self._event_vals = {}
        self._forces = []
        self.forced_by = []
        self._state = squelch_state()
        self._since[:] = -1

    def copy(self):
        import copy as _copy

        new = _copy.copy(self)
        new._deciders = [d.copy() for d in self._deciders]
        new._tracks = {k: tr.copy() for k, tr in self._tracks.items()}
        new._event_vals = dict(self._event_vals)
        new._forces = list(self._forces)
        new._state = self._state.copy()
        new._since = self._since.copy()
        return new

    @property
    def is_open(self):
        return bool(self._state[0]["open"])

    @property
    def frames_decided(self):
        """Frames decided so far (the next frame's index)."""
        return int(self._state[0]["frame"])

    @staticmethod
    def close_reason(term_index_or_kind, terms):
        """The close reason of an event: the term that closed it, or (a forced close) the end
        signal of the decoder that forced it."""
        if isinstance(term_index_or_kind, str):
            return Term.registered()[term_index_or_kind].end_signal
        return terms[term_index_or_kind].kind

    @property
    def spec(self):
        """The SPEC in force, as text (the added carrier term included)."""
        return ",".join(t.text() for t in self.terms)

    def process(self, channel, disc):
        """Decide the frames completed by a chunk.

        Parameters
        ----------
        channel : complex64
            Channel-filtered samples at the channel rate.
        disc : float32
            The discriminator output for the same samples.

        Returns
        -------
        first_frame : int
            Index of the first frame decided here.
        open_mask : uint8 array
            Per frame, whether the squelch is open.
        events : int64 array (k, 4)
            ``(start_frame, end_frame, open_term, close_term)`` of transmissions that ended.
        """
        disc = as_float32(disc)
        first = int(self._state[0]["frame"])
        n_frames = (self._nsamp + disc.size) // self.frame - self._nsamp // self.frame
        self._nsamp += disc.size
        vals, force = {}, np.zeros(n_frames, dtype=np.uint8)
        for kind, tr in self._tracks.items():
            vals[kind], f_k = tr.frames(disc, first, n_frames, self.frame)
            if f_k.any():
                # which decoder forced which frame: a forced event is attributed to the first
                # forced frame after its start (kept across chunks: it may end in a later one)
                self._forces += [(first + int(i), kind) for i in np.nonzero(f_k)[0]]
                force |= f_k
        n = n_frames
        okm = np.empty((len(self.terms), n), dtype=np.uint8)
        for i, d in enumerate(self._deciders):
            row = d.decide(channel, disc, vals)
            assert np.ndim(row) == 0 or len(row) == n, "squelch terms decided different frames"
            okm[i] = row
        open_mask = np.empty(n, dtype=np.uint8)
        events = np.empty((n // self.attack + 2, 4), dtype=np.int64)
        k = squelch_kernel(okm, force, self._timing, self.attack, self.hang, self._state,
                           self._since, open_mask, events)
        ev = events[:k]
        self.forced_by = []
        for e in ev:
            kinds = sorted((f, kd) for f, kd in self._forces if f >= e[0])
            self.forced_by.append(kinds[0][1] if (e[3] == -2 and kinds) else None)
        if k:                                       # forces before the next start are spent
            self._forces = [(f, kd) for f, kd in self._forces if f >= ev[-1][1]]
        # each transmission's tone and code: the first decided while the squelch was open,
        # taken segment by segment (an event's frames end at its end frame)
        # from its own start frame on: the open frames before it are the hang of the event
        # before, whose tone is still held (a chunk holding both once gave the second user the
        # first one's tone, where chunk by chunk it got its own)
        ev_vals = []
        seg0 = 0
        for e in ev:
            seg1 = int(min(max(e[1] - first, 0), n))
            self._take(vals, open_mask, int(min(max(e[0] - first, seg0), seg1)), seg1)
            ev_vals.append(self._named(self._event_vals))
            self._event_vals = {}
            seg0 = seg1
        pend = self.pending()
        if pend is not None:
            self._take(vals, open_mask, int(min(max(pend[0] - first, seg0), n)), n)
        return first, open_mask, ev, ev_vals

    def _take(self, vals, mask, a, b):
        for kind, v in vals.items():
            if kind not in self._event_vals:
                hit = np.nonzero((mask[a:b] == 1) & ~np.isnan(v[a:b]))[0]
                if hit.size:
                    self._event_vals[kind] = float(v[a + hit[0]])

    def _named(self, ev):
        """The values an event carries, by field: ``ctcss_hz``, ``dcs_code`` (None when that
        decoder did not run or heard nothing)."""
        out = {"ctcss_hz": None, "dcs_code": None}
        for kind, v in ev.items():
            out[EVENT_FIELDS[kind]] = self._tracks[kind].name(v)
        return out

    def pending(self):
        """The event still open (``(start_frame, end_frame, open_term, values)``), or None."""
        s = self._state[0]
        if not (s["open"] or s["closing"]):
            return None
        return (int(s["start"]), int(s["last"]) + 1, int(s["reason_open"]),
                self._named(self._event_vals))

    def earliest_start_frame(self):
        """The earliest frame an event not reported yet can start at: the open event's start,
        else where the carrier terms' current runs began (an event starts where the latest
        of them did), else the next frame."""
        pend = self.pending()
        if pend is not None:
            return pend[0]
        now = self.frames_decided
        timing = [int(self._since[i]) if self._since[i] >= 0 else now
                  for i, t in enumerate(self.terms) if t.timing]
        return max(timing) if timing else now

    def pending_forced_by(self):
        """The decoder (``ctcss``, ``dcs``) whose end signal closed the event still pending
        (its carrier still up, or within the hang of the forced close), or None."""
        s = self._state[0]
        if not s["closing"]:
            return None
        kinds = sorted((f, kd) for f, kd in self._forces if f >= s["start"])
        return kinds[0][1] if kinds else None


def default_spec(fs, bandwidth_hz):
    """The squelch a score uses unless told: the noise squelch and both sub-audible decoders
    where the channel rate allows the noise squelch (its no-signal level is known, so a
    recording that starts mid-transmission is scored from its first frame; a power squelch has
    to learn its floor from a noise-only stretch first); otherwise the power squelch (plus the
    decoders)."""
    from htdsp.dsp.design import plan_chain

    return carrier_term(plan_chain(fs, bandwidth_hz, 48000.0).channel_fs).kind + ",ctcss,dcs"


def with_utc(event, datetime_rfc3339):
    """Add ``start_utc`` / ``end_utc`` from the recording's start time (None when unknown)."""
    import datetime as _dt

    e = dict(event)
    e["start_utc"] = e["end_utc"] = None
    if datetime_rfc3339:
        t0 = _dt.datetime.fromisoformat(datetime_rfc3339.replace("Z", "+00:00"))
        for key in ("start", "end"):
            t = t0 + _dt.timedelta(seconds=e[f"{key}_s"])
            e[f"{key}_utc"] = t.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return e


def event_annotation(event, channel_hz=None, bandwidth_hz=None):
    """A SigMF annotation for an event (``htdsp:`` fields for the reasons and codes)."""
    a = {"core:sample_start": int(event["start_sample"]),
         "core:sample_count": int(event["end_sample"] - event["start_sample"]),
         "core:label": "transmission",
         "htdsp:open_reason": event["open_reason"], "htdsp:close_reason": event["close_reason"],
         "htdsp:ctcss_hz": event.get("ctcss_hz"), "htdsp:dcs_code": event.get("dcs_code")}
    if channel_hz is not None and bandwidth_hz is not None:
        a["core:freq_lower_edge"] = channel_hz - bandwidth_hz / 2
        a["core:freq_upper_edge"] = channel_hz + bandwidth_hz / 2
    return a
