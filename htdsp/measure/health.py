"""Is a capture usable at all? A dead dongle, a stuck ADC or a disconnected front end must never
score as a link that passes.

An all-zero cu8 file, or one where every value is 127, once scored as one transmission at
100 % availability, SNR 49 dB, DAQ 5: a constant input has no noise, so every estimator reads
it as a perfect carrier. :class:`CaptureHealth` looks at the raw values instead: every one of
the first :data:`HEAD` samples, then one in :data:`STRIDE` (a 10 s capture at 2.4 MS/s gives
158 000; the check costs under 2 % of a score), chosen by absolute sample index, so chunking
cannot change it, and says a capture is **unusable** when any of these holds:

- **stuck codes**: at least :data:`STUCK_FRACTION` (99 %) of the I values, or of the Q values,
  sit on at most two codes, and fewer than :data:`AWAY_FRACTION` (0.1 %) lie more than
  :data:`FAR_CODES` (4) codes from them (so a quiet capture holding one short strong over is
  not called dead: its over's values spread far). For Gaussian noise, 99 % on the two middle
  codes of cu8 is 0.39 LSB rms, 2.6 dB above the format's rounding noise: the ADC sees next
  to nothing. The bundled real recording's quiet first 0.23 s holds 94.5 % on two codes
  (0.52 LSB rms, a very low gain), its whole length 42 %. A receiver's input always has
  noise spanning several codes: the bundled real recording's I and Q each spread over 224
  codes, the simulated corpus over 50 or more (at most 12 % on two codes); what
  sits on one or two codes is no signal at all: zeros from a failed USB transfer, a constant
  mid-scale from a dead tuner, a stuck bit.
  (Integer formats, and floats on the 16-bit grid.)
- **clipping**: at least :data:`CLIPPED_FRACTION` (50 %) of the values at an ADC rail: the
  front end is overloaded so badly that what is left is a square wave.
- **below the quantisation floor**: the power of the values about their mean (a DC offset is
  not signal) is below the format's quantisation noise, ``2 q^2 / 12`` for a step ``q``
  (cu8 and cs8: -49.9 dBFS, cs16: -98.1 dBFS), i.e. the ADC never saw its own LSB of noise;
  for float data, below :data:`FLOAT_FLOOR_DBFS` (-120 dBFS: digital silence).

The numbers the rule uses are reported with the verdict (``top2_fraction``,
``clipping_fraction``, ``ac_power_dbfs``), so a capture near a threshold can be judged by eye.
"""

import math

import numpy as np

from htdsp.dsp.convert import format_of_dtype

#: every one of the first HEAD samples is looked at, then one in STRIDE
HEAD = 1 << 16
STRIDE = 256
STUCK_FRACTION = 0.99
#: ... and fewer than this share of them more than FAR_CODES codes from those two
AWAY_FRACTION = 0.001
FAR_CODES = 4
CLIPPED_FRACTION = 0.5
FLOAT_FLOOR_DBFS = -120.0
#: integer formats: (lowest code, number of codes, mid-scale code, full scale in codes);
#: floats are looked at on the 16-bit grid (values at or beyond +-1 count as clipped)
_CODES = {"cu8": (0, 256, 127.5, 127.5), "cs8": (-128, 256, 0.0, 128.0),
          "cs16": (-32768, 65536, 0.0, 32768.0)}
_FLOAT_GRID = (-32768, 65536, 0.0, 32768.0)


def quantisation_floor_dbfs(fmt):
    """Power of the quantisation noise of both components of an integer format, dBFS.

    Examples
    --------
    >>> round(quantisation_floor_dbfs("cu8"), 1), round(quantisation_floor_dbfs("cs16"), 1)
    (-49.9, -98.1)
    """
    from htdsp.dsp.convert import format_scale

    if fmt == "cf32":
        return FLOAT_FLOOR_DBFS
    q = float(format_scale(fmt)[1])
    return 10 * math.log10(2 * q * q / 12)


