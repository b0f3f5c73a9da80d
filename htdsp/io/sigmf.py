"""SigMF recordings (spec 1.2): ``.sigmf-meta`` + ``.sigmf-data``, ``.sigmf`` archives, and
non-conforming datasets described in place through ``core:dataset``.

Metadata is validated against the SigMF schema with the ``sigmf`` library; samples are read by
htdsp's own chunked path (:class:`~htdsp.io.recording.Recording`), never loaded whole. An archive
is an uncompressed tar, so its data member is read in place at its offset inside the tar.

The writer is incremental by default: the metadata is written first and rewritten atomically
(write-then-rename) at intervals while the data file grows and is flushed, so a crash or Ctrl-C
leaves a valid recording of everything written so far; ``core:sha512`` is added when it is closed.
For a conversion (``atomic=True``) and for archives nothing appears until the recording is
whole. It never replaces an existing recording unless told to (``overwrite``).
"""

import hashlib
import io
import os
import tarfile
import time
import warnings

from htdsp import __version__
from htdsp.errors import InputError
from htdsp.io.datatypes import WRITABLE, as_elements, datatype, short_name
from htdsp.io.outputs import WholeOrNothing
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


#: metadata larger than this is refused (a day of squelched live recording with an annotation
#: per transmission is a few MB; reading is in memory)
MAX_META_BYTES = 256 << 20


def _drop_nonfinite(meta, places, warns):
    """Remove each metadata field that held NaN or infinity (JSON has no such numbers), with a
    warning: the field's outermost namespaced key goes (a GeoJSON point with a NaN coordinate
    is no location), the rest of the recording stays readable."""
    from htdsp.io.jsonio import where

    for place in places:
        obj, key, at = meta, None, None
        node = meta
        for i, k in enumerate(place):
            if isinstance(k, str) and ":" in k and isinstance(node, dict):
                obj, key, at = node, k, place[:i]
                break
            try:
                node = node[k]
            except (KeyError, IndexError, TypeError):
                break
        if key is not None and isinstance(obj, dict) and key in obj:
            del obj[key]
            warns.append(f"{where((*at, key))} is not a finite number (NaN or infinity): "
                         "ignored")


def _load_meta(data, path, warns):
    """Parse and validate SigMF metadata (bytes or text) from ``path``."""
    from htdsp.io.jsonio import loads_untrusted

    meta, bad = loads_untrusted(data, path)
    if not isinstance(meta, dict):
        raise InputError("SigMF metadata must be a JSON object", path)
    _drop_nonfinite(meta, bad, warns)
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
    except Exception as e:          # the validator on hostile structures (recursion, types)
        raise InputError(f"SigMF metadata cannot be validated: {_one_line(e)}", path) from None
    return meta


