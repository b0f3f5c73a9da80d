"""An HT transmitter: message, mic-path processing, sub-audible signalling, FM, keying.

Everything is a function of absolute time (or carries its state between blocks), so a run made in
blocks is identical to one made at once.

Modulation paths (as in a radio and a test set):

- ``tone`` / ``multitone``: a test-set tone injected at the modulator with the stated peak
  deviation (no pre-emphasis, as a TIA-603 test sets up the 1 kHz tone at 60 % deviation);
- ``speech``: a speech-like signal through the microphone path: 750 us pre-emphasis (0 dB at
  1 kHz), a deviation limiter at the rated peak, and a 3 kHz splatter filter;
- ``silence``: carrier only (plus CTCSS/DCS).

CTCSS and DCS are added after the splatter filter. At unkey, CTCSS sends a reverse burst (phase
flipped 180 degrees for ``burst_s``) and DCS a turn-off code (134.4 Hz for ``burst_s``) while the
carrier is still up; both are inside the keyed interval. ``ctcss_error_hz`` is the encoder's own
clock error (the tone sent is ``ctcss_hz + ctcss_error_hz``).

ANI (``ani``): a PTT-ID burst (DTMF, 5-tone selcall or MDC1200, see :data:`ANI_KINDS`) sent at
key-up (``ani_delay_s`` after the carrier rises: radios wait for the receiver's squelch), at
key-down (ending ``ANI_TAIL_S`` before the reverse burst or turn-off code) or both. It replaces
the message while it lasts and goes through the microphone path like speech (pre-emphasis,
limiter, splatter filter), so the receiver's de-emphasised audio holds it flat; its peak
deviation before pre-emphasis is ``ani_deviation_hz`` (default half the rated deviation).
"""

from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.signal

from htdsp.dsp.fir import Resampler
from htdsp.dsp.noise import GaussianNoise
from htdsp.standards import CTCSS_TONES_HZ, DCS_BAUD, dcs_bits, parse_dcs

#: ramp time of the carrier at key-up and unkey (raised cosine), s
RAMP_S = 1e-3
#: a key-down ANI burst ends this long before the reverse burst (or the unkey), s
ANI_TAIL_S = 0.05
#: the ANI schemes: kind -> (module of its encoder and decoder, what an ID is)
ANI_KINDS = {"dtmf": ("htdsp.rx.dtmf", "DTMF digits 0-9 A-D * #"),
             "selcall": ("htdsp.rx.selcall", "5-tone digits 0-9 with a standard"),
             "mdc1200": ("htdsp.rx.mdc1200", "a 16-bit unit ID as 4 hex digits")}
ANI_AT = ("key-up", "key-down", "both")


def ani_spec(spec):
    """Check an ANI spec (``{"kind", "id", "at", "standard"}``) and return it completed.

    Examples
    --------
    >>> ani_spec({"kind": "selcall", "id": "10102"})["standard"]
    'ccir'
    >>> ani_spec({"kind": "mdc1200", "id": "0a1f"})["id"]
    '0A1F'
    >>> ani_spec({"kind": "dtmf", "id": "12x"})
    Traceback (most recent call last):
    ...
    ValueError: DTMF ANI '12x' may only hold 0-9 A-D * #
    """
    if not isinstance(spec, dict) or spec.get("kind") not in ANI_KINDS:
        raise ValueError(f"ANI must be a dict with kind one of {', '.join(ANI_KINDS)}")
    out = {"kind": spec["kind"], "id": str(spec.get("id", "")).upper(),
           "at": spec.get("at", "key-up"), "standard": spec.get("standard")}
    if out["at"] not in ANI_AT:
        raise ValueError(f"ANI 'at' must be one of {', '.join(ANI_AT)}, not {out['at']!r}")
    ident = out["id"]
    if out["kind"] == "dtmf":
        if not ident or any(c not in "0123456789ABCD*#" for c in ident):
            raise ValueError(f"DTMF ANI {spec.get('id')!r} may only hold 0-9 A-D * #")
    elif out["kind"] == "selcall":
        out["standard"] = (out["standard"] or "ccir").lower()
        if not ident.isdigit() or len(ident) < 3:
            raise ValueError(f"selcall ANI {spec.get('id')!r} must be 3 or more digits 0-9")
    elif out["kind"] == "mdc1200":
        try:
            ok = len(ident) == 4 and 0 <= int(ident, 16) <= 0xFFFF
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"MDC1200 ANI {spec.get('id')!r} must be 4 hex digits")
    return out


