"""Live and file sources of I/Q, one interface: iterate to get :class:`Chunk` objects.

Every chunk carries ``index`` (the stream sample index of its first sample, lost samples
included) and ``lost`` (samples lost just before it: a dongle overrun, a reconnection), so a
consumer keeps time exactly and can flag what it did not see.

- :class:`FileSource`: any recording, optionally paced to real time.
- :class:`RtlTcpSource`: a client of the rtl_tcp protocol (measurement.md 6): 12-byte header,
  5-byte commands, then interleaved cu8. Timeouts, reconnection with back-off, lost-sample
  accounting across reconnections (the wall-clock time without data, at the sample rate).
- :class:`RtlSdrSource`: a dongle through pyrtlsdr (its ``lib`` extra brings librtlsdr),
  imported only when used. Asynchronous reading into a bounded queue: when the consumer falls
  behind, whole USB transfers are dropped *and counted* (``overruns``, ``lost``).

A source that cannot deliver any more (connection lost for good, dongle unplugged) raises
:class:`SourceLost` (exit code 3 on the command line).
"""

from htdsp.sources.base import (  # noqa: F401 - the sources' API
    Chunk,
    Source,
    SourceInfo,
    SourceLost,
    SourceUnusable,
    parse_host_port,
)
from htdsp.sources.file import FileSource, RepeatSource  # noqa: F401
from htdsp.sources.rtlsdr import RtlSdrSource  # noqa: F401
from htdsp.sources.rtltcp import (  # noqa: F401
    RTL_TCP_COMMANDS,
    TUNER_R820T,
    RtlTcpSource,
    nearest_gain_tenths,
    pack_command,
)
