"""Score reports: the JSON document (schema ``htdsp.score/1``), the per-window CSV, the HTML
report and SigMF annotations.

The HTML is one self-contained file: the plots are PNG images inlined as data URIs (matplotlib,
drawn off-screen), the page is rendered by Jinja2 with autoescaping on, so anything that comes
from a recording's metadata (a SigMF description, a file name) is text, never markup. There is
no script in the page.
"""

import base64
import csv
import io
import json
import math
from importlib import resources

import numpy as np

from htdsp import __version__
from htdsp.score import SCHEMA_ID

#: the per-window columns of the CSV (and of the JSON's ``windows``)
WINDOW_FIELDS = (
    "index", "start_s", "end_s", "keyed", "gap", "counted", "meets_criterion", "rssi_dbfs",
    "rssi_dbm", "noise_floor_dbfs", "noise_floor_dbfs_hz", "cnr_db", "cnr_method",
    "freq_error_hz", "freq_error_ppm", "deviation_peak_hz", "deviation_rms_hz", "tone_hz",
    "sinad_db", "sinad_cmsg_db", "sinad_psoph_db", "thd_pct", "hum_noise_db", "snr_db",
    "snr_oob_db", "snr_m2m4_db", "daq", "clipping_fraction", "dc_offset_dbfs", "tone_missing",
    "bounds",
)


def schema():
    """The JSON Schema of the score document (shipped with the package)."""
    with resources.files("htdsp").joinpath("data/score.schema.json").open() as f:
        return json.load(f)


def capture_entry(rec, run, transmissions, summary, squelch_spec):
    """One ``captures[]`` entry of the document."""
    windows = [{k: w.get(k) for k in WINDOW_FIELDS} for w in run.meter.windows]
    events = []
    for t in transmissions:
        e = {k: v for k, v in t.items() if k != "windows"}
        events.append(e)
    return {
        "source": {"path": rec.path, "format": rec.datatype,
                   "sample_rate_hz": rec.sample_rate_hz, "center_freq_hz": rec.center_freq_hz,
                   "duration_s": round(rec.duration_s, 6), "samples": rec.samples,
                   "description": rec.description, "datetime": rec.datetime},
        "channel": {"freq_hz": run.freq_hz, "offset_hz": run.offset_hz,
                    "bandwidth_hz": run.rx.bandwidth_hz, "deviation_hz": run.rx.deviation_hz,
                    "chosen": run.chosen, "squelch": squelch_spec},
        "summary": summary, "events": events, "windows": windows,
    }


def document(captures, aggregate, criterion, requirements, window_s, daq_table, errors=()):
    """The whole JSON document; ``errors`` lists the inputs that could not be scored
    (``{"path", "error"}``)."""
    return {"schema": SCHEMA_ID, "htdsp_version": __version__, "criterion": str(criterion),
            "requirements": [str(r) for r in requirements], "window_s": window_s,
            "daq_table": {"sinad_db": [float(v) for v in daq_table[0]],
                          "daq": [float(v) for v in daq_table[1]]},
            "captures": captures, "aggregate": aggregate, "errors": list(errors)}


def write_json(doc, out, warn=None):
    """The document as strict JSON to a text file object (``out``), or ``-`` for stdout."""
    from htdsp.io.jsonio import dump

    if out == "-":
        import sys

        out = sys.stdout
    dump(doc, out, indent=1, warn=warn)
    out.write("\n")
    out.flush()


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


def _csv_cell(v):
    """Numbers stay numbers (a negative level is not a formula); text is neutralised; the
    bounds of a window as ``snr_db:lower snr_oob_db:lower``."""
    if v is None:
        return ""
    if isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, dict):
        return csv_text(" ".join(f"{k}:{b}" for k, b in v.items()))
    return csv_text(v)


def write_csv(doc, out):
    """The per-window series of every capture and channel, one row per window, to a text file
    object. Every text field is quoted and neutralised (:func:`csv_text`)."""
    w = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    w.writerow(["capture", "channel_hz", *WINDOW_FIELDS])
    for c in doc["captures"]:
        for row in c["windows"]:
            w.writerow([csv_text(c["source"]["path"]), _csv_cell(c["channel"]["freq_hz"]),
                        *[_csv_cell(row.get(k)) for k in WINDOW_FIELDS]])


