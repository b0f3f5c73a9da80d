"""Metadata from file names: SDR#, SDR++, HDSDR (centre frequency, time) and rtl_433 (centre, rate).

Examples of names these tools write:

- SDR#: ``SDRSharp_20240101_120000Z_146520000Hz_IQ.wav``
- SDR++: ``baseband_146520000Hz_12-00-00_01-01-2024.wav``
- HDSDR: ``HDSDR_20240101_120000Z_146520kHz_RF.wav``
- rtl_433: ``g001_433.92M_250k.cu8`` (centre 433.92 MHz, 250 kS/s)
"""

import os
import re

_HZ = re.compile(r"(?:^|[_\-\s])(\d+(?:\.\d+)?)(Hz|kHz|KHz|MHz)(?=[_\-\s.]|$)")
_RTL433 = re.compile(r"^g\d+_(\d+(?:\.\d+)?)M_(\d+(?:\.\d+)?)k\.[A-Za-z0-9]+$")
_STAMP = re.compile(r"(?:^|_)(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})Z(?:_|$)")
_MULT = {"Hz": 1.0, "kHz": 1e3, "KHz": 1e3, "MHz": 1e6}


def infer(key, given, named, sources):
    """``given`` if not None (source ``option``), else the file name's value (``file name``).

    Records the source in ``sources[key]``; returns None when neither has it.
    """
    if given is not None:
        sources[key] = "option"
        return given
    if key in named:
        sources[key] = "file name"
        return named[key]
    return None


def metadata_from_name(path):
    """``{"center_freq_hz": ..., "sample_rate_hz": ..., "datetime": ..., "convention": ...}``.

    Only the keys the name gives are present.

    Examples
    --------
    >>> metadata_from_name("g001_433.92M_250k.cu8")["sample_rate_hz"]
    250000.0
    >>> metadata_from_name("/x/SDRSharp_20240101_120000Z_146520000Hz_IQ.wav")["datetime"]
    '2024-01-01T12:00:00Z'
    >>> metadata_from_name("HDSDR_20240101_120000Z_146520kHz_RF.wav")["center_freq_hz"]
    146520000.0
    >>> metadata_from_name("capture.cu8")
    {}
    """
    name = os.path.basename(str(path))
    out = {}
    m = _RTL433.match(name)
    if m:
        out["center_freq_hz"] = float(m.group(1)) * 1e6
        out["sample_rate_hz"] = float(m.group(2)) * 1e3
        out["convention"] = "rtl_433"
        return out
    m = _HZ.search(name)
    if m:
        out["center_freq_hz"] = float(m.group(1)) * _MULT[m.group(2)]
        out["convention"] = "SDR#/SDR++/HDSDR"
    m = _STAMP.search(name)
    if m:
        y, mo, d, h, mi, s = m.groups()
        out["datetime"] = f"{y}-{mo}-{d}T{h}:{mi}:{s}Z"
    return out
