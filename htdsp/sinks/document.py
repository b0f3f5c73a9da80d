"""The JSON document of a score (schema ``htdsp.score/3``, shipped as
``htdsp/data/score.schema.json``), streamed: each capture is written when it ends, its windows
and events copied from spools filled as they came, so the document is never whole in memory.
"""

import json
from importlib import resources

from htdsp.io import jsonio
from htdsp.pipeline import Sink
from htdsp.sinks.spool import Spool, folder_of


def schema():
    """The JSON Schema of the score document (shipped with the package)."""
    with resources.files("htdsp").joinpath("data/score.schema.json").open() as f:
        return json.load(f)


class JsonSink(Sink):
    """The score document to the text file ``out`` (an output's temporary file, or stdout).

    ``warn(line)`` hears of any value that is not a finite number (written as null). Nothing
    is written until the first capture ends, so a run that scores nothing writes nothing.
    """

    def __init__(self, out, *, warn=None):
        self.out = out
        self.warn = warn
        self._dir = folder_of(out)
        self._spools = {}
        self._written = 0
        self._bad = []

    def _dumps(self, obj, indent=None):
        return jsonio.dumps(obj, indent=indent, warn=self._bad.append)

    def add_run(self, session, run):
        self._spools[id(run)] = (Spool(self._dir), Spool(self._dir))

    def window(self, run, w):
        self._spools[id(run)][1].write(self._dumps(w.public()))

    def transmission(self, run, t):
        self._spools[id(run)][0].write(self._dumps(t.public()))

    def capture(self, session, entries):
        out = self.out
        if not self._written:
            head = self._dumps({**session.scoring.header(), "captures": []}, indent=1)
            out.write(head[: head.rindex("[")] + "[\n")
        for run, entry in zip(session.runs, entries, strict=True):
            events, windows = self._spools.pop(id(run))
            if self._written:
                out.write(",\n")
            text = self._dumps(entry, indent=1)
            out.write(text[: text.rindex("}")].rstrip() + ',\n "events": [\n')
            events.copy_to(out, ",\n", self._renaming(session))
            out.write('\n ],\n "windows": [\n')
            windows.copy_to(out, ",\n")
            out.write("\n ]\n}")
            events.close()
            windows.close()
            self._written += 1

    def _renaming(self, session):
        """A spooled transmission's line with its station as the capture's end names it;
        None when no label changed."""
        if not session.renamed:
            return None
        old = tuple(f'"{k}"' for k in session.renamed)

        def edit(line):
            if not any(o in line for o in old):
                return line
            t = json.loads(line)
            st = session.station_of(t.get("station"))
            return line if st == t.get("station") else self._dumps({**t, "station": st})
        return edit

    def close(self, scoring, doc):
        if not self._written:
            return
        # (what follows the captures: the aggregate, stations, net, errors, an archive's views)
        head = set(scoring.header())
        tail = self._dumps({k: v for k, v in doc.items() if k != "captures" and k not in head},
                           indent=1)
        self.out.write("\n],\n" + tail[tail.index("{") + 1:].lstrip("\n") + "\n")
        self.out.flush()
        if self._bad and self.warn is not None:
            more = f" (and in {len(self._bad) - 1} more records)" if len(self._bad) > 1 else ""
            self.warn(self._bad[0] + more)

    def discard(self, session):
        for run in session.runs:
            for sp in self._spools.pop(id(run), ()):
                sp.close()

    def abort(self):
        for ev, win in self._spools.values():
            ev.close()
            win.close()
        self._spools.clear()