# ------------------------------------------------------------------ plots
#: a level axis spans at least this: a flat carrier whose RSSI moves by 0.06 dB must look flat,
#: not like a deep fade (matplotlib scales to the data)
LEVEL_MIN_SPAN_DB = 20.0


def _on_quality_axis(criterion):
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


def _plots(entry, run, waterfall, criterion):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = []
    ch = entry["channel"]
    bw = ch["bandwidth_hz"]
    if waterfall is not None and waterfall.image() is not None:
        f, t, img = waterfall.image()
        fig, ax = plt.subplots(figsize=(9, 3.2))
        lo, hi = np.percentile(img, [5, 99.5])
        ax.imshow(img, aspect="auto", origin="lower", cmap="viridis", vmin=lo, vmax=hi,
                  extent=[f[0] / 1e3, f[-1] / 1e3, 0, max(t[-1], 1e-3)])
        for edge in (ch["offset_hz"] - bw / 2, ch["offset_hz"] + bw / 2):
            ax.axvline(edge / 1e3, color="red", lw=1)
        ax.set_xlabel("offset from centre, kHz")
        ax.set_ylabel("time, s")
        ax.set_title("Waterfall, channel between the red lines")
        plots.append(("Spectrum over time", _png(fig)))
    ws = entry["windows"]
    if ws:
        t = np.array([(w["start_s"] + w["end_s"]) / 2 for w in ws])
        rssi = np.array([np.nan if w["rssi_dbfs"] is None else w["rssi_dbfs"] for w in ws])
        q = np.array([np.nan if (w["sinad_db"] if w["sinad_db"] is not None else w["snr_db"])
                      is None else (w["sinad_db"] if w["sinad_db"] is not None
                                    else w["snr_db"]) for w in ws])
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
        qb = [(w.get("bounds") or {}).get("sinad_db" if w["sinad_db"] is not None else "snr_db")
              for w in ws]
        lower = np.array([b == "lower" for b in qb])
        upper = np.array([b == "upper" for b in qb])
        plain = ~(lower | upper)
        a2.plot(t[plain], q[plain], ".", color="tab:purple", ms=3)
        if lower.any():
            a2.plot(t[lower], q[lower], "^", color="tab:purple", ms=3, label="at least")
        if upper.any():
            a2.plot(t[upper], q[upper], "v", color="tab:purple", ms=3, label="at most")
        if _on_quality_axis(criterion):
            a2.axhline(criterion.value, color="red", lw=1, ls="--", label=str(criterion))
        if _on_quality_axis(criterion) or lower.any() or upper.any():
            a2.legend(loc="lower right", fontsize=8)
        a2.set_ylabel("SINAD / SNR, dB")
        a2.set_xlabel("time, s")
        plots.append(("RSSI and SINAD over time", _png(fig)))
        qk = np.sort(q[np.isfinite(q) & np.array([bool(w["counted"]) for w in ws])])
        if qk.size:
            fig, ax = plt.subplots(figsize=(9, 3.2))
            ax.step(qk, np.arange(1, qk.size + 1) / qk.size, where="post")
            if _on_quality_axis(criterion):
                ax.axvline(criterion.value, color="red", lw=1, ls="--")
            ax.set_xlabel("SINAD / SNR, dB")
            ax.set_ylabel("fraction of keyed windows below")
            ax.set_title("Distribution (CDF)")
            ax.grid(alpha=0.3)
            plots.append(("SINAD distribution", _png(fig)))
    if entry["events"]:
        e = max(entry["events"], key=lambda e: e["end_s"] - e["start_s"])
        r, rate = run.meter.envelope(e["start_s"], e["end_s"])
        if r.size > 10 and np.mean(r * r) > 0:
            rho = 20 * np.log10(np.maximum(r / math.sqrt(np.mean(r * r)), 1e-6))
            fig, ax = plt.subplots(figsize=(9, 2.8))
            ax.plot(e["start_s"] + np.arange(r.size) / rate, rho, lw=0.6)
            ax.set_ylim(max(-40, float(np.min(rho)) - 2), 10)
            ax.set_xlabel("time, s")
            ax.set_ylabel("20 log10(r / r_rms), dB")
            ax.set_title("Fading envelope of the longest transmission")
            ax.grid(alpha=0.3)
            plots.append(("Fading envelope", _png(fig)))
    return plots


