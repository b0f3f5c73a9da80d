"""Readers and writers of recordings and audio. Chunks out, no DSP state kept."""

from htdsp.io.audio import AudioWriter
from htdsp.io.raw import RawRecording, open_raw

__all__ = ["AudioWriter", "RawRecording", "open_raw"]
