"""Audio output: a file in the format its name asks for, or raw 16-bit little-endian to stdout.

Files are written by ``soundfile`` (libsndfile, bundled with its wheels: WAV, FLAC, Ogg Vorbis,
Ogg Opus, MP3, AIFF), always as 16-bit samples rounded here, so the levels and the clipping
count are htdsp's own whatever the container; lossy formats then encode those. A name with
another extension is refused: a ``.mp3`` must be an MP3, not a WAV under another name.
The file is written beside the target and appears, whole, on :meth:`AudioWriter.close`.
"""

import os
import sys

import numpy as np

from htdsp.errors import InputError
from htdsp.io.outputs import WholeOrNothing

#: extension -> (libsndfile format, subtype, sample rates the codec takes or None for any)
AUDIO_FORMATS = {
    ".wav": ("WAV", "PCM_16", None),
    ".flac": ("FLAC", "PCM_16", None),
    ".ogg": ("OGG", "VORBIS", None),
    ".opus": ("OGG", "OPUS", (8000, 12000, 16000, 24000, 48000)),
    ".mp3": ("MP3", "MPEG_LAYER_III", (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100,
                                       48000)),
    ".aiff": ("AIFF", "PCM_16", None),
    ".aif": ("AIFF", "PCM_16", None),
}


def audio_format(path, fs=None):
    """``(format, subtype)`` for an output name, or InputError naming the formats there are.

    Examples
    --------
    >>> audio_format("net.flac")
    ('FLAC', 'PCM_16')
    >>> audio_format("a.opus", 44100)
    Traceback (most recent call last):
    ...
    htdsp.errors.InputError: a.opus: Opus takes 8000, 12000, 16000, 24000 or 48000 Hz, not 44100
    """
    ext = os.path.splitext(str(path))[1].lower()
    if ext not in AUDIO_FORMATS:
        names = ", ".join(AUDIO_FORMATS)
        raise InputError(f"unknown audio format {ext or '(no extension)'}: name the output "
                         f"{names}, or - for raw 16-bit on stdout", path)
    fmt, sub, rates = AUDIO_FORMATS[ext]
    if fs is not None and rates is not None and int(round(fs)) not in rates:
        codec = "Opus" if sub == "OPUS" else "MP3"
        listed = ", ".join(str(r) for r in rates[:-1]) + f" or {rates[-1]}"
        raise InputError(f"{codec} takes {listed} Hz, not {int(round(fs))}", path)
    return fmt, sub


class AudioWriter(WholeOrNothing):
    """Write float audio (1.0 = full scale) as 16-bit samples, streaming.

    Parameters
    ----------
    path : str
        An audio file name (``.wav``, ``.flac``, ``.ogg``, ``.opus``, ``.mp3``, ``.aiff``), or
        ``-`` for raw s16le mono on standard output (``| aplay -f S16_LE -r 48000``).
    fs : int
        Sample rate, Hz.
    overwrite : bool
        Replace an existing file (default True: audio is derived from a recording and can be
        made again; it is replaced atomically).

    Attributes
    ----------
    samples : int
        Samples written so far.
    clipped : int
        Samples beyond full scale, clipped to it.
    """

    def __init__(self, path, fs, *, overwrite=True):
        self.path = str(path)
        self.fs = int(round(fs))
        self.samples = 0
        self.clipped = 0
        self._out = None
        self._sf = None
        if self.path == "-":
            self._raw = sys.stdout.buffer
            return
        import soundfile

        from htdsp.io.outputs import AtomicFile, check_output

        fmt, sub = audio_format(self.path, self.fs)
        check_output(self.path, overwrite=overwrite)
        self._raw = None
        self._out = AtomicFile(self.path, overwrite=overwrite)
        try:
            self._sf = soundfile.SoundFile(self._out.file, "w", self.fs, 1, format=fmt,
                                           subtype=sub)
        except (RuntimeError, ValueError, TypeError, soundfile.LibsndfileError) as e:
            self._out.abort()
            raise InputError(f"cannot write {fmt} audio at {self.fs} Hz: {e}", self.path) \
                from None

    def write(self, audio):
        """Append float samples; values beyond +-1 are clipped and counted."""
        a = np.asarray(audio, dtype=np.float32)
        if a.size == 0:
            return
        self.clipped += int(np.count_nonzero(np.abs(a) > 1.0))
        pcm = np.rint(np.clip(a, -1.0, 1.0) * 32767.0).astype("<i2")
        if self._sf is not None:
            self._sf.write(pcm)
        else:
            self._raw.write(pcm.tobytes())
        self.samples += a.size

    def close(self):
        """Finish: the file gets its final header and appears now."""
        if self._sf is not None:
            self._sf.close()
            self._sf = None
            self._out.commit()
        elif self._raw is not None:
            self._raw.flush()
            self._raw = None

    def abort(self):
        """Stop without finishing: nothing appears (the previous file, if any, stays)."""
        if self._out is not None:
            try:
                if self._sf is not None:
                    self._sf.close()
            except Exception:     # libsndfile may refuse to finish a broken stream: discarded
                pass
            self._sf = None
            self._out.abort()
