"""The HTML report of a score: one self-contained file. The plots are PNG images inlined as
data URIs (matplotlib, drawn off-screen), the page is rendered by Jinja2 with autoescaping on,
so anything that comes from a recording's metadata (a SigMF description, a file name) is
text, never markup. There is no script in the page.

Bounded whatever the run's length: the level and quality series are decimated as they come
(at most :data:`MAX_POINTS` points a channel, neighbours merged in pairs: the time and level
averaged, the worse quality kept, so a dropout stays visible); the SINAD distribution is a
histogram of 0.05 dB bins; the fading envelope is the longest transmission's, averaged down to
:data:`MAX_ENVELOPE` points; each capture's plots are drawn when it ends.
"""

import base64
import io
import math

import numpy as np

from htdsp.pipeline import BAND_CHOICES, Sink

#: a level axis spans at least this: a flat carrier whose RSSI moves by 0.06 dB must look flat,
#: not like a deep fade (matplotlib scales to the data)
LEVEL_MIN_SPAN_DB = 20.0
#: points a channel's level / quality series keeps (merged in pairs beyond twice this)
MAX_POINTS = 2000
#: points of the fading envelope plot
MAX_ENVELOPE = 20000
#: the SINAD distribution's histogram: range and bin, dB
CDF_RANGE_DB = (-60.0, 120.0)
CDF_BIN_DB = 0.05


def on_quality_axis(criterion):
    """Whether the criterion is a SINAD / SNR threshold (drawn on that axis)."""
    return (getattr(criterion, "field", None) or criterion.metric) in (
        "quality_db", "sinad_db", "snr_db", "sinad", "snr")


def _min_span(ax, values, span):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < span:
        mid = (lo + hi) / 2
        ax.set_ylim(mid - span / 2, mid + span / 2)


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class Series:
    """A channel's level and quality over time, decimated as it grows (module docstring):
    ``t`` (s), ``rssi`` (dBFS), ``q`` (SINAD, else SNR, dB) and ``qb`` (its bound: 0 none, 1
    lower, 2 upper); and the histogram of the counted windows' quality."""

    _BOUND = {None: 0, "lower": 1, "upper": 2}

    def __init__(self, max_points=MAX_POINTS):
        self.max_points = int(max_points)
        self.rows = np.empty((0, 4))
        self._new = []
        n = int(round((CDF_RANGE_DB[1] - CDF_RANGE_DB[0]) / CDF_BIN_DB))
        self.hist = np.zeros(n + 2, dtype=np.int64)      # under, bins, over

    def add(self, w):
        sinad = w["sinad_db"]
        q = sinad if sinad is not None else w["snr_db"]
        b = (w.get("bounds") or {}).get("sinad_db" if sinad is not None else "snr_db")
        self._new.append(((w["start_s"] + w["end_s"]) / 2,
                          math.nan if w["rssi_dbfs"] is None else w["rssi_dbfs"],
                          math.nan if q is None else q, self._BOUND[b]))
        if w["counted"] and q is not None:
            i = int(math.floor((q - CDF_RANGE_DB[0]) / CDF_BIN_DB)) + 1
            self.hist[min(max(i, 0), self.hist.size - 1)] += 1
        if len(self._new) >= 256:
            self._merge()

    def _merge(self):
        if self._new:
            self.rows = np.concatenate([self.rows, np.array(self._new)])
            self._new = []
        while len(self.rows) >= 2 * self.max_points:
            a, b = self.rows[0:-1:2], self.rows[1::2]
            k = len(b)
            out = np.empty((k, 4))
            out[:, 0] = (a[:k, 0] + b[:, 0]) / 2
            pair = np.stack([a[:k, 1], b[:, 1]])
            n = np.sum(~np.isnan(pair), axis=0)
            out[:, 1] = np.where(n > 0, np.nansum(pair, axis=0) / np.maximum(n, 1), np.nan)
            worse = np.where(np.isnan(a[:k, 2]), True, np.where(np.isnan(b[:, 2]), False,
                                                                 b[:, 2] < a[:k, 2]))
            out[:, 2:] = np.where(worse[:, None], b[:, 2:], a[:k, 2:])
            tail = self.rows[2 * k:]
            self.rows = np.concatenate([out, tail])

    def arrays(self):
        self._merge()
        return self.rows.T

    def cdf(self):
        """``(quality_db, fraction below)`` of the counted windows, or None."""
        n = self.hist.sum()
        if not n:
            return None
        edges = CDF_RANGE_DB[0] + CDF_BIN_DB * np.arange(self.hist.size - 1)
        c = np.cumsum(self.hist[1:]) / n
        keep = np.concatenate([[True], np.diff(c) > 0])
        return edges[keep] + CDF_BIN_DB, c[keep]