class CaptureHealth:
    """Accumulates the evidence for :func:`verdict` over a stream of chunks.

    Parameters
    ----------
    fmt : {'cu8', 'cs8', 'cs16', 'cf32'} or None
        Format of raw element chunks; complex chunks are accepted whatever ``fmt`` is (looked at
        on the 16-bit grid, like floats).

    Examples
    --------
    >>> h = CaptureHealth("cu8")
    >>> h.process(np.full(20000, 127, np.uint8))             # a dead dongle
    >>> h.summary()["unusable"].split(":")[0]
    'stuck codes'
    """

    def __init__(self, fmt):
        self.fmt = fmt
        self.reset()

    def reset(self):
        self._n = 0
        self._hist = None
        self._scale = None
        self._pending = []          # codes not yet counted (a histogram of 65536 bins per
        self._pending_n = 0         # chunk would cost more than the rest of the check)

    def _codes(self, x):
        """``(I codes, Q codes)`` as non-negative ints of the looked-at samples, setting up the
        histogram on the first call."""
        a = np.asarray(x)
        if np.iscomplexobj(a):
            v = np.ascontiguousarray(a, dtype=np.complex64).view(np.float32)
            fmt = "cf32"
        else:
            fmt = format_of_dtype(a.dtype) or self.fmt
            v = a
        n = v.size // 2
        n0 = self._n
        self._n += n
        all_pairs = v[: 2 * n].reshape(-1, 2)
        head = max(0, min(n, HEAD - n0))                 # the stream's head: every sample
        first = head + (-(n0 + head - HEAD)) % STRIDE    # then one in STRIDE after HEAD
        pairs = all_pairs[first::STRIDE]
        if head:
            pairs = np.concatenate([all_pairs[:head], pairs])
        if self._hist is None:
            self._kind = fmt if fmt in _CODES else "cf32"
            self._lo, self._k, self._mid, full = _CODES.get(self._kind, _FLOAT_GRID)
            self._scale = 1.0 / full
            self._hist = np.zeros((2, self._k), dtype=np.int64)
            self._sums = np.zeros(2)                # float data: the power from the values
            self._sq = np.zeros(2)
        # (2, m): rows of I and of Q, contiguous (reductions along a row are fast)
        if self._kind in _CODES and pairs.dtype.kind in "iu":
            codes = pairs.T.astype(np.int32)
            if self._lo:
                codes -= self._lo
        else:
            f = pairs.T.astype(np.float64)
            self._sums += f.sum(axis=1)
            self._sq += np.einsum("ij,ij->i", f, f)
            codes = np.clip(np.rint(f * 32768.0), -32768, 32767).astype(np.int32) + 32768
        return codes

    def process(self, x):
        """Add a chunk: raw interleaved elements, or complex samples."""
        codes = self._codes(x)
        if codes.size:
            self._pending.append(codes)
            self._pending_n += codes.shape[1]
            if self._pending_n >= 1 << 18:
                self._count()

    def _count(self):
        if self._pending:
            codes = np.concatenate(self._pending, axis=1)
            for c in (0, 1):
                self._hist[c] += np.bincount(codes[c], minlength=self._k)
            self._pending, self._pending_n = [], 0

    def summary(self):
        """The evidence and the verdict: ``samples_checked``, ``top2_fraction`` (the larger of
        I's and Q's share on their two commonest codes), ``clipping_fraction``,
        ``ac_power_dbfs`` (power about the mean; None for no power), ``floor_dbfs`` and
        ``unusable`` (None, or the reason in one line)."""
        if self._hist is not None:
            self._count()
        if self._hist is None or self._hist[0].sum() == 0:
            return {"samples_checked": 0, "top2_fraction": None, "clipping_fraction": None,
                    "ac_power_dbfs": None, "floor_dbfs": None,
                    "unusable": "no samples"}
        h = self._hist
        n = int(h[0].sum())
        top2, stuck = 0.0, False
        codes = np.arange(self._k)
        for c in (0, 1):
            two = np.argsort(h[c], kind="stable")[-2:]
            share = float(h[c][two].sum()) / n
            # values away from those two codes: a signal, however rare (a quiet capture with
            # one strong over), or nothing but rounding noise
            far = np.min(np.abs(codes[:, None] - two[None, :]), axis=1) > FAR_CODES
            away = float(h[c][far].sum()) / n
            top2 = max(top2, share)
            stuck |= share >= STUCK_FRACTION and away < AWAY_FRACTION
        rails = h[:, 0] + h[:, -1]
        clipping = float(rails.sum()) / (2 * n)
        if self._kind in _CODES:
            v = (np.arange(self._k) + self._lo - self._mid) * self._scale
            mean = h @ v / n
            power = float(np.sum(h @ (v * v) / n - mean * mean))
            floor = quantisation_floor_dbfs(self._kind)
        else:
            mean = self._sums / n
            power = float(np.sum(self._sq / n - mean * mean))
            floor = FLOAT_FLOOR_DBFS
        p_db = 10 * math.log10(power) if power > 0 else None
        why = None
        if stuck:
            why = (f"stuck codes: {100 * top2:.1f} % of the I/Q values on at most two codes (no "
                   "noise at all: a dead dongle, a stuck ADC or a disconnected front end)")
        elif clipping >= CLIPPED_FRACTION:
            why = (f"clipped: {100 * clipping:.1f} % of the I/Q values at the ADC's rails (the "
                   "front end is overloaded: lower the gain)")
        elif p_db is None or p_db < floor:
            got = "no power" if p_db is None else f"{p_db:.1f} dBFS"
            why = (f"below the quantisation floor: {got} about the mean, under the "
                   f"{floor:.1f} dBFS of the format's own rounding noise (gain far too low, or "
                   "no signal path)")
        return {"samples_checked": n, "top2_fraction": round(top2, 6),
                "clipping_fraction": round(clipping, 6),
                "ac_power_dbfs": None if p_db is None else round(p_db, 3),
                "floor_dbfs": round(floor, 3), "unusable": why}


def check_stream(x, fmt):
    """The health summary of one array (see :class:`CaptureHealth`)."""
    h = CaptureHealth(fmt)
    h.process(x)
    return h.summary()