def ani_waveform(spec, fs, at):
    """The audio of one ANI burst of ``spec`` at rate ``fs`` (peak 1), sent at ``at``
    (``key-up`` or ``key-down``: MDC1200 sends a pre-ID or a post-ID; DTMF and selcall the
    same burst either way)."""
    import importlib

    spec = ani_spec(spec)
    mod = importlib.import_module(ANI_KINDS[spec["kind"]][0])
    if spec["kind"] == "mdc1200":
        # PTT ID: opcode 0x01, argument 0x80 for the pre-ID (key-up), 0x00 for the post-ID
        return mod.encode(int(spec["id"], 16), fs, op=0x01, arg=0x80 if at == "key-up" else 0)
    if spec["kind"] == "selcall":
        return mod.encode(spec["id"], fs, standard=spec["standard"])
    return mod.encode(spec["id"], fs)


@dataclass
class Transmitter:
    """One transmitter of a scenario (see module docstring). Frequencies in Hz, times in s.

    ``keyed`` lists ``(start_s, end_s)`` intervals, or is ``"random"``: a random PTT schedule
    from the seed (overs of 2-8 s, gaps of 1-5 s, uniform); ``power_db`` is relative to the
    scenario's reference carrier (the CNR request applies at 0 dB); ``offset_hz`` is relative to
    the channel.
    """

    name: str = "tx1"
    modulation: str = "tone"
    tone_hz: float = 1000.0
    tones_hz: tuple = (400.0, 1000.0, 2200.0)
    deviation_hz: float | None = None
    offset_hz: float = 0.0
    freq_error_hz: float = 0.0
    power_db: float = 0.0
    keyed: list = field(default_factory=lambda: [(0.0, None)])
    ctcss_hz: float | None = None
    dcs_code: str | None = None
    subaudible_deviation_hz: float | None = None
    burst_s: float = 0.15
    preemphasis_tau_s: float = 750e-6
    seed_offset: int = 0
    ctcss_error_hz: float = 0.0
    ani: dict | None = None
    ani_deviation_hz: float | None = None
    ani_delay_s: float = 0.2

    def check(self, rated_dev_hz):
        if self.modulation not in ("tone", "multitone", "speech", "silence"):
            raise ValueError(f"unknown modulation {self.modulation!r}")
        if self.ctcss_hz is not None and not any(abs(self.ctcss_hz - t) < 0.05
                                                 for t in CTCSS_TONES_HZ):
            raise ValueError(f"{self.ctcss_hz} Hz is not a CTCSS tone of the table")
        if self.ctcss_hz is not None and self.dcs_code is not None:
            raise ValueError("a transmitter sends CTCSS or DCS, not both")
        if self.dcs_code is not None:
            parse_dcs(self.dcs_code)
        if self.ani is not None:
            ani_spec(self.ani)
        dev = self.peak_deviation(rated_dev_hz)
        if not 0 <= dev <= 2 * rated_dev_hz:
            raise ValueError(f"deviation {dev} Hz is impossible for a rated {rated_dev_hz} Hz")

    def peak_deviation(self, rated_dev_hz):
        """Peak deviation of the message: default 60 % of rated for tones, rated for speech."""
        if self.deviation_hz is not None:
            return float(self.deviation_hz)
        return {"tone": 0.6, "multitone": 0.6, "speech": 1.0, "silence": 0.0}[
            self.modulation] * rated_dev_hz

    def ani_deviation(self, rated_dev_hz):
        """ANI deviation before pre-emphasis: default half of rated (1.25 kHz at 2.5 kHz)."""
        if self.ani_deviation_hz is not None:
            return float(self.ani_deviation_hz)
        return 0.5 * rated_dev_hz

    def subaudible_deviation(self, rated_dev_hz):
        """CTCSS/DCS deviation: default 10 % of rated (500 Hz at 5 kHz, 250 Hz at 2.5 kHz)."""
        if self.subaudible_deviation_hz is not None:
            return float(self.subaudible_deviation_hz)
        return 0.1 * rated_dev_hz

    def intervals(self, duration_s, seed=None):
        """Keyed intervals clipped to the run, sorted, with None meaning 'to the end'.

        A ``"random"`` schedule is drawn from ``seed`` (the scenario's, for this transmitter) and
        then fixed: ``keyed`` is replaced by the drawn intervals.
        """
        if isinstance(self.keyed, str):
            if self.keyed != "random":
                raise ValueError(f"keyed is a list of intervals or 'random', not {self.keyed!r}")
            self.keyed = random_schedule(duration_s, np.random.default_rng(seed))
        out = []
        for a, b in self.keyed:
            b = duration_s if b is None else min(float(b), duration_s)
            a = max(0.0, float(a))
            if b > a:
                out.append((a, b))
        return sorted(out)

    def describe(self, rated_dev_hz):
        d = asdict(self)
        d["deviation_hz"] = self.peak_deviation(rated_dev_hz)
        d["subaudible_deviation_hz"] = (self.subaudible_deviation(rated_dev_hz)
                                        if (self.ctcss_hz or self.dcs_code) else None)
        d["keyed"] = [list(iv) for iv in self.keyed]
        d["ani_deviation_hz"] = self.ani_deviation(rated_dev_hz) if self.ani else None
        d["tones_hz"] = list(self.tones_hz)
        return d