def _read_meta_file(meta_path, warns):
    check_readable(meta_path)
    size = os.path.getsize(meta_path)
    if size > MAX_META_BYTES:
        raise InputError(f"metadata of {size / 2**20:.0f} MiB is too large (at most "
                         f"{MAX_META_BYTES >> 20} MiB)", meta_path)
    try:
        with open(meta_path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", meta_path) from None
    return _load_meta(data, meta_path, warns)


def _pair_paths(path):
    base = path[: -len(META)] if path.endswith(META) else path[: -len(DATA)]
    return base + META, base + DATA


def dataset_path(meta_path, dataset):
    """The file ``core:dataset`` names, which must lie in the metadata file's folder.

    A SigMF file is often received from someone else: ``"../secret/key"``, an absolute path or
    a symbolic link out of the folder would make ``info``, ``convert`` and ``replay`` read (and
    serve) any file the user can read. The schema's pattern does not stop it (it is not
    anchored at the end), so htdsp checks it itself.

    Examples
    --------
    >>> dataset_path("/data/a.sigmf-meta", "a.cu8")
    '/data/a.cu8'
    >>> try:
    ...     dataset_path("/data/a.sigmf-meta", "../etc/passwd")
    ... except InputError as e:
    ...     print(e.problem)
    core:dataset '../etc/passwd' is outside the metadata's folder (a dataset must be a file \
beside its metadata)
    """
    why = None
    if not isinstance(dataset, str) or not dataset.strip() or "\x00" in dataset:
        why = "is not a file name"
    else:
        parts = dataset.replace("\\", "/").split("/")
        if os.path.isabs(dataset) or dataset.startswith(("/", "\\")) or ".." in parts \
                or (len(dataset) > 1 and dataset[1] == ":"):
            why = "is outside the metadata's folder"
    folder = os.path.dirname(os.path.abspath(meta_path))
    if why is None:
        target = os.path.join(folder, dataset)
        real_folder = os.path.realpath(folder)
        real = os.path.realpath(target)
        if os.path.commonpath([real_folder, real]) != real_folder or real == real_folder:
            why = "resolves outside the metadata's folder (a symbolic link)"
    if why is not None:
        raise InputError(f"core:dataset {dataset!r} {why} (a dataset must be a file beside "
                         "its metadata)", meta_path)
    return os.path.join(os.path.dirname(meta_path), dataset)


def open_sigmf(path, rate_hz=None, center_hz=None, swap_iq=False, fmt=None):
    """Open a SigMF recording: a ``.sigmf-meta`` or ``.sigmf-data`` path, or a ``.sigmf`` archive.

    Options override the metadata (``fmt`` overrides ``core:datatype``).

    Raises
    ------
    InputError
        Not UTF-8, not JSON, fails the schema, a ``core:dataset`` outside the metadata's
        folder, a missing data file, a datatype that does not divide the data, a real-valued
        or multi-channel dataset, metadata only, rate unknown or outside the supported range.
    """
    path = str(path)
    check_readable(path)
    warns = []
    if path.endswith(ARCHIVE):
        meta, data_path, data_offset, data_size = _open_archive(path, warns)
        container = "sigmf-archive"
    else:
        meta_path, default_data = _pair_paths(path)
        meta = _read_meta_file(meta_path, warns)
        ds = meta["global"].get("core:dataset")
        data_path = dataset_path(meta_path, ds) if ds is not None else default_data
        if meta["global"].get("core:metadata_only") and ds is None:
            raise InputError("metadata only (core:metadata_only): no samples to read", meta_path)
        if not os.path.lexists(data_path):
            raise InputError(f"data file {os.path.basename(data_path)} not found", meta_path)
        check_readable(data_path)
        data_offset, data_size = 0, os.path.getsize(data_path)
        path = meta_path
        container = "sigmf"
    return _recording(path, container, meta, data_path, data_offset, data_size, warns,
                      rate_hz, center_hz, swap_iq, fmt)


def _member_name_ok(name):
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith("/") or ".." in parts)


def _open_archive(path, warns):
    try:
        tar = tarfile.open(path, "r:")
    except (tarfile.TarError, OSError, EOFError, ValueError) as e:
        raise InputError(f"not a SigMF archive (uncompressed tar): {_one_line(e)}", path) from None
    with tar:
        try:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
        except (tarfile.TarError, OSError, EOFError, ValueError) as e:
            raise InputError(f"damaged SigMF archive (truncated tar?): {_one_line(e)}",
                             path) from None
        metas = sorted(n for n in members if n.endswith(META))
        if not metas:
            raise InputError("archive holds no .sigmf-meta", path)
        if len(metas) > 1:
            warns.append(f"archive holds {len(metas)} recordings; reading {metas[0]}")
        m_meta = members[metas[0]]
        if m_meta.size > MAX_META_BYTES:
            raise InputError(f"archive metadata of {m_meta.size / 2**20:.0f} MiB is too large",
                             path)
        where = f"{path}:{metas[0]}"
        try:
            raw = tar.extractfile(m_meta).read()
        except (tarfile.TarError, OSError, EOFError, ValueError) as e:
            raise InputError(f"damaged SigMF archive: {_one_line(e)}", path) from None
        meta = _load_meta(raw, where, warns)
        data_name = metas[0][: -len(META)] + DATA
        ds = meta["global"].get("core:dataset")
        if ds is not None:
            if not isinstance(ds, str) or not _member_name_ok(ds):
                raise InputError(f"core:dataset {ds!r} is outside the archive's recording", where)
            data_name = os.path.join(os.path.dirname(metas[0]), ds)
        if data_name not in members:
            raise InputError(f"data member {data_name} not found in the archive", path)
        m = members[data_name]
        if m.offset_data + m.size > os.path.getsize(path):
            raise InputError(f"archive is truncated inside its data member {data_name}", path)
        return meta, path, m.offset_data, m.size


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


