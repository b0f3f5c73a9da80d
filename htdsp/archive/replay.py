"""A capture scored on a worker, replayed in the reduce: the same report as a plain run's.

A worker runs the capture's :class:`htdsp.pipeline.Session` with one sink, a
:class:`CaptureLog`, that writes down, in the order they happen, every call the session
makes to its sinks and to the run's station book: a channel's run starting, each window and
transmission as it becomes final (a transmission with the station book's inputs: its
fingerprint, ANI and judged aggregates ride in the record and its ``aux``), each doubling,
the capture's end with its entries, waterfall and band power. The log is a gzip stream of
pickles, written as the capture goes, so the worker holds it compressed.

The reduce replays each capture's log in the archive's order into the run's real sinks and
its one :class:`htdsp.stations.StationBook` (:func:`replay`): the book attributes every
transmission as a plain ``htdsp score FILE...`` would, across all captures, and the JSON, CSV,
events CSV, HTML, JSON lines and SigMF annotations are written by the same sinks from the same
records in the same order. Nothing is measured twice; nothing of the signal crosses.
"""

import gzip
import io
import pickle

from htdsp.errors import InputError
from htdsp.pipeline import Session, Sink
from htdsp.sinks.html import longer, plot_envelope

#: the log's format (a log of another is not replayed)
LOG_FORMAT = "htdsp.capture-log/1"


class BookLog:
    """The station book a worker's session sees: it writes down what the run's book is to
    be told (and answers as a book that has named nobody yet); the attribution itself is the
    reduce's."""

    def __init__(self, log):
        self._log = log
        self.renamed = {}

    def set_lo(self, capture, lo_hz):
        self._log.write(("lo", float(lo_hz)))

    def note_doubling(self, capture, channel, doubling):
        self._log.write(("d", channel, dict(doubling)))

    def note_capture(self, capture, duration_s):
        self._log.write(("dur", float(duration_s)))

    def attribute(self, t, capture=None, doubled=False, channel=None):
        # (the pipeline gives the sinks the transmission next: the log writes both at once)
        self._log.pending[id(t)] = (bool(doubled), channel)
        return t

    def discard(self, capture):
        pass


class TaskScoring:
    """A worker's stand-in for the run's :class:`htdsp.pipeline.Scoring`: its sessions
    write to a :class:`CaptureLog` and tell a :class:`BookLog`."""

    def __init__(self, settings):
        self.settings = settings
        self.log = CaptureLog()
        self.sinks = [self.log]
        self.stations = BookLog(self.log)

    def session(self, info, fmt, channels, front_end=None, band=None):
        return Session(info, fmt, channels, self.settings, self.sinks, front_end, band,
                       scoring=self)


class CaptureLog(Sink):
    """The sink of a worker's session (module docstring); :meth:`getvalue` is the log."""

    def __init__(self):
        self._buf = io.BytesIO()
        self._z = gzip.GzipFile(fileobj=self._buf, mode="wb", compresslevel=3, mtime=0)
        self.pending = {}              # id(transmission) -> how the book is to attribute it
        self._runs = {}                # id(run) -> (index, longest so far)
        self.write(("format", LOG_FORMAT))

    def write(self, entry):
        pickle.dump(entry, self._z, protocol=pickle.HIGHEST_PROTOCOL)

    def start(self, session):
        self.write(("start", session.info, session.band))

    def add_run(self, session, run):
        self._runs[id(run)] = [len(self._runs), None]
        self.write(("run", run.freq_hz, run.offset_hz, run.chosen))

    def window(self, run, w):
        self.write(("w", self._runs[id(run)][0], w))

    def transmission(self, run, t):
        r = self._runs[id(run)]
        env = None
        if longer(r[1], t):           # the HTML draws this one's envelope: ship it
            r[1] = (t["end_s"] - t["start_s"],)
            env = plot_envelope(run.meter, t)
        self.write(("t", r[0], t, self.pending.pop(id(t), None), env))

    def capture(self, session, entries):
        # the waterfall as the smaller of its rows (float32) and its image (float64, 400
        # rows at most): either gives the report the same picture
        wf = session.waterfall
        image = None if wf is None else wf if len(wf.rows) <= 800 else _Image(wf.image())
        fe = session.front
        power = getattr(fe, "power", None)
        band = (fe.offsets_hz, power.picture()) if power is not None else None
        order = [self._runs[id(run)][0] for run in session.runs]
        self.write(("end", order, entries, session.samples, image, band))

    def discard(self, session):
        # (the capture failed part way: the reduce's sinks drop it, and its book takes its
        # transmissions away but keeps what they taught, as a plain run's does)
        self.write(("discard",))

    def getvalue(self):
        """The log (bytes)."""
        if not self._z.closed:
            self._z.close()
        return self._buf.getvalue()


