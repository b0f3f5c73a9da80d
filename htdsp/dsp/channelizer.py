"""A fast-convolution (overlap-save) filter bank: many channels of one input at once.

Every block of ``n_fft`` input samples (advancing by ``hop`` samples, the rest overlap) is
transformed once; each channel takes the ``n_bins`` bins around its centre, weighted by the
channel filter's response there, and an ``n_bins``-point inverse transform gives its baseband
at ``fs_out`` = ``n_bins * fs / n_fft`` directly: the filtering and the decimation of a channel
cost ``n_bins`` multiplies and a short inverse FFT per block, whatever the input rate. Unlike a
polyphase bank, the channel count and raster need not divide the input rate (2.048 MS/s holds
163.84 channels of 12.5 kHz) and a channel may sit anywhere: its centre need not be a bin (the
response is sampled around the exact centre and the remaining offset, under half a bin, is
removed by a phase ramp at the output rate).

With the channel filter designed at ``fs_out`` (``h`` of ``T`` taps, the single-channel path's
own), the bank's response is that path's: the weights are ``h``'s DTFT at the bins' offsets
from the channel centre times the magnitude of the path's decimators there, and the overlap
(``n_fft - hop`` samples) is at least ``h``'s length at the input rate, so the circular
convolution of each block is the linear one (up to the band-limited interpolation of ``h``,
whose response outside +-fs_out/2 is the stop band). Output sample ``n`` is the channel at
input time ``n * fs / fs_out``, delayed by ``h``'s group delay. Each block also gives every
channel's power (:meth:`Channelizer.process_active`: Parseval over its bins, the block under a
Hann window so that a strong carrier does not leak into its neighbours), which is what a
carrier detector over a whole band needs, without any channel's baseband.

The forward transforms of a chunk's blocks and the channels' inverse transforms are batched
calls to :mod:`scipy.fft` (the transform is what a filter bank is; a Numba FFT would be a
hand-written copy of a mature one). State: the last ``n_fft - hop`` input samples, the samples
of an unfinished block and the block count (each block's phase follows from its index), so any
chunking gives the same output as one call (the same blocks, the same arithmetic).

References
----------
.. [1] M. Borgerding, "Turning overlap-save into a multiband mixing, downsampling filter bank",
   IEEE Signal Processing Magazine 23(2), 2006.
.. [2] M. Renfors, J. Yli-Kaakinen, F. Harris, "Analysis and design of efficient and flexible
   fast-convolution based multirate filter banks", IEEE Trans. Signal Process. 62(15), 2014.
"""

import math

import numpy as np
import scipy.fft

from htdsp.dsp._stream import as_complex64, check_fs
from htdsp.dsp.convert import format_of_dtype, format_scale
from htdsp.dsp.design import (
    CHANNEL_ATTEN_DB,
    CHANNEL_PASS_FRAC,
    CHANNEL_STOP_FRAC,
    MIN_CHANNEL_FS,
    kaiser_lowpass,
    plan_chain,
)
from htdsp.kernels import band_power_kernel, convert_kernel, convert_state

#: the audio rate the single-channel path plans for; the bank's channel rate is that path's
AUDIO_FS = 48000.0
#: a block at least this often (each channel's power is a block's)
POWER_EVERY_S = 0.010
#: the transform at least this many times the overlap (the hop then at least 3/4 of it;
#: measured at 2.4 MS/s: 3x costs 9.2 ms per s of input in transforms, 4x 7.4)
MIN_FFT_PER_OVERLAP = 4


def _radix_cost(n):
    """Relative work of a transform of size ``n`` per point (its passes, weighted by radix)."""
    c = 0.0
    for p, w in ((2, 1.0), (3, 1.7), (5, 2.6), (7, 3.6)):
        while n % p == 0:
            n //= p
            c += w
    return c


def _smooth(n, primes=(2, 3, 5, 7)):
    for p in primes:
        while n % p == 0:
            n //= p
    return n == 1


