"""ANI: the PTT-ID a station sends at key-up or key-down, from every scheme at once.

:class:`AniDecoder` takes one channel's receiver audio (de-emphasised, before the squelch gate,
at the receiver's audio rate), decimates it to about 8 kHz (every scheme's tones lie below
3 kHz) and runs the decoders of :data:`SCHEMES` on it: DTMF (:mod:`htdsp.rx.dtmf`), 5-tone
selcall (:mod:`htdsp.rx.selcall`) and MDC1200 (:mod:`htdsp.rx.mdc1200`). A decode comes back
with its times on the input's clock (``start_s``, ``end_s``: seconds from the first input
sample) and a ``label`` naming the station's ID in one string (``dtmf:101``,
``selcall:ccir:10102``, ``mdc1200:1001``), the form a roster writes.
"""

import importlib

import numpy as np

from htdsp.dsp.design import kaiser_lowpass
from htdsp.dsp.fir import FIRDecimator

#: scheme -> (module, decoder class)
SCHEMES = {"dtmf": ("htdsp.rx.dtmf", "DtmfDecoder"),
           "selcall": ("htdsp.rx.selcall", "SelcallDecoder"),
           "mdc1200": ("htdsp.rx.mdc1200", "Mdc1200Decoder")}
#: the decoders' rate aims at this (at least), Hz
ANI_RATE_HZ = 8000.0


def ani_label(decode):
    """The one-string form of a decode's ID: ``kind:id``, with the standard for selcall.

    Examples
    --------
    >>> ani_label({"kind": "selcall", "id": "10102", "standard": "ccir"})
    'selcall:ccir:10102'
    >>> ani_label({"kind": "dtmf", "id": "101"})
    'dtmf:101'
    """
    if decode["kind"] == "selcall":
        return f"selcall:{decode['standard']}:{decode['id']}"
    return f"{decode['kind']}:{decode['id']}"


def parse_ani_label(text):
    """A roster's ANI string checked and normalised (the inverse of :func:`ani_label`).

    Examples
    --------
    >>> parse_ani_label("MDC1200:0a1f")
    'mdc1200:0A1F'
    >>> parse_ani_label("selcall:10102")
    Traceback (most recent call last):
    ...
    ValueError: selcall ANI 'selcall:10102' needs its standard: selcall:STANDARD:DIGITS
    """
    parts = str(text).strip().split(":")
    kind = parts[0].lower()
    if kind not in SCHEMES or len(parts) < 2:
        raise ValueError(f"ANI {text!r} must be KIND:ID with KIND one of {', '.join(SCHEMES)}")
    if kind == "selcall":
        if len(parts) != 3:
            raise ValueError(f"selcall ANI {text!r} needs its standard: "
                             "selcall:STANDARD:DIGITS")
        std, ident = parts[1].lower(), parts[2]
        if not ident.isdigit():
            raise ValueError(f"selcall ANI {text!r}: the ID is digits 0-9")
        return f"selcall:{std}:{ident}"
    if len(parts) != 2:
        raise ValueError(f"ANI {text!r} must be KIND:ID")
    ident = parts[1].upper()
    if kind == "mdc1200":
        try:
            ok = len(ident) == 4 and int(ident, 16) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"MDC1200 ANI {text!r}: the unit ID is 4 hex digits")
    elif not ident or any(c not in "0123456789ABCD*#" for c in ident):
        raise ValueError(f"DTMF ANI {text!r}: the digits are 0-9 A-D * #")
    return f"{kind}:{ident}"


class AniDecoder:
    """Every ANI scheme's decoder on one channel's audio.

    Parameters
    ----------
    audio_fs : float
        Rate of the audio fed to :meth:`process`, Hz.
    t0_s : float
        Input time of the first audio sample, s (the receiver's delay, negative: audio
        sample ``n`` is input time ``t0_s + n / audio_fs``).
    schemes : sequence of str
        Which of :data:`SCHEMES` to run.

    Examples
    --------
    >>> from htdsp.rx.dtmf import encode
    >>> fs = 48000.0
    >>> a = np.concatenate([np.zeros(4800), 0.5 * encode("42", fs), np.zeros(24000)])
    >>> d = AniDecoder(fs)
    >>> [x["label"] for x in d.process(a.astype(np.float32)) + d.flush()]
    ['dtmf:42']
    """

    def __init__(self, audio_fs, t0_s=0.0, schemes=tuple(SCHEMES)):
        self.audio_fs = float(audio_fs)
        self.t0_s = float(t0_s)
        self.decim = max(1, int(self.audio_fs // ANI_RATE_HZ))
        self.fs = self.audio_fs / self.decim
        if self.decim > 1:
            # 3.4 kHz passes (every scheme's tones), alias-free below the new Nyquist
            taps = kaiser_lowpass(self.audio_fs, 3400.0, self.fs - 3400.0, 60.0)
            self._lp = FIRDecimator(taps.astype(np.float32), self.decim)
            self._delay_s = (taps.size - 1) / 2 / self.audio_fs
        else:
            self._lp = None
            self._delay_s = 0.0
        bad = [s for s in schemes if s not in SCHEMES]
        if bad:
            raise ValueError(f"unknown ANI scheme {bad[0]!r}; choose from {', '.join(SCHEMES)}")
        self.schemes = tuple(schemes)
        self._decoders = []
        for s in self.schemes:
            mod, cls = SCHEMES[s]
            self._decoders.append(getattr(importlib.import_module(mod), cls)(self.fs))
        #: input time up to which the audio has been decoded, s
        self.done_s = self.t0_s

    def _out(self, decodes):
        out = []
        for d in decodes:
            d = dict(d)
            d["start_s"] = round(self.t0_s + d["start_sample"] / self.fs - self._delay_s, 6)
            d["end_s"] = round(self.t0_s + d["end_sample"] / self.fs - self._delay_s, 6)
            d["label"] = ani_label(d)
            out.append(d)
        out.sort(key=lambda d: d["start_s"])
        return out

    def process(self, audio):
        """Decode a chunk of audio; returns the decodes completed in it (time order)."""
        y = np.asarray(audio, dtype=np.float32)
        if self._lp is not None:
            y = self._lp.process(y)
            if np.iscomplexobj(y):                # (the decimator works in complex64)
                y = np.ascontiguousarray(y.real)
        got = []
        for dec in self._decoders:
            got += dec.process(y)
        self._n = getattr(self, "_n", 0) + y.size
        self.done_s = self.t0_s + self._n / self.fs - self._delay_s
        return self._out(got)

    def flush(self):
        """The input has ended: what the decoders still hold."""
        got = []
        for dec in self._decoders:
            got += dec.flush()
        return self._out(got)

    def reset(self):
        if self._lp is not None:
            self._lp.reset()
        for dec in self._decoders:
            dec.reset()
        self._n = 0
        self.done_s = self.t0_s

    def copy(self):
        new = object.__new__(AniDecoder)
        new.__dict__.update(self.__dict__)
        new._lp = self._lp.copy() if self._lp is not None else None
        new._decoders = [d.copy() for d in self._decoders]
        return new
