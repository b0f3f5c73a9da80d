"""Raw interleaved I/Q recordings (rtl_sdr cu8, HackRF cs8, cs16, GNU Radio cf32), streamed.

A raw file has no header, so its format comes from the extension (or ``fmt``), and its sample
rate and centre frequency from the caller. Reading is chunked into one reused buffer: memory stays
constant whatever the file's size.
"""

import os
from dataclasses import dataclass, field

import numpy as np

from htdsp.convert import FORMAT_DTYPES
from htdsp.errors import InputError

#: extensions that name their format
EXTENSIONS = {
    ".cu8": "cu8", ".cs8": "cs8", ".cs16": "cs16", ".cf32": "cf32", ".cfile": "cf32",
    ".fc32": "cf32",
}
#: default chunk, in complex samples (512 KiB of cu8: large enough that per-call overheads vanish)
CHUNK_SAMPLES = 1 << 18


@dataclass
class RawRecording:
    """An open raw recording: its metadata and a chunk iterator.

    Attributes
    ----------
    path : str
    format : str
        ``cu8``, ``cs8``, ``cs16`` or ``cf32``.
    sample_rate_hz : float
    center_freq_hz : float or None
    samples : int
        Whole complex samples in the file.
    warnings : list of str
        Problems found that do not stop processing (e.g. a partial last sample).
    """

    path: str
    format: str
    sample_rate_hz: float
    center_freq_hz: float | None
    samples: int
    warnings: list = field(default_factory=list)

    @property
    def duration_s(self):
        return self.samples / self.sample_rate_hz

    @property
    def element_dtype(self):
        return FORMAT_DTYPES[self.format]

    def chunks(self, chunk_samples=CHUNK_SAMPLES):
        """Yield raw interleaved element arrays of at most ``chunk_samples`` samples.

        Each array is a view of one reused buffer: use it before asking for the next.
        """
        if chunk_samples < 1:
            raise ValueError("chunk_samples must be >= 1")
        dtype = self.element_dtype
        buf = np.empty(2 * chunk_samples, dtype=dtype)
        left = self.samples
        try:
            f = open(self.path, "rb", buffering=0)
        except OSError as e:
            raise InputError(f"cannot read: {e.strerror}", self.path) from None
        with f:
            while left > 0:
                n = min(chunk_samples, left)
                view = buf[: 2 * n]
                got = f.readinto(memoryview(view).cast("B"))
                if got != view.nbytes:
                    raise InputError("file shrank while being read", self.path)
                left -= n
                yield view if dtype.isnative else view.astype(dtype.newbyteorder("="))


def format_from_name(path):
    """The format named by the file's extension, or None."""
    return EXTENSIONS.get(os.path.splitext(str(path))[1].lower())


def check_readable(path):
    """Raise InputError unless ``path`` is an existing, readable, non-empty regular file."""
    path = str(path)
    if not os.path.exists(path):
        raise InputError("no such file", path)
    if os.path.isdir(path):
        raise InputError("is a directory, not a recording", path)
    if not os.access(path, os.R_OK):
        raise InputError("permission denied", path)
    if os.path.getsize(path) == 0:
        raise InputError("file is empty", path)


def open_raw(path, fmt=None, rate_hz=None, center_hz=None):
    """Open a raw I/Q file for streaming.

    Parameters
    ----------
    path : str or path-like
    fmt : {'cu8', 'cs8', 'cs16', 'cf32'}, optional
        Overrides the extension.
    rate_hz : float
        Sample rate; required (raw files do not carry it).
    center_hz : float, optional
        Centre frequency of the recording.

    Raises
    ------
    InputError
        Missing, unreadable, empty file; unknown format; rate missing or impossible; a file
        shorter than one sample.
    """
    path = str(path)
    check_readable(path)
    fmt = fmt or format_from_name(path)
    if fmt is None:
        ext = os.path.splitext(path)[1] or "(none)"
        raise InputError(f"unknown format for extension {ext}; give --format "
                         f"{'|'.join(FORMAT_DTYPES)}", path)
    if fmt not in FORMAT_DTYPES:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMAT_DTYPES)}", path)
    if rate_hz is None:
        raise InputError("sample rate unknown for a raw file; give --rate", path)
    if not (np.isfinite(rate_hz) and rate_hz > 0):
        raise InputError(f"impossible sample rate {rate_hz!r}", path)
    size = os.path.getsize(path)
    sample_bytes = 2 * FORMAT_DTYPES[fmt].itemsize
    samples = size // sample_bytes
    if samples == 0:
        raise InputError(f"shorter than one {fmt} sample ({size} bytes)", path)
    rec = RawRecording(path, fmt, float(rate_hz), None if center_hz is None else float(center_hz),
                       samples)
    if size % sample_bytes:
        rec.warnings.append(f"{size % sample_bytes} trailing bytes (a partial sample) ignored")
    return rec
