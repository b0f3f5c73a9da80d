"""WAV I/Q recordings (SDR#, SDR++, HDSDR): 2 channels, I left and Q right; RIFF, RF64 and BW64.

Element types: 8-bit unsigned PCM (as cu8), 16- and 32-bit signed PCM, 32- and 64-bit IEEE float,
plain or WAVE_FORMAT_EXTENSIBLE. Files over 4 GiB are RF64/BW64: the 64-bit sizes live in a
``ds64`` chunk. The writer reserves a ``JUNK`` chunk where that ``ds64`` goes, so it can turn a
growing file into RF64 at the end without moving the samples (the EBU Tech 3306 recipe).
"""

import os
import struct

from htdsp.errors import InputError
from htdsp.io.datatypes import as_elements, datatype
from htdsp.io.names import infer, metadata_from_name
from htdsp.io.outputs import WholeOrNothing
from htdsp.io.recording import Extent, Recording, check_rate, check_readable

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_U32_MAX = 0xFFFFFFFF


#: chunks read before the data chunk (a real file has a handful; a hostile one of empty chunks
#: would otherwise be walked 8 bytes at a time)
MAX_CHUNKS = 4096


def _parse(path):
    """(fmt fields, data offset, data size from the header, warnings)."""
    try:
        return _parse_chunks(path)
    except struct.error:
        raise InputError("WAV header is truncated (a chunk ends inside its own header)",
                         path) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", path) from None


def _parse_chunks(path):
    size = os.path.getsize(path)
    warns = []
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
            raise InputError("not a WAV file (no RIFF/RF64 WAVE header)", path)
        big = head[:4] != b"RIFF"
        ds64_data = None
        fmt = None
        pos = 12
        for _ in range(MAX_CHUNKS):
            if pos + 8 > size:
                break
            f.seek(pos)
            cid, csize = struct.unpack("<4sI", f.read(8))
            body = pos + 8
            if cid == b"ds64":
                raw = f.read(16)
                if len(raw) < 16:
                    raise InputError("RF64 'ds64' chunk is truncated", path)
                _, ds64_data = struct.unpack("<QQ", raw)
            elif cid == b"fmt ":
                raw = f.read(min(csize, 40))
                if len(raw) < 16:
                    raise InputError("WAV 'fmt ' chunk is truncated", path)
                tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", raw[:16])
                if tag == _EXTENSIBLE and len(raw) >= 26:
                    tag = struct.unpack("<H", raw[24:26])[0]
                fmt = (tag, ch, rate, bits)
            elif cid == b"data":
                if fmt is None:
                    raise InputError("WAV 'data' comes before 'fmt '", path)
                data_size = csize
                if big and csize == _U32_MAX:
                    if ds64_data is None:
                        raise InputError("RF64 WAV without a ds64 chunk", path)
                    data_size = ds64_data
                avail = size - body
                if data_size == 0 or data_size > avail:
                    warns.append(f"WAV header says {data_size} data bytes, file holds {avail}: "
                                 "reading what is there (unfinished recording?)")
                    data_size = avail
                return fmt, body, data_size, warns
            pos = body + csize + (csize & 1)
        else:
            raise InputError(f"WAV has more than {MAX_CHUNKS} chunks before its data", path)
    raise InputError("WAV has no 'data' chunk", path)


def wav_channels(path):
    """The number of channels a WAV file's header declares, or None when it is not a WAV
    file htdsp can read (a mono one is audio, such as ``htdsp demod`` writes: not I/Q).

    Examples
    --------
    >>> wav_channels("captures/kpbenz-2m-nfm-voice/output.wav")
    1
    """
    try:
        return _parse(path)[0][1]
    except InputError:
        return None


def _datatype(fmt, path):
    tag, ch, rate, bits = fmt
    if ch != 2:
        raise InputError(f"WAV has {ch} channel(s); I/Q needs 2 (I left, Q right)", path)
    names = {(_PCM, 8): "cu8", (_PCM, 16): "ci16_le", (_PCM, 32): "ci32_le",
             (_FLOAT, 32): "cf32_le", (_FLOAT, 64): "cf64_le"}
    name = names.get((tag, bits))
    if name is None:
        kind = {_PCM: "PCM", _FLOAT: "float"}.get(tag, f"format tag {tag:#x}")
        raise InputError(f"unsupported WAV sample format: {bits}-bit {kind}", path)
    return datatype(name)


