"""Which channels of a band were used: the raster inside a capture's usable band, and a carrier
detector over every channel's block power from the filter bank
(:meth:`htdsp.dsp.channelizer.Channelizer.process_active`).

The detector compares each channel's power, block by block, with the band's noise floor (the
20th percentile of the channels' powers in that block) and calls a channel active where it
stays ``threshold_db`` above it for ``min_s``, holding a few numbers per channel whatever the
run's length. A carrier's neighbours see it through the channel filter's stop band (60 dB) and
the Hann window's leakage, so a 45 dB carrier does not make them active.
"""

import math

import numpy as np

#: the outer part of the captured band left out of ``--channels all`` (each side): a dongle's
#: own filter rolls off there
EDGE_FRACTION = 0.10
#: dB above the band's floor, and for how long, that make a channel active
THRESHOLD_DB = 10.0
MIN_S = 0.05


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
    band hold; it stands while up to four in five are busy). ``active``, ``busy_fraction``
    (the share of blocks above the threshold)."""

    def __init__(self, n_channels, block_s, threshold_db=THRESHOLD_DB, min_s=MIN_S):
        self.need = max(1, math.ceil(min_s / block_s))
        self.ratio = 10 ** (threshold_db / 10)
        self.active = np.zeros(n_channels, dtype=bool)
        self._run = np.zeros(n_channels, dtype=np.int64)
        self._above = np.zeros(n_channels, dtype=np.int64)
        self._blocks = 0

    def add(self, powers):
        p = np.asarray(powers, dtype=np.float64)
        if not p.size:
            return
        above = p > self.ratio * np.percentile(p, 20, axis=1, keepdims=True)
        self._above += above.sum(axis=0)
        self._blocks += p.shape[0]
        for row in above:                  # runs of blocks above, carried across chunks
            self._run = (self._run + 1) * row
            self.active |= self._run >= self.need

    @property
    def busy_fraction(self):
        return self._above / max(self._blocks, 1)


def scan_band(chunks, fs, offsets_hz, bandwidth_hz, fmt="cf32"):
    """Which of the channels at ``offsets_hz`` held a carrier over a whole input (an iterable
    of raw or complex chunks): one pass of the filter bank's block powers, no channel's
    baseband. Returns the :class:`ActivityDetector`."""
    from htdsp.dsp.channelizer import Channelizer
    from htdsp.dsp.convert import Converter

    bank = Channelizer(fs, offsets_hz, bandwidth_hz)
    conv = Converter(fmt) if fmt != "cf32" else None
    det = ActivityDetector(len(offsets_hz), bank.hop / fs)
    for x in chunks:
        if conv is not None and not np.iscomplexobj(x):
            x = conv.process(x)
        det.add(bank.process_active(x, [])[0])
    return det
