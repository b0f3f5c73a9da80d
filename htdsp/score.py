"""Link reliability scoring: captures in, a verdict with numbers out (``htdsp score``).

One pass over each recording feeds every channel's :class:`htdsp.NFMReceiver` (with a squelch
that marks the transmissions) and :class:`htdsp.measure.Meter`. Then, per capture and channel:

- every window is judged by the **criterion** (default ``sinad>=20``, DAQ 3.4; the tone-free
  SNR stands in for SINAD when there is no test tone). Only windows wholly inside a
  transmission (between its start and end, so not the squelch's hang after it) and free of
  lost samples count; **availability** is the fraction of them meeting it;
- **transmissions**: the squelch's events, joined when less than 2 s apart (a fade that
  closes the squelch mid-over is a dropout, and its windows count as failing);
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

import json
import math
from dataclasses import dataclass

import numpy as np

from htdsp.dsp.convert import convert
from htdsp.measure import (
    Meter,
    combine_max,
    finite,
    percentile_bound,
    transmission_summary,
    windows_within,
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

SCHEMA_ID = "htdsp.score/2"

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
    """DAQ at a SINAD (linear between table points, clamped at the ends); None for None."""
    if sinad_db is None:
        return None
    s, q = table
    return round(float(np.interp(sinad_db, s, q)), 2)


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


def _pct(vals, q):
    v = [x for x in vals if x is not None]
    return finite(float(np.percentile(v, q)), 3) if v else None


#: squelch events closer than this are one transmission broken by fades (a dropout), s
MERGE_GAP_S = 2.0


def _differ(a, b):
    return a is not None and b is not None and a != b


def merge_events(events, gap_s=MERGE_GAP_S):
    """Join squelch events separated by less than ``gap_s``: a fade deep enough to close the
    squelch mid-over is a dropout of that transmission, not the end of one and the start of
    another (its windows count, and fail). Never across a reverse burst or a DCS turn-off (the
    transmitter said it ended) or between different CTCSS tones or DCS codes (another user).
    ``squelch_events`` counts the parts."""
    out = []
    for e in sorted(events, key=lambda e: e["start_sample"]):
        prev = out[-1] if out else None
        # not across a deliberate end (reverse burst, DCS turn-off) or another user's code
        if prev is not None and e["start_s"] - prev["end_s"] < gap_s \
                and prev.get("close_reason") not in ("reverse_burst", "dcs_turn_off") \
                and not _differ(prev.get("ctcss_hz"), e.get("ctcss_hz")) \
                and not _differ(prev.get("dcs_code"), e.get("dcs_code")):
            m = out[-1]
            for k in ("end_sample", "end_s", "end_utc", "close_reason"):
                if k in e:
                    m[k] = e[k]
            for k in ("ctcss_hz", "dcs_code"):
                if m.get(k) is None:
                    m[k] = e.get(k)
            m["squelch_events"] += 1
        else:
            out.append({**e, "squelch_events": 1})
    return out


def judge(meter, events, criterion, requirements, daq_table, lost_samples=0,
          geolocation=None, merge_gap_s=MERGE_GAP_S, health=None):
    """Per-window verdicts, transmissions with their measurements, and the summary.

    ``health`` is the capture's :meth:`htdsp.measure.health.CaptureHealth.summary`: an unusable
    capture gets ``verdict: "unusable"`` and the reason in ``unusable``, whatever its numbers
    say."""
    events = merge_events(events, merge_gap_s)
    for w in meter.windows:
        q = w["sinad_db"] if w["sinad_db"] is not None else w["snr_db"]
        w["daq"] = daq_from_sinad(q, daq_table)
        b = daq_bound(q, window_bound(w, "sinad"), daq_table)
        w.setdefault("bounds", {}).pop("daq", None)
        if b is not None:
            w["bounds"]["daq"] = b
        w["counted"] = False
        w["meets_criterion"] = None
    for e in events:
        # wholly inside a transmission (not in the squelch's hang after it) and complete
        for w in windows_within(meter, e["start_s"], e["end_s"]):
            if not w["gap"]:
                w["counted"] = True
                metric = criterion.field or criterion.metric
                w["meets_criterion"] = criterion.holds(window_metric(w, metric),
                                                       window_bound(w, metric))
    transmissions = []
    drop_runs = []
    for e in events:
        t = dict(e)
        t.update(transmission_summary(meter, e["start_s"], e["end_s"]))
        inside = [w for w in windows_within(meter, e["start_s"], e["end_s"]) if w["counted"]]
        run = 0.0
        runs = []
        for w in inside:
            if w["meets_criterion"] is False:
                run += w["end_s"] - w["start_s"]
            elif run:
                runs.append(run)
                run = 0.0
        if run:
            runs.append(run)
        ok = [w["meets_criterion"] for w in inside if w["meets_criterion"] is not None]
        t["availability"] = finite(sum(ok) / len(ok), 4) if ok else None
        t["dropouts"] = len(runs)
        drop_runs += runs
        transmissions.append(t)
    counted = [w for w in meter.windows if w["counted"]]
    ok = [w["meets_criterion"] for w in counted if w["meets_criterion"] is not None]
    quality = [w["sinad_db"] if w["sinad_db"] is not None else w["snr_db"] for w in counted]
    s = {"transmissions": len(events), "keyed_windows": len(counted),
         "availability": finite(sum(ok) / len(ok), 4) if ok else None,
         "dropouts": len(drop_runs), "dropout_total_s": round(sum(drop_runs), 3),
         "dropout_longest_s": round(max(drop_runs), 3) if drop_runs else 0.0}
    bounds = {}
    for key, vals, bs in (
            ("sinad_db", [w["sinad_db"] for w in counted],
             [w["bounds"].get("sinad_db") for w in counted]),
            ("snr_db", [w["snr_db"] for w in counted], [window_bound(w, "snr") for w in counted]),
            ("quality_db", quality, [window_bound(w, "sinad") for w in counted])):
        for p in (10, 50, 90):
            s[f"{key}_p{p}"], b = percentile_bound(vals, bs, p)
            if b is not None:
                bounds[f"{key}_p{p}"] = b
    for key, src in (("daq", "quality_db_p50"), ("daq_p10", "quality_db_p10")):
        s[key] = daq_from_sinad(s[src], daq_table)
        b = daq_bound(s[src], bounds.get(src), daq_table)
        if b is not None:
            bounds[key] = b
    # a given test tone that is not there: those windows were judged on the tone-free SNR
    s["tone_missing_windows"] = None
    s["warnings"] = []
    if meter.tone_hz not in (None, "auto"):
        miss = sum(w.get("tone_missing") is True for w in counted)
        s["tone_missing_windows"] = miss
        if miss:
            s["warnings"].append(f"tone {meter.tone_hz:g} Hz not found in {miss} of "
                                 f"{len(counted)} keyed windows; judged on the tone-free SNR")
    lin = [10 ** (w["cnr_db"] / 10) for w in counted if w["cnr_db"] is not None]
    s["cnr_db"] = finite(10 * math.log10(np.mean(lin)), 3) if lin else None
    lin = [10 ** (w["rssi_dbfs"] / 10) for w in counted if w["rssi_dbfs"] is not None]
    s["rssi_dbfs"] = finite(10 * math.log10(np.mean(lin)), 3) if lin else None
    s["rssi_dbm"] = (finite(s["rssi_dbfs"] + meter.cal_db, 3)
                     if s["rssi_dbfs"] is not None and meter.cal_db is not None else None)
    floors = [w for w in meter.windows if w["noise_floor_dbfs"] is not None]
    s["noise_floor_dbfs"] = floors[-1]["noise_floor_dbfs"] if floors else None
    s["noise_floor_dbfs_hz"] = floors[-1]["noise_floor_dbfs_hz"] if floors else None
    for key in ("freq_error_hz", "freq_error_ppm", "deviation_rms_hz"):
        s[key] = _pct([t[key] for t in transmissions], 50)
    s["deviation_peak_hz"], b = combine_max([(t["deviation_peak_hz"],
                                               t["bounds"].get("deviation_peak_hz"))
                                              for t in transmissions])
    if b is not None:
        bounds["deviation_peak_hz"] = b
    tones = [t["ctcss_hz"] for t in transmissions if t.get("ctcss_hz") is not None]
    s["ctcss_hz"] = max(set(tones), key=tones.count) if tones else None
    codes = [t["dcs_code"] for t in transmissions if t.get("dcs_code") is not None]
    s["dcs_code"] = max(set(codes), key=codes.count) if codes else None
    longest = max(transmissions, key=lambda t: t["end_s"] - t["start_s"], default=None)
    fad = longest["fading"] if longest else {}
    s["k_factor_db"] = fad.get("k_factor_db")
    s["fade_depth_db"] = fad.get("fade_depth_db")
    s["doppler_hz"] = fad.get("doppler_hz")
    clips = [w["clipping_fraction"] for w in meter.windows if w["clipping_fraction"] is not None]
    s["clipping_fraction"] = finite(float(np.mean(clips)), 7) if clips else None
    dcs = [w["dc_offset_dbfs"] for w in meter.windows if w["dc_offset_dbfs"] is not None]
    s["dc_offset_dbfs"] = _pct(dcs, 50)
    s["lost_samples"] = int(lost_samples)
    s["location"] = geolocation
    s["bounds"] = bounds
    results = []
    for r in requirements:
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
    return transmissions, s


#: summary fields a dead input cannot have measured
UNUSABLE_NULLS = (
    "availability", "sinad_db_p10", "sinad_db_p50", "sinad_db_p90", "snr_db_p10",
    "snr_db_p50", "snr_db_p90", "quality_db_p10", "quality_db_p50", "quality_db_p90", "daq",
    "daq_p10", "cnr_db", "freq_error_hz", "freq_error_ppm", "deviation_peak_hz",
    "deviation_rms_hz", "k_factor_db", "fade_depth_db", "doppler_hz",
)


# ------------------------------------------------------------------ channels
def strongest_channel(rec, bandwidth_hz, slices=48, nfft=4096):
    """Offset (Hz) of the strongest NFM carrier: the ``bandwidth_hz`` stretch of the averaged
    spectrum (``slices`` spread over the recording) holding the most power, away from the
    centre spike; rounded to the 6.25 kHz channel grid when the centre frequency is known.
    Returns ``(offset_hz, spectrum_freqs, spectrum_db)``."""
    fs = rec.sample_rate_hz
    n = rec.samples
    nfft = int(min(nfft, max(256, 2 ** int(math.log2(max(n, 256))))))
    if n < nfft:
        raise ValueError("too short to find a channel (give --channel or --offset)")
    acc = np.zeros(nfft)
    win = np.hanning(nfft)
    starts = np.linspace(0, n - nfft, min(slices, max(1, n // nfft))).astype(int)
    for s0 in starts:
        for _, x in rec.chunks(chunk_samples=nfft, start=int(s0), count=nfft, raw=False):
            acc += np.abs(np.fft.fft(x * win)) ** 2
    p = np.fft.fftshift(acc / len(starts))
    f = np.fft.fftshift(np.fft.fftfreq(nfft, 1 / fs))
    # the channel's width in bins, at most the whole spectrum (the cost stays one FFT's)
    k = min(nfft, max(1, int(round(bandwidth_hz / (fs / nfft)))))
    band = np.convolve(p, np.ones(k), "same")
    usable = (np.abs(f) > bandwidth_hz / 2) & (np.abs(f) < fs / 2 - bandwidth_hz / 2)
    if not usable.any():
        raise ValueError("no room for a channel away from the centre (give --offset)")
    j = int(np.argmax(np.where(usable, band, -np.inf)))
    lo, hi = max(0, j - k // 2), min(nfft, j + k // 2 + 1)
    total = float(np.sum(p[lo:hi]))
    if not (total > 0 and math.isfinite(total)):
        raise ValueError("no signal to find a channel in (the samples carry no power): give "
                         "--channel or --offset")
    off = float(np.sum(f[lo:hi] * p[lo:hi]) / total)
    if rec.center_freq_hz:
        grid = 6250.0
        off = round((rec.center_freq_hz + off) / grid) * grid - rec.center_freq_hz
    return off, f, 10 * np.log10(np.maximum(p, 1e-30))


class Waterfall:
    """A coarse waterfall of the whole band for the report: one averaged FFT row every
    ``row_s`` (a few FFTs of the chunk, so it costs a fraction of a percent).

    Memory is bounded whatever the run's length: rows are float32, and once
    ``2 * max_rows`` are held, neighbours are averaged in pairs (each row then covers twice
    the time), so a day of live scoring holds the same few MB as a minute.
    """

    def __init__(self, fs, nfft=1024, row_s=0.1, max_rows=800):
        self.fs = float(fs)
        self.nfft = nfft
        self.row = max(nfft, int(row_s * fs))
        self.max_rows = int(max_rows)
        self.rows = []
        #: FFT rows averaged into each kept row
        self.merge = 1
        self._acc = None
        self._acc_n = 0
        self._n = 0
        self._next = 0
        self._win = np.hanning(nfft).astype(np.float32)

    def _add(self, p):
        self._acc = p if self._acc is None else self._acc + p
        self._acc_n += 1
        if self._acc_n < self.merge:
            return
        self.rows.append((self._acc / self._acc_n).astype(np.float32))
        self._acc, self._acc_n = None, 0
        if len(self.rows) >= 2 * self.max_rows:
            self.rows = [(a + b) / 2 for a, b in zip(self.rows[0::2], self.rows[1::2],
                                                      strict=False)]
            self.merge *= 2

    def process(self, x, fmt=None):
        """Add a chunk: complex samples, or raw interleaved elements of format ``fmt`` (only
        the few samples a row needs are converted). A row that would straddle two chunks is
        skipped (the next one starts in the next chunk)."""
        raw = not np.iscomplexobj(x)
        n = len(x) // 2 if raw else len(x)
        while self._next < self._n + n:
            i = self._next - self._n
            if i + self.nfft > n:
                self._next = self._n + n
                break
            seg = convert(x[2 * i:2 * (i + self.nfft)], fmt) if raw else x[i:i + self.nfft]
            self._add(np.abs(np.fft.fft(seg * self._win)).astype(np.float32) ** 2)
            self._next += self.row
        self._n += n

    def image(self, max_rows=400):
        """``(freqs, times, dB rows)`` (rows merged to at most ``max_rows``)."""
        if not self.rows:
            return None
        r = np.array(self.rows, dtype=np.float64)
        step = max(1, int(math.ceil(len(r) / max_rows)))
        m = len(r) // step * step or len(r)
        r = r[:m].reshape(-1, step, r.shape[1]).mean(axis=1) if m >= step else r
        f = np.fft.fftshift(np.fft.fftfreq(self.nfft, 1 / self.fs))
        t = np.arange(len(r)) * step * self.merge * self.row / self.fs
        return f, t, 10 * np.log10(np.maximum(np.fft.fftshift(r, axes=1), 1e-30))


@dataclass
class ChannelRun:
    """One channel of one capture while scoring: the receiver, its meter, its events."""

    freq_hz: float | None
    offset_hz: float
    chosen: str
    rx: object
    meter: Meter
    events: list


class Scorer:
    """The streaming part of a score: every channel's receiver and meter fed from one stream of
    chunks (a recording's, or a live source's), plus the waterfall.

    ``feed(chunk, lost=0)`` takes raw elements (``fmt``) or complex samples; ``lost`` samples
    before the chunk (an overrun, a reconnection) are filled with one-LSB dither so time keeps
    its count, and the meters flag the windows they touch (excluded from the verdict).
    """

    def __init__(self, fs, fmt, channels, *, center_freq_hz=None, bandwidth_hz=12500.0,
                 deviation_hz=None, tone_hz="auto", squelch=None, window_s=0.1, cal_db=None,
                 waterfall=True):
        from htdsp.rx.receiver import NFMReceiver

        self.fs = float(fs)
        self.fmt = fmt
        self.runs = []
        for off, chosen in channels:
            rx = NFMReceiver(fs, off, bandwidth_hz=bandwidth_hz, deviation_hz=deviation_hz,
                             input_format=fmt or "cf32",
                             squelch=squelch or default_squelch(fs, off, bandwidth_hz))
            freq = center_freq_hz + off if center_freq_hz else None
            m = Meter(rx, window_s=window_s, tone_hz=tone_hz, cal_db=cal_db, channel_hz=freq)
            self.runs.append(ChannelRun(freq, off, chosen, rx, m, []))
        self.waterfall = Waterfall(fs) if waterfall else None
        from htdsp.measure.health import CaptureHealth

        self.health = CaptureHealth(fmt)
        self.raw_fmt = fmt if fmt in ("cu8", "cs8", "cs16") else None      # integer codes
        self.samples = 0
        self.lost = 0
        self._rng = np.random.default_rng(0)

    def feed(self, chunk, lost=0):
        """Process one chunk; returns the gated audio of the first channel."""
        if lost:
            self._fill(int(lost))
        audio = None
        for r in self.runs:
            a = r.meter.rx_process(chunk)
            audio = a if audio is None else audio
            r.events += r.rx.pop_events()
        if self.waterfall is not None:
            self.waterfall.process(chunk, self.fmt or "cf32")
        self.health.process(chunk)
        self.samples += len(chunk) // 2 if not np.iscomplexobj(chunk) else len(chunk)
        return audio

    def _fill(self, n):
        for r in self.runs:
            ratio = r.meter.fs_c / self.fs
            r.meter.note_gap(int(self.samples * ratio), int(np.ceil(n * ratio)) + 1)
        self.lost += n
        done = 0
        while done < n:
            k = min(n - done, 1 << 16)
            if self.raw_fmt == "cu8":
                x = self._rng.integers(127, 129, 2 * k, dtype=np.uint8)
            elif self.raw_fmt is not None:
                x = self._rng.integers(-1, 1, 2 * k, endpoint=True).astype(
                    np.int8 if self.raw_fmt == "cs8" else np.int16)
            else:
                x = ((self._rng.standard_normal(k) + 1j * self._rng.standard_normal(k))
                     * 3e-3).astype(np.complex64)
            for r in self.runs:
                r.meter.rx_process(x)
                r.events += r.rx.pop_events()
            self.samples += k
            done += k

    def finish(self):
        for r in self.runs:
            r.rx.flush()
            r.events += r.rx.finish()
        return self.runs


def scan_recording(rec, channels, *, bandwidth_hz=12500.0, deviation_hz=None, tone_hz="auto",
                   squelch=None, window_s=0.1, cal_db=None, progress=None, waterfall=True):
    """Feed one recording through a :class:`Scorer` for every channel in one pass; returns the
    Scorer (call :meth:`Scorer.finish` for the runs; ``health`` and ``waterfall`` hold the
    rest). ``channels`` lists ``(offset_hz, chosen)``."""
    sc = Scorer(rec.sample_rate_hz, rec.format, channels, center_freq_hz=rec.center_freq_hz,
                bandwidth_hz=bandwidth_hz, deviation_hz=deviation_hz, tone_hz=tone_hz,
                squelch=squelch, window_s=window_s, cal_db=cal_db, waterfall=waterfall)
    for first, chunk in rec.chunks():
        sc.feed(chunk)
        if progress is not None:
            progress(first + len(chunk) // (2 if not np.iscomplexobj(chunk) else 1))
    return sc


def score_recording(rec, channels, **kw):
    """:func:`scan_recording`, finished: ``(runs, waterfall)``."""
    sc = scan_recording(rec, channels, **kw)
    return sc.finish(), sc.waterfall


def _bursts(p, rate_hz, threshold):
    """``(count, longest_s)`` of runs of ``p > threshold`` at least 2 ms long."""
    above = np.concatenate([[False], p > threshold, [False]])
    edges = np.flatnonzero(above[1:] != above[:-1])
    runs = (edges[1::2] - edges[::2]) / rate_hz
    runs = runs[runs >= 0.002]
    return int(runs.size), float(runs.max()) if runs.size else 0.0


def no_transmission_reason(meter, squelch_kinds, duration_s):
    """Why a channel run found no transmission, with a way out: one line for the user.

    Looks at what the meter saw: the capture's length against what the squelch and one window
    need, and the channel's 1 ms power against its own floor (the 20th percentile: a burst
    cannot raise it) for carrier bursts, their number and length; then names what most likely
    kept the squelch shut.
    """
    from htdsp.rx.squelch import WARMUP_S

    win = meter.window_s
    need = WARMUP_S + win
    if duration_s < need:
        return (f"the capture lasts {duration_s * 1e3:.1f} ms, too short to score: the squelch "
                f"settles for {WARMUP_S * 1e3:.0f} ms and a measurement window is "
                f"{win * 1e3:.0f} ms; record at least a few seconds")
    r, rate = meter.envelope()
    p = r * r
    floor = float(np.percentile(p, 20)) if p.size else 0.0
    peak = float(p.max()) if p.size else 0.0
    if not peak > 0:
        return "the channel holds no power at all: check the recording and the channel"
    rise_db = 10 * math.log10(peak / floor) if floor > 0 else math.inf
    if rise_db < 6.0:
        return ("no carrier rose above the noise in this channel: check the frequency "
                "(--channel / --offset) or whether anyone transmitted")
    n, longest = _bursts(p, rate, floor * 10 ** 0.6)
    what = (f"{'a carrier burst' if n == 1 else f'{n} carrier bursts'} up to "
            f"{longest * 1e3:.0f} ms long and {min(rise_db, 99.0):.0f} dB above the floor "
            f"{'was' if n == 1 else 'were'} seen, but ")
    if "noise" in squelch_kinds:
        why = ("the noise squelch never opened: the signal may not be voice FM (data or a wide "
               "signal keeps its 8-16 kHz band busy); try --squelch power")
    elif "power" in squelch_kinds:
        why = ("the power squelch never opened: it learns the floor from a noise-only start, "
               "so a capture that starts with the carrier on is missed; try "
               "--squelch power:-40dbfs (an absolute level)")
    else:
        why = "the squelch never opened"
    out = what + why
    if longest < win:
        out += (f"; bursts shorter than one {win * 1e3:.0f} ms window cannot be judged even "
                "when found (--window 10ms is the shortest)")
    return out


def default_squelch(fs, offset_hz, bandwidth_hz):
    """The noise squelch and both sub-audible decoders where the channel rate allows the noise
    squelch (its no-signal level is known, so a recording that starts mid-transmission is
    scored from its first frame; a power squelch has to learn its floor from a noise-only
    stretch first); otherwise the power squelch (plus the decoders)."""
    from htdsp.dsp.design import plan_chain
    from htdsp.rx.squelch import carrier_term

    ch_fs = plan_chain(fs, bandwidth_hz, 48000.0).channel_fs
    return carrier_term(ch_fs).kind + ",ctcss,dcs"
