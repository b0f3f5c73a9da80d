"""One view of every recording: where its samples are, what they mean, and how to read them.

Readers (raw, WAV, SigMF) only parse headers and metadata and return a :class:`Recording`; the
reading itself is here, the same for every container: the samples live in one or more byte
*extents* of a data file (one for raw, WAV and conforming SigMF; one per capture segment for a
SigMF non-conforming dataset with headers), and are read in chunks into one reused buffer, so
memory stays constant whatever the file's size.
"""

import errno
import os
import stat
from dataclasses import dataclass, field

import numpy as np

from htdsp.errors import InputError
from htdsp.io.datatypes import DataType, to_complex
from htdsp.kernels import convert_kernel, convert_state

#: default chunk, in complex samples (512 KiB of cu8: per-call overheads vanish, stays in L2)
CHUNK_SAMPLES = 1 << 18


@dataclass(frozen=True)
class Extent:
    """Samples ``[sample_start, sample_start + samples)`` at ``byte_offset`` of the data file."""

    sample_start: int
    samples: int
    byte_offset: int


@dataclass
class Recording:
    """An open recording: metadata and chunked, random-access reading.

    Attributes
    ----------
    path : str
        What the user named (the ``.sigmf-meta``, the ``.wav``, the raw file).
    data_path : str
        The file holding the samples (inside a ``.sigmf`` archive: the archive).
    container : str
        ``raw``, ``wav``, ``sigmf`` or ``sigmf-archive``.
    dt : DataType
        Sample datatype.
    sample_rate_hz : float
    center_freq_hz : float or None
    samples : int
        Complex samples in the recording.
    extents : list of Extent
    swap_iq : bool
        Exchange I and Q on reading (some tools write Q first).
    datetime : str or None
        RFC 3339 UTC time of the first sample.
    captures, annotations : list of dict
        SigMF capture segments and annotations (``core:`` keys), as read.
    geolocation : dict or None
        GeoJSON point (SigMF ``core:geolocation``).
    hw, description : str or None
    extra_global : dict
        Other SigMF global fields, kept so that conversions preserve them.
    warnings : list of str
        Problems that do not stop processing (partial last sample, NaN/Inf replaced, ...).
    sources : dict
        Where each metadata value came from: ``option``, ``sigmf``, ``wav header``, ``file name``.
    """

    path: str
    data_path: str
    container: str
    dt: DataType
    sample_rate_hz: float
    center_freq_hz: float | None
    samples: int
    extents: list
    swap_iq: bool = False
    datetime: str | None = None
    captures: list = field(default_factory=list)
    annotations: list = field(default_factory=list)
    geolocation: dict | None = None
    hw: str | None = None
    description: str | None = None
    extra_global: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    sources: dict = field(default_factory=dict)
    #: non-finite elements replaced by zero so far (float datatypes)
    nonfinite: int = 0

    @property
    def duration_s(self):
        return self.samples / self.sample_rate_hz

    @property
    def datatype(self):
        """SigMF name of the sample datatype."""
        return self.dt.name

    @property
    def format(self):
        """The short format name when the kernels read the layout directly, else None."""
        return self.dt.kernel_format

    # ------------------------------------------------------------------ reading
    def _pieces(self, start, count):
        """(extent, first sample inside it, count) covering ``[start, start + count)``."""
        end = start + count
        for ext in self.extents:
            lo = max(start, ext.sample_start)
            hi = min(end, ext.sample_start + ext.samples)
            if lo < hi:
                yield ext, lo - ext.sample_start, hi - lo

    def _clean(self, e):
        """Replace NaN/Inf elements by zero in place (float data) and count them."""
        if self.dt.is_float:
            bad = ~np.isfinite(e)
            nbad = int(np.count_nonzero(bad))
            if nbad:
                e[bad] = 0
                if not self.nonfinite:
                    self.warnings.append("NaN or infinite samples replaced by zero")
                self.nonfinite += nbad
        return e

    def _open(self):
        try:
            return open(self.data_path, "rb", buffering=0)
        except OSError as e:
            raise InputError(f"cannot read: {e.strerror}", self.data_path) from None

    def chunks(self, chunk_samples=CHUNK_SAMPLES, start=0, count=None, raw=True):
        """Yield ``(first_sample_index, array)`` over ``[start, start + count)``.

        With ``raw=True`` and a datatype the kernels read directly (cu8, ci8, ci16_le, cf32_le
        on this machine), the arrays are interleaved elements in one reused buffer: use each
        before asking for the next. Otherwise they are new complex64 arrays. Either way I/Q are
        swapped if ``swap_iq`` and NaN/Inf are zeroed and counted.
        """
        if chunk_samples < 1:
            raise ValueError("chunk_samples must be >= 1")
        count = self.samples - start if count is None else count
        if start < 0 or count < 0 or start + count > self.samples:
            raise ValueError(f"samples [{start}, {start + count}) are outside the recording "
                             f"(0..{self.samples})")
        el = self.dt.element
        buf = np.empty(2 * min(chunk_samples, max(count, 1)), dtype=el)
        give_raw = raw and self.dt.kernel_format is not None
        with self._open() as f:
            for ext, first, n_ext in self._pieces(start, count):
                f.seek(ext.byte_offset + first * self.dt.sample_bytes)
                done = 0
                while done < n_ext:
                    n = min(chunk_samples, n_ext - done)
                    view = buf[: 2 * n]
                    try:
                        got = f.readinto(memoryview(view).cast("B"))
                    except OSError as e:
                        raise InputError(f"cannot read: {e.strerror or e}",
                                         self.data_path) from None
                    if got != view.nbytes:
                        raise InputError("file ended early (shrank while being read?)",
                                         self.data_path)
                    index = ext.sample_start + first + done
                    done += n
                    if self.swap_iq:
                        i = view[0::2].copy()
                        view[0::2] = view[1::2]
                        view[1::2] = i
                    self._clean(view)
                    yield index, (view if give_raw else self._to_complex(view))

    def _to_complex(self, e):
        """Elements -> new complex64 array (the compiled conversion where it applies)."""
        if self.dt.kernel_format is None:
            return to_complex(e, self.dt)
        out = np.empty(e.size // 2, dtype=np.complex64)
        convert_kernel(e, np.float32(self.dt.offset), np.float32(self.dt.scale), convert_state(),
                       out.view(np.float32))
        return out

    def read(self, start=0, count=None):
        """Samples ``[start, start + count)`` as one complex64 array (random access)."""
        count = self.samples - start if count is None else count
        parts = [c for _, c in self.chunks(CHUNK_SAMPLES, start, count, raw=False)]
        return np.concatenate(parts) if parts else np.zeros(0, np.complex64)

    def capture_at(self, sample):
        """The SigMF capture segment in force at ``sample`` (``{}`` when there is none)."""
        seg = {}
        for c in self.captures:
            if c.get("core:sample_start", 0) <= sample:
                seg = c
        return seg


def _kind(mode):
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_readable(path):
    """Raise InputError unless ``path`` is an existing, readable, non-empty regular file.

    The message says what the path really is: missing, a symbolic-link loop, a name too long,
    a directory, a FIFO or a device (whose size says nothing: ``/dev/zero`` never ends), or
    ``-`` (standard input, which the readers cannot seek in).
    """
    path = str(path)
    if path == "-":
        raise InputError("reading a recording from standard input is not supported: save it "
                         "to a file (or stream it with htdsp replay / htdsp live --rtltcp)", path)
    try:
        st = os.stat(path)
    except OSError as e:
        why = {errno.ENOENT: "no such file", errno.ELOOP: "symbolic link loop",
               errno.ENAMETOOLONG: "file name too long", errno.EACCES: "permission denied",
               errno.ENOTDIR: "a part of the path is not a directory"}.get(e.errno)
        raise InputError(why or f"cannot read: {e.strerror or e}", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, not a recording", path)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"is {_kind(st.st_mode)}, not a regular file: htdsp reads recordings "
                         "from files", path)
    if not os.access(path, os.R_OK):
        raise InputError("permission denied", path)
    if st.st_size == 0:
        raise InputError("file is empty", path)


def check_rate(rate_hz, path, hint="give `rate_hz`"):
    """Validate a sample rate from any source against the supported range
    (:data:`htdsp.limits.SAMPLE_RATE`)."""
    from htdsp.limits import SAMPLE_RATE

    if rate_hz is None:
        raise InputError(f"sample rate unknown; {hint}", path)
    return SAMPLE_RATE.check(rate_hz, path)
