"""Channel front ends: the full-rate I/Q of a source in, one channel-rate stream per channel
out. The seam between a source and the channels' receivers (:class:`htdsp.NFMReceiver` built
with a :class:`ChannelPath` runs from the channel stream on).

:class:`XlatingFrontEnd` is a frequency-translating decimator per channel (the receiver's own
front end, one per channel: N channels cost N full-rate filters); a polyphase channelizer that
serves every channel of a band from one filter bank implements the same interface.
"""

import abc
import copy as _copy
from dataclasses import dataclass

import numpy as np

from htdsp.dsp._stream import check_fs
from htdsp.dsp.convert import FORMAT_DTYPES, check_format, format_of_dtype
from htdsp.dsp.design import plan_chain
from htdsp.dsp.fir import FIRDecimator, XlatingDecimator


@dataclass(frozen=True)
class ChannelPath:
    """What a receiver needs to know of the path from the input to its channel stream.

    ``offset_hz`` (from the input's centre), ``channel_fs`` (Hz), ``channel_taps`` (the
    channel-selecting response at the channel rate, real: its noise bandwidth and correlation
    enter the measurements), ``delay_samples`` (group delay from the input to the channel
    stream, in input samples: event times are input times), ``start_sample`` (the input
    sample the channel stream's first sample stands for, before the delay: a channel a band's
    front end started when its carrier appeared; 0 for one that runs from the start).
    """

    offset_hz: float
    channel_fs: float
    channel_taps: np.ndarray
    delay_samples: float
    start_sample: float = 0.0


class ChannelFrontEnd(abc.ABC):
    """Base: ``fs`` (input rate), ``input_format``, :attr:`paths` (one :class:`ChannelPath`
    per channel), ``channel_fs`` (their rate), ``samples_in`` (input samples taken so far);
    :meth:`process` a chunk of any size; ``reset``, ``copy``."""

    paths = ()
    channel_fs = None

    def __init__(self, fs, input_format="cf32"):
        self.fs = check_fs(fs)
        self.input_format = check_format(input_format)
        self._pending = np.empty(0, dtype=FORMAT_DTYPES[self.input_format])
        self.samples_in = 0

    def _whole_samples(self, x):
        """Complex samples as they are; raw elements cut to whole I/Q pairs (the odd one kept
        for the next chunk)."""
        a = np.asarray(x)
        if np.iscomplexobj(a):
            self.samples_in += a.size
            return a
        fmt = format_of_dtype(a.dtype)
        if fmt is None or a.ndim != 1:
            raise ValueError(f"expected complex samples or 1-D raw elements, got {a.dtype}")
        if self._pending.size or a.size % 2:
            a = np.concatenate([self._pending.astype(a.dtype), a.ravel()])
            cut = a.size - a.size % 2
            a, self._pending = a[:cut], a[cut:].copy()
        self.samples_in += a.size // 2
        return a

    def process(self, x):
        """One chunk: complex samples, or raw interleaved elements (``input_format``'s dtype;
        a chunk may end mid-sample). Returns one complex64 array per channel; concatenated
        outputs are the same for any chunking."""
        return self._process(self._whole_samples(x))

    @abc.abstractmethod
    def _process(self, a):
        """Whole samples in, one channel stream per path out."""

    def reset(self):
        self._pending = self._pending[:0]
        self.samples_in = 0

    def copy(self):
        new = _copy.copy(self)
        new._pending = self._pending.copy()
        return new


class XlatingFrontEnd(ChannelFrontEnd):
    """A frequency-translating decimating FIR per channel, then the decimators and the channel
    filter that :func:`htdsp.dsp.design.plan_chain` plans for the rate and bandwidth.

    Examples
    --------
    >>> fe = XlatingFrontEnd(2.4e6, [-25e3, 100e3], 12500.0)
    >>> [p.channel_fs for p in fe.paths]
    [48000.0, 48000.0]
    >>> [c.size for c in fe.process(np.zeros(24000, np.complex64))]
    [480, 480]
    """

    def __init__(self, fs, offsets_hz, bandwidth_hz, *, audio_fs=48000.0, input_format="cf32"):
        super().__init__(fs, input_format)
        self.plan = plan_chain(self.fs, float(bandwidth_hz), float(audio_fs))
        p = self.plan
        self.channel_fs = float(p.channel_fs)
        first = p.stages[0]
        d = sum((len(s.taps) - 1) / 2 / s.fs_in for s in p.stages)
        d += (len(p.channel_taps) - 1) / 2 / p.channel_fs
        self.paths = []
        self._chains = []
        for off in offsets_hz:
            blocks = [XlatingDecimator(first.taps, first.decim, fs=self.fs, offset_hz=float(off),
                                       fmt=self.input_format)]
            blocks += [FIRDecimator(s.taps, s.decim) for s in p.stages[1:]]
            blocks.append(FIRDecimator(p.channel_taps, 1))
            self._chains.append(blocks)
            self.paths.append(ChannelPath(float(off), float(p.channel_fs), p.channel_taps,
                                          d * self.fs))

    def _process(self, a):
        out = []
        for blocks in self._chains:
            y = a
            for b in blocks:
                y = b.process(y)
            out.append(y)
        return out

    def reset(self):
        super().reset()
        for blocks in self._chains:
            for b in blocks:
                b.reset()

    def copy(self):
        new = super().copy()
        new._chains = [[b.copy() for b in blocks] for blocks in self._chains]
        return new


class ChannelizerFrontEnd(ChannelFrontEnd):
    """Every channel from one fast-convolution filter bank
    (:class:`htdsp.dsp.channelizer.Channelizer`): one forward transform of the input serves all
    of them, each channel then costs a short inverse transform; a channel may sit anywhere in
    the band, and it comes at the rate and through the filter of :class:`XlatingFrontEnd`.

    Examples
    --------
    >>> fe = ChannelizerFrontEnd(2.4e6, [-25e3, 100e3], 12500.0)
    >>> [p.channel_fs for p in fe.paths]
    [48000.0, 48000.0]
    >>> [c.size for c in fe.process(np.full(2 * 240000, 128, np.uint8))]   # 0.1 s, cu8
    [4598, 4598]
    """

    def __init__(self, fs, offsets_hz, bandwidth_hz, *, input_format="cf32", fs_out=None):
        from htdsp.dsp.channelizer import Channelizer

        super().__init__(fs, input_format)
        self.bank = Channelizer(self.fs, list(offsets_hz), float(bandwidth_hz), fs_out=fs_out)
        b = self.bank
        self.channel_fs = float(b.fs_out)
        self.paths = [ChannelPath(float(off), float(b.fs_out), b.taps, b.delay_samples)
                      for off in b.offsets_hz]

    def _process(self, a):
        return self.bank.process(a)                 # (raw: converted into its buffer)

    def reset(self):
        super().reset()
        self.bank.reset()

    def copy(self):
        new = super().copy()
        new.bank = self.bank.copy()
        return new
