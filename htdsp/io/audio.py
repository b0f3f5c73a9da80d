"""Audio output: 16-bit mono WAV, or raw 16-bit little-endian to standard output."""

import sys
import wave

import numpy as np

from htdsp.errors import InputError


class AudioWriter:
    """Write float audio (1.0 = full scale) as 16-bit PCM, streaming.

    Parameters
    ----------
    path : str
        A ``.wav`` file name, or ``-`` for raw s16le mono on standard output (``| aplay -f S16_LE
        -r 48000`` or ``| sox -t raw -e signed -b 16 -r 48000 -c 1 - out.wav``).
    fs : int
        Sample rate, Hz.

    Attributes
    ----------
    samples : int
        Samples written so far.
    clipped : int
        Samples beyond full scale, clipped to it.
    """

    def __init__(self, path, fs):
        self.path = str(path)
        self.fs = int(round(fs))
        self.samples = 0
        self.clipped = 0
        if self.path == "-":
            self._raw = sys.stdout.buffer
            self._wav = None
        else:
            try:
                self._wav = wave.open(self.path, "wb")
            except OSError as e:
                raise InputError(f"cannot write: {e.strerror}", self.path) from None
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(self.fs)
            self._raw = None

    def write(self, audio):
        """Append float samples; values beyond +-1 are clipped and counted."""
        a = np.asarray(audio, dtype=np.float32)
        if a.size == 0:
            return
        self.clipped += int(np.count_nonzero(np.abs(a) > 1.0))
        pcm = np.rint(np.clip(a, -1.0, 1.0) * 32767.0).astype("<i2")
        if self._wav is not None:
            self._wav.writeframesraw(pcm.tobytes())
        else:
            self._raw.write(pcm.tobytes())
        self.samples += a.size

    def close(self):
        """Finish the file (the WAV header gets its final length)."""
        if self._wav is not None:
            self._wav.close()
            self._wav = None
        elif self._raw is not None:
            self._raw.flush()
            self._raw = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