def plan_bank(fs, bandwidth_hz, fs_out=None):
    """``(n_fft, n_bins, hop, taps)`` for a bank at input rate ``fs``.

    ``taps`` is the channel filter at ``fs_out`` (default: the channel rate of the
    single-channel path, :func:`htdsp.dsp.design.plan_chain`, so that a channel from the bank
    is measured at the rate and through the filter of a channel scored alone); ``n_fft`` the
    5-smooth transform size of least work per sample that gives exactly ``fs_out``
    (``n_bins = n_fft * fs_out / fs`` whole) with at least ``MIN_FFT_PER_OVERLAP`` overlaps
    and a block at least every ``POWER_EVERY_S``; ``hop`` the largest advance that keeps the
    overlap and gives a whole number of output samples per block.

    Examples
    --------
    >>> [plan_bank(fs, 12500.0)[:3] for fs in (2.4e6, 2.048e6, 250e3)]
    [(25600, 512, 20900), (23040, 480, 19008), (2880, 480, 2388)]
    """
    fs = check_fs(fs)
    fs_out = float(plan_chain(fs, bandwidth_hz, AUDIO_FS).channel_fs if fs_out is None
                   else fs_out)
    if fs_out < MIN_CHANNEL_FS or fs_out > fs:
        raise ValueError(f"`fs_out` {fs_out:.0f} Hz must lie between {MIN_CHANNEL_FS:.0f} Hz "
                         f"and the input rate {fs:.0f} Hz")
    taps = kaiser_lowpass(fs_out, CHANNEL_PASS_FRAC * bandwidth_hz,
                          CHANNEL_STOP_FRAC * bandwidth_hz, CHANNEL_ATTEN_DB)
    overlap = math.ceil((len(taps) - 1) * fs / fs_out) + 1
    ratio = fs_out / fs
    best = None
    # (the sizes giving a whole number of bins, found at once: a loop over every size cost
    # 60 ms a session)
    sizes = np.arange(MIN_FFT_PER_OVERLAP * overlap, 4 * MIN_FFT_PER_OVERLAP * overlap)
    bins = sizes * ratio
    sizes = sizes[(np.abs(bins - np.round(bins)) <= 1e-9) & (np.round(bins) >= 16)]
    for n_fft in sizes.tolist():
        if not _smooth(n_fft):
            continue
        n_bins = int(round(n_fft * ratio))
        step = n_fft // math.gcd(n_fft, n_bins)     # a hop of whole output samples
        hop = (n_fft - overlap) // step * step
        if hop <= 0 or hop > POWER_EVERY_S * fs:
            continue
        # transform work per input sample (a radix-5 pass costs more than two radix-2 ones)
        cost = n_fft * _radix_cost(n_fft) / hop
        if best is None or cost < best[0]:
            best = (cost, n_fft, n_bins, hop)
    if best is None:
        raise ValueError(f"no filter-bank size gives {fs_out:.0f} Hz from {fs:.0f} Hz "
                         "exactly (give `fs_out`)")
    _, n_fft, n_bins, hop = best
    return n_fft, n_bins, hop, taps