def _check_segments(captures, annotations, samples, warns):
    """Warn about capture segments and annotations that cannot be right (they are kept)."""
    beyond = [c["core:sample_start"] for c in captures if c["core:sample_start"] >= samples > 0]
    if beyond:
        warns.append(f"{len(beyond)} capture segment(s) start beyond the {samples} samples of "
                     f"the data (at sample {beyond[0]})")
    late = [a for a in annotations if a.get("core:sample_start", 0) >= samples
            or a.get("core:sample_start", 0) + a.get("core:sample_count", 0) > samples]
    if late:
        warns.append(f"{len(late)} annotation(s) reach beyond the {samples} samples of the data")
    flipped = [a for a in annotations if "core:freq_lower_edge" in a
               and "core:freq_upper_edge" in a
               and a["core:freq_lower_edge"] > a["core:freq_upper_edge"]]
    if flipped:
        warns.append(f"{len(flipped)} annotation(s) have core:freq_lower_edge above "
                     "core:freq_upper_edge")


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
    rate_hz = check_rate(rate_hz, path, "give `rate_hz` (no core:sample_rate)")
    captures = sorted(meta.get("captures", []), key=lambda c: c["core:sample_start"])
    first = captures[0] if captures else {}
    if center_hz is not None:
        sources["center_freq_hz"] = "option"
    elif "core:frequency" in first:
        center_hz = float(first["core:frequency"])
        sources["center_freq_hz"] = "sigmf"
    if center_hz is not None:
        from htdsp.limits import CENTER_FREQ

        center_hz = CENTER_FREQ.check(center_hz, path)
    trailing = int(g.get("core:trailing_bytes", 0))
    if fmt:
        trailing = data_size % dt.sample_bytes  # an override may not divide: keep whole samples
    extents = [Extent(e.sample_start, e.samples, e.byte_offset + data_offset)
               for e in _extents(captures, dt, data_size, trailing, path)]
    samples = sum(e.samples for e in extents)
    if samples == 0:
        raise InputError("recording holds no samples", path)
    annotations = list(meta.get("annotations", []))
    _check_segments(captures, annotations, samples, warns)
    freqs = {c.get("core:frequency") for c in captures if "core:frequency" in c}
    if len(freqs) > 1:
        warns.append(f"{len(freqs)} capture segments with different centre frequencies; "
                     "the first one's applies unless a command handles segments")
    geo = g.get("core:geolocation") or first.get("core:geolocation")
    extra = {k: v for k, v in g.items() if k not in _INTERPRETED}
    return Recording(path, data_path, container, dt, rate_hz,
                     None if center_hz is None else float(center_hz), samples, extents,
                     swap_iq=bool(swap_iq), datetime=first.get("core:datetime"),
                     captures=captures, annotations=annotations,
                     geolocation=geo, hw=g.get("core:hw"), description=g.get("core:description"),
                     extra_global=extra, warnings=warns, sources=sources)


def write_meta(path, meta, warn=None):
    """Write SigMF metadata atomically (beside, fsync, rename): strict JSON, non-finite numbers
    as null (``warn`` hears where)."""
    from htdsp.io.jsonio import dumps
    from htdsp.io.outputs import AtomicFile

    text = dumps(meta, indent=2, warn=warn) + "\n"
    with AtomicFile(path, "w") as f:
        f.file.write(text)


def write_annotations_meta(path, info, annotations, description=None):
    """Metadata describing a recording's data file in place (``core:dataset`` names it) with
    ``annotations``: validated against the SigMF schema, written atomically to ``path``.
    ``info`` is a recording or a :class:`htdsp.sources.SourceInfo` (``datatype``,
    ``sample_rate_hz``, ``data_path``, ``center_freq_hz``, ``datetime``, ``geolocation``)."""
    from sigmf.validate import validate

    from htdsp.io.jsonio import clean

    g = {"core:datatype": info.datatype, "core:version": SIGMF_VERSION,
         "core:sample_rate": info.sample_rate_hz,
         "core:dataset": os.path.basename(info.data_path),
         "core:extensions": [{"name": "htdsp", "version": "1.0.0", "optional": True}]}
    if description:
        g["core:description"] = description
    if getattr(info, "geolocation", None):
        g["core:geolocation"] = info.geolocation
    caps = [{"core:sample_start": 0}]
    if info.center_freq_hz is not None:
        caps[0]["core:frequency"] = info.center_freq_hz
    if getattr(info, "datetime", None):
        caps[0]["core:datetime"] = info.datetime
    meta = clean({"global": g, "captures": caps,
                  "annotations": sorted(annotations, key=lambda a: a["core:sample_start"])})[0]
    validate(meta)
    write_meta(path, meta)
    return path


