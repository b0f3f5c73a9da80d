"""What every source is: chunks of raw I/Q with their stream index and the samples lost
before them, and the errors of a source that stops delivering."""

import abc
from dataclasses import dataclass

import numpy as np

from htdsp.errors import EXIT_SOURCE_LOST, HtdspError


class SourceLost(HtdspError):
    """The source stopped delivering and could not be regained, or delivers something else
    than was asked for (exit code 3)."""

    exit_code = EXIT_SOURCE_LOST


class SourceUnusable(SourceLost):
    """The source delivers, but not what was asked for (another sample rate): its samples
    cannot be scored (exit code 3)."""


def parse_host_port(text):
    """``HOST:PORT`` with an IPv6 literal in brackets (``[::1]:1234``); ValueError otherwise.

    Examples
    --------
    >>> parse_host_port("127.0.0.1:1234"), parse_host_port("[::1]:1234")
    (('127.0.0.1', 1234), ('::1', 1234))
    """
    text = str(text).strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"expected [IPV6]:PORT, got {text!r}")
        port = rest[1:]
    else:
        host, _, port = text.rpartition(":")
        if ":" in host:
            raise ValueError(f"an IPv6 address goes in brackets: [{host}]:{port}")
    if not host or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    p = int(port)
    if not 1 <= p <= 65535:
        raise ValueError(f"port {p} is outside 1-65535")
    return host, p


@dataclass
class Chunk:
    """``data``: raw interleaved elements (``Source.format``); ``index``: the stream index of
    its first sample; ``lost``: samples lost just before it."""

    index: int
    data: np.ndarray
    lost: int = 0

    @property
    def samples(self):
        """Samples in the chunk (raw elements come in I/Q pairs)."""
        return len(self.data) if np.iscomplexobj(self.data) else self.data.size // 2


@dataclass
class SourceInfo:
    """Where a score's samples came from, as its report says it: ``path`` (a file, or
    ``rtl_tcp://HOST:PORT``), the SigMF ``datatype``, the rates, and what a recording's
    metadata adds (``samples`` None for a stream of unknown length)."""

    path: str
    datatype: str
    sample_rate_hz: float
    center_freq_hz: float = None
    samples: int = None
    description: str = None
    datetime: str = None
    geolocation: dict = None
    container: str = None
    data_path: str = None


class Source(abc.ABC):
    """Base: ``format`` (``cu8`` for dongles), ``sample_rate_hz``, ``center_freq_hz``,
    ``metadata`` (hardware, gain, ppm: what a recording should say), ``lost`` (total samples
    lost so far), :attr:`info` (what a report says of it); iterate for chunks, ``close()``
    when done."""

    format = "cu8"
    sample_rate_hz = None
    center_freq_hz = None

    def __init__(self):
        self.lost = 0
        self.metadata = {}

    @property
    def info(self):
        """A :class:`SourceInfo` (a radio's: its address, the format, the tuning)."""
        return SourceInfo(path=self.address, datatype=self.format,
                          sample_rate_hz=self.sample_rate_hz,
                          center_freq_hz=self.center_freq_hz)

    #: what a report calls the source (``rtl_tcp://HOST:PORT``, ``rtlsdr://0``)
    address = "source://"

    def __iter__(self):
        return self.chunks()

    @abc.abstractmethod
    def chunks(self):
        """Yield :class:`Chunk` objects until the stream ends (or raise SourceLost)."""

    def close(self):  # noqa: B027 - a file source has nothing to release; others override
        """Release the device or connection (the base has none)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