class Channelizer:
    """Channels of one complex input at once (module docstring): ``process`` a chunk of any
    size, get one complex64 array per channel; ``reset``, ``copy``.

    Parameters
    ----------
    fs : float
        Input rate, Hz.
    offsets_hz : sequence of float
        Channel centres from the input's centre, Hz (any value within +-fs/2).
    bandwidth_hz : float
        Channel bandwidth (the channel filter: :func:`htdsp.dsp.design.plan_chain`'s edges).
    fs_out : float, optional
        Channel rate, Hz (default: the single-channel path's, :func:`plan_bank`).

    Attributes: ``n_fft``, ``n_bins``, ``hop``, ``taps`` (the channel filter at ``fs_out``),
    ``delay_samples`` (group delay in input samples), ``fs_out``.

    Examples
    --------
    >>> bank = Channelizer(2.4e6, [-25e3, 0.0, 112.5e3], 12500.0)
    >>> t = np.arange(240000) / 2.4e6
    >>> y = bank.process(np.exp(2j * np.pi * 113.5e3 * t).astype(np.complex64))
    >>> [len(c) for c in y], bank.fs_out
    ([4598, 4598, 4598], 48000.0)
    >>> [round(float(np.abs(c[-1000:]).mean()), 3) for c in y]   # a tone 1 kHz into the third
    [0.0, 0.0, 1.0]
    """

    def __init__(self, fs, offsets_hz, bandwidth_hz, *, fs_out=None):
        self.fs = check_fs(fs)
        self.bandwidth_hz = float(bandwidth_hz)
        self.offsets_hz = np.asarray(offsets_hz, dtype=np.float64).reshape(-1)
        if np.any(np.abs(self.offsets_hz) > self.fs / 2):
            raise ValueError("a channel `offset_hz` lies outside the input's band (+-fs/2)")
        self.n_fft, self.n_bins, self.hop, self.taps = plan_bank(self.fs, self.bandwidth_hz,
                                                                 fs_out)
        self.fs_out = self.n_bins * self.fs / self.n_fft
        self.delay_samples = (len(self.taps) - 1) / 2 * self.fs / self.fs_out
        n, L = self.n_fft, self.n_bins
        df = self.fs / n
        k_c = np.round(self.offsets_hz / df).astype(np.int64)
        self._resid_hz = self.offsets_hz - k_c * df          # under half a bin
        rel = np.fft.fftfreq(L, 1.0 / L).astype(np.int64)    # bin offsets in FFT order
        self._bins = (k_c[:, None] + rel[None, :]) % n
        # the channel filter's DTFT at each bin's offset from the exact centre, and the
        # single-channel path's decimators (their pass band's slope and their rejection), so
        # that a channel from the bank is the channel scored alone: exp(-2j pi (rel df - r) m /
        # rate) splits into a bins x taps part common to all channels and a taps x channels
        # part (one small matrix product, not a channels x bins x taps array)
        def dtft(taps, rate):
            m = np.arange(len(taps))
            common = np.exp(-2j * np.pi * np.outer(rel * df, m) / rate)      # (bins, taps)
            own = taps[:, None] * np.exp(2j * np.pi * np.outer(m, self._resid_hz) / rate)
            return (common @ own).T                                          # (chan, bins)

        resp = dtft(np.asarray(self.taps, dtype=np.float64), self.fs_out)
        for st in plan_chain(self.fs, self.bandwidth_hz, AUDIO_FS).stages:
            if len(st.taps) > 1:
                resp = resp * np.abs(dtft(np.asarray(st.taps, dtype=np.float64), st.fs_in))
        self._weights = (resp / n).astype(np.complex64)      # (the inverse is unscaled)
        # block power: the mean of |output|^2 over a block, from its bins (Parseval)
        # (over the bins where the filter passes more than -70 dB: a third of them, the
        # rest adds under 1e-7 of a carrier's power)
        # (the kept bins are one run around the centre: each channel's a contiguous span of
        # the transform, from bin _plo, in natural order)
        w2 = np.abs(resp) ** 2 / (n * n)
        keep = rel[w2.max(axis=0) > 1e-7 * w2.max()]
        span = np.arange(keep.min(), keep.max() + 1)
        self._plo = (k_c + span[0]) % n
        self._w2 = np.ascontiguousarray(w2[:, span % L], dtype=np.float32)
        self._scratch = np.empty(n, dtype=np.float32)
        self._k_hop = (k_c * self.hop) % n                   # the block's phase, in 1/n turns
        self.out_per_block = self.hop * L // n
        self._first = L - self.out_per_block                 # outputs of the overlap: dropped
        i = np.arange(self.out_per_block)
        # the ramp's phase advance per block, turns
        self._turn_per_block = self._resid_hz * self.out_per_block / self.fs_out
        self._ramp = np.exp(-2j * np.pi * self._resid_hz[:, None] * i / self.fs_out) \
            .astype(np.complex64)
        self._fresh()

    def _fresh(self):
        # the input not yet transformed (the overlap first: zeros before the input's start),
        # in a buffer kept across chunks: a chunk is written (converted, if raw) once
        self._work = np.zeros(max(2 * self.n_fft, 1 << 16), dtype=np.complex64)
        self._fill = self.n_fft - self.hop
        self._cstate = convert_state()
        self._blocks = 0

    def _take(self, x):
        """Append a chunk to the work buffer: complex samples, or whole samples of raw
        interleaved elements (uint8 cu8, int8 cs8, int16 cs16, float32 cf32: converted
        straight into it, one pass and no converted copy)."""
        a = np.asarray(x)
        raw = not np.iscomplexobj(a)
        n = a.size // 2 if raw else a.size
        need = self._fill + n
        if need > self._work.size:
            grown = np.empty(max(need, 2 * self._work.size), dtype=np.complex64)
            grown[:self._fill] = self._work[:self._fill]
            self._work = grown
        dst = self._work[self._fill:need]
        if raw:
            fmt = format_of_dtype(a.dtype)
            if fmt is None or a.ndim != 1 or a.size % 2:
                raise ValueError(f"expected complex samples or whole raw I/Q samples, got "
                                 f"{a.shape} {a.dtype}")
            off, sc = format_scale(fmt)
            convert_kernel(a, off, sc, self._cstate, dst.view(np.float32))
        else:
            dst[:] = a
        self._fill = need

    @property
    def n_channels(self):
        return len(self.offsets_hz)

    def process(self, x):
        """One chunk of complex samples (or whole raw I/Q samples); returns a list of complex64
        arrays, one a channel."""
        return list(self.process_active(x, None)[1])

    def process_active(self, x, active=()):
        """One chunk: the power of every channel in each block completed, and the baseband of
        the channels in ``active`` only (indices; None: all), so that watching a whole band
        costs one forward transform and a weighted sum of its bins per channel.

        Returns ``(powers, outputs)``: ``powers`` float32 ``(blocks, channels)``, the channel
        filter's output power over each block's ``n_fft`` samples (Parseval over the bins it
        takes; block ``m`` ends at input sample ``(m + 1) * hop``), and ``outputs`` a complex64
        array ``(len(active), samples)``. A channel made active later starts at the next block
        with its phase where it would have been."""
        self._take(x)
        buf = self._work[:self._fill]
        nb = max(0, (buf.size - (self.n_fft - self.hop)) // self.hop)
        idx = np.arange(self.n_channels) if active is None else \
            np.asarray(list(active), dtype=np.int64)
        if nb == 0:
            return (np.zeros((0, self.n_channels), np.float32),
                    np.zeros((idx.size, 0), np.complex64))
        blocks = np.lib.stride_tricks.as_strided(
            buf, shape=(nb, self.n_fft), strides=(self.hop * buf.itemsize, buf.itemsize),
            writeable=False)
        X = scipy.fft.fft(blocks, axis=1, workers=1)
        # the power from a Hann-windowed block (its spectrum is three taps across the bins):
        # the plain block's bins leak a carrier 1/f into channels 12.5 kHz away (-28 dB
        # measured), the window's at 1/f^3
        powers = np.empty((nb, self.n_channels), dtype=np.float32)
        band_power_kernel(X, self._plo, self._w2, self._scratch, powers)
        y = (self._channels(X, idx, self._blocks) if idx.size else
             np.zeros((0, nb * self.out_per_block), np.complex64))
        self._blocks += nb
        rest = self._fill - nb * self.hop            # (the next block's overlap and more)
        self._work[:rest] = buf[nb * self.hop:].copy()
        self._fill = rest
        return powers, y

    @property
    def blocks_done(self):
        """Blocks transformed so far (block ``m`` ends at input sample ``(m + 1) * hop``)."""
        return self._blocks

    def replay(self, x, x_start, active, m_a, m_b):
        """The baseband of channels ``active`` over blocks ``m_a`` to ``m_b - 1`` (output
        samples ``m_a * out_per_block`` on) from a stretch of the input kept by the caller:
        ``x`` holds input samples from ``x_start`` on (input before sample 0 is zero), at
        least to the end of block ``m_b - 1``. The same blocks and arithmetic as
        :meth:`process_active` (a channel made active late gets the stream it would have had
        from the start); the bank's state does not change.

        Returns a complex64 array ``(len(active), (m_b - m_a) * out_per_block)``."""
        idx = np.asarray(list(active), dtype=np.int64)
        nb = int(m_b) - int(m_a)
        if nb <= 0:
            return np.zeros((idx.size, 0), np.complex64)
        a = int(m_a) * self.hop - (self.n_fft - self.hop)     # the first block's first sample
        z = int(m_b) * self.hop                         # the last block's end
        if max(a, 0) < x_start:
            raise ValueError(f"block {m_a} starts at input sample {a}, before the kept input "
                             f"(from {x_start})")
        x = as_complex64(x)
        if z - x_start > x.size:
            raise ValueError(f"block {m_b - 1} ends at input sample {z}, after the kept input "
                             f"(to {x_start + x.size})")
        lead = max(0, x_start - a)                           # zeros before the input's start
        seg = x[max(0, a - x_start):z - x_start]
        if lead:
            seg = np.concatenate([np.zeros(lead, np.complex64), seg])
        blocks = np.lib.stride_tricks.as_strided(
            seg, shape=(nb, self.n_fft), strides=(self.hop * seg.itemsize, seg.itemsize),
            writeable=False)
        return self._channels(scipy.fft.fft(blocks, axis=1, workers=1), idx, int(m_a))

    def _channels(self, X, sel, m0):
        """The outputs ``(len(sel), blocks x out_per_block)`` of channels ``sel`` from
        transformed blocks ``X``, the first of them block ``m0``."""
        nb = X.shape[0]
        Y = X[:, self._bins[sel]] * self._weights[sel]           # (blocks, channels, bins)
        y = scipy.fft.ifft(Y, axis=2, workers=1, norm="forward")[:, :, self._first:]
        # the phase of each block's start (exact: whole multiples of 1/n_fft turn) and the
        # ramp that removes the centre's offset from a bin, continuous across blocks; both
        # from the block's index, so that a channel's stream is the same whenever it started
        m = m0 + np.arange(nb)
        k = (self._k_hop[sel][None, :] * (m[:, None] % self.n_fft)) % self.n_fft
        turns = m[:, None] * self._turn_per_block[sel][None, :]
        rot = np.exp(-2j * np.pi * ((k / self.n_fft + turns) % 1.0)).astype(np.complex64)
        y *= rot[:, :, None]
        y *= self._ramp[sel][None, :, :]
        return np.ascontiguousarray(y.transpose(1, 0, 2)).reshape(y.shape[1], nb * y.shape[2])

    def reset(self):
        self._fresh()

    def copy(self):
        import copy as _copy

        new = _copy.copy(self)
        new._work = self._work.copy()
        new._cstate = self._cstate.copy()
        new._scratch = np.empty_like(self._scratch)
        return new


def channelize_reference(x, fs, offsets_hz, bandwidth_hz, fs_out=None):
    """:class:`Channelizer` written plainly (float64, one block and one channel at a time,
    numpy.fft): the reference it is tested against."""
    bank = Channelizer(fs, offsets_hz, bandwidth_hz, fs_out=fs_out)
    n, L, hop = bank.n_fft, bank.n_bins, bank.hop
    x = np.concatenate([np.zeros(n - hop), np.asarray(x, dtype=np.complex128)])
    df = fs / n
    out = [[] for _ in offsets_hz]
    m = 0
    while m * hop + n <= x.size:
        X = np.fft.fft(x[m * hop:m * hop + n])
        for c, f_c in enumerate(offsets_hz):
            k_c = int(round(f_c / df))
            r = f_c - k_c * df
            Y = np.zeros(L, dtype=np.complex128)
            for j in range(L):
                rel = j if j < (L + 1) // 2 else j - L          # FFT order
                h = sum(t * np.exp(-2j * np.pi * (rel * df - r) / bank.fs_out * i)
                        for i, t in enumerate(bank.taps))
                for st in plan_chain(fs, bandwidth_hz, AUDIO_FS).stages:
                    if len(st.taps) > 1:
                        h *= abs(sum(t * np.exp(-2j * np.pi * (rel * df - r) / st.fs_in * i)
                                     for i, t in enumerate(st.taps)))
                Y[j] = X[(k_c + rel) % n] * h / n
            y = np.fft.ifft(Y) * L
            for i in range(L - bank.out_per_block, L):
                t_out = m * bank.out_per_block + i - (L - bank.out_per_block)
                ph = -2 * np.pi * (k_c * hop * m / n + r * t_out / bank.fs_out)
                out[c].append(y[i] * np.exp(1j * ph))
        m += 1
    return [np.array(o, dtype=np.complex128) for o in out]
