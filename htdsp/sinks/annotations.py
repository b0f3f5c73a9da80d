"""SigMF annotations of a score (``--annotate``): ``NAME.scored.sigmf-meta`` beside the
recording's data file (``core:dataset`` names it), one annotation per transmission with its
measurements."""

import os

from htdsp import __version__
from htdsp.pipeline import Sink

#: the transmission fields an annotation carries (as ``htdsp:FIELD``)
ANNOTATED = ("availability", "dropouts", "cnr_db", "rssi_dbfs", "freq_error_hz",
             "deviation_peak_hz", "sinad_db_p50", "snr_db_p50", "ctcss_level_hz", "station",
             "station_confidence", "station_by", "ani", "doubled_s")


def scored_meta_path(info):
    """``<name>.scored.sigmf-meta`` beside the recording's data file (``info``: a recording,
    or a :class:`htdsp.sources.SourceInfo`)."""
    base = os.path.basename(info.data_path)
    for ext in (".sigmf-data", ".cu8", ".cs8", ".cs16", ".cf32", ".iq", ".bin", ".raw",
                ".wav", ".dat"):
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    return os.path.join(os.path.dirname(os.path.abspath(info.data_path)),
                        base + ".scored.sigmf-meta")


def annotations_possible(info):
    """Why annotations cannot describe ``info``'s data in place, or None."""
    if info.container in ("sigmf-archive", "wav"):
        return ("annotations describe a data file in place: not possible for a SigMF archive "
                "or a WAV file")
    if not info.data_path:
        return "annotations need a recording (a file)"
    return None


def write_annotations(info, entries, out=None):
    """A SigMF metadata file beside the data (``core:dataset`` names it) holding each
    transmission of each scored channel (``entries``: ``captures[]`` entries with their
    ``events``) as annotations; written atomically to ``out`` (default
    :func:`scored_meta_path`). Returns the path."""
    from htdsp.io.sigmf import write_annotations_meta
    from htdsp.rx.squelch import event_annotation
    from htdsp.sinks.html import fmt

    why = annotations_possible(info)
    if why:
        raise ValueError(why)
    anns = []
    for entry in entries:
        ch = entry["channel"]
        for e in entry["events"]:
            a = event_annotation(e, ch["freq_hz"], ch["bandwidth_hz"])
            a["core:comment"] = (f"htdsp score: availability {fmt(e.get('availability'), 3)}, "
                                 f"CNR {fmt(e.get('cnr_db'))} dB"
                                 + (f", station {e['station']}" if e.get("station") else ""))
            for k in ANNOTATED:
                if e.get(k) is not None:
                    a[f"htdsp:{k}"] = e[k]
            b = {k: v for k, v in (e.get("bounds") or {}).items() if f"htdsp:{k}" in a}
            if b:
                a["htdsp:bounds"] = b
            anns.append(a)
    return write_annotations_meta(
        out or scored_meta_path(info), info, anns,
        description=f"htdsp {__version__} score of {os.path.basename(info.path)}")


class AnnotationSink(Sink):
    """Annotations for each capture, written when it ends: ``paths`` maps a capture's path to
    the file to write (checked before the work); ``done(path)`` hears each one written;
    ``info_for(session)`` may give the recording's :class:`htdsp.sources.SourceInfo` when the
    session's source is not the file (a live run recording as it goes)."""

    def __init__(self, paths, *, done=None, info_for=None):
        self.paths = dict(paths)
        self.done = done
        self.info_for = info_for
        self._tx = {}

    def add_run(self, session, run):
        self._tx[id(run)] = []

    def transmission(self, run, t):
        self._tx[id(run)].append(t.public())

    def discard(self, session):
        for run in session.runs:
            self._tx.pop(id(run), None)

    def capture(self, session, entries):
        info = self.info_for(session) if self.info_for is not None else session.info
        txs = [[{**t, "station": session.station_of(t["station"])} for t in self._tx.pop(id(run))]
               for run in session.runs]
        out = self.paths.get(session.info.path) if info is not None else None
        if out is None:
            return
        full = [{**e, "events": t} for e, t in zip(entries, txs, strict=True)]
        write_annotations(info, full, out)
        if self.done is not None:
            self.done(out)
