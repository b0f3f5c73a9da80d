"""Raw I/Q element streams (cu8, cs8, cs16, cf32) to complex64 samples.

Scales follow measurement.md 2b: cu8 ``(v - 127.5) / 127.5``, cs8 ``v / 128``, cs16 ``v / 32768``,
cf32 as is.
"""

import numpy as np

from htdsp.dsp._stream import StreamBlock, run_functional
from htdsp.kernels import FORMAT_SCALES, convert_kernel, convert_state

#: element dtype of each raw format (little-endian)
FORMAT_DTYPES = {
    "cu8": np.dtype(np.uint8),
    "cs8": np.dtype(np.int8),
    "cs16": np.dtype("<i2"),
    "cf32": np.dtype("<f4"),
}


def check_format(fmt):
    """Validate a sample-format name and return it."""
    if fmt not in FORMAT_DTYPES:
        raise ValueError(f"unknown sample format {fmt!r} (use one of {', '.join(FORMAT_DTYPES)})")
    return fmt


def format_of_dtype(dtype):
    """The raw format whose element dtype is ``dtype`` (uint8 -> cu8, ...), or None."""
    dtype = np.dtype(dtype)
    for fmt, d in FORMAT_DTYPES.items():
        if d == dtype or (d.kind == dtype.kind and d.itemsize == dtype.itemsize):
            return fmt
    return None


def format_scale(fmt):
    """``(offset, scale)`` as float32 for ``v -> (v - offset) * scale``."""
    offset, scale = FORMAT_SCALES[check_format(fmt)]
    return np.float32(offset), np.float32(scale)


def _elements(x, fmt):
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"raw elements must be 1-D, got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=FORMAT_DTYPES[fmt].newbyteorder("="))


def convert_zi():
    """Initial state for :func:`convert` (no pending element)."""
    return convert_state()


def convert(x, fmt, *, zi=None):
    """Convert interleaved raw I/Q elements to complex64.

    Parameters
    ----------
    x : array_like
        Interleaved elements I0, Q0, I1, Q1, ... in format ``fmt``.
    fmt : {'cu8', 'cs8', 'cs16', 'cf32'}
        Sample format (measurement.md 2b).
    zi : CONVERT_STATE array, optional
        State from :func:`convert_zi` or a previous call; not modified.

    Returns
    -------
    y : complex64 ndarray
        Whole samples converted.
    zf : CONVERT_STATE array
        Only when ``zi`` is given: the state to continue with (holds an unpaired last element).

    Examples
    --------
    >>> import numpy as np
    >>> convert(np.array([255, 0, 127, 128], dtype=np.uint8), "cu8")
    array([ 1.        -1.j        , -0.00392157+0.00392157j], dtype=complex64)
    >>> y, zf = convert(np.array([255, 0, 127], dtype=np.uint8), "cu8", zi=convert_zi())
    >>> len(y), int(zf["has_pending"][0])
    (1, 1)
    """
    return run_functional(Converter(fmt), x, zi)


def _run(e, fmt, state):
    offset, scale = format_scale(fmt)
    n_out = (int(state[0]["has_pending"]) + e.shape[0]) // 2
    out = np.empty(n_out + 1, dtype=np.complex64)
    k = convert_kernel(e, offset, scale, state, out.view(np.float32))
    return out[:k]


class Converter(StreamBlock):
    """Stateful raw-to-complex64 converter (see :func:`convert`).

    Examples
    --------
    >>> import numpy as np
    >>> c = Converter("cs16")
    >>> c.process(np.array([16384, -16384, 0], dtype=np.int16))
    array([0.5-0.5j], dtype=complex64)
    >>> c.process(np.array([32767], dtype=np.int16))
    array([0.+0.9999695j], dtype=complex64)
    """

    _mutable = ("_state",)
    _params = ("fmt",)

    def __init__(self, fmt):
        self.fmt = check_format(fmt)
        self._fresh()

    def _fresh(self):
        self._state = convert_state()

    def process(self, x):
        """Convert a chunk of elements; returns the whole samples completed by it."""
        return _run(_elements(x, self.fmt), self.fmt, self._state)