class SigMFWriter(WholeOrNothing):
    """Write a SigMF recording (see module docstring).

    Parameters
    ----------
    path : str
        ``NAME.sigmf-meta`` or ``NAME.sigmf-data`` (writes the pair), or ``NAME.sigmf`` (an
        archive: the data go to a temporary file beside it, and the archive appears, whole,
        on close; nothing named ``NAME.sigmf-*`` is touched).
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
        How often the metadata is rewritten while writing (incremental pairs).
    atomic : bool
        False (default): incremental, the pair is valid on disk at every moment (a recording
        that must survive a crash). True: both files are written to temporary names and appear
        only on :meth:`close` (a conversion: a killed run leaves no half file).
    overwrite : bool
        Replace existing files (default: refuse, :class:`~htdsp.io.outputs.OutputExists`).
    warn : callable, optional
        Hears problems with the metadata (non-finite numbers written as null).
    """

    def __init__(self, path, dt_name, sample_rate_hz, *, center_freq_hz=None, datetime=None,
                 hw=None, description=None, geolocation=None, captures=None, annotations=None,
                 extra_global=None, flush_interval_s=2.0, atomic=False, overwrite=False,
                 warn=None):
        from htdsp.io.outputs import AtomicFile, check_output

        path = str(path)
        if dt_name not in WRITABLE and short_name(datatype(dt_name)) not in WRITABLE:
            raise InputError(f"SigMF output datatype must be one of {', '.join(WRITABLE)}, "
                             f"not {dt_name}", path)
        self.dt = datatype(dt_name)
        if not (path.endswith((META, DATA, ARCHIVE))):
            raise InputError("a SigMF output name ends in .sigmf-meta, .sigmf-data or .sigmf",
                             path)
        self.archive = path if path.endswith(ARCHIVE) else None
        self.atomic = bool(atomic) or self.archive is not None
        self._warn = warn
        if self.archive:
            check_output(self.archive, overwrite=overwrite)
            self.meta_path = self.data_path = None
        else:
            self.meta_path, self.data_path = _pair_paths(path)
            for p in (self.meta_path, self.data_path):
                check_output(p, overwrite=overwrite)
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
        self._overwrite = overwrite
        self._out = None
        if self.atomic:
            # the data to a temporary file (the archive's is packed into the archive on close)
            target = self.archive + ".data" if self.archive else self.data_path
            self._out = AtomicFile(target, overwrite=overwrite)
            self._data = self._out.file
        else:
            try:
                self._data = open(self.data_path, "wb" if overwrite else "xb")
            except FileExistsError:
                raise InputError("exists: a recording is never replaced silently",
                                 self.data_path) from None
            except OSError as e:
                raise InputError(f"cannot write: {e.strerror}", self.data_path) from None
            try:
                write_meta(self.meta_path, self._meta, self._warn)
            except BaseException:
                self._data.close()
                os.unlink(self.data_path)
                raise
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
        if not self.atomic and time.monotonic() - self._last >= self._interval:
            self.flush()

    def cut_to_whole_samples(self):
        """After a failed write (a full disk): the data file cut back to the whole samples
        written, so the recording stays valid (best effort: the disk may refuse even that)."""
        if self._data is None or self.atomic:
            return
        try:
            self._data.flush()
        except OSError:
            pass
        try:
            os.truncate(self.data_path, self.samples * self.dt.sample_bytes)
        except OSError:
            pass

    def flush(self):
        """Flush the data and rewrite the metadata atomically: a valid recording on disk now
        (incremental pairs; an atomic writer has nothing on disk until :meth:`close`)."""
        self._data.flush()
        os.fsync(self._data.fileno())
        if not self.atomic:
            write_meta(self.meta_path, self._meta, self._warn)
        self._last = time.monotonic()

    def close(self):
        """Finish: flush, write ``core:sha512``; an atomic pair or an archive appears now."""
        if self._data is None:
            return
        from htdsp.io.jsonio import dumps
        from htdsp.io.outputs import AtomicFile

        self._meta["global"]["core:sha512"] = self._hash.hexdigest()
        if not self.atomic:
            self.flush()
            self._data.close()
            self._data = None
            return
        self._data = None
        if self.archive is None:
            self._out.commit()                            # the data first, then its metadata
            write_meta(self.meta_path, self._meta, self._warn)
            return
        name = os.path.basename(self.archive)[: -len(ARCHIVE)]
        meta = (dumps(self._meta, indent=2, warn=self._warn) + "\n").encode("utf-8")
        self._out.file.flush()
        try:
            with AtomicFile(self.archive, overwrite=self._overwrite) as out:
                with tarfile.open(fileobj=out.file, mode="w",
                                  format=tarfile.PAX_FORMAT) as tar:
                    info = tarfile.TarInfo(f"{name}/{name}{META}")
                    info.size, info.mtime, info.mode = len(meta), int(time.time()), 0o644
                    tar.addfile(info, io.BytesIO(meta))
                    tar.add(self._out.temp, arcname=f"{name}/{name}{DATA}")
        finally:
            self._out.abort()                             # the packed data's temporary file

    def abort(self):
        """Stop without finishing: an atomic writer removes its temporary files (nothing
        appears); an incremental one closes, leaving the valid recording written so far."""
        if self._data is None:
            return
        if self.atomic:
            self._data = None
            self._out.abort()
        else:
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