def random_schedule(duration_s, rng, over_s=(2.0, 8.0), gap_s=(1.0, 5.0)):
    """A random PTT schedule: a first gap, then alternating overs and gaps (uniform lengths).

    Examples
    --------
    >>> s = random_schedule(30.0, np.random.default_rng(1))
    >>> all(2.0 <= b - a <= 8.0 for a, b in s[:-1]) and s[-1][1] <= 30.0
    True
    """
    t = float(rng.uniform(*gap_s))
    out = []
    while t < duration_s - 0.5:
        end = min(duration_s, t + float(rng.uniform(*over_s)))
        out.append((round(t, 6), round(end, 6)))
        t = end + float(rng.uniform(*gap_s))
    return out


def keying_envelope(t, intervals):
    """Carrier amplitude 0..1 at increasing times ``t``: raised-cosine ramps of RAMP_S inside
    each interval (only the ramps are computed; the rest is filled by index range)."""
    a = np.zeros_like(t)
    for start, end in intervals:
        i0, i1 = np.searchsorted(t, [start, end])
        if i0 >= i1:
            continue
        a[i0:i1] = 1.0
        for lo, hi in ((start, start + RAMP_S), (end - RAMP_S, end)):
            j0, j1 = np.searchsorted(t, [max(lo, start), min(hi, end)])
            if j0 < j1:
                tt = t[j0:j1]
                r = np.minimum(np.clip((tt - start) / RAMP_S, 0, 1),
                               np.clip((end - tt) / RAMP_S, 0, 1))
                a[j0:j1] = 0.5 - 0.5 * np.cos(np.pi * r)
    return a


