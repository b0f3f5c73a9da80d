"""SigMF recordings (spec 1.2): ``.sigmf-meta`` + ``.sigmf-data``, ``.sigmf`` archives, and
non-conforming datasets described in place through ``core:dataset``.

Metadata is validated against the SigMF schema with the ``sigmf`` library; samples are read by
htdsp's own chunked path (:class:`~htdsp.io.recording.Recording`), never loaded whole. An archive
is an uncompressed tar, so its data member is read in place at its offset inside the tar.

The writer is incremental: the metadata is written first and rewritten atomically
(write-then-rename) at intervals while the data file grows and is flushed, so a crash or Ctrl-C
leaves a valid recording of everything written so far; ``core:sha512`` is added when it is closed.
"""

import hashlib
import json
import os
import tarfile
import tempfile
import time
import warnings

from htdsp import __version__
from htdsp.errors import InputError
from htdsp.io.datatypes import WRITABLE, as_elements, datatype, short_name
from htdsp.io.recording import Extent, Recording, check_rate, check_readable

SIGMF_VERSION = "1.2.0"
META, DATA, ARCHIVE = ".sigmf-meta", ".sigmf-data", ".sigmf"
#: global fields htdsp interprets; every other global field is carried along by conversions
_INTERPRETED = {"core:datatype", "core:version", "core:sample_rate", "core:dataset",
                "core:sha512", "core:num_channels", "core:trailing_bytes", "core:hw",
                "core:description", "core:geolocation", "core:metadata_only", "core:recorder",
                "core:offset"}


def _one_line(text):
    return " ".join(str(text).split())[:300]


def _load_meta(text, path):
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                         path) from None
    if not isinstance(meta, dict):
        raise InputError("SigMF metadata must be a JSON object", path)
    from jsonschema.exceptions import ValidationError
    from sigmf.validate import validate

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            validate(meta)
    except ValidationError as e:
        where = "/".join(str(p) for p in e.absolute_path)
        raise InputError(f"fails the SigMF schema{' at ' + where if where else ''}: "
                         f"{_one_line(e.message)}", path) from None
    return meta


def _pair_paths(path):
    base = path[: -len(META)] if path.endswith(META) else path[: -len(DATA)]
    return base + META, base + DATA


def open_sigmf(path, rate_hz=None, center_hz=None, swap_iq=False, fmt=None):
    """Open a SigMF recording: a ``.sigmf-meta`` or ``.sigmf-data`` path, or a ``.sigmf`` archive.

    Options override the metadata (``fmt`` overrides ``core:datatype``).

    Raises
    ------
    InputError
        Not JSON, fails the schema, a missing data file, a datatype that does not divide the
        data, a real-valued or multi-channel dataset, metadata only, rate unknown.
    """
    path = str(path)
    check_readable(path)
    if path.endswith(ARCHIVE):
        meta, data_path, data_offset, data_size, warns = _open_archive(path)
        container = "sigmf-archive"
    else:
        meta_path, default_data = _pair_paths(path)
        check_readable(meta_path)
        with open(meta_path, encoding="utf-8") as f:
            meta = _load_meta(f.read(), meta_path)
        ds = meta["global"].get("core:dataset")
        data_path = os.path.join(os.path.dirname(meta_path), ds) if ds else default_data
        if meta["global"].get("core:metadata_only") and not ds:
            raise InputError("metadata only (core:metadata_only): no samples to read", meta_path)
        if not os.path.exists(data_path):
            raise InputError(f"data file {os.path.basename(data_path)} not found", meta_path)
        check_readable(data_path)
        data_offset, data_size, warns = 0, os.path.getsize(data_path), []
        path = meta_path
        container = "sigmf"
    return _recording(path, container, meta, data_path, data_offset, data_size, warns,
                      rate_hz, center_hz, swap_iq, fmt)


