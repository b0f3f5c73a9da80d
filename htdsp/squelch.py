"""Squelch as transmission events: carrier (power) and noise squelch, combined with AND.

SPEC (``htdsp demod --squelch``): terms joined by ``,`` (all must hold):

- ``power`` / ``power:DB``: channel power at least DB above the tracked noise floor (default 6;
  closes 3 dB lower); ``power:-40dbfs``: absolute, in dBFS of the channel power;
- ``noise`` / ``noise:DB``: the discriminator's noise above the voice band (8-16 kHz) at least
  DB below its no-signal level, i.e. DB of quieting (default 8; closes 3 dB lower);
- ``ctcss``: decode only: every event reports its tone (``ctcss_hz``), the audio is not gated
  by it; ``ctcss:123.0``: tone squelch, open only with that tone (:mod:`htdsp.ctcss`). A
  reverse burst closes the audio at once (no tail); the event runs on to the carrier's end.

Without a ``ctcss`` term the decoder does not run (``ctcss_hz`` is null). The carrier terms
(power, noise) date the events: with ``noise,ctcss:123.0`` a transmission starts at key-up, not
when the tone was confirmed ~250 ms later.

Decisions are made every ``frame_s`` (2 ms) of the channel rate; the squelch opens after
``attack_s`` (4 ms) of the condition and closes after ``hang_s`` (200 ms) without it. Events
are back-dated: the start is the first frame of the run that opened it, the end the last frame
the condition held (the hang keeps the audio open, it does not stretch the event). CTCSS and DCS
term comes with the DCS decoder (not in this version; asking for it is an error).
"""

from dataclasses import dataclass

import numpy as np

from htdsp._stream import StreamBlock, as_complex64, as_float32
from htdsp.iir import BiquadFilter
from htdsp.kernels import (
    frame_energy_kernel,
    frame_energy_state,
    level_detect_kernel,
    level_detect_state,
    squelch_kernel,
    squelch_state,
)

FRAME_S = 0.002
ATTACK_S = 0.004
HANG_S = 0.2
POWER_OPEN_DB = 6.0
NOISE_OPEN_DB = 8.0
HYSTERESIS_DB = 3.0
NOISE_BAND_HZ = (8000.0, 16000.0)
#: reference smoothing: time constant of the floor / no-signal noise tracker, s
REF_TAU_S = 0.05
#: the detectors only learn their reference for this long after the start (filters settling), s
WARMUP_S = 0.05
#: frames farther than this from the reference (in the signal's direction) do not move it, dB
REF_GATE_DB = 2.0


@dataclass(frozen=True)
class Term:
    """One squelch term: ``kind`` (``power``, ``noise``, ``ctcss``), ``open_db`` (for ctcss: the
    tone in Hz, or None for any), ``absolute``."""

    kind: str
    open_db: float | None
    absolute: bool = False

    @property
    def timing(self):
        return self.kind in ("power", "noise")

    @property
    def gates(self):
        """Whether the term can keep the squelch shut (ctcss without a tone only decodes)."""
        return not (self.kind == "ctcss" and self.open_db is None)

    @property
    def close_db(self):
        return self.open_db - HYSTERESIS_DB


def parse_spec(spec):
    """Parse a squelch SPEC into terms (see module docstring).

    Examples
    --------
    >>> [(t.kind, t.open_db, t.absolute) for t in parse_spec("noise,power:-40dbfs")]
    [('noise', 8.0, False), ('power', -40.0, True)]
    """
    terms = []
    for raw in str(spec).split(","):
        part = raw.strip().lower()
        if not part:
            raise ValueError(f"empty term in squelch spec {spec!r}")
        kind, _, arg = part.partition(":")
        if kind == "dcs":
            raise ValueError("squelch term 'dcs' needs the DCS decoder, which this version does "
                             "not have yet (use power, noise and/or ctcss)")
        if kind == "ctcss":
            tone = None
            if arg:
                from htdsp.sim.tables import CTCSS_TONES_HZ

                try:
                    tone = float(arg)
                except ValueError:
                    raise ValueError(f"bad tone in squelch term {raw!r}") from None
                if not any(abs(tone - t) < 0.05 for t in CTCSS_TONES_HZ):
                    raise ValueError(f"{tone} Hz is not a CTCSS tone of the table")
            terms.append(Term("ctcss", tone))
            continue
        if kind not in ("power", "noise"):
            raise ValueError(f"unknown squelch term {kind!r} (use power, power:DB, "
                             "power:-40dbfs, noise, noise:DB, ctcss, ctcss:HZ)")
        absolute = False
        if not arg:
            value = POWER_OPEN_DB if kind == "power" else NOISE_OPEN_DB
        else:
            if arg.endswith("dbfs"):
                if kind != "power":
                    raise ValueError("only the power squelch takes an absolute level (dBFS)")
                absolute = True
                arg = arg[:-4]
            elif arg.endswith("db"):
                arg = arg[:-2]
            try:
                value = float(arg)
            except ValueError:
                raise ValueError(f"bad number in squelch term {raw!r}") from None
            if not absolute and value <= HYSTERESIS_DB:
                raise ValueError(f"{kind} threshold must be above {HYSTERESIS_DB:g} dB")
        terms.append(Term(kind, value, absolute))
    if len({t.kind for t in terms}) != len(terms):
        raise ValueError(f"a term appears twice in {spec!r}")
    return terms


