"""Which channels of a band were used: the raster inside a capture's usable band, a carrier
detector over every channel's block power from the filter bank
(:meth:`htdsp.dsp.channelizer.Channelizer.process_active`), and the band's front end that
starts a channel's receiver only once its carrier is seen (activity first, in one pass).

The detector compares each channel's power, block by block, with the band's noise floor (the
20th percentile of the channels' powers in that block, the power a fifth of them are under)
and calls a channel active where it stays ``threshold_db`` above it for ``min_s``, holding a
few numbers per channel whatever the run's length. A carrier's neighbours see it through the
channel filter's stop band (60 dB) and the Hann window's leakage, and a real transmitter's
own splatter (-44 dBc beside a 59 dB carrier, measured on the bundled recording): a channel
that far under a neighbour is not active on its own.
"""

import math
from collections import deque

import numpy as np

from htdsp.rx.frontend import ChannelFrontEnd, ChannelPath

#: the outer part of the captured band left out of ``--channels all`` (each side): a dongle's
#: own filter rolls off there
EDGE_FRACTION = 0.10
#: dB above the band's floor, and for how long, that make a channel active: 5 dB is a carrier
#: 3.3 dB over the noise in the channel, below the FM threshold (a weak link must be found to
#: be failed: weak-edge's user reads 8 dB over the floor); the noise of a block of 8.7 ms
#: rose 2.2 dB over the floor at most in the bundled captures
THRESHOLD_DB = 5.0
MIN_S = 0.05
#: a channel's power under a neighbour's (within 1.5 bandwidths) less this is that
#: neighbour's splatter, not a carrier of its own: the bundled real recording's 59 dB
#: carrier puts -44 dBc (median while keyed, more at key-up) into the channels beside it,
#: which 35 dB still called splatter and 40 dB did not (the margin: 30)
ADJACENT_DB = 30.0
#: how far back a channel's receiver starts from the block where its carrier was first seen:
#: the squelch back-dates a transmission's start, and the meter reads the channel's noise
#: floor from the windows before it (10 windows)
PREROLL_S = 1.0
#: a band of fewer channels has no floor to compare a channel with (the fifth of the
#: channels under it would be the channel itself): every channel runs from the start
MIN_WATCHED = 5
#: time columns a band's power picture keeps at most (pairs merge when full)
POWER_COLUMNS = 1024


def raster_offsets(fs, center_hz, raster_hz, bandwidth_hz, lo_hz=None, hi_hz=None):
    """Offsets from the centre of the raster channels (``n * raster_hz``, absolute) whose whole
    bandwidth lies in the usable band (the captured band less ``EDGE_FRACTION`` each side) and
    clear of the centre's spike, between ``lo_hz`` and ``hi_hz`` (absolute, inclusive).

    Examples
    --------
    >>> off = raster_offsets(2.4e6, 145.0e6, 12500.0, 12500.0)
    >>> len(off), float(off[0]), float(off[-1])
    (152, -950000.0, 950000.0)
    >>> raster_offsets(2.4e6, 145.0e6, 12500.0, 12500.0, 145.1e6, 145.125e6).tolist()
    [100000.0, 112500.0, 125000.0]
    """
    if center_hz is None:
        raise ValueError("a raster of channels needs the centre frequency (`center_hz`)")
    half = fs / 2 * (1 - 2 * EDGE_FRACTION)
    lo = center_hz - half + bandwidth_hz / 2 if lo_hz is None else max(
        float(lo_hz), center_hz - half + bandwidth_hz / 2)
    hi = center_hz + half - bandwidth_hz / 2 if hi_hz is None else min(
        float(hi_hz), center_hz + half - bandwidth_hz / 2)
    n0, n1 = math.ceil(lo / raster_hz - 1e-9), math.floor(hi / raster_hz + 1e-9)
    f = np.arange(n0, n1 + 1) * float(raster_hz)
    off = f - center_hz
    return off[np.abs(off) >= bandwidth_hz]          # (the centre's DC spike)


