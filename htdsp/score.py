"""Link reliability scoring: captures in, a verdict with numbers out (``htdsp score``).

One pass over each recording feeds every channel's :class:`htdsp.NFMReceiver` (with a squelch
that marks the transmissions) and :class:`htdsp.measure.Meter`. Then, per capture and channel:

- every window is judged by the **criterion** (default ``sinad>=20``, DAQ 3.4; the tone-free
  SNR stands in for SINAD when there is no test tone). Only windows wholly inside a
  transmission (between its start and end, so not the squelch's hang after it), free of
  lost samples and not doubled (two stations keyed at once, ``second_carrier_db``) count;
  **availability** is the fraction of them meeting it;
- **transmissions**: the squelch's events, joined when less than 2 s apart within one
  station's over (a fade that closes the squelch mid-over is a dropout, and its windows count
  as failing; another station's key-up is another transmission, :mod:`htdsp.measure.clues`);
- **dropouts**: runs of failing windows inside a transmission (count, total and longest, s);
- a **summary** of the measurements and the **requirements** (default ``availability>=0.95``)
  judged on it: verdict ``pass`` or ``fail``.

A value that is an estimator's limit (``bounds``, see :mod:`htdsp.measure`) is judged as the
half-line it stands for: ``sinad>=20`` holds for a tone-free SNR of at least 49.1 dB and is
unknown (null) for one of at least 15 dB, which then does not count in the availability; a
requirement that is unknown is not met. Percentiles and DAQ carry the bounds of the values
they come from (``summary.bounds``). With a given test tone (``tone_hz`` a frequency), windows
where it is not found are judged on the tone-free SNR; the summary counts them
(``tone_missing_windows``) and says so in ``warnings``.

Several captures are several test locations (TSB-88.3): the pass fraction, its one-sided
Wilson lower bound at ``confidence``, and the area passes when that bound reaches
``area_reliability``.

Expressions (both ``--criterion`` and ``--require``): ``METRIC OP NUMBER``, OP one of ``>= >
<= < ==``; the metrics are listed in :data:`WINDOW_METRICS` and :data:`SUMMARY_METRICS`.
"""

import bisect
import json
import math
from collections import deque

import numpy as np

from htdsp.measure import (
    BoundedHistogram,
    BoundedSeries,
    TransmissionStats,
    combine_max,
    finite,
)
from htdsp.metrics import (  # noqa: F401 - the judgement grammar, re-exported
    ALIASES,
    REQUIREMENT_METRICS,
    SUMMARY_METRICS,
    WINDOW_FIELDS_JUDGED,
    WINDOW_METRICS,
    Expr,
    parse_expr,
)
from htdsp.records import TransmissionRecord

SCHEMA_ID = "htdsp.score/3"

# ------------------------------------------------------------------ DAQ
def load_daq_table(path=None):
    """``(sinad_db, daq)`` arrays: the shipped table (measurement.md 3) or a user's JSON file
    with the same two lists (SINAD rising, DAQ rising)."""
    if path is None:
        from htdsp.standards import daq_table

        s, q = daq_table()
    else:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        try:
            s, q = d["sinad_db"], d["daq"]
        except (KeyError, TypeError):
            raise ValueError("a DAQ table needs the lists 'sinad_db' and 'daq'") from None
    s = np.asarray(s, dtype=float)
    q = np.asarray(q, dtype=float)
    if s.ndim != 1 or s.size < 2 or s.size != q.size or np.any(np.diff(s) <= 0) \
            or np.any(np.diff(q) < 0) or not np.all(np.isfinite(s) & np.isfinite(q)):
        raise ValueError("a DAQ table needs two equal lists, SINAD rising and DAQ not falling")
    return s, q