class TransmitterStream:
    """Generates one transmitter's complex envelope block by block at rate ``fs``.

    Parameters
    ----------
    tx : Transmitter
    fs : float
        Sample rate of the envelope (the simulator's low rate).
    rated_dev_hz : float
    duration_s : float
    seed : int
    """

    def __init__(self, tx, fs, rated_dev_hz, duration_s, seed):
        self.tx = tx
        self.fs = float(fs)
        self.rated = float(rated_dev_hz)
        self.intervals = tx.intervals(duration_s, seed)
        self.dev = tx.peak_deviation(self.rated)
        self.sub_dev = tx.subaudible_deviation(self.rated)
        self.phase = 0.0
        self.noise = GaussianNoise(seed)
        rng = np.random.default_rng(seed)
        self._phase0 = rng.uniform(0, 2 * np.pi)
        # speech is made at about 48 kHz (fs / M) and upsampled by the polyphase resampler: the
        # mic path's ten biquad sections at the full low rate cost more than the rest of a run
        self._m = max(1, int(self.fs // 48000.0))
        fm = self.fs / self._m
        self.fs_msg = fm
        self._up = Resampler(self._m, 1) if self._m > 1 else None
        self._fifo = np.zeros(0, dtype=np.float32)
        self._t_msg = 0.0
        # speech: band-limited noise, a syllabic envelope and pauses (a talk-spurt process)
        self._bp = scipy.signal.butter(4, [300, 3000], "bandpass", output="sos", fs=fm)
        self._bp_zi = np.zeros((self._bp.shape[0], 2))
        self._syl = scipy.signal.butter(2, 5.0, output="sos", fs=fm)
        self._syl_zi = np.zeros((self._syl.shape[0], 2))
        self._talk = self._talk_spurts(rng, duration_s)
        # mic path: pre-emphasis (a zero at 1/tau, a pole at 8 kHz), 0 dB at 1 kHz
        tau = tx.preemphasis_tau_s
        if tau > 0:
            b, a = scipy.signal.bilinear([tau, 1.0], [1 / (2 * np.pi * 8000.0), 1.0], fs=fm)
            w, h = scipy.signal.freqz(b, a, [1000.0], fs=fm)
            self._pre = (b / abs(h[0]), a)
            self._pre_zi = np.zeros(max(len(a), len(b)) - 1)
        else:
            self._pre = None
        self._splat = scipy.signal.butter(6, 3000.0, output="sos", fs=fm)
        self._splat_zi = np.zeros((self._splat.shape[0], 2))
        self._dcs_lp = scipy.signal.butter(2, 300.0, output="sos", fs=self.fs)
        self._dcs_zi = np.zeros((self._dcs_lp.shape[0], 2))
        # bit 1 -> +deviation; an inverted code's word is already complemented
        self._dcs = (np.array(dcs_bits(tx.dcs_code), dtype=np.float64) * 2 - 1
                     if tx.dcs_code else None)
        self.ani_bursts = self._ani_bursts() if tx.ani else []

    def _mic_path(self, m):
        """The microphone path after the message (pre-emphasis, limiter, splatter filter) from
        rest, on a stand-alone burst at ``fs_msg`` (deviation in Hz)."""
        if self._pre is not None:
            m = scipy.signal.lfilter(*self._pre, m)
        m = np.clip(m, -self.rated, self.rated)
        return scipy.signal.sosfilt(self._splat, m)

    def _ani_bursts(self):
        """``[(start_s, end_s, at, audio at fs_msg in Hz)]``: every ANI burst of the run, where
        it fits in its keyed interval."""
        tx = self.tx
        spec = ani_spec(tx.ani)
        dev = tx.ani_deviation(self.rated)
        tail = ANI_TAIL_S + (tx.burst_s if (tx.ctcss_hz or tx.dcs_code) else 0.0)
        ats = ("key-up", "key-down") if spec["at"] == "both" else (spec["at"],)
        waves = {at: self._mic_path(ani_waveform(spec, self.fs_msg, at) * dev) for at in ats}
        out = []
        for a, b in self.intervals:
            lo, hi = a + tx.ani_delay_s, b - tail
            for at in ats:
                w = waves[at]
                d = w.size / self.fs_msg
                t0 = lo if at == "key-up" else hi - d
                if t0 >= lo and t0 + d <= hi and not any(
                        t0 < e and s < t0 + d for s, e, _, _ in out):
                    out.append((t0, t0 + d, at, w))
        return out

    def _talk_spurts(self, rng, duration_s):
        """Alternating talk (mean 1.6 s) and pause (mean 0.35 s) stretches: list of (a, b)."""
        t = 0.0
        spurts = []
        while t < duration_s:
            talk = rng.exponential(1.6) + 0.3
            spurts.append((t, t + talk))
            t += talk + rng.exponential(0.35) + 0.1
        return spurts

    def _message(self, t):
        m = self._plain_message(t)
        for t0, t1, _, w in self.ani_bursts:           # an ANI burst replaces the message
            if t0 < t[-1] and t1 > t[0]:
                i0, i1 = np.searchsorted(t, [t0, t1])
                m = np.array(m, dtype=np.float64, copy=True)
                m[i0:i1] = np.interp(t[i0:i1], t0 + np.arange(w.size) / self.fs_msg, w)
        return m

    def _plain_message(self, t):
        kind = self.tx.modulation
        if kind == "tone":
            return self.dev * np.cos(2 * np.pi * self.tx.tone_hz * t + self._phase0)
        if kind == "multitone":
            tones = self.tx.tones_hz
            return (self.dev / len(tones)) * sum(
                np.cos(2 * np.pi * f * t + self._phase0 * (k + 1)) for k, f in enumerate(tones))
        if kind == "silence":
            return np.zeros_like(t)
        while self._fifo.size < t.size:                 # speech, from the ~48 kHz FIFO
            m = self._speech(max(1024, (t.size - self._fifo.size) // self._m + 1))
            if self._up is not None:
                m = self._up.process(m)
            self._fifo = np.concatenate([self._fifo, m])
        out, self._fifo = self._fifo[: t.size], self._fifo[t.size:]
        return out.astype(np.float64)

    def _speech(self, n):
        """``n`` samples of the speech-like message at ``fs_msg`` (after the mic path), Hz."""
        t = self._t_msg + np.arange(n) / self.fs_msg
        self._t_msg += n / self.fs_msg
        w = self.noise.normal(n).astype(np.float64)
        v, self._bp_zi = scipy.signal.sosfilt(self._bp, w, zi=self._bp_zi)
        e, self._syl_zi = scipy.signal.sosfilt(self._syl, np.abs(self.noise.normal(n)),
                                               zi=self._syl_zi)
        gate = keying_envelope(t, self._talk)
        m = v * np.maximum(e, 0) * gate * 1.6           # RMS ~ 0.35 of peak before the limiter
        if self._pre is not None:
            m, self._pre_zi = scipy.signal.lfilter(*self._pre, m, zi=self._pre_zi)
        m = np.clip(m * self.dev, -self.rated, self.rated)
        m, self._splat_zi = scipy.signal.sosfilt(self._splat, m, zi=self._splat_zi)
        return m.astype(np.float32)

    def _subaudible(self, t):
        tx = self.tx
        if tx.ctcss_hz:
            s = self.sub_dev * np.cos(2 * np.pi * (tx.ctcss_hz + tx.ctcss_error_hz) * t)
            for _, end in self.intervals:             # reverse burst: phase flipped 180 deg
                s[(t >= end - tx.burst_s) & (t < end)] *= -1
            return s
        if self._dcs is not None:
            bit = np.floor(t * DCS_BAUD).astype(np.int64) % 23
            nrz = self._dcs[bit]
            for _, end in self.intervals:             # turn-off code: 134.4 Hz before unkey
                late = (t >= end - tx.burst_s) & (t < end)
                nrz[late] = np.sign(np.sin(2 * np.pi * DCS_BAUD * t[late]) + 1e-12)
            s, self._dcs_zi = scipy.signal.sosfilt(self._dcs_lp, nrz, zi=self._dcs_zi)
            return self.sub_dev * s
        return 0.0

    def block(self, t, envelope=None):
        """Complex envelope (before the channel) at times ``t`` (uniform, consecutive blocks).

        ``envelope``: the keying envelope at ``t`` when the caller has it already.
        """
        f_inst = self._message(t) + self._subaudible(t) + self.tx.freq_error_hz + self.tx.offset_hz
        ph = self.phase + np.cumsum(f_inst) * (2 * np.pi / self.fs)
        self.phase = float(ph[-1]) % (2 * np.pi)
        env = keying_envelope(t, self.intervals) if envelope is None else envelope
        # the phase accumulates in float64; wrapped to [0, 2 pi) it goes to float32 cos and sin
        # (NumPy's SIMD real functions: several times a complex128 exp; the output is complex64)
        pw = np.mod(ph, 2 * np.pi).astype(np.float32)
        out = np.empty(t.size, dtype=np.complex64)
        out.real = np.cos(pw)
        out.imag = np.sin(pw)
        out *= env.astype(np.float32)
        return out

    def keyed_at(self, t):
        return keying_envelope(t, self.intervals) > 0