class ActivityDetector:
    """Which channels held a carrier, block by block (:meth:`add` each chunk's block powers,
    ``(blocks, channels)``), in memory that does not grow with the run: a channel is active
    once its power stays ``threshold_db`` over the band's floor for ``min_s``. The floor of a
    block is the 20th percentile of the channels' powers in it (the noise most channels of a
    band hold; it stands while up to four in five are busy). Given the channels' offsets and
    bandwidth, a channel more than ``adjacent_db`` under a neighbour (within 1.5 bandwidths)
    is taken for the neighbour's splatter in that block. Under ``MIN_WATCHED`` channels there
    is no floor: every channel is active from the first block. ``active``, ``busy_fraction``
    (the share of blocks above the threshold), ``first_block`` (for each active channel the
    first block of the run that made it active), ``idle_power`` (each channel's mean power in
    the blocks under the threshold: its noise)."""

    def __init__(self, n_channels, block_s, threshold_db=THRESHOLD_DB, min_s=MIN_S,
                 offsets_hz=None, bandwidth_hz=None, adjacent_db=ADJACENT_DB):
        self.need = max(1, math.ceil(min_s / block_s))
        self.ratio = 10 ** (threshold_db / 10)
        self.adjacent = 10 ** (-adjacent_db / 10)
        self._nb = None                  # (channel, neighbour) pairs
        if offsets_hz is not None and bandwidth_hz is not None:
            off = np.asarray(offsets_hz, dtype=np.float64)
            d = np.abs(off[:, None] - off[None, :])
            near = (d > 0) & (d < 1.5 * float(bandwidth_hz))
            # each channel's neighbours as columns of an index array, padded with the index
            # of a column of zeros
            k = max(1, int(near.sum(axis=1).max()))
            self._nb = np.full((off.size, k), off.size, dtype=np.int64)
            for c in range(off.size):
                j = np.flatnonzero(near[c])
                self._nb[c, :j.size] = j
        self.active = np.zeros(n_channels, dtype=bool)
        self.first_block = np.full(n_channels, -1, dtype=np.int64)
        self._run = np.zeros(n_channels, dtype=np.int64)
        self._above = np.zeros(n_channels, dtype=np.int64)
        self._idle = np.zeros((2, n_channels))           # power sum and blocks, under it
        self._blocks = 0

    def add(self, powers):
        """The block powers of the next blocks; returns the channels that became active in
        them (indices, in the order they did)."""
        p = np.asarray(powers, dtype=np.float64)
        if not p.size:
            return []
        # (the floor: the k-th smallest power, k a fifth of the channels; a partition, not a
        # sort or an interpolated percentile: 115 blocks a second of 192 channels)
        if p.shape[1] < MIN_WATCHED:
            # (no band to compare with: every channel active from the first block)
            new = np.flatnonzero(~self.active).tolist()
            self.first_block[~self.active] = self._blocks
            self.active[:] = True
            self._above += p.shape[0]
            self._blocks += p.shape[0]
            return new
        k = int(round(0.2 * (p.shape[1] - 1)))
        floor = np.partition(p, k, axis=1)[:, k:k + 1]
        above = p > self.ratio * floor
        if self._nb is not None:
            # (a neighbour's splatter is not a carrier: the strongest neighbour in each block)
            ext = np.concatenate([p, np.zeros((p.shape[0], 1))], axis=1)
            above &= p > self.adjacent * ext[:, self._nb].max(axis=2)
        self._above += above.sum(axis=0)
        self._idle[0] += np.where(above, 0.0, p).sum(axis=0)
        self._idle[1] += (~above).sum(axis=0)
        # runs of blocks above, carried across chunks: a block's run is its distance from
        # the last block below (or the run carried in, where there was none in this chunk)
        nb = p.shape[0]
        i = np.arange(nb)[:, None]
        last_below = np.maximum.accumulate(np.where(above, -1, i), axis=0)
        run = np.where(last_below < 0, self._run[None, :] + i + 1, i - last_below)
        hit = (run >= self.need) & ~self.active[None, :]
        chans = np.flatnonzero(hit.any(axis=0))
        new = []
        if chans.size:
            at = hit[:, chans].argmax(axis=0)               # the block each crossed in
            order = np.lexsort((chans, at))
            chans, at = chans[order], at[order]
            self.active[chans] = True
            self.first_block[chans] = self._blocks + at - run[at, chans] + 1
            new = chans.tolist()
        self._run = run[-1].astype(np.int64)
        self._blocks += nb
        return new

    @property
    def busy_fraction(self):
        return self._above / max(self._blocks, 1)

    @property
    def idle_power(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self._idle[1] > 0, self._idle[0] / self._idle[1], np.nan)


