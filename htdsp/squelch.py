"""Squelch as transmission events: carrier (power) and noise squelch, combined with AND.

SPEC (``htdsp demod --squelch``): terms joined by ``,`` (all must hold):

- ``power`` / ``power:DB``: channel power at least DB above the tracked noise floor (default 6;
  closes 3 dB lower); ``power:-40dbfs``: absolute, in dBFS of the channel power;
- ``noise`` / ``noise:DB``: the discriminator's noise above the voice band (8-16 kHz) at least
  DB below its no-signal level, i.e. DB of quieting (default 8; closes 3 dB lower).

Decisions are made every ``frame_s`` (2 ms) of the channel rate; the squelch opens after
``attack_s`` (4 ms) of the condition and closes after ``hang_s`` (200 ms) without it. Events
are back-dated: the start is the first frame of the run that opened it, the end the last frame
the condition held (the hang keeps the audio open, it does not stretch the event). CTCSS and DCS
terms come with the tone/code decoders (not in this version; asking for them is an error).
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
    """One squelch term: ``kind`` (``power`` or ``noise``), ``open_db``, ``absolute``."""

    kind: str
    open_db: float
    absolute: bool = False

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
        if kind in ("ctcss", "dcs"):
            raise ValueError(f"squelch term {kind!r} needs the {kind.upper()} decoder, which "
                             "this version does not have yet (use power and/or noise)")
        if kind not in ("power", "noise"):
            raise ValueError(f"unknown squelch term {kind!r} (use power, power:DB, "
                             "power:-40dbfs, noise, noise:DB)")
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
        self._detectors = []
        for t in self.terms:
            if t.kind == "power":
                self._detectors.append(_Detector(t, 2 * self.frame))
            else:
                import scipy.signal

                sos = scipy.signal.butter(4, NOISE_BAND_HZ, "bandpass", output="sos",
                                          fs=self.channel_fs)
                self._detectors.append(_Detector(t, self.frame, BiquadFilter(sos)))
        self._state = squelch_state()
        self._since = np.full(len(self.terms), -1, dtype=np.int64)

    def reset(self):
        for d in self._detectors:
            d.reset()
        self._state = squelch_state()
        self._since[:] = -1

    def copy(self):
        import copy as _copy

        new = _copy.copy(self)
        new._detectors = [d.copy() for d in self._detectors]
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
        ok = []
        for t, d in zip(self.terms, self._detectors, strict=True):
            if t.kind == "power":
                ok.append(d.process(as_complex64(channel).view(np.float32))[1])
            else:
                ok.append(d.process(d._pre.process(as_float32(disc)))[1])
        n = min(len(o) for o in ok) if ok else 0
        okm = np.ascontiguousarray(np.stack([o[:n] for o in ok]))
        first = int(self._state[0]["frame"])
        open_mask = np.empty(n, dtype=np.uint8)
        events = np.empty((n // self.attack + 2, 4), dtype=np.int64)
        k = squelch_kernel(okm, np.zeros(n, np.uint8), self.attack, self.hang, self._state,
                           self._since, open_mask, events)
        return first, open_mask, events[:k]

    def pending(self):
        """The event still open (``(start_frame, end_frame, open_term)``), or None."""
        s = self._state[0]
        if not s["open"]:
            return None
        return int(s["start"]), int(s["last"]) + 1, int(s["reason_open"])


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
