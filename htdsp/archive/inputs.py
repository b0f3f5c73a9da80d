"""An archive's inputs: files, directories (recursively), globs and manifests, expanded to
one :class:`Capture` each, in a stable order."""

import csv
import dataclasses
import glob
import os

from htdsp.errors import InputError

#: the name ending that makes an input a manifest (a CSV: ``path`` and optional overrides)
MANIFEST_SUFFIX = ".manifest.csv"
#: a manifest's columns besides ``path`` (empty cells: no override)
MANIFEST_FIELDS = ("rate_hz", "center_hz", "location", "site")
#: the names a directory's recordings end with (a SigMF pair counts once, by its meta)
RECORDING_SUFFIXES = (".sigmf-meta", ".sigmf", ".wav", ".cu8", ".cs8", ".cs16", ".cf32",
                      ".cfile", ".fc32", ".raw", ".iq", ".bin")
_OUTPUT_SUFFIX = ".scored.sigmf-meta"


@dataclasses.dataclass(frozen=True)
class Capture:
    """One recording of an archive and what its manifest says of it.

    ``rate_hz`` / ``center_hz``: overrides of the recording's own (None: its own);
    ``location`` / ``site``: the test location and the receiving site (None: from the
    recording, see :mod:`htdsp.archive.views`).
    """

    path: str
    rate_hz: float | None = None
    center_hz: float | None = None
    location: str | None = None
    site: str | None = None


def is_recording(name):
    """Whether a file found in a directory is, by its name, a recording to score (not a
    ``.sigmf-data`` half, nor a ``*.scored.sigmf-meta`` output).

    Examples
    --------
    >>> [is_recording(n) for n in ("a.sigmf-meta", "a.sigmf-data", "a.scored.sigmf-meta",
    ...                            "b.cu8", "notes.txt")]
    [True, False, False, True, False]
    """
    low = name.lower()
    if low.endswith(_OUTPUT_SUFFIX) or low.startswith("."):
        return False
    return low.endswith(RECORDING_SUFFIXES)


def _walk(d):
    out = []
    for root, dirs, files in os.walk(d, followlinks=False):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        out += [os.path.join(root, f) for f in sorted(files) if is_recording(f)]
    return _only_recordings(out)


def _only_recordings(paths):
    """Files found by name that are recordings: not the file a SigMF metadata's
    ``core:dataset`` names (the data half of that pair), nor a mono WAV (audio, such as
    ``htdsp demod`` writes)."""
    from htdsp.archive.cache import data_files
    from htdsp.io.wav import wav_channels

    halves = {os.path.realpath(f) for p in paths if p.lower().endswith(".sigmf-meta")
              for f in data_files(p)[1:]}
    return [p for p in paths if os.path.realpath(p) not in halves
            and not (p.lower().endswith(".wav") and wav_channels(p) == 1)]


def _number(v, what, where):
    try:
        return float(v)
    except ValueError:
        raise InputError(f"manifest column {what}: not a number: {v!r}", where) from None


def read_manifest(path):
    """The captures a manifest lists (paths relative to the manifest's folder).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> m = os.path.join(d, "day1.manifest.csv")
    >>> _ = open(m, "w").write("path,location,site\\na.cu8,hill,north\\n")
    >>> c, = read_manifest(m)
    >>> os.path.basename(c.path), c.location, c.site, c.rate_hz
    ('a.cu8', 'hill', 'north', None)
    """
    base = os.path.dirname(os.path.abspath(path))
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read the manifest: {e}", path) from None
    out = []
    for i, r in enumerate(rows, 2):
        p = (r.get("path") or "").strip()
        if not p:
            raise InputError(f"manifest line {i}: no path", path)
        kw = {}
        for k in MANIFEST_FIELDS:
            v = (r.get(k) or "").strip()
            if v:
                kw[k] = _number(v, k, path) if k.endswith("_hz") else v
        out.append(Capture(os.path.normpath(os.path.join(base, p)), **kw))
    return out


def expand(inputs):
    """Every capture named by ``inputs`` (files, directories, globs, manifests), each once,
    in the order given (a directory's and a glob's sorted).

    Returns ``(captures, problems)``: ``problems`` are ``(input, message)`` for an input
    that names nothing (a glob matching nothing, an unreadable manifest); a file that is not
    there is kept, for the reader to report by name.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for n in ("a.sigmf-meta", "a.sigmf-data", "a.scored.sigmf-meta", "b.cu8"):
    ...     _ = open(os.path.join(d, n), "w").write("x")
    >>> caps, problems = expand([d])
    >>> [os.path.basename(c.path) for c in caps], problems
    (['a.sigmf-meta', 'b.cu8'], [])
    """
    caps, problems, seen = [], [], set()

    def add(c):
        if c.path not in seen:
            seen.add(c.path)
            caps.append(c)

    for x in inputs:
        x = str(x)
        if os.path.isdir(x):
            found = _walk(x)
            if not found:
                problems.append((x, "is a directory with no recording in it"))
            for p in found:
                add(Capture(p))
        elif x.lower().endswith(MANIFEST_SUFFIX) and os.path.isfile(x):
            try:
                for c in read_manifest(x):
                    add(c)
            except InputError as e:
                problems.append((x, e.problem))
        elif glob.has_magic(x) and not os.path.exists(x):
            found = _only_recordings(sorted(
                p for p in glob.glob(x, recursive=True)
                if os.path.isfile(p) and is_recording(os.path.basename(p))))
            if not found:
                problems.append((x, "no recording matches this pattern"))
            for p in found:
                add(Capture(p))
        else:
            add(Capture(x))
    return caps, problems
