"""The band as a whole: the strongest carrier (the channel a score picks when none is given)
and a coarse waterfall for the report."""

import math

import numpy as np

from htdsp.dsp.convert import convert


def strongest_channel(rec, bandwidth_hz, slices=48, nfft=4096):
    """Offset (Hz) of the strongest NFM carrier: the ``bandwidth_hz`` stretch of the averaged
    spectrum (``slices`` spread over the recording) holding the most power, away from the
    centre spike; rounded to the 6.25 kHz channel grid when the centre frequency is known.
    Returns ``(offset_hz, spectrum_freqs, spectrum_db)``."""
    fs = rec.sample_rate_hz
    n = rec.samples
    nfft = int(min(nfft, max(256, 2 ** int(math.log2(max(n, 256))))))
    if n < nfft:
        raise ValueError("too short to find a channel (give `channel_hz` or `offset_hz`)")
    acc = np.zeros(nfft)
    win = np.hanning(nfft)
    starts = np.linspace(0, n - nfft, min(slices, max(1, n // nfft))).astype(int)
    for s0 in starts:
        for _, x in rec.chunks(chunk_samples=nfft, start=int(s0), count=nfft, raw=False):
            acc += np.abs(np.fft.fft(x * win)) ** 2
    p = np.fft.fftshift(acc / len(starts))
    f = np.fft.fftshift(np.fft.fftfreq(nfft, 1 / fs))
    # the channel's width in bins, at most the whole spectrum (the cost stays one FFT's)
    k = min(nfft, max(1, int(round(bandwidth_hz / (fs / nfft)))))
    band = np.convolve(p, np.ones(k), "same")
    usable = (np.abs(f) > bandwidth_hz / 2) & (np.abs(f) < fs / 2 - bandwidth_hz / 2)
    if not usable.any():
        raise ValueError("no room for a channel away from the centre (give `offset_hz`)")
    j = int(np.argmax(np.where(usable, band, -np.inf)))
    lo, hi = max(0, j - k // 2), min(nfft, j + k // 2 + 1)
    total = float(np.sum(p[lo:hi]))
    if not (total > 0 and math.isfinite(total)):
        raise ValueError("no signal to find a channel in (the samples carry no power): give "
                         "`channel_hz` or `offset_hz`")
    off = float(np.sum(f[lo:hi] * p[lo:hi]) / total)
    if rec.center_freq_hz:
        grid = 6250.0
        off = round((rec.center_freq_hz + off) / grid) * grid - rec.center_freq_hz
    return off, f, 10 * np.log10(np.maximum(p, 1e-30))


class Waterfall:
    """A coarse waterfall of the whole band for the report: one averaged FFT row every
    ``row_s`` (a few FFTs of the chunk, so it costs a fraction of a percent).

    Memory is bounded whatever the run's length: rows are float32, and once
    ``2 * max_rows`` are held, neighbours are averaged in pairs (each row then covers twice
    the time), so a day of live scoring holds the same few MB as a minute.
    """

    def __init__(self, fs, nfft=1024, row_s=0.1, max_rows=800):
        self.fs = float(fs)
        self.nfft = nfft
        self.row = max(nfft, int(row_s * fs))
        self.max_rows = int(max_rows)
        self.rows = []
        #: FFT rows averaged into each kept row
        self.merge = 1
        self._acc = None
        self._acc_n = 0
        self._n = 0
        self._next = 0
        self._win = np.hanning(nfft).astype(np.float32)

    def _add(self, p):
        self._acc = p if self._acc is None else self._acc + p
        self._acc_n += 1
        if self._acc_n < self.merge:
            return
        self.rows.append((self._acc / self._acc_n).astype(np.float32))
        self._acc, self._acc_n = None, 0
        if len(self.rows) >= 2 * self.max_rows:
            self.rows = [(a + b) / 2 for a, b in zip(self.rows[0::2], self.rows[1::2],
                                                      strict=False)]
            self.merge *= 2

    def process(self, x, fmt=None):
        """Add a chunk: complex samples, or raw interleaved elements of format ``fmt`` (only
        the few samples a row needs are converted). A row that would straddle two chunks is
        skipped (the next one starts in the next chunk)."""
        raw = not np.iscomplexobj(x)
        n = len(x) // 2 if raw else len(x)
        while self._next < self._n + n:
            i = self._next - self._n
            if i + self.nfft > n:
                self._next = self._n + n
                break
            seg = convert(x[2 * i:2 * (i + self.nfft)], fmt) if raw else x[i:i + self.nfft]
            self._add(np.abs(np.fft.fft(seg * self._win)).astype(np.float32) ** 2)
            self._next += self.row
        self._n += n

    def image(self, max_rows=400):
        """``(freqs, times, dB rows)`` (rows merged to at most ``max_rows``)."""
        if not self.rows:
            return None
        r = np.array(self.rows, dtype=np.float64)
        step = max(1, int(math.ceil(len(r) / max_rows)))
        m = len(r) // step * step or len(r)
        r = r[:m].reshape(-1, step, r.shape[1]).mean(axis=1) if m >= step else r
        f = np.fft.fftshift(np.fft.fftfreq(self.nfft, 1 / self.fs))
        t = np.arange(len(r)) * step * self.merge * self.row / self.fs
        return f, t, 10 * np.log10(np.maximum(np.fft.fftshift(r, axes=1), 1e-30))
