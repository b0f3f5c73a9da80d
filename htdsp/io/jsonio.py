"""One JSON writer for every command, and the reading of untrusted JSON.

Writing: strict JSON only. Python's ``json`` writes ``NaN`` and ``Infinity`` tokens, which no
JSON parser outside Python accepts; here every non-finite number becomes ``null`` and is
reported (its place in the document, e.g. ``captures[0].core:frequency``), so the caller can
warn, and ``allow_nan=False`` guards the rest.

Reading (:func:`loads_untrusted`): bytes from a file the user gave, which may be anything:
not UTF-8, nested ten thousand deep, NaN where a number should be. Every such case is an
:class:`~htdsp.errors.InputError` with one line, or (non-finite numbers) a list of places for a
warning; never a traceback.
"""

import json
import math

from htdsp.errors import InputError

#: JSON deeper than this is refused (real SigMF metadata is a few levels deep; Python's parser
#: and the schema validator recurse and would overflow the stack on hostile nesting)
MAX_DEPTH = 64


def _where(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top)"


def clean(obj):
    """A copy of ``obj`` with every non-finite float replaced by None, and the places replaced.

    Examples
    --------
    >>> clean({"a": [1.0, float("nan")], "b": {"c": float("inf")}})
    ({'a': [1.0, None], 'b': {'c': None}}, ['a[1]', 'b.c'])
    """
    out, bad = clean_paths(obj)
    return out, [_where(p) for p in bad]


def clean_paths(obj):
    """:func:`clean`, with each place as a tuple of keys and indexes."""
    bad = []

    def walk(v, path):
        if isinstance(v, float):
            if math.isfinite(v):
                return v
            bad.append(path)
            return None
        if isinstance(v, dict):
            return {k: walk(x, (*path, k)) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x, (*path, i)) for i, x in enumerate(v)]
        if hasattr(v, "item") and hasattr(v, "dtype"):       # numpy scalars
            return walk(v.item(), path)
        return v

    return walk(obj, ()), bad


def _has_nonfinite(v):
    if isinstance(v, float):
        return not math.isfinite(v)
    if isinstance(v, dict):
        return any(_has_nonfinite(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(_has_nonfinite(x) for x in v)
    if hasattr(v, "item") and hasattr(v, "dtype"):
        return _has_nonfinite(v.item())
    return False


def _strict(obj, warn):
    """``obj``, or a cleaned copy when it holds a non-finite number (said to ``warn``): a
    score document holds every window of a long run, so it is copied only when it must be."""
    if not _has_nonfinite(obj):
        return obj
    cleaned, bad = clean(obj)
    if warn is not None:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        warn(f"not a finite number, written as null: {', '.join(bad[:5])}{more}")
    return cleaned


def dumps(obj, *, indent=None, warn=None):
    """Strict JSON text of ``obj``; non-finite numbers become null and ``warn`` (a callable
    taking one line) hears where."""
    try:                          # the common case at the encoder's speed: nothing to clean
        return json.dumps(obj, indent=indent, allow_nan=False)
    except ValueError:
        return json.dumps(_strict(obj, warn), indent=indent, allow_nan=False)


def dump(obj, fp, *, indent=None, warn=None):
    """:func:`dumps` written to the text file ``fp`` piece by piece (never the whole text in
    memory at once)."""
    enc = json.JSONEncoder(indent=indent, allow_nan=False)
    for piece in enc.iterencode(_strict(obj, warn)):
        fp.write(piece)


def _depth(text):
    """The deepest nesting of brackets in JSON text (strings skipped)."""
    depth = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > best:
                best = depth
                if best > MAX_DEPTH:
                    return best
        elif ch in "]}":
            depth -= 1
    return best


def loads_untrusted(data, path):
    """Parse JSON ``data`` (bytes or str) from the file ``path``.

    Returns ``(obj, nonfinite)``: the value with every NaN / Infinity replaced by None, and the
    places they were at (tuples of keys and indexes, as :func:`clean_paths`). Raises
    :class:`InputError` (one line, naming ``path``) for text that is not UTF-8, not JSON, or
    nested deeper than :data:`MAX_DEPTH`.
    """
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"not UTF-8 text (byte {e.start} is 0x{data[e.start]:02x}): not "
                             "JSON metadata", path) from None
    if data.startswith("\ufeff"):
        data = data[1:]                                   # a byte-order mark some editors add
    if _depth(data) > MAX_DEPTH:
        raise InputError(f"JSON nested deeper than {MAX_DEPTH} levels: not SigMF metadata", path)
    try:
        obj = json.loads(data)
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                         path) from None
    except (RecursionError, ValueError) as e:
        raise InputError(f"not valid JSON: {e}", path) from None
    return clean_paths(obj)


def where(path):
    """A place as :func:`clean_paths` gives it, written ``captures[0].core:frequency``."""
    return _where(path)
