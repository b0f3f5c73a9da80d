"""``htdsp info``: what a recording is and what its samples look like.

:func:`describe` returns the stable object that ``htdsp info --json`` prints for each file
(schema ``htdsp.info/1``, fields documented in README.md); numbers that cannot be measured are
``None`` (JSON ``null``), never NaN.
"""

from htdsp.dsp.iqstats import IQStats
from htdsp.io.datatypes import short_name

_UNIT_KEYS = {"core:sample_start": "sample_start", "core:sample_count": "sample_count",
              "core:frequency": "frequency_hz", "core:datetime": "datetime",
              "core:global_index": "global_index", "core:label": "label",
              "core:comment": "comment", "core:freq_lower_edge": "freq_lower_edge_hz",
              "core:freq_upper_edge": "freq_upper_edge_hz", "core:header_bytes": "header_bytes"}


def _segment(obj):
    out = {}
    extra = {}
    for k, v in obj.items():
        if k in _UNIT_KEYS:
            out[_UNIT_KEYS[k]] = v
        else:
            extra[k] = v
    if extra:
        out["other"] = extra
    return out


def full_scale_name(dt):
    """Which ADC full scale the clipping fraction refers to."""
    return "float" if dt.is_float else f"{dt.bits}-bit"


def describe(rec, chunk_samples=1 << 18):
    """Read ``rec`` once and return its description (see module docstring).

    Examples
    --------
    >>> from htdsp.io import open_recording
    >>> d = describe(open_recording("captures/kpbenz-2m-nfm-voice/capture.sigmf-meta"))
    >>> d["format"], d["duration_s"], d["clipping_fraction"]
    ('cu8', 6.171428571428572, 0.0)
    """
    from htdsp.measure.health import CaptureHealth

    stats = IQStats(rec.dt)
    health = CaptureHealth(rec.format)
    for _, chunk in rec.chunks(chunk_samples):
        stats.process(chunk)
        health.process(chunk)
    s = stats.summary()
    return {
        "path": rec.path,
        "container": rec.container,
        "format": short_name(rec.dt),
        "datatype": rec.datatype,
        "sample_rate_hz": rec.sample_rate_hz,
        "center_freq_hz": rec.center_freq_hz,
        "datetime": rec.datetime,
        "duration_s": rec.duration_s,
        "samples": rec.samples,
        "swap_iq": rec.swap_iq,
        "mean_power_dbfs": s["mean_power_dbfs"],
        "peak_dbfs": s["peak_dbfs"],
        "peak_magnitude": s["peak_magnitude"],
        "clipping_fraction": s["clipping_fraction"],
        "clipping_full_scale": full_scale_name(rec.dt),
        "dc_offset_i": s["dc_offset_i"],
        "dc_offset_q": s["dc_offset_q"],
        "dc_offset_dbfs": s["dc_offset_dbfs"],
        "iq_amplitude_imbalance_db": s["iq_amplitude_imbalance_db"],
        "iq_phase_imbalance_deg": s["iq_phase_imbalance_deg"],
        "nonfinite_count": rec.nonfinite + s["nonfinite_count"],
        "unusable": health.summary()["unusable"],
        "hw": rec.hw,
        "description": rec.description,
        "geolocation": rec.geolocation,
        "captures": [_segment(c) for c in rec.captures],
        "annotations": [_segment(a) for a in rec.annotations],
        "metadata_sources": dict(rec.sources),
        "warnings": list(rec.warnings),
    }


def _num(v, fmt, unit=""):
    return "unknown" if v is None else f"{v:{fmt}}{unit}"


def format_text(d):
    """A terminal rendering of :func:`describe`'s result."""
    src = d["metadata_sources"]
    lines = [
        d["path"],
        f"  format        {d['format']} ({d['container']}, SigMF datatype {d['datatype']})"
        + ("  I/Q swapped" if d["swap_iq"] else ""),
        f"  sample rate   {d['sample_rate_hz']:.0f} S/s"
        + (f"  [{src['sample_rate_hz']}]" if "sample_rate_hz" in src else ""),
        f"  centre        {_num(d['center_freq_hz'] and d['center_freq_hz'] / 1e6, '.6f', ' MHz')}"
        + (f"  [{src['center_freq_hz']}]" if "center_freq_hz" in src else ""),
        f"  start         {d['datetime'] or 'unknown'}",
        f"  length        {d['samples']} samples, {d['duration_s']:.3f} s",
        f"  mean power    {_num(d['mean_power_dbfs'], '.2f', ' dBFS')}",
        f"  peak          {_num(d['peak_dbfs'], '.2f', ' dBFS')}",
        f"  clipping      {_num(d['clipping_fraction'], '.6f')} of I/Q values at the "
        f"{d['clipping_full_scale']} full scale",
        f"  DC offset     I {_num(d['dc_offset_i'], '+.5f')}, Q {_num(d['dc_offset_q'], '+.5f')}"
        f" ({_num(d['dc_offset_dbfs'], '.1f', ' dBFS')})",
        f"  IQ imbalance  {_num(d['iq_amplitude_imbalance_db'], '+.3f', ' dB')}, "
        f"{_num(d['iq_phase_imbalance_deg'], '+.3f', ' deg')}",
        f"  NaN/Inf       {d['nonfinite_count']}",
        f"  usable        {'no: ' + d['unusable'] if d.get('unusable') else 'yes'}",
    ]
    for key in ("hw", "description"):
        if d[key]:
            lines.append(f"  {key:<13} {d[key]}")
    if d["geolocation"]:
        lines.append(f"  location      {d['geolocation'].get('coordinates')}")
    for c in d["captures"]:
        f = c.get("frequency_hz")
        lines.append(f"  capture @ {c.get('sample_start', 0)}: "
                     f"{_num(f and f / 1e6, '.6f', ' MHz')} {c.get('datetime', '')}".rstrip())
    for a in d["annotations"]:
        span = f"{a.get('sample_start')}+{a.get('sample_count', '?')}"
        lines.append(f"  annotation @ {span}: {a.get('label', '')} {a.get('comment', '')}"
                     .rstrip())
    return "\n".join(lines)
