"""The results cache: a capture's result kept under a key of its content, the options that
change the result and htdsp's own code, written atomically, checked when read (a corrupt or
partial entry is a miss, never trusted).

An entry is a line of JSON (its format, key and the SHA-256 of its body) and the body, the
result pickled (a capture's log holds its records as they are, numpy arrays and all: pickle
keeps them exactly). A pickle runs code when it is read, so an entry is read only when the
current user owns it and its body's hash matches: keep the cache folder your own (the
default, under ``~/.cache`` or ``$HTDSP_CACHE_DIR``, is), as for joblib's or pip's caches.
"""

import functools
import hashlib
import json
import os
import pickle
from pathlib import Path

from htdsp.errors import InputError
from htdsp.io.outputs import AtomicFile

#: bytes hashed at each end of a capture without a SigMF ``core:sha512``
EDGE_BYTES = 1 << 20
#: environment variable naming htdsp's cache folder (see :func:`default_dir`)
CACHE_ENV = "HTDSP_CACHE_DIR"
_FORMAT = "htdsp.cache/2"


def default_dir():
    """``$HTDSP_CACHE_DIR/results`` (beside the compiled kernels' ``numba``), else
    ``$XDG_CACHE_HOME/htdsp/results``, else ``~/.cache/htdsp/results``."""
    if os.environ.get(CACHE_ENV):
        return os.path.join(os.environ[CACHE_ENV], "results")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "htdsp", "results")


@functools.lru_cache(maxsize=1)
def code_hash():
    """A hash of htdsp's own source (every ``.py`` of the package and its kernels): the
    version string does not change between commits, the code does."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    kernels = root.parent / "kernels"
    for d in (root, kernels):
        if not d.is_dir():
            continue
        for p in sorted(d.rglob("*.py")):
            h.update(str(p.relative_to(d.parent)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def meta_global(path):
    """A SigMF metadata file's ``global`` object, or None (not metadata, unreadable, not
    JSON). Read once per version of the file: an archive's reduce asks for it several times a
    capture (its data file, its hash, the outputs kept off it), and a simulated capture's
    metadata can be megabytes."""
    p = str(path)
    if not p.lower().endswith(".sigmf-meta"):
        return None
    try:
        st = os.stat(p)
    except OSError:
        return None
    return _read_global(os.path.realpath(p), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _read_global(path, size, mtime_ns):
    try:
        with open(path, encoding="utf-8") as f:
            g = json.load(f).get("global")
    except (OSError, ValueError, AttributeError):
        return None
    return g if isinstance(g, dict) else None


def data_files(path):
    """The files holding a capture's content: a SigMF pair's both halves, or the metadata
    and the file its ``core:dataset`` names (one it may name: beside it)."""
    p = str(path)
    if not p.lower().endswith(".sigmf-meta"):
        return [p]
    data = p[: -len(".sigmf-meta")] + ".sigmf-data"
    dataset = (meta_global(p) or {}).get("core:dataset")
    if dataset is not None:
        from htdsp.io.sigmf import dataset_path

        try:
            data = dataset_path(p, dataset)
        except InputError:
            pass                             # (the task reports a bad one, by name)
    return [p, data] if os.path.exists(data) else [p]


def _sha512(path):
    v = (meta_global(path) or {}).get("core:sha512")
    return v if isinstance(v, str) and len(v) == 128 else None


def content_id(path, edge_bytes=EDGE_BYTES):
    """What a capture's content is, cheaply: its files' size and mtime and a hash of their
    head and tail (a SigMF ``core:sha512`` stands in for the data file's).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.cu8")
    >>> _ = open(p, "wb").write(bytes(100))
    >>> a = content_id(p)
    >>> _ = open(p, "r+b").write(b"x")
    >>> a == content_id(p)
    False
    """
    h = hashlib.sha256()
    sha = _sha512(path)
    for p in data_files(path):
        st = os.stat(p)
        h.update(f"{os.path.basename(p)}|{st.st_size}|{st.st_mtime_ns}|".encode())
        if sha is not None and not p.lower().endswith(".sigmf-meta"):
            h.update(sha.encode())
            continue
        with open(p, "rb") as f:
            h.update(f.read(edge_bytes))
            if st.st_size > 2 * edge_bytes:
                f.seek(-edge_bytes, os.SEEK_END)
                h.update(f.read(edge_bytes))
            elif st.st_size > edge_bytes:
                h.update(f.read())
    return h.hexdigest()


def result_key(path, options):
    """The cache key of a capture's result: its content, the options that change the result
    (a JSON-able value), htdsp's code."""
    h = hashlib.sha256()
    h.update(content_id(path).encode())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    h.update(code_hash().encode())
    return h.hexdigest()


class ResultCache:
    """Results by key, one file each under ``root`` (``ab/abcdef....entry``).

    Each entry holds its key and a hash of its result: an entry cut short, edited, for
    another key or not the current user's reads as a miss (and is scored again, and
    rewritten).

    Examples
    --------
    >>> import tempfile
    >>> c = ResultCache(tempfile.mkdtemp())
    >>> c.get("k" * 64) is None
    True
    >>> c.put("k" * 64, {"rc": 0}); c.get("k" * 64)
    {'rc': 0}
    >>> data = open(c.path("k" * 64), "rb").read()
    >>> _ = open(c.path("k" * 64), "wb").write(data[:-3])
    >>> c.get("k" * 64) is None                      # a partial entry is not trusted
    True
    """

    def __init__(self, root):
        self.root = str(root)

    def path(self, key):
        return os.path.join(self.root, key[:2], key + ".entry")

    def get(self, key):
        """The result stored under ``key``, or None (absent, partial, corrupt, or not this
        user's)."""
        try:
            with open(self.path(key), "rb") as f:
                if hasattr(os, "getuid") and os.fstat(f.fileno()).st_uid != os.getuid():
                    return None
                head = json.loads(f.readline())
                body = f.read()
            ok = (head["format"] == _FORMAT and head["key"] == key
                  and head["sha256"] == hashlib.sha256(body).hexdigest())
            return pickle.loads(body) if ok else None
        except (OSError, ValueError, KeyError, TypeError, pickle.UnpicklingError, EOFError,
                AttributeError, ImportError):
            return None

    def put(self, key, result):
        """Store ``result`` (picklable) under ``key``, atomically."""
        body = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        head = {"format": _FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()}
        os.makedirs(os.path.dirname(self.path(key)), exist_ok=True)
        with AtomicFile(self.path(key), "wb") as f:
            f.file.write(json.dumps(head).encode() + b"\n")
            f.file.write(body)
