"""One streaming pipeline for ``htdsp score`` and ``htdsp live``: a source's chunks through a
channel front end to every channel's receiver, meter and judge, and their records to sinks.

::

    Source ──chunks──► Session ──► ChannelFrontEnd ──► ChannelRun × N ──► sinks
     (file, rtl_tcp,     │  lost samples filled,        receiver back end,   (JSON, CSV, HTML,
      dongle, repeat)    │  time kept, health,          squelch, meter,      JSON lines, SigMF
                         │  waterfall                   judge                annotations, meter,
                         └────────────────────────────────────────────────►  recorder, audio)

A file is a source like any other (:class:`htdsp.sources.FileSource`): ``score`` and ``live``
differ only in their source and their sinks, so chunk accounting, lost samples, time and the
final judgement have one code path. A :class:`Scoring` is a whole run (several captures are
several test locations); each capture is a :class:`Session`. Records go to the sinks as they
become final (:class:`htdsp.score.Judge`), so memory does not grow with the run's length:
windows are not kept (unless ``Settings.keep_windows``), summaries are running ones, the
envelope and the CTCSS readings are trimmed to what a transmission still needs.

Examples
--------
>>> import numpy as np
>>> from htdsp.sources import RepeatSource
>>> fs = 250e3
>>> n = np.arange(int(fs))                        # 1 s: a carrier 20 kHz up, then 1 s of noise
>>> rng = np.random.default_rng(0)
>>> x = np.concatenate([np.exp(2j * np.pi * 20e3 * n / fs), np.zeros(n.size)])
>>> x = (x + 0.01 * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size)))
>>> src = RepeatSource(x.astype(np.complex64), fs, samples=6 * int(fs))
>>> sc = Scoring(Settings(squelch="power:-30dbfs"))
>>> s = sc.session(src.info, "cf32", [Channel(20e3)])
>>> s.run(src)
>>> [round(e["summary"]["cnr_db"]) > 30 for e in s.finish()]
[True]
"""

import copy
import functools
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from htdsp.measure import Meter
from htdsp.measure.clues import Doublings, NoClues, StationClues
from htdsp.measure.diagnose import no_transmission_reason
from htdsp.measure.health import CaptureHealth
from htdsp.measure.spectrum import Waterfall
from htdsp.metrics import REQUIREMENT_METRICS, WINDOW_METRICS, WINDOW_S, parse_expr
from htdsp.rx.ani import AniDecoder
from htdsp.rx.frontend import XlatingFrontEnd
from htdsp.rx.receiver import NFMReceiver
from htdsp.rx.squelch import default_spec, with_utc
from htdsp.score import (
    BAND_CHOICES,
    MERGE_GAP_S,
    SCHEMA_ID,
    Judge,
    area_summary,
    daq_from_sinad,
    load_daq_table,
    location_verdicts,
)
from htdsp.stations import StationBook

__all__ = ["Settings", "Channel", "ChannelRun", "Session", "Scoring", "Sink", "score_file"]

#: samples a lost stretch is filled with per step (one-LSB dither)
_FILL_STEP = 1 << 16
#: raw formats whose lost samples are filled with integer codes
_INT_FORMATS = ("cu8", "cs8", "cs16")
#: recent squelch events a run keeps for a live meter
_RECENT_EVENTS = 16
#: windows judged between trimmings of the decoder's readings (and at each transmission)
_FORGET_EVERY = 64
#: how far back a session keeps the input's raw levels and lost stretches, s (a band's
#: channel starting late takes them from its first window on: more than its preroll)
_KEEP_S = 4.0
#: windows measured between judgements (0.4 s at 100 ms: records reach the sinks that late;
#: judging at every window cost 3 % of the pass), unless an event comes
_JUDGE_EVERY = 4