def daq_from_sinad(sinad_db, table):
    """DAQ at a SINAD (linear between table points, clamped at the ends); None for None.

    :func:`numpy.interp`'s arithmetic, for one value in plain Python (every window asks, and
    numpy's call costs ten times the sum).

    Examples
    --------
    >>> t = ([8.0, 12.0, 20.0], [1.0, 2.0, 3.4])
    >>> daq_from_sinad(16.0, t), daq_from_sinad(99.0, t), daq_from_sinad(None, t)
    (2.7, 3.4, None)
    """
    if sinad_db is None:
        return None
    s, q = table
    x = float(sinad_db)
    if x < s[0]:
        y = q[0]
    elif x >= s[-1]:
        y = q[-1]
    else:
        j = bisect.bisect_right(s, x) - 1
        y = q[j] if s[j] == x else (q[j + 1] - q[j]) / (s[j + 1] - s[j]) * (x - s[j]) + q[j]
    return round(float(y), 2)


def daq_bound(sinad_db, bound, table):
    """The bound of the DAQ of a bounded SINAD: the same, unless the table is already at its
    end of the scale there (a SINAD of at least 49 dB is DAQ 5, whatever it is)."""
    if sinad_db is None or bound is None:
        return None
    end = float(table[1][-1] if bound == "lower" else table[1][0])
    return None if daq_from_sinad(sinad_db, table) == round(end, 2) else bound


# ------------------------------------------------------------------ area statistics
def wilson_lower(k, n, confidence):
    """One-sided Wilson score lower bound of a proportion ``k / n`` at ``confidence``.

    Examples
    --------
    >>> round(wilson_lower(19, 20, 0.95), 3)
    0.804
    >>> wilson_lower(0, 0, 0.95) is None
    True
    """
    from scipy.stats import norm

    if n <= 0:
        return None
    z = float(norm.ppf(confidence))
    p = k / n
    den = 1 + z * z / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - half) / den)


def locations_needed_if_all_pass(confidence, area_reliability):
    """The fewest locations, all passing, whose Wilson lower bound reaches the target.

    With every location passing the bound is ``m / (m + z^2)``, so ``m >= R z^2 / (1 - R)``:
    closed form, not a search (a target of 0.9999999 needs tens of millions).

    Examples
    --------
    >>> locations_needed_if_all_pass(0.95, 0.95)
    52
    """
    from scipy.stats import norm

    z = float(norm.ppf(confidence))
    m = max(1, math.ceil(area_reliability * z * z / (1 - area_reliability) - 1e-9))
    while wilson_lower(m, m, confidence) < area_reliability:      # rounding at the edge
        m += 1
    return m


def area_summary(verdicts, confidence, area_reliability):
    """The aggregate of per-location verdicts (see module docstring); a location passes only
    with verdict ``pass`` (``fail`` and ``unusable`` do not)."""
    n = len(verdicts)
    k = sum(v == "pass" for v in verdicts)
    lower = wilson_lower(k, n, confidence)
    need = next((j for j in range(n + 1)
                 if wilson_lower(j, n, confidence) >= area_reliability), None) if n else None
    all_pass = locations_needed_if_all_pass(confidence, area_reliability)
    return {"locations": n, "passing": k, "pass_fraction": finite(k / n if n else None, 4),
            "wilson_lower": finite(lower, 4), "confidence": confidence,
            "area_reliability": area_reliability,
            "passing_needed": need, "locations_needed_if_all_pass": all_pass,
            "verdict": "pass" if lower is not None and lower >= area_reliability else "fail"}


# ------------------------------------------------------------------ per channel
def window_metric(w, metric):
    """A window's value of a criterion metric (``sinad`` / ``quality_db``: SINAD, else the
    tone-free SNR)."""
    field = WINDOW_METRICS.get(metric, metric)
    if field == "quality_db":
        return w["sinad_db"] if w["sinad_db"] is not None else w["snr_db"]
    return w.get(field)


def window_bound(w, metric):
    """Whether :func:`window_metric` is a bound (``"lower"``, ``"upper"``) or a measurement."""
    key = WINDOW_METRICS.get(metric, metric)
    if key == "quality_db":
        key = "sinad_db" if w["sinad_db"] is not None else "snr_db"
    return (w.get("bounds") or {}).get(key)