def write_html(doc, runs, waterfalls, criterion, out):
    """The self-contained HTML report (``runs``/``waterfalls`` parallel to the captures), to a
    text file object."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("htdsp", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    sections = []
    for entry, run, wf in zip(doc["captures"], runs, waterfalls, strict=True):
        sections.append({"entry": entry, "plots": _plots(entry, run, wf, criterion)})
    located = any(e["entry"]["summary"].get("location") for e in sections)
    html = env.get_template("report.html").render(doc=doc, sections=sections, fmt=_fmt,
                                                  fb=_fmt_field, located=located)
    out.write(html)


def _fmt(v, nd=1, bound=None):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    text = f"{v:.{nd}f}" if isinstance(v, float) else str(v)
    return {"lower": "\u2265 ", "upper": "\u2264 "}.get(bound, "") + text


def _fmt_field(d, key, nd=1):
    """``d[key]`` formatted, as a bound ("≥ 49.1") where ``d["bounds"]`` says it is one."""
    return _fmt(d.get(key), nd, (d.get("bounds") or {}).get(key))


# ------------------------------------------------------------------ SigMF annotations
def scored_meta_path(rec):
    """``<name>.scored.sigmf-meta`` beside the recording's data file."""
    import os

    base = os.path.basename(rec.data_path)
    for ext in (".sigmf-data", ".cu8", ".cs8", ".cs16", ".cf32", ".iq", ".bin", ".raw",
                ".wav", ".dat"):
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    return os.path.join(os.path.dirname(os.path.abspath(rec.data_path)),
                        base + ".scored.sigmf-meta")


def annotations_possible(rec):
    """Why ``--annotate`` cannot describe ``rec`` in place, or None."""
    if rec.container == "sigmf-archive" or rec.container == "wav":
        return ("annotations describe a data file in place: not possible for a SigMF archive "
                "or a WAV file")
    return None


def write_annotations(rec, entries, out=None):
    """A SigMF metadata file beside the data (``core:dataset`` names it) holding each
    transmission of each scored channel, with its measurements, as annotations; written
    atomically to ``out`` (default :func:`scored_meta_path`). Returns the path."""
    import os

    from sigmf.validate import validate

    from htdsp.io.sigmf import SIGMF_VERSION, write_meta
    from htdsp.rx.squelch import event_annotation

    why = annotations_possible(rec)
    if why:
        raise ValueError(why)
    anns = []
    for entry in entries:
        ch = entry["channel"]
        for e in entry["events"]:
            a = event_annotation(e, ch["freq_hz"], ch["bandwidth_hz"])
            a["core:comment"] = (f"htdsp score: availability {_fmt(e.get('availability'), 3)}, "
                                 f"CNR {_fmt(e.get('cnr_db'))} dB")
            for k in ("availability", "dropouts", "cnr_db", "rssi_dbfs", "freq_error_hz",
                      "deviation_peak_hz", "sinad_db_p50", "snr_db_p50", "ctcss_level_hz"):
                if e.get(k) is not None:
                    a[f"htdsp:{k}"] = e[k]
            b = {k: v for k, v in (e.get("bounds") or {}).items() if f"htdsp:{k}" in a}
            if b:
                a["htdsp:bounds"] = b
            anns.append(a)
    anns.sort(key=lambda a: a["core:sample_start"])
    g = {"core:datatype": rec.datatype, "core:version": SIGMF_VERSION,
         "core:sample_rate": rec.sample_rate_hz,
         "core:dataset": os.path.basename(rec.data_path),
         "core:description": f"htdsp {__version__} score of {os.path.basename(rec.path)}",
         "core:extensions": [{"name": "htdsp", "version": "1.0.0", "optional": True}]}
    if rec.geolocation:
        g["core:geolocation"] = rec.geolocation
    caps = [{"core:sample_start": 0}]
    if rec.center_freq_hz is not None:
        caps[0]["core:frequency"] = rec.center_freq_hz
    if rec.datetime:
        caps[0]["core:datetime"] = rec.datetime
    meta = {"global": g, "captures": caps, "annotations": anns}
    from htdsp.io.jsonio import clean

    meta = clean(meta)[0]
    validate(meta)
    out = out or scored_meta_path(rec)
    write_meta(out, meta)
    return out