@dataclass
class Settings:
    """What a score measures and how it judges (the options ``score`` and ``live`` share).

    ``criterion`` and ``requirements`` are :class:`htdsp.metrics.Expr` or their text
    (default ``sinad>=20``, ``[availability>=0.95]``); ``daq_table`` a ``(sinad_db, daq)``
    pair (default: the shipped table); ``squelch`` a SPEC (default
    :func:`htdsp.rx.squelch.default_spec`); ``waterfall`` builds the band's waterfall (for the
    HTML); ``keep_windows`` keeps every window record in each run's meter (a library user's
    analysis; a streaming score does not); ``ani`` the ANI schemes decoded (see
    :mod:`htdsp.rx.ani`; empty: none, and transmissions split at station changes by the
    carrier and level clues alone); ``stations`` False turns station identity off (no ANI,
    no clues, no attribution: events join as the squelch and its codes say); ``roster`` the
    net's stations
    (:func:`htdsp.stations.load_roster`); ``time_out_s`` the net's time-out timer (an over
    longer is an overrun)."""

    bandwidth_hz: float = 12500.0
    deviation_hz: float = None
    tone_hz: object = "auto"
    squelch: str = None
    window_s: float = WINDOW_S
    cal_db: float = None
    criterion: object = "sinad>=20"
    requirements: list = field(default_factory=lambda: ["availability>=0.95"])
    daq_table: tuple = None
    merge_gap_s: float = MERGE_GAP_S
    waterfall: bool = False
    keep_windows: bool = False
    ani: tuple = ("dtmf", "selcall", "mdc1200")
    stations: bool = True
    roster: tuple = ()
    time_out_s: float = 60.0
    lo_ppm: float = None

    def __post_init__(self):
        if isinstance(self.criterion, str):
            self.criterion = parse_expr(self.criterion, WINDOW_METRICS)
        self.requirements = [parse_expr(r, REQUIREMENT_METRICS) if isinstance(r, str) else r
                             for r in self.requirements]
        if self.daq_table is None:
            self.daq_table = load_daq_table()


@dataclass
class Channel:
    """A channel to score: its offset from the input's centre (Hz) and how it was chosen
    (``given``, or ``strongest`` when the score picked it)."""

    offset_hz: float
    chosen: str = "given"


class Sink:
    """Base of the outputs: each hook is called as the run goes; override what you need.

    ``start(session)`` a capture begins; ``add_run(session, run)`` a channel's run begins
    (each of the capture's channels after ``start``; a band's channel when its carrier
    appears, or at the end for one never used); ``chunk(session, data, index, lost, audio)``
    after each chunk (``audio``: the first channel's gated audio); ``window(run, w)`` and
    ``transmission(run, t)`` as records become final (:class:`htdsp.records.WindowRecord`,
    :class:`htdsp.records.TransmissionRecord`); ``capture(session, entries)`` a capture ends
    (its ``captures[]`` entries, without the records; a sink holding the capture's
    transmissions gives each the name in ``session.renamed``, a station's label before a later
    transmission named it, via :meth:`Session.station_of`); ``close(scoring, doc)`` the run ends
    (the document without the records; see :meth:`Scoring.finish`); ``discard(session)`` a
    capture failed part way (it is left out); ``abort()`` the run failed. A sink writing a
    file writes it to a temporary file the caller commits (:class:`htdsp.io.outputs.OutputSet`).
    """

    def start(self, session):
        pass

    def add_run(self, session, run):
        pass

    def chunk(self, session, data, index, lost, audio):
        pass

    def window(self, run, w):
        pass

    def transmission(self, run, t):
        pass

    def capture(self, session, entries):
        pass

    def close(self, scoring, doc):
        pass

    def discard(self, session):
        pass

    def abort(self):
        pass


