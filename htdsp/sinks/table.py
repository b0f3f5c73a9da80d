"""The CSVs of a score: the per-window one (one row per window of every capture and channel,
its header from :data:`htdsp.records.WINDOW_COLUMNS`; rows are spooled per channel as windows
finish and copied out when the capture ends, so each channel's rows stay together) and the
per-transmission one (:class:`EventsCsvSink`: a row per transmission with its station)."""

import csv
import io
import json

from htdsp.pipeline import Sink
from htdsp.records import WINDOW_COLUMNS, TransmissionRecord, WindowRecord
from htdsp.sinks.spool import Spool, folder_of

#: what a spreadsheet takes for the start of a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value):
    """A text cell that a spreadsheet shows as text: a leading ``= + - @``, tab or CR (a
    formula, or a way to hide one) is neutralised with a ``'`` (the OWASP rule).

    Examples
    --------
    >>> csv_text("=1+2"), csv_text("-2.5 dBFS"), csv_text("capture.cu8")
    ("'=1+2", "'-2.5 dBFS", 'capture.cu8')
    """
    v = str(value)
    return "'" + v if v.startswith(_FORMULA_START) else v


def csv_cell(v):
    """Numbers stay numbers (a negative level is not a formula); text is neutralised; the
    bounds of a window as ``snr_db:lower snr_oob_db:lower``."""
    if v is None:
        return ""
    if isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, dict):
        return csv_text(" ".join(f"{k}:{b}" for k, b in v.items()))
    return csv_text(v)


class CsvSink(Sink):
    """The CSV to the text file ``out``: a row per window (``COLUMNS``), spooled per channel
    and written, after ``capture`` and ``channel_hz``, when its capture ends. Every text field
    is quoted and neutralised (:func:`csv_text`)."""

    COLUMNS = WINDOW_COLUMNS

    def __init__(self, out):
        self.out = out
        self._w = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
        self._w.writerow(self.COLUMNS)
        self._dir = folder_of(out)
        self._spools = {}
        self._row = io.StringIO()
        self._rw = csv.writer(self._row, quoting=csv.QUOTE_NONNUMERIC, lineterminator="")

    def _line(self, cells):
        self._row.seek(0)
        self._row.truncate()
        self._rw.writerow(cells)
        return self._row.getvalue()

    def add_run(self, session, run):
        self._spools[id(run)] = Spool(self._dir)

    def window(self, run, w):
        self._spools[id(run)].write(self._line([csv_cell(w[k]) for k in WindowRecord.PUBLIC]))

    def capture(self, session, entries):
        # the capture's name as it is at its end (a live run's: its recording, if it made one)
        path = csv_text(session.info.path)
        for run in session.runs:
            spool = self._spools.pop(id(run))
            head = self._line([path, csv_cell(run.freq_hz)]) + ","
            for line in spool.lines():
                self.out.write(head + self._row_of(session, line) + "\r\n")
            spool.close()

    def _row_of(self, session, line):
        """A spooled row as it is written."""
        return line

    def close(self, scoring, doc):
        self.out.flush()

    def discard(self, session):
        for run in session.runs:
            spool = self._spools.pop(id(run), None)
            if spool is not None:
                spool.close()

    def abort(self):
        for spool in self._spools.values():
            spool.close()
        self._spools.clear()


#: the transmissions CSV's columns: where the row comes from, then every public field
EVENT_COLUMNS = ("capture", "channel_hz", *TransmissionRecord.PUBLIC)

_STATION_AT = TransmissionRecord.PUBLIC.index("station")


class EventsCsvSink(CsvSink):
    """One row per transmission (``--events-csv``), with its station: :data:`EVENT_COLUMNS`
    (a nested field, such as ``fading``, as ``key:value`` pairs), spooled and written as the
    window CSV's rows are (a capture that fails leaves none)."""

    COLUMNS = EVENT_COLUMNS

    def window(self, run, w):
        pass

    def transmission(self, run, t):
        # spooled as the cells before the station, the station, the cells after: the
        # station's name is written as the capture's end knows it
        cells = [csv_cell(t[k]) for k in TransmissionRecord.PUBLIC]
        i = _STATION_AT
        self._spools[id(run)].write(json.dumps([self._line(cells[:i]), t["station"],
                                                self._line(cells[i + 1:])]))

    def _row_of(self, session, line):
        before, station, after = json.loads(line)
        return ",".join([before, self._line([csv_cell(session.station_of(station))]), after])
