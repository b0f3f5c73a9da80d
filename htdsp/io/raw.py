"""Raw interleaved I/Q files (rtl_sdr cu8, HackRF cs8, cs16, GNU Radio cf32): no header.

The format comes from ``fmt`` or the extension; the rate and centre from the options, else from
an rtl_433 / SDR# style file name (:mod:`htdsp.io.names`).
"""

import os

from htdsp.errors import InputError
from htdsp.io.datatypes import SHORT_NAMES, datatype
from htdsp.io.names import infer, metadata_from_name
from htdsp.io.recording import Extent, Recording, check_rate, check_readable

#: extensions that name their format
EXTENSIONS = {
    ".cu8": "cu8", ".cs8": "cs8", ".cs16": "cs16", ".cf32": "cf32", ".cfile": "cf32",
    ".fc32": "cf32",
}


def format_from_name(path):
    """The format named by the file's extension, or None."""
    return EXTENSIONS.get(os.path.splitext(str(path))[1].lower())


def open_raw(path, fmt=None, rate_hz=None, center_hz=None, swap_iq=False):
    """Open a raw I/Q file.

    Parameters
    ----------
    path : str or path-like
    fmt : {'cu8', 'cs8', 'cs16', 'cf32'}, optional
        Overrides the extension.
    rate_hz, center_hz : float, optional
        Override what the file name says (rtl_433 ``g001_433.92M_250k.cu8`` gives both).
    swap_iq : bool

    Raises
    ------
    InputError
        Missing, unreadable or empty file; unknown format; rate unknown or impossible; a file
        shorter than one sample.
    """
    path = str(path)
    check_readable(path)
    named = metadata_from_name(path)
    sources = {}
    fmt = fmt or format_from_name(path)
    if fmt is None:
        ext = os.path.splitext(path)[1] or "(none)"
        raise InputError(f"unknown format for extension {ext}; give `fmt` "
                         f"({'|'.join(SHORT_NAMES)})", path)
    if fmt not in SHORT_NAMES:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(SHORT_NAMES)}", path)
    dt = datatype(fmt)
    rate_hz = check_rate(infer("sample_rate_hz", rate_hz, named, sources), path,
                         "give `rate_hz` (raw files do not carry it)")
    center_hz = infer("center_freq_hz", center_hz, named, sources)
    size = os.path.getsize(path)
    samples = size // dt.sample_bytes
    if samples == 0:
        raise InputError(f"shorter than one {fmt} sample ({size} bytes)", path)
    rec = Recording(path, path, "raw", dt, rate_hz,
                    None if center_hz is None else float(center_hz), samples,
                    [Extent(0, samples, 0)], swap_iq=bool(swap_iq),
                    datetime=named.get("datetime"), sources=sources)
    if size % dt.sample_bytes:
        rec.warnings.append(f"{size % dt.sample_bytes} trailing bytes (a partial sample) ignored")
    return rec