def _open_archive(path):
    try:
        tar = tarfile.open(path, "r:")
    except (tarfile.TarError, OSError) as e:
        raise InputError(f"not a SigMF archive (uncompressed tar): {_one_line(e)}", path) from None
    with tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        metas = sorted(n for n in members if n.endswith(META))
        if not metas:
            raise InputError("archive holds no .sigmf-meta", path)
        warns = []
        if len(metas) > 1:
            warns.append(f"archive holds {len(metas)} recordings; reading {metas[0]}")
        meta = _load_meta(tar.extractfile(members[metas[0]]).read().decode("utf-8"),
                          f"{path}:{metas[0]}")
        data_name = metas[0][: -len(META)] + DATA
        ds = meta["global"].get("core:dataset")
        if ds:
            data_name = os.path.join(os.path.dirname(metas[0]), ds)
        if data_name not in members:
            raise InputError(f"data member {data_name} not found in the archive", path)
        m = members[data_name]
        return meta, path, m.offset_data, m.size, warns


def _extents(captures, dt, data_size, trailing, path):
    """Byte extents of the samples (one, or one per capture with core:header_bytes)."""
    usable = data_size - trailing
    if usable < 0:
        raise InputError("core:trailing_bytes exceeds the data size", path)
    if not any(c.get("core:header_bytes") for c in captures):
        if usable % dt.sample_bytes:
            raise InputError(f"data length {usable} bytes is not a whole number of {dt.name} "
                             f"samples ({dt.sample_bytes} bytes each)", path)
        n = usable // dt.sample_bytes
        return [Extent(0, n, 0)] if n else []
    extents = []
    byte = 0
    for k, c in enumerate(captures):
        byte += int(c.get("core:header_bytes", 0))
        start = int(c["core:sample_start"])
        if k + 1 < len(captures):
            n = int(captures[k + 1]["core:sample_start"]) - start
        else:
            rest = usable - byte
            if rest < 0 or rest % dt.sample_bytes:
                raise InputError(f"last segment is not a whole number of {dt.name} samples", path)
            n = rest // dt.sample_bytes
        if byte + n * dt.sample_bytes > usable:
            raise InputError(f"capture at sample {start} runs past the end of the data", path)
        extents.append(Extent(start, n, byte))
        byte += n * dt.sample_bytes
    return extents


