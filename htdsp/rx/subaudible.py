"""What the sub-audible decoders (CTCSS, DCS) share: low-pass and decimate the discriminator
output, keep the newest window, and analyse it every hop."""

import copy as _copy

import numpy as np

from htdsp.dsp.design import kaiser_lowpass
from htdsp.dsp.fir import Resampler
from htdsp.dsp.iir import BiquadFilter, butter_sos


class HopDecoder:
    """Base of the sub-audible decoders: subclasses set the front end with :meth:`_front` and
    provide ``_analyse(window)`` and ``_update(decision, end_signal)``; :meth:`_confirm` holds
    a value declared after ``confirm`` agreeing hops until ``drop`` (default ``confirm``)
    disagreeing ones.

    ``process(disc)`` returns one ``_update`` result per hop completed; hops fall every
    ``hop`` decimated samples, on a grid that chunking cannot move.
    """

    #: hops without the held value that drop it (None: ``confirm``)
    drop = None

    def _front(self, fs, rate_hz, lowpass_order, lowpass_hz, pass_hz, stop_hz, window, hop):
        self.fs = float(fs)
        self.m = max(1, int(round(self.fs / rate_hz)))
        self.fs_d = self.fs / self.m
        # decimate first (the FIR keeps what lies beyond stop_hz from folding into the band),
        # then the low-pass at the low rate removes the voice still above the band: the same
        # selectivity as filtering at the channel rate, for a fraction of the work
        self._dec_taps = kaiser_lowpass(self.fs, pass_hz, stop_hz, 60.0)
        self._lp_sos = butter_sos(lowpass_order, float(lowpass_hz), "lowpass", self.fs_d)
        self._dec = Resampler(1, self.m, taps=self._dec_taps)
        self._lp = BiquadFilter(self._lp_sos)
        self.w = int(window)
        self.hop = max(1, int(hop))
        self.hop_samples = self.hop * self.m
        self._gains = {}                   # f_hz -> gain_at(f_hz): the design never changes

    def gain_at(self, f_hz):
        """Amplitude response of the front end (decimator and low-pass) at ``f_hz``: what a
        tone there is scaled by before the analysis (computed once per frequency: a
        streaming score asks at every transmission's end)."""
        f_hz = float(f_hz)
        if f_hz not in self._gains:
            self._gains[f_hz] = self._gain_at(f_hz)
        return self._gains[f_hz]

    def _gain_at(self, f_hz):
        # the responses at one frequency, evaluated directly (scipy's freqz / sosfreqz give
        # the same, tested, at forty times the cost for a single point)
        taps = np.asarray(self._dec_taps, dtype=np.float64)
        h1 = np.dot(taps, np.exp(-2j * np.pi * f_hz / self.fs * np.arange(taps.size)))
        zi = np.exp(-2j * np.pi * f_hz / self.fs_d)                     # z^-1
        powers = np.array([1.0, zi, zi * zi])
        sos = np.asarray(self._lp_sos, dtype=np.float64)
        h2 = np.prod((sos[:, :3] @ powers) / (sos[:, 3:] @ powers))
        return float(abs(h1 * h2))

    def _reset_decisions(self):
        self._cand = None
        self._count = 0
        self._miss = 0
        self.held = None

    def _drop(self):
        """Forget the held value at once (the transmitter's end signal)."""
        self._cand, self._count, self._miss, self.held = None, 0, 0, None

    def _declared(self, value):
        """Hook: a new value has just been declared."""

    def _confirm(self, value):
        """The value held after this hop's decision ``value`` (None: nothing found)."""
        if value is not None and value == self._cand:
            self._count += 1
        else:
            self._cand = value
            self._count = 1 if value is not None else 0
        if self._cand is not None and self._count >= self.confirm:
            if self._cand != self.held:
                self._declared(self._cand)
            self.held = self._cand
            self._miss = 0
        elif self.held is not None and value != self.held:
            self._miss += 1
            if self._miss >= (self.confirm if self.drop is None else self.drop):
                self.held = None
        return self.held

    def reset(self):
        self._lp.reset()
        self._dec.reset()
        self._buf = np.zeros(0)
        self._since_hop = 0
        self.hops = 0                    # hops completed (hop k ends at (k + 1) * hop_samples)
        self._reset_decisions()

    def copy(self):
        new = _copy.copy(self)
        new._lp = self._lp.copy()
        new._dec = self._dec.copy()
        new._buf = self._buf.copy()
        if hasattr(self, "readings"):
            new.readings = _copy.copy(self.readings)
        return new

    def process(self, disc):
        """Feed discriminator samples; returns a list of per-hop decisions."""
        z = self._lp.process(self._dec.process(disc)).astype(np.float64)
        buf = np.concatenate([self._buf, z])
        out = []
        end = buf.size - z.size - self._since_hop + self.hop
        while end <= buf.size:
            if end >= self.w:
                out.append(self._update(*self._analyse(buf[end - self.w:end])))
            else:
                out.append((None, False))
            self.hops += 1
            end += self.hop
        self._since_hop = buf.size - (end - self.hop)
        self._buf = buf[-(self.w + self.hop):]
        return out
