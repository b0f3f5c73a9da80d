"""Sources that are not radios: a recording (a file is a source like any other) and a chunk
repeated (for soak tests and benchmarks: hours of input faster than real time)."""

import time

import numpy as np

from htdsp.sources.base import Chunk, Source, SourceInfo


class FileSource(Source):
    """A recording as a source.

    Parameters
    ----------
    rec : htdsp.io.Recording
    realtime : bool
        Pace the chunks to the sample rate (a replay).
    chunk_samples : int, optional
        Samples per chunk (default: the recording's reading size).
    copy : bool
        Give each chunk its own array (default). A consumer that uses each chunk before asking
        for the next (a score) passes False and reads the recording's buffer in place.
    """

    def __init__(self, rec, *, realtime=False, chunk_samples=None, copy=True):
        super().__init__()
        self.rec = rec
        self.format = rec.format or "cf32"
        self.sample_rate_hz = rec.sample_rate_hz
        self.center_freq_hz = rec.center_freq_hz
        self.realtime = realtime
        self.chunk_samples = chunk_samples
        self.copy = copy
        self.metadata = {"hw": rec.hw or f"file {rec.path}"}

    @property
    def info(self):
        r = self.rec
        return SourceInfo(path=r.path, datatype=r.datatype, sample_rate_hz=r.sample_rate_hz,
                          center_freq_hz=r.center_freq_hz, samples=r.samples,
                          description=r.description, datetime=r.datetime,
                          geolocation=r.geolocation, container=r.container,
                          data_path=r.data_path)

    def chunks(self):
        t0 = time.monotonic()
        kw = {} if self.chunk_samples is None else {"chunk_samples": self.chunk_samples}
        for first, x in self.rec.chunks(**kw):
            if self.realtime:
                ahead = first / self.sample_rate_hz - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            if self.copy and not np.iscomplexobj(x):
                x = np.array(x, copy=True)
            yield Chunk(first, x, 0)


class RepeatSource(Source):
    """One chunk of raw elements (or complex samples) repeated until ``samples`` have been
    delivered, as fast as they are taken: a long run without a long file.

    Examples
    --------
    >>> src = RepeatSource(np.zeros(8, np.uint8), 250e3, samples=10)
    >>> [(c.index, c.samples) for c in src]
    [(0, 4), (4, 4), (8, 2)]
    """

    def __init__(self, data, rate_hz, *, samples, fmt="cu8", center_hz=None):
        super().__init__()
        self.data = np.asarray(data)
        self.format = "cf32" if np.iscomplexobj(self.data) else fmt
        self.sample_rate_hz = float(rate_hz)
        self.center_freq_hz = center_hz
        self.total = int(samples)
        self.metadata = {"hw": "a repeated chunk"}

    @property
    def info(self):
        return SourceInfo(path="repeat://", datatype=self.format,
                          sample_rate_hz=self.sample_rate_hz,
                          center_freq_hz=self.center_freq_hz, samples=self.total,
                          description="a chunk repeated")

    def chunks(self):
        per = len(self.data) if np.iscomplexobj(self.data) else self.data.size // 2
        i = 0
        while i < self.total:
            n = min(per, self.total - i)
            yield Chunk(i, self.data[:n] if np.iscomplexobj(self.data) else self.data[:2 * n])
            i += n