class ChannelRun:
    """One channel of a session: its receiver (from the channel stream on), squelch, meter and
    judge; emits final window and transmission records to the session's sinks.

    Attributes: ``freq_hz`` (None without a centre frequency), ``offset_hz``, ``chosen``,
    ``rx``, ``meter``, ``judge``, ``events`` (every squelch event, unjoined, with its station
    clues, with ``Settings.keep_windows``), ``recent_events`` (the last few, for a meter),
    ``last_channel`` (the last chunk's channel stream), ``last_window``, ``summary`` (after
    :meth:`Session.finish`).
    """

    def __init__(self, session, path, channel):
        st = session.settings
        info = session.info
        self.session = session
        self.offset_hz = float(channel.offset_hz)
        self.chosen = channel.chosen
        self.freq_hz = (info.center_freq_hz + self.offset_hz if info.center_freq_hz
                        else None)
        spec = st.squelch or default_spec(session.fs, st.bandwidth_hz)
        self.rx = NFMReceiver(session.fs, self.offset_hz, bandwidth_hz=st.bandwidth_hz,
                              deviation_hz=st.deviation_hz, input_format=session.fmt,
                              squelch=spec, channel_path=path)
        self.meter = Meter(self.rx, window_s=st.window_s, tone_hz=st.tone_hz,
                           cal_db=st.cal_db, channel_hz=self.freq_hz,
                           keep_windows=st.keep_windows)
        self.clues = StationClues() if st.stations else NoClues()
        self.doublings = Doublings()
        self.judge = Judge(self.meter, st.criterion, st.requirements, st.daq_table,
                           merge_gap_s=st.merge_gap_s, keep_transmissions=st.keep_windows,
                           clues=self.clues)
        rx = self.rx
        # audio sample 0 is this input time: the channel stream's start, less the delays
        t0 = -(rx.input_delay_samples / rx.fs) - (rx.delay_s - rx.path.delay_samples / rx.fs)
        self.ani = (AniDecoder(rx.audio_fs, t0_s=t0, schemes=st.ani)
                    if st.ani and st.stations else None)
        self._held = deque()              # squelch events waiting for their clues
        if st.lo_ppm is not None and info.center_freq_hz and st.stations:
            # an LO high by ppm reads every carrier low by ppm of the centre frequency
            session.stations.set_lo(session.key, -st.lo_ppm * info.center_freq_hz * 1e-6)
        self.events = []
        self.recent_events = []
        self.last_channel = np.zeros(0, np.complex64)
        #: the newest window measured (before its judgement), for a meter
        self.last_window = None
        self.summary = None
        #: the input sample this channel's stream starts at (a band's channel started when
        #: its carrier appeared)
        self.start_sample = float(getattr(path, "start_sample", 0.0))
        self._utc = info.datetime
        self._twin_of = None
        self._twinned = False
        self._finished = False
        self._unforgotten = 0
        self._unjudged = 0

    def process(self, channel, samples_in):
        """One chunk of this channel's stream (the input's raw levels went to the meter
        first); returns the gated audio."""
        audio, ch, disc, ungated, mask = self.rx.process_channel(channel, samples_in)
        self.last_channel = ch
        ws = self.meter.process(ch, disc, ungated, mask)
        if ws:
            self.last_window = ws[-1]
        if self.ani is not None:
            self.clues.add_decodes(self.ani.process(ungated), self.ani.done_s)
        else:
            self.clues.done_s = math.inf
        self.clues.add_windows(ws)
        self._note_doublings(self.doublings.add_windows(ws))
        self._judge(ws, self.rx.pop_events())
        return audio

    @property
    def channel_key(self):
        """This channel in the run's station book: its frequency, else its offset, Hz."""
        return self.freq_hz or self.offset_hz

    def _note_doublings(self, found):
        if not self.session.settings.stations:
            return
        for d in found:
            self.session.stations.note_doubling(self.session.key, self.channel_key, d)

    def _judge(self, windows, events, final=False):
        if not (windows or events or final):
            # (nothing can become final without a new window or event: a chunk shorter than a
            # window costs no judging)
            return
        events = [with_utc(e, self._utc) for e in events]
        if events:
            self.recent_events = (self.recent_events + events)[-_RECENT_EVENTS:]
        # an event goes to the judge once its station clues are in (whether it is another
        # key-up decides whether it joins the one before): until then, nothing from its
        # start on is final
        self._held.extend(events)
        clues = self.clues
        ready = []
        while self._held and clues.ready(self._held[0], final):
            ready.append(clues.annotate(self._held.popleft()))
        if ready and self.meter.keep_windows:
            self.events += ready
        j = self.judge
        j.add_windows(windows)
        j.add_events(ready)
        self._unjudged += len(windows)
        if not (final or ready or self._unjudged >= _JUDGE_EVERY):
            return
        self._unjudged = 0
        if final:
            done_w, done_t, self.summary = j.finish(
                lost_samples=self.session.lost, geolocation=self.session.info.geolocation,
                health=self.session.health_summary)
        else:
            oe = self.rx.open_event()
            horizon = self.rx.horizon_s()
            if self._held:
                horizon = min(horizon, self._held[0]["start_s"])
                oe = None
            elif oe is not None:
                if clues.ready(oe):
                    oe = clues.annotate(oe)
                else:
                    horizon = min(horizon, oe["start_s"])
                    oe = None
            done_w, done_t = j.advance(horizon, None if oe is None else with_utc(oe, self._utc))
        sinks = self.session.sinks
        for w in done_w:
            for s in sinks:
                s.window(self, w)
        book = self.session.stations if self.session.settings.stations else None
        for t in done_t:
            dur = t["end_s"] - t["start_s"]
            if book is not None:
                book.attribute(t, capture=self.session.key, channel=self.channel_key,
                               doubled=bool(t["doubled_s"]) and t["doubled_s"] >= 0.5 * dur)
            for s in sinks:
                s.transmission(self, t)
        self._unforgotten += len(done_w)
        if done_t or self._unforgotten >= _FORGET_EVERY:
            self._unforgotten = 0
            self._forget(j.needed_from_s())

    def _forget(self, t_s):
        """Drop the decoder readings no transmission can still need."""
        if math.isfinite(t_s):
            # decodes from the oldest transmission not final (its IDs name it); windows only
            # from what an event still to be annotated needs (a long over keeps 20 s of them,
            # not all of its own)
            held = list(self._held)[:1]
            oe = self.rx.open_event()
            pending = held + ([oe] if oe is not None else [])
            self.clues.forget_before(min([t_s] + [e["start_s"] for e in held]),
                                     self.clues.windows_needed_from(pending))
        det = self.rx.squelch.decoder("ctcss") if self.rx.squelch is not None else None
        if det is None or not math.isfinite(t_s) or self.meter.keep_windows:
            return                       # (kept windows may be judged again: keep it all)
        t0 = self.rx.input_delay_samples / self.rx.fs
        det.readings.forget_before(int((t_s + t0) * self.meter.fs_c / det.hop_samples) - 2)

    def finish(self):
        """The input has ended: the last records, and the summary (:attr:`summary`)."""
        if self._twin_of is not None:
            self._twin_of.finish()
            self.summary = copy.deepcopy(self._twin_of._plain)
            return self.summary
        if not self._finished:
            self._finished = True
            self.rx.flush()
            if self.ani is not None:
                self.clues.add_decodes(self.ani.flush(), math.inf)
            self._note_doublings(self.doublings.flush())
            self._judge([], self.rx.finish(), final=True)
            if self._twinned:                # (as judged, before the session adds to it)
                self._plain = copy.deepcopy(self.summary)
        return self.summary

    def twin(self, channel):
        """A run for another channel of this one's band that is never fed (a channel watched
        but never used): this run's receiver, meter and judge stand for its own (they are
        read, never run), its summary is this one's at the end. (Building a run costs 3 ms:
        a band of 152 channels would spend 0.45 s on its unused ones.)"""
        new = copy.copy(self)
        new.offset_hz = float(channel.offset_hz)
        new.chosen = channel.chosen
        info = self.session.info
        new.freq_hz = info.center_freq_hz + new.offset_hz if info.center_freq_hz else None
        new.summary = None
        new._twin_of = self
        self._twinned = True
        return new

    def talking(self):
        """Who is talking now (the squelch open): ``(station, confidence, by)`` from the over's
        ID, else its fingerprint against the stations heard so far; None when closed or
        unknown."""
        oe = self.rx.open_event()
        if oe is None:
            return None
        ani, f = self.clues.now(oe["start_s"])
        return self.session.stations.name_now(ani, f, self.session.key)

    def where(self):
        """The channel in words: ``144.5000 MHz`` or ``offset +25.000 kHz``."""
        return (f"{self.freq_hz / 1e6:.4f} MHz" if self.freq_hz else
                f"offset {self.offset_hz / 1e3:+.3f} kHz")


