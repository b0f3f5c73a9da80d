"""Open any readable recording; open a writer chosen by the output name's extension."""

import os

from htdsp.errors import InputError
from htdsp.io.datatypes import WRITABLE, as_elements, datatype, short_name
from htdsp.io.outputs import AtomicFile, WholeOrNothing, check_output
from htdsp.io.raw import EXTENSIONS, open_raw
from htdsp.io.recording import check_readable
from htdsp.io.sigmf import ARCHIVE, DATA, META, SigMFWriter, open_sigmf, sigmf_meta_for
from htdsp.io.wav import WavWriter, open_wav


def open_recording(path, fmt=None, rate_hz=None, center_hz=None, swap_iq=False):
    """Open a recording of any supported kind, by its name.

    ``.sigmf-meta`` / ``.sigmf-data`` / ``.sigmf`` -> SigMF; ``.wav`` -> WAV I/Q; anything else
    -> raw (format from ``fmt`` or the extension). Metadata is taken, in order, from the explicit
    arguments, the SigMF fields, the WAV header, and the file name (SDR#, SDR++, HDSDR, rtl_433).

    Parameters
    ----------
    path : str or path-like
    fmt : str, optional
        Sample format (``cu8``, ``cs8``, ``cs16``, ``cf32``): required for raw files with an
        extension that does not name one; overrides ``core:datatype`` for SigMF.
    rate_hz, center_hz : float, optional
    swap_iq : bool
        Exchange I and Q.

    Returns
    -------
    htdsp.io.recording.Recording

    Raises
    ------
    htdsp.errors.InputError
        With a one-line message naming the file and the problem.

    Examples
    --------
    >>> rec = open_recording("captures/kpbenz-2m-nfm-voice/capture.sigmf-meta")
    >>> rec.datatype, rec.sample_rate_hz, rec.center_freq_hz, rec.samples
    ('cu8', 280000.0, 144470000.0, 1728000)
    """
    path = os.fspath(path)
    check_readable(path)
    low = path.lower()
    if low.endswith((META, DATA, ARCHIVE)):
        return open_sigmf(path, rate_hz, center_hz, swap_iq, fmt)
    if low.endswith(".wav"):
        rec = open_wav(path, rate_hz, center_hz, swap_iq)
        if fmt and datatype(fmt) != rec.dt:
            rec.warnings.append(f"`fmt={fmt}` ignored: the WAV header says "
                                f"{short_name(rec.dt)}")
        return rec
    return open_raw(path, fmt, rate_hz, center_hz, swap_iq)


class RawWriter(WholeOrNothing):
    """Write raw interleaved elements (the datatype from the extension), beside the target,
    renamed over it when whole (:class:`~htdsp.io.outputs.AtomicFile`); an existing file is
    refused unless ``overwrite``."""

    def __init__(self, path, dt_name, *, overwrite=False):
        self.path = str(path)
        self.dt = datatype(dt_name)
        self.samples = 0
        check_output(self.path, overwrite=overwrite)
        self._out = AtomicFile(self.path, overwrite=overwrite)

    def write(self, x):
        """Append complex samples (quantised) or raw elements of the datatype."""
        e = as_elements(x, self.dt)
        self._out.file.write(e.tobytes())
        self.samples += e.size // 2

    def close(self):
        """The file appears now."""
        self._out.commit()

    def abort(self):
        """The temporary file goes; the target stays as it was."""
        self._out.abort()


def output_kind(path):
    """``sigmf``, ``wav`` or ``raw`` from an output name; InputError when unknown."""
    low = str(path).lower()
    if low.endswith((META, DATA, ARCHIVE)):
        return "sigmf"
    if low.endswith(".wav"):
        return "wav"
    if os.path.splitext(low)[1] in EXTENSIONS:
        return "raw"
    raise InputError("unknown output type: name it .sigmf-meta, .sigmf, .wav, .cu8, .cs8, "
                     ".cs16 or .cf32", path)


def open_writer(path, rec, dt_name=None, *, overwrite=False):
    """A writer for ``path`` (type from the extension) carrying ``rec``'s metadata.

    ``dt_name`` picks the datatype of SigMF and WAV outputs (default: the input's, when it is
    writable there); a raw output's extension names its datatype. Every kind is written to
    temporary files and appears, whole, on ``close()`` (``abort()`` leaves nothing); an
    existing output is refused unless ``overwrite``.

    Returns
    -------
    writer, list of str
        The writer (``write``, ``close``) and warnings about metadata the output cannot hold.
    """
    kind = output_kind(path)
    path = str(path)
    in_short = short_name(rec.dt)
    notes = []
    if dt_name is not None and dt_name not in WRITABLE:
        raise InputError(f"`dt_name` must be one of {', '.join(WRITABLE)}", path)
    if kind == "sigmf":
        dt = dt_name or (in_short if in_short in WRITABLE else "cf32")
        return SigMFWriter(path, **sigmf_meta_for(rec, dt), atomic=True,
                           overwrite=overwrite), notes
    lost = [name for name, v in (("centre frequency", rec.center_freq_hz),
                                 ("start time", rec.datetime), ("annotations", rec.annotations),
                                 ("location", rec.geolocation)) if v]
    if kind == "wav":
        dt = dt_name or (in_short if in_short in ("cu8", "cs16", "cf32") else "cf32")
        if dt == "cs8":
            raise InputError("WAV I/Q holds cu8, cs16 or cf32, not cs8", path)
        if lost:
            notes.append(f"a WAV file keeps the sample rate only: {', '.join(lost)} not kept "
                         "(write .sigmf-meta to keep them)")
        return WavWriter(path, dt, rec.sample_rate_hz, overwrite=overwrite), notes
    dt = EXTENSIONS[os.path.splitext(path.lower())[1]]
    if dt_name is not None and dt_name != dt:
        raise InputError(f"`dt_name={dt_name}` contradicts the extension ({dt})", path)
    notes.append("a raw file keeps no metadata: " + ", ".join(["sample rate", *lost])
                 + " not kept (write .sigmf-meta to keep them)")
    return RawWriter(path, dt, overwrite=overwrite), notes