#: squelch events closer than this are one transmission broken by fades (a dropout), s
MERGE_GAP_S = 2.0
#: a deliberate end: no fade is bridged across it
_DELIBERATE_END = ("reverse_burst", "dcs_turn_off")
#: window edges within this of a transmission's are inside it (times are rounded to 1 us)
_EDGE_S = 1e-9


def _differ(a, b):
    return a is not None and b is not None and a != b


def _joins(prev, e, gap_s):
    """Whether event ``e`` continues the transmission ``prev`` (see :func:`merge_events`)."""
    return (e["start_s"] - prev["end_s"] < gap_s
            and not e.get("split_before")
            and prev.get("close_reason") not in _DELIBERATE_END
            and not _differ(prev.get("ctcss_hz"), e.get("ctcss_hz"))
            and not _differ(prev.get("dcs_code"), e.get("dcs_code")))


def _with_split(last, e, gap_s):
    """``e`` with ``split_before`` kept only where it is what kept ``e`` from joining the
    transmission ``last`` (an :class:`_Open`, or None)."""
    if e.get("split_before") and not (
            last is not None and last.joinable
            and _joins(last.event, {**e, "split_before": None}, gap_s)):
        return {**e, "split_before": None}
    return e


def _join(m, e):
    for k in ("end_sample", "end_s", "end_utc", "close_reason"):
        if k in e:
            m[k] = e[k]
    for k in ("ctcss_hz", "dcs_code"):
        if m.get(k) is None:
            m[k] = e.get(k)
    m["squelch_events"] += 1


def merge_events(events, gap_s=MERGE_GAP_S):
    """Join squelch events separated by less than ``gap_s``: a fade deep enough to close the
    squelch mid-over is a dropout of that transmission, not the end of one and the start of
    another (its windows count, and fail). Never across a reverse burst or a DCS turn-off (the
    transmitter said it ended), between different CTCSS tones or DCS codes (another user), or
    before an event marked ``split_before`` (another station keyed: its ANI, its carrier or
    its level, :mod:`htdsp.measure.clues`). ``squelch_events`` counts the parts."""
    out = []
    for e in sorted(events, key=lambda e: e["start_sample"]):
        if out and _joins(out[-1], e, gap_s):
            _join(out[-1], e)
        else:
            out.append({**e, "squelch_events": 1})
    return out