class BandPower:
    """Every channel's power along time, for the band's picture (the waterfall people make
    with rtl_power): the blocks' powers averaged into columns of ``span`` blocks; when
    ``columns`` are full, neighbouring pairs merge and the span doubles, so memory is channels
    x ``columns`` whatever the run's length.

    Examples
    --------
    >>> bp = BandPower(2, 0.01, columns=4)
    >>> bp.add(np.array([[1.0, 2.0]] * 10))
    >>> db, col_s = bp.picture()
    >>> db.shape, col_s                  # 10 blocks in 4 columns: 2 of 4 blocks, one open
    ((3, 2), 0.04)
    >>> round(float(db[0, 1]), 2)
    3.01
    """

    def __init__(self, n_channels, block_s, columns=POWER_COLUMNS):
        self.block_s = float(block_s)
        self.span = 1
        self._cols = np.zeros((int(columns), n_channels))
        self._n = 0
        self._acc = np.zeros(n_channels)
        self._k = 0

    def add(self, powers):
        p = np.asarray(powers, dtype=np.float64)
        i = 0
        while i < p.shape[0]:
            take = min(self.span - self._k, p.shape[0] - i)
            self._acc += p[i:i + take].sum(axis=0)
            self._k += take
            i += take
            if self._k == self.span:
                if self._n == self._cols.shape[0]:          # full: pairs merge
                    half = self._n // 2
                    self._cols[:half] = (self._cols[0:2 * half:2] + self._cols[1:2 * half:2]) / 2
                    self._n = half
                    self.span *= 2
                    continue                  # (the open column now needs more blocks)
                self._cols[self._n] = self._acc / self._k
                self._n += 1
                self._acc[:] = 0.0
                self._k = 0

    def picture(self):
        """``(db, column_s)``: each column's mean power per channel, dB (the open column's
        too), and a column's length, s."""
        cols = self._cols[:self._n]
        if self._k:
            cols = np.vstack([cols, self._acc / self._k])
        with np.errstate(divide="ignore"):
            return 10 * np.log10(np.maximum(cols, 1e-30)), self.span * self.block_s