class Session:
    """One capture (a file, a live stream) through the pipeline to the sinks.

    Parameters
    ----------
    info : htdsp.sources.SourceInfo
        Where the samples come from (rate, centre, start time, location).
    fmt : str
        The raw format of the chunks (``cu8``, ``cs8``, ``cs16``, ``cf32``).
    channels : list of Channel
    settings : Settings
    sinks : list of Sink
    front_end : htdsp.rx.frontend.ChannelFrontEnd, optional
        Default: :class:`htdsp.rx.frontend.XlatingFrontEnd` for the channels. A front end
        that starts channels as it goes (:class:`htdsp.measure.activity.BandFrontEnd`: its
        ``started`` paths after each chunk) gets a run for each as it starts.
    band : str, optional
        How a band's channels were chosen (one of :data:`BAND_CHOICES`), with a band front
        end: with ``all`` or ``range`` every channel of the band gets an entry, the ones never
        used too (their noise floor from the band's watch); with ``auto`` the used ones only.
    scoring : Scoring, optional
        The run this capture belongs to (its station book); :meth:`Scoring.session` sets it.

    Feed chunks with :meth:`feed` (or a whole source with :meth:`run`), then :meth:`finish`.
    """

    def __init__(self, info, fmt, channels, settings=None, sinks=(), front_end=None,
                 band=None, scoring=None):
        from htdsp.measure.meter import RawLevels, input_window

        self.info = info
        self.settings = settings or Settings()
        self.fs = float(info.sample_rate_hz)
        self.fmt = fmt or "cf32"
        self.sinks = list(sinks)
        self.band = band
        st = self.settings
        self.front = front_end or XlatingFrontEnd(
            self.fs, [c.offset_hz for c in channels], st.bandwidth_hz, input_format=self.fmt)
        # the ADC's clipping and DC from the raw codes, read once for every channel (0.5 ms
        # per s of 2.4 MS/s input each, measured), the last few seconds kept for a channel
        # that starts late
        fe = self.front
        if getattr(fe, "window_s", st.window_s) != st.window_s:
            raise ValueError(f"the band's front end starts channels on {fe.window_s} s "
                             f"windows, the settings measure {st.window_s} s ones")
        fs_c = getattr(fe, "channel_fs", None) or (fe.paths[0].channel_fs if fe.paths else
                                                    self.fs)
        self._raw = RawLevels(input_window(self.fs, fs_c, st.window_s))
        self._raw_kept = deque(maxlen=int(_KEEP_S / st.window_s) + 2)
        self._gaps = []                   # (first input sample, samples) lost
        self.runs = []
        self.waterfall = Waterfall(self.fs) if st.waterfall else None
        self.health = CaptureHealth(self.fmt)
        self.health_summary = None
        #: samples of the stream so far, lost ones included; and the lost ones
        self.samples = 0
        self.lost = 0
        self._rng = np.random.default_rng(0)
        self.entries = None
        #: label -> station, as the capture's end knows them (see :class:`Sink`)
        self.renamed = {}
        self.scoring = scoring
        self._book = None
        #: this capture in a run's station book
        self.key = str(getattr(info, "path", "") or id(self))
        for s in self.sinks:
            s.start(self)
        for p, c in zip(self.front.paths, channels, strict=True):
            self._add_run(p, c)

    def _add_run(self, path, channel):
        run = ChannelRun(self, path, channel)
        self.runs.append(run)
        if self._raw.active:               # the input's levels from the run's first window on
            w0 = run.meter.first_window
            run.meter.add_raw([v for i, v in self._raw_kept if i >= w0])
        ratio = run.meter.fs_c / self.fs
        for g0, n in self._gaps:           # lost samples its back-dated stream holds
            if g0 + n > run.start_sample:
                run.meter.note_gap(int((g0 - run.start_sample) * ratio),
                                   int(np.ceil(n * ratio)) + 1)
        self._register(run)
        return run

    def _register(self, run):
        for s in self.sinks:
            hook = getattr(s, "add_run", None)       # (a sink need not be a Sink)
            if hook is not None:
                hook(self, run)

    def feed(self, data, lost=0):
        """Process one chunk (raw elements of ``fmt``, or complex samples), after ``lost``
        samples the source lost; returns the first channel's gated audio."""
        if lost:
            self._fill(int(lost))
        audio = self._process(data)
        n = len(data) if np.iscomplexobj(data) else len(data) // 2
        if self.waterfall is not None:
            self.waterfall.process(data, self.fmt)
        self.health.process(data)
        self.samples += n
        for s in self.sinks:
            s.chunk(self, data, self.samples - n, lost, audio)
        return audio

    def _process(self, data):
        # the raw codes before the front end: the chunk is then in the cache for the filters
        # (measured: 4 % of the pass at 2.4 MS/s)
        w = self._raw.windows
        new = self._raw.process(data)
        if self._raw.active:
            if len(new) > self._raw_kept.maxlen // 2:        # (a long chunk: keep it all)
                self._raw_kept = deque(self._raw_kept, maxlen=2 * len(new) + 2)
            self._raw_kept.extend(zip(range(w, w + len(new)), new, strict=True))
            for run in self.runs:
                run.meter.add_raw(new)
        streams = self.front.process(data)
        for p in getattr(self.front, "started", ()):
            self._add_run(p, Channel(p.offset_hz, self.band or "auto"))
        audio = None
        for run, ch in zip(self.runs, streams, strict=True):
            a = run.process(ch, self.front.samples_in)
            audio = a if audio is None else audio
        return audio

    def _fill(self, n):
        """``n`` lost samples: dither of one LSB keeps time's count, and the meters flag the
        windows they touch (excluded from the verdict)."""
        for r in self.runs:
            ratio = r.meter.fs_c / self.fs
            r.meter.note_gap(int((self.samples - r.start_sample) * ratio),
                             int(np.ceil(n * ratio)) + 1)
        self._gaps = [g for g in self._gaps if g[0] + g[1] > self.samples - _KEEP_S * self.fs]
        self._gaps.append((self.samples, n))
        self.lost += n
        done = 0
        while done < n:
            k = min(n - done, _FILL_STEP)
            if self.fmt == "cu8":
                x = self._rng.integers(127, 129, 2 * k, dtype=np.uint8)
            elif self.fmt in _INT_FORMATS:
                x = self._rng.integers(-1, 1, 2 * k, endpoint=True).astype(
                    np.int8 if self.fmt == "cs8" else np.int16)
            else:
                x = ((self._rng.standard_normal(k) + 1j * self._rng.standard_normal(k))
                     * 3e-3).astype(np.complex64)
            self._process(x)
            self.samples += k
            done += k

    def run(self, source, *, limit_samples=None, progress=None, on_chunk=None):
        """Feed every chunk of ``source`` (an iterable of :class:`htdsp.sources.Chunk`), up
        to ``limit_samples``; ``progress(samples)`` and ``on_chunk(chunk)`` after each."""
        for ch in source:
            data = ch.data
            n = len(data) if np.iscomplexobj(data) else data.size // 2
            if limit_samples is not None and ch.index + n > limit_samples:
                keep = max(0, limit_samples - ch.index)
                data = data[:keep] if np.iscomplexobj(data) else data[:2 * keep]
            if len(data):
                self.feed(data, ch.lost)
            if progress is not None:
                progress(self.samples)
            if on_chunk is not None:
                on_chunk(ch)
            if limit_samples is not None and ch.index + n >= limit_samples:
                break

    @property
    def duration_s(self):
        return self.samples / self.fs

    @property
    def stations(self):
        """The run's :class:`htdsp.stations.StationBook` (this session's own without a
        :class:`Scoring`)."""
        if self.scoring is not None:
            return self.scoring.stations
        if self._book is None:
            self._book = StationBook(self.settings.roster)
        return self._book

    def discard(self):
        """The capture failed part way: the sinks drop what they hold of it, the run's
        station book its transmissions."""
        for s in self.sinks:
            s.discard(self)
        self.stations.discard(self.key)

    def finish(self):
        """The input has ended: judge the rest; returns the ``captures[]`` entries (one per
        channel, without their windows and events, which went to the sinks) and gives them to
        the sinks."""
        self.health_summary = self.health.summary()
        self.stations.note_capture(self.key, self.duration_s)
        quiet = self._quiet_runs()
        entries = []
        # (a band too small to watch runs every channel from the start: there, a channel
        # without a transmission is an idle one)
        watched = getattr(self.front, "watching", True)
        for run in self.runs:
            s = run.finish()
            idle = run in quiet or (self.band is not None and not watched
                                    and not s["transmissions"])
            # (a channel of a band that nobody used is the band's news, not a problem: the
            # band's table shows it; one warning each would bury the rest. One whose carrier
            # was seen but gave no transmission is worth it: the squelch never opened on it)
            if not s["unusable"] and not s["transmissions"] and (
                    run.chosen not in BAND_CHOICES or (self.band is not None and not idle)):
                why = no_transmission_reason(run.meter, [t.kind for t in run.rx.squelch.terms],
                                             self.duration_s)
                s["warnings"].append(f"no transmission found at {run.where()}: {why}")
            if run in quiet:
                self._quiet_summary(run, s, quiet[run])
            e = self.entry(run)
            if self.band is not None:
                e["channel"]["activity"] = ("refused" if quiet.get(run, (0, False))[1] else
                                            "idle" if idle else "scored")
            entries.append(e)
        self.entries = entries
        self.renamed = dict(self.stations.renamed) if self.settings.stations else {}
        for run in self.runs:
            for t in run.judge.transmissions or ():
                t["station"] = self.station_of(t["station"])
        for sk in self.sinks:
            sk.capture(self, entries)
        return entries

    def station_of(self, label):
        """The station a transmission's label stands for at the capture's end (an unnamed
        station's label, once a later transmission's ID named its radio, is that station's
        name)."""
        return self.renamed.get(label, label)

    def _quiet_runs(self):
        """A band's channels that never ran get a run that is judged on nothing, for their
        entry: with ``all`` and a range every one (never used, or refused: the run's cap of
        channels reached), with ``auto`` the refused ones; the runs are put in frequency
        order. Returns ``{run: (band index, refused)}``."""
        fe = self.front
        if self.band is not None:
            self.runs.sort(key=lambda r: r.offset_hz)
        if self.band is None or not hasattr(fe, "detector"):
            return {}
        quiet = {}
        running = {p.offset_hz for p in fe.paths}
        refused = set(getattr(fe, "refused", ()))
        first = None
        for i, off in enumerate(fe.offsets_hz):
            if float(off) in running or (self.band == "auto" and i not in refused):
                continue
            c = Channel(float(off), self.band)
            if first is None:
                run = first = self._add_run(fe.quiet_path(i), c)
            else:
                run = first.twin(c)
                self.runs.append(run)
                self._register(run)
            quiet[run] = (i, i in refused)
        self.runs.sort(key=lambda r: r.offset_hz)
        return quiet

    def _quiet_summary(self, run, s, why):
        """A channel watched but not run: its noise from the band's watch (the mean power of
        its blocks under the carrier threshold), and why it was not scored if it was used."""
        i, refused = why
        fe = self.front
        p = float(fe.detector.idle_power[i])
        if p > 0 and not s["unusable"]:
            m = run.meter
            s["noise_floor_dbfs"] = round(10 * math.log10(p * m.bw_factor), 3)
            s["noise_floor_dbfs_hz"] = round(10 * math.log10(p / m.enbw_hz), 3)
        if refused:
            s["warnings"].append(f"a carrier at {run.where()} was not scored: this run had "
                                 f"started its {fe.max_active} channels already (a channel "
                                 "runs to the end once started)")

    def entry(self, run):
        """The ``captures[]`` entry of a run (its summary, without windows and events)."""
        i = self.info
        return {
            "source": {"path": i.path, "format": i.datatype, "sample_rate_hz": self.fs,
                       "center_freq_hz": i.center_freq_hz,
                       "duration_s": round(self.duration_s, 6), "samples": self.samples,
                       "description": i.description, "datetime": i.datetime},
            "channel": {"freq_hz": run.freq_hz, "offset_hz": run.offset_hz,
                        "bandwidth_hz": run.rx.bandwidth_hz,
                        "deviation_hz": run.rx.deviation_hz, "chosen": run.chosen,
                        "squelch": run.rx.squelch.spec},
            # (busy: the fraction of the capture on the air, for the band's table)
            "summary": {**run.summary, "busy_fraction": (
                round(run.summary["talk_time_s"] / self.duration_s, 4)
                if self.duration_s > 0 else None)},
        }