#: what the page shows of a transmission
_TX_FIELDS = ("start_s", "end_s", "availability", "sinad_db_p50", "snr_db_p50", "cnr_db",
              "freq_error_hz", "deviation_peak_hz", "ctcss_hz", "dcs_code", "close_reason",
              "bounds", "station", "station_confidence", "station_by", "doubled_s")


def plot_envelope(meter, t):
    """The fading envelope the page draws of transmission ``t``: the meter's, averaged down
    to at most :data:`MAX_ENVELOPE` points (mean power over each step); ``(r, rate)``. (An
    archive's worker ships it so: averaged again, it is the same.)"""
    r, rate = meter.envelope(t["start_s"], t["end_s"])
    step = max(1, math.ceil(r.size / MAX_ENVELOPE))
    if step > 1:
        m = r.size // step * step
        r = np.sqrt(np.mean(r[:m].reshape(-1, step) ** 2, axis=1))
        rate = rate / step
    return r, rate


def longer(longest, t):
    """Whether ``t`` is longer than the longest transmission so far (``longest``: its
    duration first, or None): the one whose envelope the page draws."""
    return longest is None or t["end_s"] - t["start_s"] > longest[0]


class _Channel:
    def __init__(self):
        self.series = Series()
        self.events = []
        self.longest = None          # (duration, start_s, envelope r, rate)


class HtmlSink(Sink):
    """The HTML report to the text file ``out``."""

    def __init__(self, out):
        self.out = out
        self._ch = {}
        self.sections = []
        #: per --channels capture: its path, the occupancy picture and the band's rows
        self.bands = []

    def add_run(self, session, run):
        self._ch[id(run)] = _Channel()

    def window(self, run, w):
        self._ch[id(run)].series.add(w)

    def transmission(self, run, t):
        c = self._ch[id(run)]
        # a tuple, 200 bytes, not a dict of 1 kB (an empty bounds as None)
        c.events.append(tuple(None if k == "bounds" and not t[k] else t[k] for k in _TX_FIELDS))
        dur = t["end_s"] - t["start_s"]
        if longer(c.longest, t):
            r, rate = plot_envelope(run.meter, t)
            # a transmission longer than the envelope kept starts later
            start = t["end_s"] - r.size / rate if r.size else t["start_s"]
            c.longest = (dur, max(start, t["start_s"]), r, rate)

    def capture(self, session, entries):
        crit = session.settings.criterion
        band = []
        for run, entry in zip(session.runs, entries, strict=True):
            c = self._ch.pop(id(run))
            e = {**entry, "events": [{k: (v if v is not None or k != "bounds" else {})
                                      for k, v in zip(_TX_FIELDS, t, strict=True)}
                                     for t in c.events]}
            for t in e["events"]:
                t["station"] = session.station_of(t["station"])
            in_band = entry["channel"]["chosen"] in BAND_CHOICES
            # (a band's unused channel gets its table, not four pictures of noise: a band of
            # 152 channels would draw 600 of them)
            plots = [] if in_band and not c.events else _plots(e, c, session.waterfall, crit)
            timeline = None
            if e["events"] and session.settings.stations:
                ch = e["channel"]["freq_hz"] or e["channel"]["offset_hz"]
                timeline = _timeline(e, session.stations.doublings_of(session.key, ch))
            self.sections.append({"entry": e, "plots": plots, "timeline": timeline})
            if in_band:
                band.append(e)
        if band:
            power = getattr(session.front, "power", None)
            self.bands.append({"path": session.info.path, "rows": band,
                               "png": _occupancy(band, session.duration_s),
                               "power_png": (_band_power(session, power)
                                             if power is not None else None)})

    def discard(self, session):
        for run in session.runs:
            self._ch.pop(id(run), None)

    def close(self, scoring, doc):
        import jinja2

        env = jinja2.Environment(loader=jinja2.PackageLoader("htdsp", "templates"),
                                 autoescape=True, undefined=jinja2.StrictUndefined)
        located = any(s["entry"]["summary"].get("location") for s in self.sections)
        html = env.get_template("report.html").render(doc=doc, sections=self.sections,
                                                      bands=self.bands, fmt=fmt, fb=fmt_field,
                                                      located=located)
        self.out.write(html)
        self.out.flush()