class BandFrontEnd(ChannelFrontEnd):
    """Activity first: every channel of a band watched through one filter bank's block powers
    (:class:`ActivityDetector`), and a channel's stream only once it is active.

    A channel becomes active mid-input without losing its first transmission: its stream
    starts ``preroll_s`` before the block where its carrier was first seen, from input kept
    for that (:meth:`htdsp.dsp.channelizer.Channelizer.replay`: the stream it would have had
    from the start), on the edge of a measurement window (``window_s``) so that its windows
    are those of the channel measured from the start. Its :class:`ChannelPath` says where it
    starts (``start_sample``); the receiver, meter and judge built on it report input times.
    Once active, a channel stays active (a net keeps its channel; starting again would split
    its judgement), so ``max_active`` caps the channels started in the whole run.

    :attr:`paths` lists the active channels in the order they started, :attr:`started` those
    started by the last :meth:`process` (its last outputs, in that order), ``index`` a path's
    channel in the band; at most ``max_active`` run (a live run's CPU), the rest are listed in
    :attr:`refused`. ``offsets_hz``: the band's channels; ``detector``: the activity;
    ``power``: every channel's power along time (:class:`BandPower`, for the HTML's picture).

    Examples
    --------
    >>> fs = 2.4e6
    >>> fe = BandFrontEnd(fs, [-100e3, -50e3, 0.0, 100e3, 200e3], 12500.0)
    >>> rng = np.random.default_rng(0)
    >>> n = int(2 * fs)                          # 2 s of noise, a carrier on 200 kHz from 1.5 s
    >>> x = 0.01 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    >>> x[int(1.5 * fs):] += 0.1 * np.exp(2j * np.pi * 200e3 * np.arange(int(0.5 * fs)) / fs)
    >>> outs = [fe.process(x[i:i + 240000].astype(np.complex64)) for i in range(0, n, 240000)]
    >>> [(fe.index[p.offset_hz], round(p.start_sample / fs, 3)) for p in fe.paths]
    [(4, 0.4)]
    >>> round(sum(len(o[0]) for o in outs if o) / fe.bank.fs_out, 3)   # 0.4 s to the last block
    1.594
    """

    def __init__(self, fs, offsets_hz, bandwidth_hz, *, input_format="cf32",
                 window_s=None, preroll_s=PREROLL_S, threshold_db=THRESHOLD_DB, min_s=MIN_S,
                 max_active=None):
        from htdsp.dsp.channelizer import Channelizer
        from htdsp.measure.meter import WINDOW_S, window_samples

        super().__init__(fs, input_format)
        self.offsets_hz = np.asarray(offsets_hz, dtype=np.float64).reshape(-1)
        self.bank = Channelizer(self.fs, self.offsets_hz, float(bandwidth_hz))
        b = self.bank
        self.channel_fs = float(b.fs_out)
        self.bandwidth_hz = float(bandwidth_hz)
        self._detector_args = (self.offsets_hz.size, b.hop / self.fs, threshold_db, min_s,
                               self.offsets_hz, self.bandwidth_hz)
        self.detector = ActivityDetector(*self._detector_args)
        self.power = BandPower(self.offsets_hz.size, b.hop / self.fs)
        self.preroll_s = float(preroll_s)
        self.max_active = max_active
        self.window_s = WINDOW_S if window_s is None else float(window_s)
        #: whether the band is watched (MIN_WATCHED channels or more), or every channel runs
        self.watching = self.offsets_hz.size >= MIN_WATCHED
        self._win_out = window_samples(b.fs_out, self.window_s)[1]
        self.index = {}
        self.refused = []
        self._fresh()

    def _fresh(self):
        self.paths = []
        self.started = []
        self._active = []
        self._kept = deque()                  # (first input sample, raw or complex chunk)
        self._kept_n = 0
        self.index = {}
        self.refused = []

    def _keep(self, a, start):
        """Keep the input the longest back-dating needs (a preroll, a block, a window)."""
        n = a.size if np.iscomplexobj(a) else a.size // 2
        self._kept.append((start, a.copy()))
        self._kept_n += n
        b = self.bank
        # (back from the first block of the run that made a channel active: that run, the
        # preroll, a block's overlap and a window's edge)
        need = int(self.preroll_s * self.fs) + (self.detector.need + 2) * b.hop + 2 * b.n_fft \
            + int(self._win_out * self.fs / b.fs_out) + n
        while len(self._kept) > 1:
            first = self._kept[0][1]
            k = first.size if np.iscomplexobj(first) else first.size // 2
            if self._kept_n - k < need:
                break
            self._kept.popleft()
            self._kept_n -= k

    def _kept_input(self):
        from htdsp.dsp.convert import convert, format_of_dtype

        parts = [c if np.iscomplexobj(c) else convert(c, format_of_dtype(c.dtype))
                 for _, c in self._kept]
        return self._kept[0][0], np.concatenate(parts)

    def _process(self, a):
        start = self.samples_in - (a.size if np.iscomplexobj(a) else a.size // 2)
        self._keep(a, start)
        b = self.bank
        powers, ys = b.process_active(a, self._active)   # (raw: converted into its buffer)
        out = list(ys)
        self.started = []
        self.power.add(powers)
        new = self.detector.add(powers)
        take = []
        for c in new:
            if self.max_active is not None and len(self._active) + len(take) >= self.max_active:
                self.refused.append(int(c))
            else:
                take.append(int(c))
        if take:
            out += self._start(take)
        return out

    def _start(self, chans):
        """Start channels ``chans`` (those a chunk made active): their paths, and their
        streams up to now from one replay of the kept input (a transform of the blocks once,
        whatever their number)."""
        b = self.bank
        x0, kept = self._kept_input()
        # the first block whose input is kept (or the input's start)
        m_min = 0 if x0 <= 0 else -(-(x0 + b.n_fft - b.hop) // b.hop)
        starts = []
        for c in chans:
            first = int(self.detector.first_block[c]) * b.hop - (b.n_fft - b.hop)
            want = (first - self.preroll_s * self.fs) * b.fs_out / self.fs   # output samples
            w = max(math.floor(max(want, 0) / self._win_out),
                    -(-m_min * b.out_per_block // self._win_out))
            starts.append(w * self._win_out)
        m_a = min(starts) // b.out_per_block
        ys = b.replay(kept, x0, chans, m_a, b.blocks_done)
        out = []
        for c, s_out, y in zip(chans, starts, ys, strict=True):
            path = ChannelPath(float(self.offsets_hz[c]), float(b.fs_out), b.taps,
                               b.delay_samples, start_sample=s_out * self.fs / b.fs_out)
            self._active.append(c)
            self.paths.append(path)
            self.started.append(path)
            self.index[path.offset_hz] = c
            out.append(y[s_out - m_a * b.out_per_block:])
        return out

    def quiet_path(self, c):
        """A path for channel ``c`` that starts now (a channel never started: its run is
        judged on nothing)."""
        b = self.bank
        return ChannelPath(float(self.offsets_hz[c]), float(b.fs_out), b.taps,
                           b.delay_samples, start_sample=float(self.samples_in))

    def reset(self):
        super().reset()
        self.bank.reset()
        self.detector = ActivityDetector(*self._detector_args)
        self.power = BandPower(self.offsets_hz.size, self.bank.hop / self.fs)
        self._fresh()

    def copy(self):
        import copy as _copy

        new = super().copy()
        new.bank = self.bank.copy()
        new.detector = _copy.deepcopy(self.detector)
        new.power = _copy.deepcopy(self.power)
        new.paths, new.started, new._active = list(self.paths), list(self.started), \
            list(self._active)
        new._kept = deque((s, c.copy()) for s, c in self._kept)
        new.index, new.refused = dict(self.index), list(self.refused)
        return new
