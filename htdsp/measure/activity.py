"""Which channels of a band were used: the raster inside a capture's usable band, and a carrier
detector over every channel's block power from the filter bank
(:meth:`htdsp.dsp.channelizer.Channelizer.process_active`).

The detector compares each channel's power, block by block, with the band's noise floor (the
median over the channels of each one's 20th percentile: a channel busy all the time does not
raise it) and calls a channel active where it stays ``threshold_db`` above it for
``min_s``. A carrier's neighbours see it through the channel filter's stop band (60 dB) and
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


def band_activity(powers, block_s, threshold_db=THRESHOLD_DB, min_s=MIN_S):
    """Per channel, from block powers ``(blocks, channels)``: ``(active, busy_fraction,
    floor)``, whether it held a carrier ``threshold_db`` over the band floor for ``min_s``,
    the fraction of blocks above it, and the floor (linear power)."""
    p = np.asarray(powers, dtype=np.float64)
    if p.size == 0:
        n = p.shape[1] if p.ndim == 2 else 0
        return np.zeros(n, bool), np.zeros(n), 0.0
    floor = float(np.median(np.percentile(p, 20, axis=0)))
    above = p > floor * 10 ** (threshold_db / 10)
    need = max(1, math.ceil(min_s / block_s))
    active = np.zeros(p.shape[1], dtype=bool)
    for c in range(p.shape[1]):
        run = 0
        for a in above[:, c]:
            run = run + 1 if a else 0
            if run >= need:
                active[c] = True
                break
    return active, above.mean(axis=0), floor


def scan_band(chunks, fs, offsets_hz, bandwidth_hz, fmt="cf32"):
    """Every channel's block power over a whole input (an iterable of raw or complex chunks):
    ``(powers, block_s)`` for :func:`band_activity` (one pass of the filter bank, no channel's
    baseband)."""
    from htdsp.dsp.channelizer import Channelizer
    from htdsp.dsp.convert import Converter

    bank = Channelizer(fs, offsets_hz, bandwidth_hz)
    conv = Converter(fmt) if fmt != "cf32" else None
    out = []
    for x in chunks:
        if conv is not None and not np.iscomplexobj(x):
            x = conv.process(x)
        p, _ = bank.process_active(x, [])
        out.append(p)
    powers = np.concatenate(out) if out else np.zeros((0, len(offsets_hz)), np.float32)
    return powers, bank.hop / fs