def _recording(path, container, meta, data_path, data_offset, data_size, warns, rate_hz,
               center_hz, swap_iq, fmt):
    g = meta["global"]
    if int(g.get("core:num_channels", 1)) != 1:
        raise InputError(f"{g['core:num_channels']} interleaved channels: htdsp reads "
                         "single-channel recordings", path)
    try:
        dt = datatype(fmt if fmt else g["core:datatype"])
    except ValueError as e:
        raise InputError(str(e), path) from None
    sources = {}
    if rate_hz is not None:
        sources["sample_rate_hz"] = "option"
    elif "core:sample_rate" in g:
        rate_hz = float(g["core:sample_rate"])
        sources["sample_rate_hz"] = "sigmf"
    rate_hz = check_rate(rate_hz, path, "give --rate (no core:sample_rate)")
    captures = sorted(meta.get("captures", []), key=lambda c: c["core:sample_start"])
    first = captures[0] if captures else {}
    if center_hz is not None:
        sources["center_freq_hz"] = "option"
    elif "core:frequency" in first:
        center_hz = float(first["core:frequency"])
        sources["center_freq_hz"] = "sigmf"
    trailing = int(g.get("core:trailing_bytes", 0))
    if fmt:
        trailing = data_size % dt.sample_bytes  # an override may not divide: keep whole samples
    extents = [Extent(e.sample_start, e.samples, e.byte_offset + data_offset)
               for e in _extents(captures, dt, data_size, trailing, path)]
    samples = sum(e.samples for e in extents)
    if samples == 0:
        raise InputError("recording holds no samples", path)
    freqs = {c.get("core:frequency") for c in captures if "core:frequency" in c}
    if len(freqs) > 1:
        warns.append(f"{len(freqs)} capture segments with different centre frequencies; "
                     "the first one's applies unless a command handles segments")
    geo = g.get("core:geolocation") or first.get("core:geolocation")
    extra = {k: v for k, v in g.items() if k not in _INTERPRETED}
    return Recording(path, data_path, container, dt, rate_hz,
                     None if center_hz is None else float(center_hz), samples, extents,
                     swap_iq=bool(swap_iq), datetime=first.get("core:datetime"),
                     captures=captures, annotations=list(meta.get("annotations", [])),
                     geolocation=geo, hw=g.get("core:hw"), description=g.get("core:description"),
                     extra_global=extra, warnings=warns, sources=sources)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write_json(path, obj):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=META, dir=d)
    try:
        # mkstemp makes the file private (0600); a recording gets the usual permissions
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class SigMFWriter:
    """Write a SigMF recording incrementally (see module docstring).

    Parameters
    ----------
    path : str
        ``NAME.sigmf-meta`` or ``NAME.sigmf-data`` (writes the pair), or ``NAME.sigmf`` (writes
        the pair beside it, then packs the archive on close).
    dt_name : {'cu8', 'cs8', 'cs16', 'cf32'}
        Datatype of the data file.
    sample_rate_hz : float
    center_freq_hz : float, optional
    datetime : str, optional
        RFC 3339 UTC time of the first sample.
    hw, description : str, optional
    geolocation : dict, optional
        GeoJSON point.
    captures : list of dict, optional
        Capture segments (``core:sample_start`` ...); default one segment from
        ``center_freq_hz`` and ``datetime``.
    annotations : list of dict, optional
    extra_global : dict, optional
        More global fields (other namespaces' keys are declared in ``core:extensions``).
    flush_interval_s : float
        How often the metadata is rewritten while writing.
    """

    def __init__(self, path, dt_name, sample_rate_hz, *, center_freq_hz=None, datetime=None,
                 hw=None, description=None, geolocation=None, captures=None, annotations=None,
                 extra_global=None, flush_interval_s=2.0):
        path = str(path)
        if dt_name not in WRITABLE and short_name(datatype(dt_name)) not in WRITABLE:
            raise InputError(f"SigMF output datatype must be one of {', '.join(WRITABLE)}, "
                             f"not {dt_name}", path)
        self.dt = datatype(dt_name)
        self.archive = path if path.endswith(ARCHIVE) else None
        base = path[: -len(ARCHIVE)] if self.archive else _pair_paths(path)[0][: -len(META)]
        if not (path.endswith((META, DATA, ARCHIVE))):
            raise InputError("a SigMF output name ends in .sigmf-meta, .sigmf-data or .sigmf",
                             path)
        self.meta_path, self.data_path = base + META, base + DATA
        self.samples = 0
        self._hash = hashlib.sha512()
        self._interval = float(flush_interval_s)
        g = {"core:datatype": self.dt.name, "core:version": SIGMF_VERSION,
             "core:sample_rate": float(sample_rate_hz), "core:recorder": f"htdsp {__version__}"}
        for key, value in (("core:hw", hw), ("core:description", description),
                           ("core:geolocation", geolocation)):
            if value is not None:
                g[key] = value
        for k, v in (extra_global or {}).items():
            if k not in g:
                g[k] = v
        if captures:
            caps = [dict(c) for c in captures]
        else:
            cap = {"core:sample_start": 0}
            if center_freq_hz is not None:
                cap["core:frequency"] = float(center_freq_hz)
            if datetime is not None:
                cap["core:datetime"] = datetime
            caps = [cap]
        self._meta = {"global": g, "captures": caps, "annotations": list(annotations or [])}
        self._declare_extensions()
        try:
            self._data = open(self.data_path, "wb")
        except OSError as e:
            raise InputError(f"cannot write: {e.strerror}", self.data_path) from None
        _atomic_write_json(self.meta_path, self._meta)
        self._last = time.monotonic()

    def _declare_extensions(self):
        used = set()
        for obj in [self._meta["global"], *self._meta["captures"], *self._meta["annotations"]]:
            used |= {k.split(":", 1)[0] for k in obj if ":" in k}
        declared = {e["name"] for e in self._meta["global"].get("core:extensions", [])}
        missing = sorted(used - declared - {"core"})
        if missing:
            ext = list(self._meta["global"].get("core:extensions", []))
            ext += [{"name": n, "version": "1.0.0", "optional": True} for n in missing]
            self._meta["global"]["core:extensions"] = ext

    def update_global(self, fields):
        """Add or replace global fields (namespaced keys are declared in ``core:extensions``)."""
        self._meta["global"].update(fields)
        self._declare_extensions()

    def add_capture(self, sample_start, **fields):
        """Start a new capture segment at ``sample_start`` (e.g. ``global_index=`` after a
        discontinuity, ``frequency=``); keys as in :meth:`add_annotation`."""
        c = {"core:sample_start": int(sample_start)}
        for k, v in fields.items():
            c[k if ":" in k else f"core:{k}"] = v
        caps = [x for x in self._meta["captures"] if x["core:sample_start"] != int(sample_start)]
        caps.append(c)
        caps.sort(key=lambda x: x["core:sample_start"])
        self._meta["captures"] = caps
        self._declare_extensions()

    def add_annotation(self, sample_start, sample_count=None, **fields):
        """Add an annotation (``label=``, ``comment=``, or namespaced keys as ``fields``)."""
        a = {"core:sample_start": int(sample_start)}
        if sample_count is not None:
            a["core:sample_count"] = int(sample_count)
        for k, v in fields.items():
            a[k if ":" in k else f"core:{k}"] = v
        self._meta["annotations"].append(a)
        self._meta["annotations"].sort(key=lambda x: x["core:sample_start"])
        self._declare_extensions()

    def write(self, x):
        """Append complex samples (quantised to the datatype) or raw elements of it."""
        e = as_elements(x, self.dt)
        b = e.tobytes()
        self._data.write(b)
        self._hash.update(b)
        self.samples += e.size // 2
        if time.monotonic() - self._last >= self._interval:
            self.flush()

    def flush(self):
        """Flush the data and rewrite the metadata atomically: a valid recording on disk now."""
        self._data.flush()
        os.fsync(self._data.fileno())
        _atomic_write_json(self.meta_path, self._meta)
        self._last = time.monotonic()

    def close(self):
        """Finish: flush, write ``core:sha512``, pack the archive if one was asked for."""
        if self._data is None:
            return
        self._meta["global"]["core:sha512"] = self._hash.hexdigest()
        self.flush()
        self._data.close()
        self._data = None
        if self.archive:
            name = os.path.basename(self.archive)[: -len(ARCHIVE)]
            tmp = self.archive + ".tmp"
            with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
                tar.add(self.meta_path, arcname=f"{name}/{name}{META}")
                tar.add(self.data_path, arcname=f"{name}/{name}{DATA}")
            os.replace(tmp, self.archive)
            os.unlink(self.meta_path)
            os.unlink(self.data_path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def sigmf_meta_for(rec, dt_name=None):
    """Writer keyword arguments that carry a Recording's metadata into a SigMF output.

    Capture segments are kept (without NCD header sizes); a centre frequency or start time given
    as an option or found in the file name goes into the first segment.
    """
    caps = [{k: v for k, v in c.items() if k != "core:header_bytes"} for c in rec.captures]
    if caps:
        if rec.center_freq_hz is not None and (rec.sources.get("center_freq_hz") != "sigmf"):
            caps[0]["core:frequency"] = rec.center_freq_hz
        if rec.datetime is not None:
            caps[0].setdefault("core:datetime", rec.datetime)
    return {"dt_name": dt_name or short_name(rec.dt), "sample_rate_hz": rec.sample_rate_hz,
            "center_freq_hz": rec.center_freq_hz, "datetime": rec.datetime, "hw": rec.hw,
            "description": rec.description, "geolocation": rec.geolocation,
            "captures": caps or None, "annotations": rec.annotations,
            "extra_global": rec.extra_global}

