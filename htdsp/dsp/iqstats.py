"""Whole-recording I/Q statistics: power, peak, DC offset, IQ imbalance, clipping, NaN/Inf."""

import math

import numpy as np

from htdsp.dsp._stream import StreamBlock, run_functional
from htdsp.kernels import iq_stats_kernel, iq_stats_state


def _db(p):
    return None if not (p > 0 and math.isfinite(p)) else 10.0 * math.log10(p)


class IQStats(StreamBlock):
    """Running statistics of a stream in one datatype (see :meth:`summary`).

    Parameters
    ----------
    dt : htdsp.io.datatypes.DataType
        Layout and scale of the elements :meth:`process` receives; complex64 input is also
        accepted (converted values, float rails).

    Examples
    --------
    >>> import numpy as np
    >>> from htdsp.io.datatypes import datatype
    >>> s = IQStats(datatype("cu8"))
    >>> s.process(np.array([255, 127, 0, 128], np.uint8))   # two full-scale samples
    >>> r = s.summary()
    >>> r["samples"], r["clipping_fraction"], round(r["mean_power_dbfs"], 2)
    (2, 0.5, 0.0)
    """

    _mutable = ("_state",)
    _params = ("datatype",)

    def __init__(self, dt):
        self._dt = dt
        self.datatype = dt.name
        self._fresh()

    def _fresh(self):
        self._state = iq_stats_state()

    def process(self, x):
        """Add a chunk: raw interleaved elements of the datatype, or complex samples."""
        a = np.asarray(x)
        dt = self._dt
        if np.iscomplexobj(a):
            e = np.ascontiguousarray(a, dtype=np.complex64).view(np.float32)
            iq_stats_kernel(e, 0.0, 1.0, dt.rail_lo, dt.rail_hi, self._state)
        else:
            e = np.ascontiguousarray(a.ravel(), dtype=dt.element.newbyteorder("="))
            iq_stats_kernel(e, dt.offset, dt.scale, dt.rail_lo, dt.rail_hi, self._state)

    def summary(self):
        """Derived numbers, with units in the names; ``None`` where undefined (no samples).

        ``iq_amplitude_imbalance_db`` = 10 log10(var I / var Q) and ``iq_phase_imbalance_deg`` =
        asin(cov(I, Q) / sqrt(var I var Q)): estimates that assume a circular signal (noise or
        many signals), as a receiver's input mostly is.
        """
        s = self._state[0]
        n = int(s["n"])
        out = {"samples": n, "nonfinite_count": int(s["nonfinite"])}
        if n == 0:
            return {**out, "mean_power_dbfs": None, "peak_dbfs": None, "peak_magnitude": None,
                    "dc_offset_i": None, "dc_offset_q": None, "dc_offset_dbfs": None,
                    "iq_amplitude_imbalance_db": None, "iq_phase_imbalance_deg": None,
                    "clipping_fraction": None}
        mi, mq = s["sum_i"] / n, s["sum_q"] / n
        vi = max(s["sum_ii"] / n - mi * mi, 0.0)
        vq = max(s["sum_qq"] / n - mq * mq, 0.0)
        c = s["sum_iq"] / n - mi * mq
        amp = None if vi <= 0 or vq <= 0 else 10.0 * math.log10(vi / vq)
        phase = (None if vi <= 0 or vq <= 0
                 else math.degrees(math.asin(max(-1.0, min(1.0, c / math.sqrt(vi * vq))))))
        return {**out,
                "mean_power_dbfs": _db((s["sum_ii"] + s["sum_qq"]) / n),
                "peak_dbfs": _db(s["peak_p"]),
                "peak_magnitude": math.sqrt(s["peak_p"]),
                "dc_offset_i": mi, "dc_offset_q": mq, "dc_offset_dbfs": _db(mi * mi + mq * mq),
                "iq_amplitude_imbalance_db": amp, "iq_phase_imbalance_deg": phase,
                "clipping_fraction": int(s["clipped"]) / (2 * n)}


def iq_stats(x, dt, *, zi=None):
    """Statistics of one array (see :class:`IQStats`): the summary, or ``(state, zf)`` with zi."""
    if zi is None:
        s = IQStats(dt)
        s.process(x)
        return s.summary()
    return run_functional(IQStats(dt), x, zi)
