"""Readers and writers of recordings and audio. Chunks out, no DSP state kept.

- :func:`open_recording`: raw (cu8, cs8, cs16, cf32), WAV I/Q (RIFF/RF64), SigMF (pair, archive,
  non-conforming dataset) -> :class:`Recording` with chunked, random-access reading;
- :func:`open_writer`: SigMF, WAV I/Q, raw, chosen by the output name (never replacing an
  existing recording unless asked; appearing only when whole);
- :class:`AudioWriter`: audio files (WAV, FLAC, Ogg, Opus, MP3) or raw s16le;
- :mod:`htdsp.io.outputs`: the one mechanism every output goes through.

Names are imported on first use (PEP 562), so the command line can read this package's tables
without loading the kernels.
"""

from htdsp._lazy import lazy

_EXPORTS = {
    "AudioWriter": "htdsp.io.audio", "RawWriter": "htdsp.io.files",
    "open_recording": "htdsp.io.files", "open_writer": "htdsp.io.files",
    "output_kind": "htdsp.io.files", "open_raw": "htdsp.io.raw", "Extent": "htdsp.io.recording",
    "Recording": "htdsp.io.recording", "SigMFWriter": "htdsp.io.sigmf",
    "open_sigmf": "htdsp.io.sigmf", "WavWriter": "htdsp.io.wav", "open_wav": "htdsp.io.wav",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy(globals(), _EXPORTS)
