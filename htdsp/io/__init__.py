"""Readers and writers of recordings and audio. Chunks out, no DSP state kept.

- :func:`open_recording`: raw (cu8, cs8, cs16, cf32), WAV I/Q (RIFF/RF64), SigMF (pair, archive,
  non-conforming dataset) -> :class:`Recording` with chunked, random-access reading;
- :func:`open_writer`: SigMF (incremental), WAV I/Q, raw, chosen by the output name;
- :class:`AudioWriter`: 16-bit mono WAV or raw s16le audio.
"""

from htdsp.io.audio import AudioWriter
from htdsp.io.files import RawWriter, open_recording, open_writer, output_kind
from htdsp.io.raw import open_raw
from htdsp.io.recording import Extent, Recording
from htdsp.io.sigmf import SigMFWriter, open_sigmf
from htdsp.io.wav import WavWriter, open_wav

__all__ = ["AudioWriter", "RawWriter", "open_recording", "open_writer", "output_kind",
           "open_raw", "Extent", "Recording", "SigMFWriter", "open_sigmf", "WavWriter",
           "open_wav"]
