"""The receiver front end of an RTL-SDR: gain, IQ imbalance, DC offset, 8-bit quantisation with
clipping, local-oscillator error (applied by the engine as a frequency shift), dropped samples."""

import math
from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class FrontEnd:
    """Receiver front-end parameters.

    Attributes
    ----------
    level_dbfs : float
        Mean power of everything at the ADC (noise and every transmitter keyed), before
        ``gain_db``: an AGC-like set point (-15 dBFS leaves room for fades up and noise peaks).
    gain_db : float
        Extra gain on top; large values overdrive the 8-bit ADC (clipping).
    ppm : float
        Local-oscillator error: every signal appears ``ppm * 1e-6 * centre`` lower.
    dc_offset : tuple
        (I, Q) offset added before quantisation, full-scale units.
    iq_amplitude_db, iq_phase_deg : float
        I gain relative to Q; Q leaks ``sin(phase)`` of I.
    gaps : list
        (time_s, samples) dropped from the stream (USB overruns): the file loses them.
    """

    level_dbfs: float = -15.0
    gain_db: float = 0.0
    ppm: float = 0.0
    dc_offset: tuple = (0.0, 0.0)
    iq_amplitude_db: float = 0.0
    iq_phase_deg: float = 0.0
    gaps: list = field(default_factory=list)

    def lo_shift_hz(self, center_hz):
        return -self.ppm * 1e-6 * center_hz

    def describe(self):
        d = asdict(self)
        d["dc_offset"] = list(self.dc_offset)
        d["gaps"] = [list(g) for g in self.gaps]
        return d

    def analog(self, x):
        """Gain, IQ imbalance and DC offset on complex samples (in place where possible)."""
        g = 10 ** (self.gain_db / 20)
        if g != 1.0:
            x *= np.float32(g)
        if self.iq_amplitude_db or self.iq_phase_deg:
            a = 10 ** (self.iq_amplitude_db / 20)
            ph = math.radians(self.iq_phase_deg)
            i = x.real * np.float32(a)
            q = x.imag * np.float32(math.cos(ph)) + x.real * np.float32(math.sin(ph))
            x.real = i
            x.imag = q
        if self.dc_offset[0] or self.dc_offset[1]:
            x += np.complex64(complex(*self.dc_offset))
        return x