class _Image:
    """A shipped waterfall: what the report draws of it."""

    def __init__(self, image):
        self._image = image

    def image(self, max_rows=400):
        return self._image


class _Power:
    def __init__(self, picture):
        self._picture = picture

    def picture(self):
        return self._picture


class _Front:
    def __init__(self, band):
        self.offsets_hz, picture = band
        self.power = _Power(picture)


class _Meter:
    """A replayed run's meter: the shipped envelope of the transmission being replayed."""

    envelope_now = None

    def envelope(self, start_s, end_s):
        if self.envelope_now is None:
            raise ValueError("no envelope was shipped for this transmission")
        return self.envelope_now


class _Run:
    """A channel's run as the sinks see it in a replay."""

    def __init__(self, session, freq_hz, offset_hz, chosen):
        self.session = session
        self.freq_hz = freq_hz
        self.offset_hz = offset_hz
        self.chosen = chosen
        self.meter = _Meter()


class _Session:
    """A capture as the sinks see it in a replay (what they read of a
    :class:`htdsp.pipeline.Session`)."""

    station_of = Session.station_of

    def __init__(self, scoring, info, band):
        self.scoring = scoring
        self.settings = scoring.settings
        self.info = info
        self.band = band
        self.key = str(getattr(info, "path", "") or id(self))
        self.runs = []
        self.renamed = {}
        self.samples = 0
        self.fs = float(info.sample_rate_hz)
        self.waterfall = None
        self.front = None

    @property
    def stations(self):
        return self.scoring.stations

    @property
    def duration_s(self):
        return self.samples / self.fs


def entries_of(log):
    """The entries of a log (bytes), in order."""
    with gzip.GzipFile(fileobj=io.BytesIO(log), mode="rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


def replay(scoring, log):
    """Replay a worker's capture log into ``scoring`` (a :class:`htdsp.pipeline.Scoring`):
    its sinks hear the capture as they would have in this process, its station book
    attributes its transmissions. Returns the capture's entries (for
    :meth:`htdsp.pipeline.Scoring.add`); None for a capture that failed part way (the sinks
    and the book were told to discard it, as in a plain run). A sink's failure to write at
    the capture's end is an :class:`htdsp.errors.InputError` (``--annotate: ...``), as in a
    plain run."""
    sinks = scoring.sinks
    book = scoring.stations
    on = scoring.settings.stations
    s, runs = None, []
    it = entries_of(log)
    head = next(it, None)
    if head != ("format", LOG_FORMAT):
        raise ValueError(f"not a capture log of this htdsp ({LOG_FORMAT})")
    for e in it:
        kind = e[0]
        if kind == "w":
            run = runs[e[1]]
            for k in sinks:
                k.window(run, e[2])
        elif kind == "t":
            _, i, t, attr, env = e
            run = runs[i]
            if attr is not None and on:
                book.attribute(t, capture=s.key, doubled=attr[0], channel=attr[1])
            run.meter.envelope_now = env
            for k in sinks:
                k.transmission(run, t)
            run.meter.envelope_now = None
        elif kind == "start":
            s = _Session(scoring, e[1], e[2])
            for k in sinks:
                k.start(s)
        elif kind == "run":
            run = _Run(s, *e[1:])
            runs.append(run)
            s.runs.append(run)
            for k in sinks:
                hook = getattr(k, "add_run", None)
                if hook is not None:
                    hook(s, run)
        elif kind == "d":
            if on:
                book.note_doubling(s.key, e[1], e[2])
        elif kind == "lo":
            if on:
                book.set_lo(s.key, e[1])
        elif kind == "dur":
            book.note_capture(s.key, e[1])
        elif kind == "end":
            _, order, entries, samples, image, band = e
            s.runs = [runs[i] for i in order]
            s.samples = samples
            s.waterfall = image
            s.front = _Front(band) if band is not None else None
            s.renamed = dict(book.renamed) if on else {}
            try:
                for k in sinks:
                    k.capture(s, entries)
            except (ValueError, OSError) as e:    # the annotations could not be written
                raise InputError(f"--annotate: {e}", s.info.path) from None
            return entries
        elif kind == "discard":
            for k in sinks:
                k.discard(s)
            book.discard(s.key)
            return None
        else:
            raise ValueError(f"a capture log with an entry of unknown kind {kind!r}")
    # (its session could not be made, or no session began: what the sinks and the book
    # heard of it stays, as in a plain run)
    return None
