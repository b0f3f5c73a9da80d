"""JSON lines of a score, written as records finish (``--jsonl FILE|-``): one object per line,
its ``type`` first (``window``, ``transmission``, then ``summary`` per channel when a capture
ends), with ``capture`` (the source's path) and ``channel_hz`` (null without a centre
frequency; ``offset_hz`` always), then the record's fields
(:class:`htdsp.records.WindowRecord`, :class:`htdsp.records.TransmissionRecord`, the
summary). Each line is flushed, so a consumer reading a pipe sees a window as it is judged."""

from htdsp.io import jsonio
from htdsp.pipeline import Sink


class JsonLinesSink(Sink):
    """JSON lines to the text file ``out``."""

    def __init__(self, out, *, warn=None):
        self.out = out
        self.warn = warn
        self._said = False

    def _write(self, kind, run, fields):
        obj = {"type": kind, "capture": run.session.info.path, "channel_hz": run.freq_hz,
               "offset_hz": run.offset_hz, **fields}
        self.out.write(jsonio.dumps(obj, warn=self._warn) + "\n")
        self.out.flush()

    def _warn(self, line):
        if not self._said and self.warn is not None:
            self._said = True
            self.warn(line)

    def window(self, run, w):
        self._write("window", run, w.public())

    def transmission(self, run, t):
        self._write("transmission", run, t.public())

    def capture(self, session, entries):
        for run, e in zip(session.runs, entries, strict=True):
            self._write("summary", run, e["summary"])