class _Open:
    """A transmission the judge is still building: the joined event, its window statistics
    and its run of failing windows."""

    def __init__(self, event, meter):
        self.event = {**event, "squelch_events": 1}
        self.stats = TransmissionStats(meter)
        #: a later event may still join it
        self.joinable = event.get("close_reason") not in _DELIBERATE_END
        #: the end of the squelch's open event it takes (while that runs), s
        self.open_end_s = -math.inf
        self.run = 0.0
        self.runs = []
        self.ok = 0
        self.judged = 0
        self.doubled_s = 0.0
        #: per clean window: (carrier error, Hz; level, dBFS), the station's fingerprint; a
        #: window next to a doubled one is left out (part of it is the other carrier's)
        self.clean = []
        self._after_doubled = False

    def fingerprint_window(self, w, doubled):
        if doubled:
            if self.clean and self.clean[-1][2] >= w["start_s"] - _EDGE_S:
                self.clean.pop()
            self._after_doubled = True
        elif self._after_doubled:
            self._after_doubled = False
        elif w["freq_error_hz"] is not None:
            self.clean.append((w["freq_error_hz"], w["rssi_dbfs"], w["end_s"]))

    def fingerprint(self):
        """The median carrier error (Hz) and level (dBFS) of the clean windows: a power
        weighted mean over the whole over would be pulled tens of Hz by the edge of a
        doubling by a stronger station."""
        if not self.clean:
            return None, None
        f = sorted(c[0] for c in self.clean)
        lv = sorted(c[1] for c in self.clean if c[1] is not None)
        return f[len(f) // 2], (lv[len(lv) // 2] if lv else None)

    def holds(self, w):
        e = self.event
        end = max(e["end_s"], self.open_end_s)
        return e["start_s"] - _EDGE_S <= w["start_s"] and w["end_s"] <= end + _EDGE_S


class Judge:
    """The judgement of one channel, made as its windows and events arrive, in bounded memory.

    Feed it the meter's windows (:meth:`add_windows`) and the squelch's events
    (:meth:`add_events`) in time order, and tell it how far the squelch has decided
    (:meth:`advance`: no event not yet given, other than the one still open, can start before
    ``horizon_s``). It returns the windows and transmissions that nothing later can change,
    judged, so they can go to the outputs at once; :meth:`finish` judges the rest and returns
    the summary. Nothing is kept
    per window beyond that point: the summary's percentiles keep histograms of the values
    (exact: the values are rounded to 3 decimals; :class:`htdsp.measure.BoundedHistogram`),
    every other figure is a running sum.

    The rules are those of the module docstring: events less than ``merge_gap_s`` apart are
    one transmission (:func:`merge_events`); a window counts when it lies wholly inside a
    transmission and is free of lost samples. A window is therefore final once it lies inside a
    known transmission, or before the horizon and outside every transmission that can still
    grow; a transmission once no later event can join it (the horizon is ``merge_gap_s`` past
    its end, or a deliberate end closed it) and its windows are final.

    The squelch's event still open (``open_event`` of :meth:`advance`) is judged as it runs:
    its windows so far count at once, in the transmission it will be part of, so a transmission
    of hours holds no more than one of minutes. Which transmission that is can be unknown for a
    while: an event that starts within ``merge_gap_s`` of one that carried a CTCSS tone (DCS
    code) joins it only with the same tone, and its own may not be decoded yet; the windows
    from the earlier one's end wait for that (for as long as the tone stays unknown).

    :func:`judge` is this fed everything at once.
    """

    def __init__(self, meter, criterion, requirements, daq_table, *, merge_gap_s=MERGE_GAP_S,
                 keep_transmissions=True, clues=None):
        self.meter = meter
        #: the channel's :class:`htdsp.measure.clues.StationClues` (a transmission's ANI)
        self.clues = clues
        self.criterion = criterion
        self.requirements = list(requirements)
        self.daq_table = daq_table
        self._daq = tuple([float(v) for v in col] for col in daq_table)     # (fast lookups)
        self.merge_gap_s = float(merge_gap_s)
        #: every transmission finished (with ``keep_transmissions``)
        self.transmissions = [] if keep_transmissions else None
        self._metric = criterion.field or criterion.metric
        self._pending = deque()          # windows not final yet, in time order
        self._open = []                  # transmissions not final yet, in time order
        self._last = None                # the newest transmission, final or not (joins)
        self._prov = None                # the transmission the open event went into
        self._prov_start = None          # and that event's start sample
        self._last_end_s = -math.inf     # end of the newest window given
        self._horizon_s = -math.inf
        # the summary's running state
        self._n_tx = 0
        self._counted = 0
        self._ok = 0
        self._judged = 0
        self._series = {k: BoundedHistogram() for k in ("sinad_db", "snr_db", "quality_db")}
        self._cnr = [0.0, 0]
        self._rssi = [0.0, 0]
        self._floor = None
        self._clip = [0.0, 0]
        self._dc = BoundedHistogram()
        self._missing = 0
        self._drops = [0, 0.0, 0.0]      # count, total, longest
        self._per_tx = {k: BoundedSeries() for k in ("freq_error_hz", "freq_error_ppm",
                                                     "deviation_rms_hz")}
        self._dev_peak = (None, None)
        self._codes = {"ctcss_hz": {}, "dcs_code": {}}
        self._longest = None             # (duration, fading) of the longest transmission
        self._talk_s = 0.0               # air time of the transmissions
        self._links = []                 # [best, worst] transmission SINAD (else SNR) p50

    # ---------------------------------------------------------------- input
    def add_windows(self, windows):
        """The meter's new window records (in order); each gets its ``daq`` here."""
        for w in windows:
            q = w["sinad_db"] if w["sinad_db"] is not None else w["snr_db"]
            w["daq"] = daq_from_sinad(q, self._daq)
            b = daq_bound(q, window_bound(w, "sinad"), self._daq)
            bounds = w.get("bounds")
            if bounds is None:
                bounds = w["bounds"] = {}
            bounds.pop("daq", None)
            if b is not None:
                bounds["daq"] = b
            w["counted"] = False
            w["meets_criterion"] = None
            self._pending.append(w)
            self._last_end_s = w["end_s"]

    def add_events(self, events):
        """The squelch's finished events (in order)."""
        for e in events:
            if self._prov is not None and e["start_sample"] == self._prov_start:
                tx, self._prov = self._prov, None        # the open event, ended
                tx.open_end_s = -math.inf
                if tx.event["start_sample"] == e["start_sample"]:
                    tx.event = {**e, "squelch_events": tx.event["squelch_events"]}
                else:
                    _join(tx.event, e)
                tx.joinable = e.get("close_reason") not in _DELIBERATE_END
                continue
            last = self._last
            if last is not None and last.joinable and _joins(last.event, e, self.merge_gap_s):
                _join(last.event, e)
                last.joinable = e.get("close_reason") not in _DELIBERATE_END
            else:
                e = _with_split(last, e, self.merge_gap_s)
                if last is not None:
                    last.joinable = False
                self._last = _Open(e, self.meter)
                self._open.append(self._last)

    def advance(self, horizon_s, open_event=None):
        """No event still to come starts before ``horizon_s`` (but ``open_event``, the
        squelch's event still open, as far as it has run): returns ``(windows,
        transmissions)`` that are final now (windows judged; transmission records)."""
        self._horizon_s = max(self._horizon_s, horizon_s)
        if open_event is not None:
            self._take_open(open_event)
        last = self._last
        if last is not None and last.joinable \
                and self._horizon_s - last.event["end_s"] >= self.merge_gap_s:
            last.joinable = False
        done_w = []
        while self._pending:
            w = self._pending[0]
            tx = self._inside(w)
            if tx is None:
                growing = last is not None and last.joinable \
                    and w["start_s"] >= last.event["start_s"] - _EDGE_S
                if growing or w["start_s"] >= self._horizon_s - _EDGE_S:
                    break                         # a transmission may still take it
            self._pending.popleft()
            if tx is not None and not w["gap"]:
                doubled = w.get("second_carrier_db") is not None
                tx.fingerprint_window(w, doubled)
                if not doubled:
                    self._count(w, tx)
                else:                             # two stations at once: neither's link
                    tx.doubled_s += w["end_s"] - w["start_s"]
            self._window_done(w)
            done_w.append(w)
        done_t = []
        while self._open and not self._open[0].joinable and self._open[0] is not self._prov:
            tx = self._open[0]
            end = tx.event["end_s"] + _EDGE_S
            if not (self._last_end_s > end or math.isinf(self._horizon_s)):
                break                             # its windows are still to come
            if self._pending and self._pending[0]["end_s"] <= end:
                break
            self._open.pop(0)
            done_t.append(self._tx_done(tx))
        return done_w, done_t

    def needed_from_s(self):
        """The earliest input time a later output can still need (the oldest transmission not
        final, else the horizon): what is older may be forgotten."""
        if self._open:
            return self._open[0].event["start_s"]
        if self._pending:
            return min(self._pending[0]["start_s"], self._horizon_s)
        return self._horizon_s

    def _take_open(self, oe):
        """Place the open event in its transmission, once that is known (class docstring)."""
        if self._prov is not None:
            self._prov.open_end_s = max(self._prov.open_end_s, oe["end_s"])
            return
        last = self._last
        if last is not None and last.joinable \
                and oe["start_s"] - last.event["end_s"] < self.merge_gap_s:
            if any(last.event.get(k) is not None and oe.get(k) is None
                   for k in ("ctcss_hz", "dcs_code")):
                return                            # its tone decides, and is not known yet
            if _joins(last.event, oe, self.merge_gap_s):
                self._prov, self._prov_start = last, oe["start_sample"]
                last.open_end_s = oe["end_s"]
                return
        oe = _with_split(last, oe, self.merge_gap_s)
        if last is not None:
            last.joinable = False
        tx = _Open({**oe, "close_reason": None}, self.meter)
        tx.open_end_s = oe["end_s"]
        self._open.append(tx)
        self._last = self._prov = tx
        self._prov_start = oe["start_sample"]

    # ---------------------------------------------------------------- judging
    @property
    def transmissions_done(self):
        """Transmissions judged so far."""
        return self._n_tx

    def _inside(self, w):
        for tx in self._open:
            if tx.holds(w):
                return tx
        return None

    def _count(self, w, tx):
        w["counted"] = True
        met = self.criterion.holds(window_metric(w, self._metric),
                                   window_bound(w, self._metric))
        w["meets_criterion"] = met
        tx.stats.add(w)
        if met is False:
            tx.run += w["end_s"] - w["start_s"]
        elif tx.run:
            tx.runs.append(tx.run)
            tx.run = 0.0
        if met is not None:
            tx.ok += bool(met)
            tx.judged += 1
            self._ok += bool(met)
            self._judged += 1
        self._counted += 1
        self._series["sinad_db"].append(w["sinad_db"], w["bounds"].get("sinad_db"))
        self._series["snr_db"].append(w["snr_db"], window_bound(w, "snr"))
        self._series["quality_db"].append(
            w["sinad_db"] if w["sinad_db"] is not None else w["snr_db"],
            window_bound(w, "sinad"))
        if w["cnr_db"] is not None:
            self._cnr[0] += 10 ** (w["cnr_db"] / 10)
            self._cnr[1] += 1
        if w["rssi_dbfs"] is not None:
            self._rssi[0] += 10 ** (w["rssi_dbfs"] / 10)
            self._rssi[1] += 1
        if w.get("tone_missing") is True:
            self._missing += 1

    def _window_done(self, w):
        if w["noise_floor_dbfs"] is not None:
            self._floor = (w["noise_floor_dbfs"], w["noise_floor_dbfs_hz"])
        if w["clipping_fraction"] is not None:
            self._clip[0] += w["clipping_fraction"]
            self._clip[1] += 1
        self._dc.append(w["dc_offset_dbfs"])
        if not self.meter.keep_windows:
            w.aux = None                          # its histogram is in the transmission's

    def _tx_done(self, tx):
        if tx.run:
            tx.runs.append(tx.run)
        e = tx.event
        t = TransmissionRecord({k: v for k, v in e.items() if k in TransmissionRecord.NAMES})
        t.update(tx.stats.result(e["start_s"], e["end_s"]))
        t["availability"] = finite(tx.ok / tx.judged, 4) if tx.judged else None
        t["dropouts"] = len(tx.runs)
        t["split_reason"] = e.get("split_before")
        t["doubled_s"] = round(tx.doubled_s, 3)
        unsure = []
        if self.clues is not None:
            ids = self.clues.ids_of(e["start_s"], e["end_s"])
            t["ani"] = ids[0] if ids else None
            unsure = self.clues.ids_of(e["start_s"], e["end_s"], trusted=False)
        # what a station's judgement adds up, and an ID decoded where the audio was too poor
        # to trust it (kept with the record, never written)
        fp_hz, fp_dbfs = tx.fingerprint()
        t.aux = {"ok": tx.ok, "judged": tx.judged, "series": tx.stats.series,
                 "ani_unsure": unsure, "carrier_hz": fp_hz, "level_dbfs": fp_dbfs}
        self._n_tx += 1
        self._drops[0] += len(tx.runs)
        self._drops[1] += sum(tx.runs)
        self._drops[2] = max([self._drops[2], *tx.runs])
        for k, ser in self._per_tx.items():
            ser.append(t[k])
        self._dev_peak = combine_max([self._dev_peak, (t["deviation_peak_hz"],
                                                       t["bounds"].get("deviation_peak_hz"))])
        dur = t["end_s"] - t["start_s"]
        for k, counts in self._codes.items():
            if t[k] is not None:
                n, air = counts.get(t[k], (0, 0.0))
                counts[t[k]] = (n + 1, air + dur)
        if self._longest is None or dur > self._longest[0]:
            self._longest = (dur, t["fading"])
        self._talk_s += dur
        q = t["sinad_db_p50"] if t["sinad_db_p50"] is not None else t["snr_db_p50"]
        if q is not None:
            self._links = [max(self._links[0], q), min(self._links[1], q)] if self._links \
                else [q, q]
        if self.transmissions is not None:
            self.transmissions.append(t)
        return t

    # ---------------------------------------------------------------- the end
    def finish(self, *, lost_samples=0, geolocation=None, health=None):
        """Judge what is left (the input has ended) and return ``(windows, transmissions,
        summary)``: the last final windows and transmissions, and the summary.

        ``health`` is the capture's :meth:`htdsp.measure.health.CaptureHealth.summary`: an
        unusable capture gets ``verdict: "unusable"`` and the reason in ``unusable``, whatever
        its numbers say."""
        if self._last is not None:
            self._last.joinable = False
        ws, ts = self.advance(math.inf)
        return ws, ts, self.summary(lost_samples=lost_samples, geolocation=geolocation,
                                    health=health)

    def summary(self, *, lost_samples=0, geolocation=None, health=None):
        """The summary of what has been judged (see :meth:`finish`)."""
        dt = self._daq
        s = {"transmissions": self._n_tx, "keyed_windows": self._counted,
             "availability": finite(self._ok / self._judged, 4) if self._judged else None,
             "dropouts": self._drops[0], "dropout_total_s": round(self._drops[1], 3),
             "dropout_longest_s": round(self._drops[2], 3)}
        bounds = {}
        for key in ("sinad_db", "snr_db", "quality_db"):
            for p in (10, 50, 90):
                s[f"{key}_p{p}"], b = self._series[key].percentile(p)
                if b is not None:
                    bounds[f"{key}_p{p}"] = b
        for key, src in (("daq", "quality_db_p50"), ("daq_p10", "quality_db_p10")):
            s[key] = daq_from_sinad(s[src], dt)
            b = daq_bound(s[src], bounds.get(src), dt)
            if b is not None:
                bounds[key] = b
        # a given test tone that is not there: those windows were judged on the tone-free SNR
        s["tone_missing_windows"] = None
        s["warnings"] = []
        tone = self.meter.tone_hz
        if tone not in (None, "auto"):
            s["tone_missing_windows"] = self._missing
            if self._missing:
                s["warnings"].append(f"tone {tone:g} Hz not found in {self._missing} of "
                                     f"{self._counted} keyed windows; judged on the tone-free "
                                     "SNR")
        lin, n = self._cnr
        s["cnr_db"] = finite(10 * math.log10(lin / n), 3) if n and lin > 0 else None
        lin, n = self._rssi
        s["rssi_dbfs"] = finite(10 * math.log10(lin / n), 3) if n and lin > 0 else None
        cal = self.meter.cal_db
        s["rssi_dbm"] = (finite(s["rssi_dbfs"] + cal, 3)
                         if s["rssi_dbfs"] is not None and cal is not None else None)
        s["noise_floor_dbfs"], s["noise_floor_dbfs_hz"] = self._floor or (None, None)
        for key, ser in self._per_tx.items():
            s[key] = ser.percentile(50)[0]
        s["deviation_peak_hz"], b = self._dev_peak
        if b is not None:
            bounds["deviation_peak_hz"] = b
        for key, counts in self._codes.items():
            # the commonest; between as common, the longest on the air, then the first heard
            s[key] = max(counts, key=counts.get) if counts else None
        fad = self._longest[1] if self._longest else {}
        s["k_factor_db"] = fad.get("k_factor_db")
        s["fade_depth_db"] = fad.get("fade_depth_db")
        s["doppler_hz"] = fad.get("doppler_hz")
        total, n = self._clip
        s["clipping_fraction"] = finite(total / n, 7) if n else None
        s["dc_offset_dbfs"] = self._dc.percentile(50)[0]
        s["lost_samples"] = int(lost_samples)
        # the band's view of the channel: its air time and its best and worst transmission
        s["talk_time_s"] = round(self._talk_s, 3)
        s["best_link_db"], s["worst_link_db"] = self._links or (None, None)
        s["location"] = geolocation
        s["bounds"] = bounds
        results = []
        for r in self.requirements:
            key = r.field or r.metric
            v = s.get(key)
            res = {"requirement": str(r), "value": v, "met": r.holds(v, bounds.get(key))}
            if bounds.get(key) is not None:
                res["bound"] = bounds[key]
            results.append(res)
        s["requirements"] = results
        s["verdict"] = "pass" if all(x["met"] is True for x in results) else "fail"
        s["unusable"] = None
        if health is not None:
            s["input_health"] = {k: v for k, v in health.items() if k != "unusable"}
            if health.get("unusable"):
                # a dead input is never a pass, and what was "measured" on it means nothing (a
                # constant reads as a perfect carrier): nulls, as for anything unmeasurable
                s["unusable"] = health["unusable"]
                s["verdict"] = "unusable"
                for k in UNUSABLE_NULLS:
                    s[k] = None
                for r in results:
                    r["value"], r["met"] = None, False
        return s


def judge(meter, events, criterion, requirements, daq_table, lost_samples=0,
          geolocation=None, merge_gap_s=MERGE_GAP_S, health=None):
    """Per-window verdicts (on ``meter.windows``), transmissions with their measurements, and
    the summary: ``(transmissions, summary)``; a :class:`Judge` given everything at once."""
    j = Judge(meter, criterion, requirements, daq_table, merge_gap_s=merge_gap_s)
    j.add_windows(meter.windows)
    j.add_events(sorted(events, key=lambda e: e["start_sample"]))
    _, _, s = j.finish(lost_samples=lost_samples, geolocation=geolocation, health=health)
    return j.transmissions, s


#: summary fields a dead input cannot have measured
UNUSABLE_NULLS = (
    "availability", "sinad_db_p10", "sinad_db_p50", "sinad_db_p90", "snr_db_p10",
    "snr_db_p50", "snr_db_p90", "quality_db_p10", "quality_db_p50", "quality_db_p90", "daq",
    "daq_p10", "cnr_db", "freq_error_hz", "freq_error_ppm", "deviation_peak_hz",
    "deviation_rms_hz", "k_factor_db", "fade_depth_db", "doppler_hz", "best_link_db",
    "worst_link_db",
)


#: how ``--channels`` chose a channel (a channel of a band, not one asked for by name)
BAND_CHOICES = ("all", "auto", "range")


def location_verdicts(captures):
    """One verdict per location (a capture path) from its channels' entries: a location passes
    when all its channels pass, and is unusable when any is. A band's channel where no
    carrier was seen (``--channels``: ``activity`` idle) is not a link: it is reported, not
    judged (a band of 152 channels would otherwise always fail), unless no channel of the band
    was used; one whose carrier was seen is judged, transmissions or not."""
    by_path = {}
    for c in captures:
        s = c["summary"]
        unused = c["channel"].get("activity") == "idle" and s["verdict"] != "unusable"
        by_path.setdefault(c["source"]["path"], []).append((s["verdict"], unused))
    by_path = {p: [v for v, unused in vs if not unused] or [v for v, _ in vs]
               for p, vs in by_path.items()}
    return [("unusable" if "unusable" in vs else
             "pass" if all(v == "pass" for v in vs) else "fail") for vs in by_path.values()]