class _Detector(StreamBlock):
    """Frames of a signal -> dB -> "signal present" (power: +1, noise: -1 quieting)."""

    _mutable = ("_energy", "_level")
    _params = ("term", "frame_elems")

    def __init__(self, term, frame_elems, pre=None):
        self.term = term
        self.frame_elems = int(frame_elems)
        self._sign = 1.0 if term.kind == "power" else -1.0
        frames_per_s = 1.0 / FRAME_S
        self._alpha = 1.0 - np.exp(-1.0 / (REF_TAU_S * frames_per_s))
        self._warmup = int(round(WARMUP_S * frames_per_s))
        self._pre = pre
        self._fresh()

    def _fresh(self):
        self._energy = frame_energy_state()
        self._level = level_detect_state()
        if self._pre is not None:
            self._pre.reset()

    def copy(self):
        new = super().copy()
        new._pre = None if self._pre is None else self._pre.copy()
        return new

    def process(self, x):
        """Elements in, per-frame (dB, present) out."""
        out = np.empty(x.size // self.frame_elems + 2, dtype=np.float64)
        k = frame_energy_kernel(x, self.frame_elems, self._energy, out)
        # complex frames hold 2 elements per sample: the mean square is half the power
        scale = 2.0 if self.term.kind == "power" else 1.0
        db = 10.0 * np.log10(np.maximum(out[:k] * scale, 1e-30))
        present = np.empty(k, dtype=np.uint8)
        t = self.term
        level_detect_kernel(db, self._sign, t.open_db, t.close_db, t.absolute, self._alpha,
                            REF_GATE_DB, self._warmup, self._level, present)
        return db, present


class Squelch:
    """Power/noise squelch on the channel of an :class:`htdsp.NFMReceiver` (see module doc).

    Parameters
    ----------
    spec : str or list of Term
    channel_fs : float
        Channel rate, Hz.
    frame_s, attack_s, hang_s : float
    """

    def __init__(self, spec, channel_fs, *, frame_s=FRAME_S, attack_s=ATTACK_S, hang_s=HANG_S):
        self.terms = parse_spec(spec) if isinstance(spec, str) else list(spec)
        self.channel_fs = float(channel_fs)
        self.frame = max(1, int(round(frame_s * channel_fs)))
        self.attack = max(1, int(round(attack_s / frame_s)))
        self.hang = max(0, int(round(hang_s / frame_s)))
        need = 2.2 * NOISE_BAND_HZ[1]
        if any(t.kind == "noise" for t in self.terms) and self.channel_fs < need:
            raise ValueError(f"noise squelch needs a channel rate above {need:.0f} Hz, this "
                             f"chain runs at {self.channel_fs:.0f} Hz")
        from htdsp.ctcss import CTCSSDetector

        self.ctcss = (CTCSSDetector(self.channel_fs) if any(t.kind == "ctcss" for t in self.terms)
                      else None)
        self._hop = self.ctcss.hop_samples if self.ctcss is not None else 1
        self._nsamp = 0                  # channel samples seen
        self._hop_tone = np.zeros(0)     # recent hops' tones (NaN: none), from hop _hop_base
        self._hop_burst = np.zeros(0, dtype=bool)
        self._hop_base = 0
        self._event_tone = None
        self._detectors = []
        for t in self.terms:
            if t.kind == "power":
                self._detectors.append(_Detector(t, 2 * self.frame))
            elif t.kind == "ctcss":
                self._detectors.append(None)
            else:
                import scipy.signal

                sos = scipy.signal.butter(4, NOISE_BAND_HZ, "bandpass", output="sos",
                                          fs=self.channel_fs)
                self._detectors.append(_Detector(t, self.frame, BiquadFilter(sos)))
        self._state = squelch_state()
        self._since = np.full(len(self.terms), -1, dtype=np.int64)

    def reset(self):
        for d in self._detectors:
            if d is not None:
                d.reset()
        if self.ctcss is not None:
            self.ctcss.reset()
        self._nsamp = 0
        self._hop_tone = np.zeros(0)
        self._hop_burst = np.zeros(0, dtype=bool)
        self._hop_base = 0
        self._event_tone = None
        self._state = squelch_state()
        self._since[:] = -1

    def copy(self):
        import copy as _copy

        new = _copy.copy(self)
        new._detectors = [None if d is None else d.copy() for d in self._detectors]
        new.ctcss = None if self.ctcss is None else self.ctcss.copy()
        new._hop_tone = self._hop_tone.copy()
        new._hop_burst = self._hop_burst.copy()
        new._state = self._state.copy()
        new._since = self._since.copy()
        return new

    @property
    def is_open(self):
        return bool(self._state[0]["open"])

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
        # the tone decoder's hops, mapped onto frames: a frame takes the decision of the last
        # hop that ended within it (both are fixed grids of channel samples: chunk-invariant)
        new = self.ctcss.process(disc) if self.ctcss is not None else []
        self._hop_tone = np.concatenate(
            [self._hop_tone, np.array([np.nan if t is None else t for t, _ in new])])
        self._hop_burst = np.concatenate(
            [self._hop_burst, np.array([b for _, b in new], dtype=bool)])
        n_frames = (self._nsamp + disc.size) // self.frame - self._nsamp // self.frame
        self._nsamp += disc.size
        if self.ctcss is None:
            self._hop_tone = self._hop_tone[:0]
        f = first + np.arange(n_frames)
        h = ((f + 1) * self.frame) // self._hop - 1 - self._hop_base   # last hop in each frame
        hp = ((f * self.frame) // self._hop) - 1 - self._hop_base      # last hop before it
        have = (h >= 0) & (h < self._hop_tone.size)
        tones = np.full(n_frames, np.nan)
        tones[have] = self._hop_tone[h[have]]
        force = np.zeros(n_frames, dtype=np.uint8)
        for b in np.nonzero(self._hop_burst)[0]:       # bursts are rare: a short loop
            hit = (h >= b) & (hp < b)
            force[hit] = 1
        if n_frames:                                    # keep the hops later frames still need
            drop = max(0, int(hp[-1]))
            self._hop_tone = self._hop_tone[drop:]
            self._hop_burst = self._hop_burst[drop:]
            self._hop_base += drop
        ok = []
        for t, d in zip(self.terms, self._detectors, strict=True):
            if t.kind == "power":
                ok.append(d.process(as_complex64(channel).view(np.float32))[1])
            elif t.kind == "ctcss":
                # decode only (no tone given): never gates
                ok.append((np.ones(n_frames, dtype=bool) if t.open_db is None
                           else tones == t.open_db).astype(np.uint8))
            else:
                ok.append(d.process(d._pre.process(disc))[1])
        n = n_frames
        assert all(len(o) == n for o in ok), "squelch terms decided different frame counts"
        okm = np.ascontiguousarray(np.stack([o[:n] for o in ok]))
        timing = np.array([t.timing for t in self.terms], dtype=np.uint8)
        open_mask = np.empty(n, dtype=np.uint8)
        events = np.empty((n // self.attack + 2, 4), dtype=np.int64)
        force = force[:n] if any(t.kind == "ctcss" for t in self.terms) else np.zeros(n, np.uint8)
        k = squelch_kernel(okm, force, timing, self.attack, self.hang, self._state, self._since,
                           open_mask, events)
        ev = events[:k]
        # the tone of each transmission: the first one decided while the squelch was open,
        # taken segment by segment (an event's frames end at its end frame)
        ev_tones = []
        seg0 = 0
        for e in ev:
            seg1 = int(min(max(e[1] - first, 0), n))
            self._take_tone(tones[seg0:seg1], open_mask[seg0:seg1])
            ev_tones.append(self._event_tone)
            self._event_tone = None
            seg0 = seg1
        self._take_tone(tones[seg0:n], open_mask[seg0:n])
        return first, open_mask, ev, ev_tones

    def _take_tone(self, tones, mask):
        if self._event_tone is None:
            hit = np.nonzero((mask == 1) & ~np.isnan(tones))[0]
            if hit.size:
                self._event_tone = float(tones[hit[0]])

    def pending(self):
        """The event still open (``(start_frame, end_frame, open_term, tone)``), or None."""
        s = self._state[0]
        if not (s["open"] or s["closing"]):
            return None
        return int(s["start"]), int(s["last"]) + 1, int(s["reason_open"]), self._event_tone


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