class Scoring:
    """A whole score: its settings and sinks, its captures (each a :class:`Session`), the
    inputs that could not be scored, and at the end the area's aggregate (several captures
    are several test locations; a location passes when all its channels pass).

    Parameters
    ----------
    settings : Settings
    sinks : list of Sink
    confidence, area_reliability : float
        Of the area's Wilson bound (:func:`htdsp.score.area_summary`).
    """

    def __init__(self, settings=None, sinks=(), *, confidence=0.95, area_reliability=0.95):
        self.settings = settings or Settings()
        self.sinks = list(sinks)
        self.confidence = confidence
        self.area_reliability = area_reliability
        self.captures = []
        self.errors = []
        #: who sent each transmission, across every capture and channel
        self.stations = StationBook(self.settings.roster)
        #: the document's last fields, made from it (``doc -> dict``; an archive's views)
        self.more = None

    def header(self):
        """The document's fields before its captures."""
        from htdsp import __version__

        st = self.settings
        return {"schema": SCHEMA_ID, "htdsp_version": __version__,
                "criterion": str(st.criterion),
                "requirements": [str(r) for r in st.requirements], "window_s": st.window_s,
                "daq_table": {"sinad_db": [float(v) for v in st.daq_table[0]],
                              "daq": [float(v) for v in st.daq_table[1]]}}

    def session(self, info, fmt, channels, front_end=None, band=None):
        """A new capture, feeding this score's sinks."""
        return Session(info, fmt, channels, self.settings, self.sinks, front_end, band,
                       scoring=self)

    def add(self, entries):
        """A finished capture's entries (from :meth:`Session.finish`)."""
        self.captures += entries

    def error(self, path, problem):
        """An input that could not be scored (it is listed in the document's ``errors``)."""
        self.errors.append({"path": str(path), "error": str(problem)})

    def verdicts(self):
        """One verdict per location (capture path)."""
        return location_verdicts(self.captures)

    def finish(self):
        """The document (its captures without their records) with the area's aggregate; the
        sinks close with it."""
        aggregate = area_summary(self.verdicts(), self.confidence, self.area_reliability)
        st = self.settings
        daq = functools.partial(daq_from_sinad, table=tuple(
            [float(v) for v in col] for col in st.daq_table))
        doc = {**self.header(), "captures": self.captures, "aggregate": aggregate,
               "stations": [r.public() for r in self.stations.summaries(st.requirements, daq)],
               "net": self.stations.net_summary(st.time_out_s),
               "errors": list(self.errors)}
        if self.more is not None:
            doc.update(self.more(doc))
        for s in self.sinks:
            s.close(self, doc)
        return doc

    def abort(self):
        for s in self.sinks:
            s.abort()


def score_file(rec, channels, settings=None, sinks=()):
    """A recording through one :class:`Session` (a library shortcut): returns the finished
    session; its ``entries`` hold the summaries, its ``runs`` their receivers, meters and
    events (and, with ``settings.keep_windows``, every window).

    ``channels``: :class:`Channel` objects or offsets in Hz."""
    from htdsp.sources import FileSource

    src = FileSource(rec, copy=False)
    chans = [c if isinstance(c, Channel) else Channel(float(c)) for c in channels]
    s = Session(src.info, src.format, chans, settings, sinks)
    s.run(src)
    s.finish()
    return s