def open_wav(path, rate_hz=None, center_hz=None, swap_iq=False):
    """Open a 2-channel WAV I/Q recording (centre from ``center_hz`` or the file name)."""
    path = str(path)
    check_readable(path)
    fmt, offset, data_size, warns = _parse(path)
    dt = _datatype(fmt, path)
    sources = {"sample_rate_hz": "option" if rate_hz is not None else "wav header"}
    rate_hz = check_rate(rate_hz if rate_hz is not None else float(fmt[2]) or None, path)
    named = metadata_from_name(path)
    center_hz = infer("center_freq_hz", center_hz, named, sources)
    samples = data_size // dt.sample_bytes
    if samples == 0:
        raise InputError("WAV holds no samples", path)
    if data_size % dt.sample_bytes:
        warns.append(f"{data_size % dt.sample_bytes} trailing bytes (a partial sample) ignored")
    return Recording(path, path, "wav", dt, rate_hz,
                     None if center_hz is None else float(center_hz), samples,
                     [Extent(0, samples, offset)], swap_iq=bool(swap_iq),
                     datetime=named.get("datetime"), warnings=warns, sources=sources)


class WavWriter(WholeOrNothing):
    """Write a 2-channel WAV I/Q file (``cu8`` -> 8-bit PCM, ``cs16`` -> 16-bit PCM, ``cf32`` ->
    32-bit float), streaming; becomes RF64 when the data outgrows 4 GiB.

    Parameters
    ----------
    path : str
    dt_name : {'cu8', 'cs16', 'cf32'}
    sample_rate_hz : float
        Must be a whole number of hertz (the WAV header holds an integer).
    rf64_threshold : int
        Data bytes beyond which the header becomes RF64 (default: what plain RIFF can hold;
        tests lower it).
    overwrite : bool
        Replace an existing file (default: refuse). Either way the file is written beside the
        target and appears, whole, on :meth:`close` (:class:`~htdsp.io.outputs.AtomicFile`).
    """

    _TAGS = {"cu8": (_PCM, 8), "ci16_le": (_PCM, 16), "cf32_le": (_FLOAT, 32)}

    def __init__(self, path, dt_name, sample_rate_hz, rf64_threshold=_U32_MAX - 100, *,
                 overwrite=False):
        from htdsp.io.outputs import AtomicFile, check_output

        self.path = str(path)
        self.dt = datatype(dt_name)
        if self.dt.name not in self._TAGS:
            raise InputError(f"WAV I/Q holds cu8, cs16 or cf32, not {dt_name}", self.path)
        rate = float(sample_rate_hz)
        if rate != round(rate) or not 0 < rate < 2**32:
            raise InputError(f"a WAV header needs a whole sample rate in Hz, got {rate}",
                             self.path)
        self.rate = int(round(rate))
        self.rf64_threshold = int(rf64_threshold)
        self.samples = 0
        check_output(self.path, overwrite=overwrite)
        self._out = AtomicFile(self.path, overwrite=overwrite)
        self._f = self._out.file
        tag, bits = self._TAGS[self.dt.name]
        block = 2 * bits // 8
        fmt = struct.pack("<HHIIHH", tag, 2, self.rate, self.rate * block, block, bits)
        if tag == _FLOAT:
            fmt += struct.pack("<H", 0)
        hdr = b"RIFF" + struct.pack("<I", 0) + b"WAVE"
        hdr += b"JUNK" + struct.pack("<I", 28) + bytes(28)          # room for a ds64 chunk
        hdr += b"fmt " + struct.pack("<I", len(fmt)) + fmt
        hdr += b"data" + struct.pack("<I", 0)
        self._data_offset = len(hdr)
        self._f.write(hdr)

    def write(self, x):
        """Append complex samples (quantised to the datatype) or raw elements of it."""
        e = as_elements(x, self.dt)
        self._f.write(e.tobytes())
        self.samples += e.size // 2

    def close(self):
        """Write the final sizes (RF64 with a ds64 chunk when over the threshold); the file
        appears now."""
        if self._f is None:
            return
        data = self.samples * self.dt.sample_bytes
        f = self._f
        if data % 2:
            f.write(b"\0")
        riff = self._data_offset - 8 + data + (data % 2)
        if data > self.rf64_threshold:
            f.seek(0)
            f.write(b"RF64" + struct.pack("<I", _U32_MAX))
            f.seek(12)
            f.write(b"ds64" + struct.pack("<IQQQI", 28, riff, data, self.samples, 0))
            f.seek(self._data_offset - 4)
            f.write(struct.pack("<I", _U32_MAX))
        else:
            f.seek(4)
            f.write(struct.pack("<I", riff))
            f.seek(self._data_offset - 4)
            f.write(struct.pack("<I", data))
        self._f = None
        self._out.commit()

    def abort(self):
        """Stop: the temporary file goes, the target stays as it was."""
        self._f = None
        self._out.abort()