def _timeline(entry, doublings):
    """Who talked when on one channel: a row per station, its transmissions along the time
    axis coloured by their SINAD (else SNR) median (a fingerprint guess hatched), the
    doublings marked across every row in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events = entry["events"]
    names = []
    for t in events:
        k = t["station"] or "(unknown)"
        if k not in names:
            names.append(k)
    fig, ax = plt.subplots(figsize=(9, max(2.0, 0.3 * len(names) + 1.2)))
    cmap = plt.get_cmap("viridis")
    for t in events:
        i = names.index(t["station"] or "(unknown)")
        q = t["sinad_db_p50"] if t["sinad_db_p50"] is not None else t["snr_db_p50"]
        guess = t["station_by"] == "fingerprint" and (t["station_confidence"] or 0) < 0.9
        ax.barh(i, t["end_s"] - t["start_s"], left=t["start_s"], height=0.8,
                color=cmap(min(max((q if q is not None else 0.0) / 40.0, 0.0), 1.0)),
                hatch="//" if guess else None, edgecolor="k" if guess else None,
                linewidth=0.3)
    for d in doublings:
        ax.axvspan(d["start_s"], d["end_s"], color="red", alpha=0.35, lw=0)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=7)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_xlim(0, max(entry["source"].get("duration_s") or 0.0,
                       max(t["end_s"] for t in events)))
    ax.invert_yaxis()
    ax.set_xlabel("time, s")
    ax.set_title("Who talked when (colour: SINAD/SNR p50, 0-40 dB; hatched: a fingerprint "
                 "guess; red: doubling)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def _occupancy(entries, duration_s):
    """The band's occupancy: a row per channel, its transmissions drawn along the time axis
    (what a channel x time power picture shows of who was on the air), coloured by their
    SINAD (else SNR) median."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, max(2.0, 0.28 * len(entries) + 1.0)))
    cmap = plt.get_cmap("viridis")
    for i, e in enumerate(entries):
        for t in e["events"]:
            q = t["sinad_db_p50"] if t["sinad_db_p50"] is not None else t["snr_db_p50"]
            color = cmap(min(max((q if q is not None else 0.0) / 40.0, 0.0), 1.0))
            ax.barh(i, t["end_s"] - t["start_s"], left=t["start_s"], height=0.8, color=color)
    ax.set_yticks(range(len(entries)))
    ax.set_yticklabels([f"{e['channel']['freq_hz'] / 1e6:.4f}" for e in entries], fontsize=7)
    ax.set_ylim(-0.6, len(entries) - 0.4)
    ax.set_xlim(0, max(duration_s, 1e-3))
    ax.set_xlabel("time, s")
    ax.set_ylabel("channel, MHz")
    ax.set_title("Band occupancy: transmissions per channel (colour: SINAD/SNR p50, 0-40 dB)")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def _band_power(session, power):
    """Every watched channel's power along time (rtl_power's picture), dB over the band's
    floor (the 20th percentile of all of it), 0-40 dB."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    db, col_s = power.picture()
    center = session.info.center_freq_hz
    f_mhz = (session.front.offsets_hz + (center or 0.0)) / 1e6
    fig, ax = plt.subplots(figsize=(9, 4.5))
    if db.size:
        rel = db - np.percentile(db, 20)
        # (at the channels' own frequencies: the one on the centre's spike is not watched)
        t_s = (np.arange(db.shape[0]) + 0.5) * col_s
        im = ax.pcolormesh(t_s, f_mhz, rel.T, shading="nearest", cmap="viridis", vmin=0,
                           vmax=40, rasterized=True)
        fig.colorbar(im, ax=ax, label="dB over the band's floor")
    ax.set_xlabel("time, s")
    ax.set_ylabel("channel, MHz" if center else "channel offset, MHz")
    step = f"{col_s * 1e3:.0f} ms" if col_s < 1 else f"{col_s:.1f} s"
    ax.set_title(f"Band power: {f_mhz.size} channels watched, a column every {step}")
    return _png(fig)


def _plots(entry, ch, waterfall, criterion):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = []
    chan = entry["channel"]
    bw = chan["bandwidth_hz"]
    img = waterfall.image() if waterfall is not None else None
    if img is not None:
        f, t, rows = img
        fig, ax = plt.subplots(figsize=(9, 3.2))
        lo, hi = np.percentile(rows, [5, 99.5])
        ax.imshow(rows, aspect="auto", origin="lower", cmap="viridis", vmin=lo, vmax=hi,
                  extent=[f[0] / 1e3, f[-1] / 1e3, 0, max(t[-1], 1e-3)])
        for edge in (chan["offset_hz"] - bw / 2, chan["offset_hz"] + bw / 2):
            ax.axvline(edge / 1e3, color="red", lw=1)
        ax.set_xlabel("offset from centre, kHz")
        ax.set_ylabel("time, s")
        ax.set_title("Waterfall, channel between the red lines")
        plots.append(("Spectrum over time", _png(fig)))
    t, rssi, q, qb = ch.series.arrays()
    if t.size:
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 4.6), sharex=True)
        for e in entry["events"]:
            for ax in (a1, a2):
                ax.axvspan(e["start_s"], e["end_s"], color="tab:green", alpha=0.15)
        a1.plot(t, rssi, color="tab:blue", lw=1)
        _min_span(a1, rssi, LEVEL_MIN_SPAN_DB)
        a1.set_ylabel("RSSI, dBFS")
        a1.set_title("Level and quality; transmissions shaded")
        # a value at an estimator's limit is drawn as a bound: a triangle pointing the way the
        # truth may lie
        lower, upper = qb == 1, qb == 2
        plain = ~(lower | upper)
        a2.plot(t[plain], q[plain], ".", color="tab:purple", ms=3)
        if lower.any():
            a2.plot(t[lower], q[lower], "^", color="tab:purple", ms=3, label="at least")
        if upper.any():
            a2.plot(t[upper], q[upper], "v", color="tab:purple", ms=3, label="at most")
        if on_quality_axis(criterion):
            a2.axhline(criterion.value, color="red", lw=1, ls="--", label=str(criterion))
        if on_quality_axis(criterion) or lower.any() or upper.any():
            a2.legend(loc="lower right", fontsize=8)
        a2.set_ylabel("SINAD / SNR, dB")
        a2.set_xlabel("time, s")
        plots.append(("RSSI and SINAD over time", _png(fig)))
    cdf = ch.series.cdf()
    if cdf is not None:
        fig, ax = plt.subplots(figsize=(9, 3.2))
        ax.step(cdf[0], cdf[1], where="post")
        if on_quality_axis(criterion):
            ax.axvline(criterion.value, color="red", lw=1, ls="--")
        ax.set_xlabel("SINAD / SNR, dB")
        ax.set_ylabel("fraction of keyed windows below")
        ax.set_title("Distribution (CDF)")
        ax.grid(alpha=0.3)
        plots.append(("SINAD distribution", _png(fig)))
    if ch.longest is not None:
        _, start, r, rate = ch.longest
        if r.size > 10 and np.mean(r * r) > 0:
            rho = 20 * np.log10(np.maximum(r / math.sqrt(np.mean(r * r)), 1e-6))
            fig, ax = plt.subplots(figsize=(9, 2.8))
            ax.plot(start + np.arange(r.size) / rate, rho, lw=0.6)
            ax.set_ylim(max(-40, float(np.min(rho)) - 2), 10)
            ax.set_xlabel("time, s")
            ax.set_ylabel("20 log10(r / r_rms), dB")
            ax.set_title("Fading envelope of the longest transmission")
            ax.grid(alpha=0.3)
            plots.append(("Fading envelope", _png(fig)))
    return plots


def fmt(v, nd=1, bound=None):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    text = f"{v:.{nd}f}" if isinstance(v, float) else str(v)
    return {"lower": "\u2265 ", "upper": "\u2264 "}.get(bound, "") + text


def fmt_field(d, key, nd=1):
    """``d[key]`` formatted, as a bound ("≥ 49.1") where ``d["bounds"]`` says it is one."""
    return fmt(d.get(key), nd, (d.get("bounds") or {}).get(key))
