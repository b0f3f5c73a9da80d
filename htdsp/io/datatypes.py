"""Sample datatypes: SigMF names, element layout, scale to floats, ADC rails.

The command line uses the short names of measurement.md 2b (``cu8``, ``cs8``, ``cs16``,
``cf32``); SigMF names every complex datatype (``cu8``, ``ci8``, ``ci16_le``, ``cf32_be``, ...).
Integers map to floats as ``(v - offset) * scale``: cu8 ``(v - 127.5) / 127.5``, signed
``v / 2**(bits-1)``, unsigned 16/32-bit like cu8 about mid-scale; floats as they are.
"""

import re
from dataclasses import dataclass

import numpy as np

from htdsp.dsp.convert import FORMAT_DTYPES
from htdsp.kernels import quantize_kernel


@dataclass(frozen=True)
class DataType:
    """One complex sample datatype."""

    #: SigMF name, e.g. ``ci16_le``
    name: str
    #: numpy dtype of one element (I or Q), with its byte order
    element: np.dtype
    #: ``v -> (v - offset) * scale``
    offset: float
    scale: float
    #: the converted values of the lowest and highest codes (clipping rails); floats: -1, 1
    rail_lo: float
    rail_hi: float

    @property
    def sample_bytes(self):
        return 2 * self.element.itemsize

    @property
    def is_float(self):
        return self.element.kind == "f"

    @property
    def kernel_format(self):
        """The CLI/kernel format name when the kernels read this layout directly, else None."""
        for fmt, dt in FORMAT_DTYPES.items():
            if dt == self.element and self.element.isnative:
                return fmt
        return None

    @property
    def bits(self):
        return 8 * self.element.itemsize


def _make(name):
    m = re.fullmatch(r"c(f|i|u)(8|16|32|64)(?:_(le|be))?", name)
    if not m:
        return None
    kind, bits, order = m.group(1), int(m.group(2)), m.group(3)
    if kind == "f" and bits not in (32, 64) or kind != "f" and bits == 64:
        return None
    if bits > 8 and order is None or bits == 8 and order is not None:
        return None
    code = {"f": "f", "i": "i", "u": "u"}[kind] + str(bits // 8)
    element = np.dtype(("<" if order != "be" else ">") + code) if bits > 8 else np.dtype(code)
    if kind == "f":
        return DataType(name, element, 0.0, 1.0, -1.0, 1.0)
    if kind == "i":
        full = 2.0 ** (bits - 1)
        return DataType(name, element, 0.0, 1.0 / full, -1.0, (full - 1) / full)
    half = (2.0**bits - 1) / 2
    return DataType(name, element, half, 1.0 / half, -1.0, 1.0)


#: short (command-line) names -> SigMF names
SHORT_NAMES = {"cu8": "cu8", "cs8": "ci8", "cs16": "ci16_le", "cf32": "cf32_le"}
#: datatypes htdsp can write (short names)
WRITABLE = tuple(SHORT_NAMES)


def datatype(name):
    """The DataType for a SigMF name (``ci16_le``) or a short name (``cs16``).

    Raises ValueError for real-valued, unknown or malformed names.

    Examples
    --------
    >>> datatype("cs16").name, datatype("cu8").offset
    ('ci16_le', 127.5)
    >>> datatype("cf32_be").element.str
    '>f4'
    """
    name = str(name)
    full = SHORT_NAMES.get(name, name)
    dt = _make(full)
    if dt is None:
        if re.fullmatch(r"r(f|i|u)\d+(_(le|be))?", full):
            raise ValueError(f"real-valued datatype {name!r} is not supported: htdsp needs "
                             "complex I/Q")
        raise ValueError(f"unknown datatype {name!r}")
    return dt


def short_name(dt):
    """The short name of a writable datatype (``ci16_le`` -> ``cs16``), else the SigMF name."""
    for short, full in SHORT_NAMES.items():
        if full == dt.name:
            return short
    return dt.name


def to_elements(x, dt, counts=None):
    """Quantise complex samples to interleaved elements of ``dt`` (rounded, clipped to the rails).

    ``counts``, a dict, gets ``"clipped"`` increased by the number of elements clipped (for
    floats: elements with ``|v| >= 1``).

    Examples
    --------
    >>> to_elements(np.array([1 + 0j, -1 - 0.5j], np.complex64), datatype("cu8"))
    array([255, 128,   0,  64], dtype=uint8)
    """
    x = np.ascontiguousarray(x, dtype=np.complex64)
    v = x.view(np.float32)
    if dt.is_float:
        if counts is not None:
            counts["clipped"] = counts.get("clipped", 0) + int(np.count_nonzero(np.abs(v) >= 1))
        return v.astype(dt.element)
    info = np.iinfo(dt.element)
    if dt.bits <= 16:
        out = np.empty(v.size, dtype=dt.element.newbyteorder("="))
        n = quantize_kernel(v, np.float32(1 / dt.scale), np.float32(dt.offset),
                            np.float32(info.min), np.float32(info.max), out)
        e = out.astype(dt.element, copy=False)
    else:
        q = np.rint(v.astype(np.float64) / dt.scale + dt.offset)
        n = int(np.count_nonzero((q <= info.min) | (q >= info.max)))
        e = np.clip(q, info.min, info.max).astype(dt.element)
    if counts is not None:
        counts["clipped"] = counts.get("clipped", 0) + int(n)
    return e


def as_elements(x, dt):
    """What a writer stores: complex samples quantised to ``dt``, or raw elements passed through."""
    a = np.asarray(x)
    return to_elements(a, dt) if np.iscomplexobj(a) else a.astype(dt.element, copy=False)


def to_complex(e, dt):
    """Interleaved elements of ``dt`` -> complex64 (the reference decode of measurement.md 2b)."""
    e = np.asarray(e)
    n = e.size // 2
    v = (e[: 2 * n].astype(np.float64) - dt.offset) * dt.scale
    out = np.empty(n, dtype=np.complex64)
    out.real = v[0::2]
    out.imag = v[1::2]
    return out
