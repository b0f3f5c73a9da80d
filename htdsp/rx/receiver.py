"""The narrowband-FM receive chain: IQ chunks in, audio chunks out."""

import copy as _copy

import numpy as np

from htdsp.dsp._stream import check_fs
from htdsp.dsp.convert import check_format
from htdsp.dsp.design import plan_chain, rate_ratio, resample_taps
from htdsp.dsp.fir import Resampler
from htdsp.dsp.fm import FMDemodulator, default_deviation_hz
from htdsp.dsp.iir import BiquadFilter, Deemphasis, audio_highpass_sos, audio_lowpass_sos
from htdsp.kernels import gate_kernel
from htdsp.rx.frontend import XlatingFrontEnd


class NFMReceiver:
    """Narrowband-FM receiver for one channel of a complex baseband stream.

    Chain (rates for 2.4 MS/s, 12.5 kHz): frequency-translating decimator (channel to 0 Hz,
    /10) -> decimator (/5) -> channel filter at 48 kHz -> polar discriminator (fast atan2) ->
    de-emphasis -> resampler to ``audio_fs`` (when the channel rate differs) -> 300 Hz high-pass
    (removes CTCSS) -> 3 kHz low-pass. :meth:`describe` lists the planned stages.

    Audio scale (measurement.md 2b): 1.0 = rated peak deviation; de-emphasis is 0 dB at 1 kHz, so
    a 1 kHz tone at 60 % of ``deviation_hz`` comes out at 0.6.

    Parameters
    ----------
    fs : float
        Input sample rate, Hz.
    offset_hz : float
        Channel frequency minus the recording's centre frequency, Hz.
    bandwidth_hz : float
        Channel bandwidth (spacing), Hz: 12500 (default), 20000, 25000.
    deviation_hz : float, optional
        Rated peak deviation, Hz; default from the bandwidth (12.5k -> 2.5k, 20k -> 4k, 25k -> 5k).
    audio_fs : float
        Audio rate, Hz (8000, 16000, 24000, 48000, ...).
    deemph_tau_s : float
        De-emphasis time constant, s: 750e-6 (NFM, default), 75e-6, or 0 for none.
    highpass_hz, lowpass_hz : float or None
        Audio band edges (300 Hz, 3000 Hz); None leaves that filter out.
    fast_discriminator : bool
        Polynomial atan2 (default; phase error < 2.5e-6 rad) or exact ``math.atan2``.
    input_format : {'cf32', 'cu8', 'cs8', 'cs16'}
        Raw element format :meth:`process` expects when given a real array. Complex arrays are
        always accepted.

    squelch : str, optional
        A squelch SPEC (:mod:`htdsp.rx.squelch`: ``power``, ``noise:12``, ``noise,power`` ...).
        The audio then stays the same length, zero while closed, and finished transmissions
        are collected as events (:meth:`pop_events`, :meth:`finish`).
    channel_path : htdsp.rx.frontend.ChannelPath, optional
        The channel comes from a front end shared with other channels
        (:class:`htdsp.rx.frontend.ChannelFrontEnd`): the receiver then takes the channel
        stream (:meth:`process_channel`) and builds no front end of its own. Without it, the
        receiver has its own (:class:`htdsp.rx.frontend.XlatingFrontEnd`) and takes I/Q.

    Raises
    ------
    ValueError
        Impossible parameters, e.g. a channel outside the captured band.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 240000.0
    >>> n = np.arange(int(fs))                      # 1 s: 1 kHz tone, 1.5 kHz deviation
    >>> phase = 2 * np.pi * 20000 * n / fs + 1.5 * np.sin(2 * np.pi * 1000 * n / fs)
    >>> rx = NFMReceiver(fs, offset_hz=20000)
    >>> audio = np.concatenate([rx.process(c) for c in np.array_split(np.exp(1j * phase), 7)])
    >>> len(audio), round(float(np.sqrt(2 * np.mean(audio[24000:] ** 2))), 2)
    (48000, 0.6)
    """

    def __init__(self, fs, offset_hz, bandwidth_hz=12500, deviation_hz=None, audio_fs=48000,
                 deemph_tau_s=750e-6, *, highpass_hz=300.0, lowpass_hz=3000.0,
                 fast_discriminator=True, input_format="cf32", squelch=None,
                 channel_path=None):
        self.fs = check_fs(fs)
        self.offset_hz = float(offset_hz)
        self.bandwidth_hz = float(bandwidth_hz)
        if not np.isfinite(self.bandwidth_hz) or self.bandwidth_hz <= 0:
            raise ValueError(f"bandwidth must be positive, got {bandwidth_hz!r}")
        self.deviation_hz = (default_deviation_hz(self.bandwidth_hz) if deviation_hz is None
                             else float(deviation_hz))
        if not self.deviation_hz > 0 or self.deviation_hz >= self.bandwidth_hz:
            raise ValueError(f"deviation must be in (0, bandwidth), got {deviation_hz!r}")
        self.audio_fs = check_fs(audio_fs, "audio_fs")
        self.deemph_tau_s = float(deemph_tau_s)
        self.highpass_hz = highpass_hz
        self.lowpass_hz = lowpass_hz
        self.input_format = check_format(input_format)
        edge = abs(self.offset_hz) + self.bandwidth_hz / 2
        if edge > self.fs / 2:
            raise ValueError(
                f"channel at {self.offset_hz:+.0f} Hz (+-{self.bandwidth_hz / 2:.0f} Hz) is "
                f"outside the captured band of +-{self.fs / 2:.0f} Hz")
        self.plan = plan_chain(self.fs, self.bandwidth_hz, self.audio_fs)
        p = self.plan
        self._front = None
        if channel_path is None:
            self._front = XlatingFrontEnd(self.fs, [self.offset_hz], self.bandwidth_hz,
                                          audio_fs=self.audio_fs, input_format=self.input_format)
            channel_path = self._front.paths[0]
        self.path = channel_path
        ch_fs = float(channel_path.channel_fs)
        if ch_fs == p.channel_fs:
            self._up, self._down, self._rs_taps = p.up, p.down, p.resample_taps
        else:                                       # a channelizer's own rate
            self._up, self._down = rate_ratio(self.audio_fs, ch_fs)
            self._rs_taps = (resample_taps(self._up, self._down, ch_fs)
                             if (self._up, self._down) != (1, 1) else np.ones(1))
        blocks = [FMDemodulator(fs=ch_fs, deviation_hz=self.deviation_hz,
                                fast=fast_discriminator)]
        if self.deemph_tau_s > 0:
            blocks.append(Deemphasis(fs=ch_fs, tau_s=self.deemph_tau_s))
        if (self._up, self._down) != (1, 1):
            blocks.append(Resampler(self._up, self._down, taps=self._rs_taps))
        if highpass_hz is not None:
            blocks.append(BiquadFilter(audio_highpass_sos(self.audio_fs, float(highpass_hz))))
        if lowpass_hz is not None:
            if not float(lowpass_hz) < self.audio_fs / 2:
                raise ValueError(f"low-pass {lowpass_hz} Hz must be below audio_fs / 2")
            blocks.append(BiquadFilter(audio_lowpass_sos(self.audio_fs, float(lowpass_hz))))
        self._blocks = blocks                       # discriminator to audio
        self._input_n = 0                           # input samples seen
        self.squelch = None
        if squelch is not None:
            from htdsp.rx.squelch import Squelch

            self.squelch = Squelch(squelch, ch_fs, channel_taps=self.channel_taps,
                                   deviation_hz=self.deviation_hz)
            self._reset_gate()

    def _reset_gate(self):
        self._mask = np.zeros(0, dtype=np.uint8)     # decided frames not yet needed by audio
        self._mask_base = 0                         # frame index of _mask[0]
        self._audio_n = 0                           # index of the first held audio sample
        self._held = np.zeros(0, dtype=np.float32)  # audio waiting for its frame's decision
        self.last_gate = np.zeros(0, dtype=bool)
        self._events = []
        self._input_n = 0                           # input samples seen (for end_of_input)

    @property
    def input_delay_samples(self):
        """Group delay from the input to the channel filter's output, in input samples, less
        the input sample the channel stream starts at (a channel started mid-input): channel
        sample ``n`` is input time ``(n * fs / channel_fs - input_delay_samples) / fs``."""
        return self.path.delay_samples - self.path.start_sample

    def _frame_to_input(self, frame):
        f = self.squelch.frame * (self.fs / self.channel_fs)
        return max(0, int(round(frame * f - self.input_delay_samples)))

    def _event(self, start_f, end_f, open_term, close_reason, values=None):
        names = [t.kind for t in self.squelch.terms]
        s0 = self._frame_to_input(start_f)
        s1 = min(self._frame_to_input(end_f), self._input_n)
        return {"start_sample": s0, "end_sample": max(s0, s1),
                "start_s": s0 / self.fs, "end_s": max(s0, s1) / self.fs,
                "open_reason": names[open_term] if open_term >= 0 else None,
                "close_reason": close_reason,
                "ctcss_hz": (values or {}).get("ctcss_hz"),
                "dcs_code": (values or {}).get("dcs_code")}

    def _gate(self, audio, open_mask, final=False):
        """Zero the audio where the squelch was closed (frames mapped through the delays).

        Audio whose frame is not decided yet (the frame still filling) is held back until it
        is, so where a chunk ends cannot change the gate; ``final`` releases the rest with the
        squelch's last state.
        """
        self._mask = np.concatenate([self._mask, open_mask])
        held = np.concatenate([self._held, audio])
        up, down = self._up, self._down
        # audio sample m sits at channel sample m * down / up, less the resampler's delay
        post = (len(self._rs_taps) - 1) / 2 / up if (up, down) != (1, 1) else 0.0
        out = np.empty(held.size, dtype=np.float32)
        gate = np.empty(held.size, dtype=np.uint8)
        n, drop = gate_kernel(held, self._mask, self._mask_base, self._audio_n,
                              down / up, post, self.squelch.frame, final,
                              self.squelch.is_open, out, gate)
        self.last_gate = gate[:n].view(bool)
        self._held = held[n:]
        self._audio_n += n
        if drop:                                     # frames no later audio will need
            self._mask = self._mask[drop:]
            self._mask_base += drop
        return out[:n]

    def flush(self):
        """The audio still held back for the squelch's decision (call once, at the end)."""
        if self.squelch is None:
            return np.zeros(0, dtype=np.float32)
        return self._gate(np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.uint8),
                          final=True)

    def pop_events(self):
        """Transmissions that ended since the last call (dicts, see :mod:`htdsp.rx.squelch`)."""
        ev, self._events = self._events, []
        return ev

    def finish(self):
        """End of input: the events not yet popped, with a still-open one closed there."""
        ev = self.pop_events()
        pend = self.squelch.pending() if self.squelch is not None else None
        if pend is not None:
            # after a reverse burst or a turn-off the transmitter has said it ends
            by = self.squelch.pending_forced_by()
            reason = ("end_of_input" if by is None else
                      self.squelch.close_reason(by, self.squelch.terms))
            e = self._event(pend[0], pend[1], pend[2], reason, pend[3])
            # still held at the last frame: the transmission runs to the end of the input;
            # in its hang (the carrier gone): it ended where the condition last held
            if pend[1] >= self.squelch.frames_decided - 1:
                e["end_sample"] = self._input_n
                e["end_s"] = self._input_n / self.fs
            ev.append(e)
        return ev

    def horizon_s(self):
        """No event not reported yet (:meth:`pop_events`) starts before this input time, s,
        except the open one (:meth:`open_event`)."""
        if self.squelch is None:
            return self._input_n / self.fs
        return self._frame_to_input(self.squelch.earliest_start_frame()) / self.fs

    def open_event(self):
        """The event still open, as far as it has run (an event dict; its ``close_reason``
        None), or None."""
        pend = self.squelch.pending() if self.squelch is not None else None
        if pend is None:
            return None
        return self._event(pend[0], pend[1], pend[2], None, pend[3])

    @property
    def channel_fs(self):
        """Sample rate of the channel (discriminator input), Hz."""
        return float(self.path.channel_fs)

    @property
    def channel_taps(self):
        """The channel-selecting response at the channel rate (its noise bandwidth)."""
        return self.path.channel_taps

    @property
    def delay_s(self):
        """Group delay of the FIR stages (linear phase), seconds: audio lags the input by this."""
        d = self.path.delay_samples / self.fs
        if (self._up, self._down) != (1, 1):
            d += (len(self._rs_taps) - 1) / 2 / (self.channel_fs * self._up)
        return d

    def describe(self):
        """The planned stages, one line each."""
        return self.plan.describe()

    def process(self, x):
        """Demodulate a chunk of any size.

        Parameters
        ----------
        x : array_like
            Complex samples (any complex dtype, converted to complex64), or raw interleaved
            elements: uint8 (cu8), int8 (cs8), int16 (cs16) or float32 (cf32). A raw chunk may
            end mid-sample; the odd element is kept for the next call.

        Returns
        -------
        float32 ndarray
            Audio; concatenated outputs are bit-identical for any chunking of the input. With a
            squelch, audio waits (at most a frame, 2 ms) for its frame's decision: call
            :meth:`flush` at the end for the rest.
        """
        return self.process_streams(x)[0]

    def process_streams(self, x):
        """:meth:`process`, also returning the intermediate streams (for measurement).

        Returns
        -------
        audio : float32
            As :meth:`process` (gated when there is a squelch).
        channel : complex64
            The channel filter's output (at :attr:`channel_fs`).
        disc : float32
            The discriminator's output (1.0 = rated deviation).
        ungated : float32
            The audio before the squelch gate (the same array as ``audio`` without a squelch).
        open_mask : uint8 or None
            The squelch frames decided by this chunk.
        """
        if self._front is None:
            raise ValueError("this receiver takes its channel from a shared front end: "
                             "use process_channel")
        channel = self._front.process(x)[0]
        return self.process_channel(channel, self._front.samples_in)

    def process_channel(self, channel, samples_in=None):
        """:meth:`process_streams` from the channel stream on (a receiver built with a
        ``channel_path``): ``channel`` is the front end's output for this channel,
        ``samples_in`` the input samples the front end has taken so far (event times are
        clamped to it; default: the channel samples seen, at the input rate)."""
        channel = np.asarray(channel, dtype=np.complex64)
        if samples_in is None:
            self._channel_n = getattr(self, "_channel_n", 0) + channel.size
            samples_in = int(round(self._channel_n * self.fs / self.channel_fs
                                   + self.path.start_sample))
        self._input_n = int(samples_in)
        disc = self._blocks[0].process(channel)
        y = disc
        for b in self._blocks[1:]:
            y = b.process(y)
        if self.squelch is None:
            return y, channel, disc, y, None
        _, open_mask, events, values = self.squelch.process(channel, disc)
        sq = self.squelch
        for (s0, s1, o, c), vals, by in zip(events, values, sq.forced_by, strict=True):
            reason = sq.close_reason(int(c) if c >= 0 else by, sq.terms)
            self._events.append(self._event(s0, s1, o, reason, vals))
        return self._gate(y, open_mask), channel, disc, y, open_mask

    def reset(self):
        """Back to the freshly constructed state."""
        if self._front is not None:
            self._front.reset()
        for b in self._blocks:
            b.reset()
        self._input_n = 0
        self._channel_n = 0
        if self.squelch is not None:
            self.squelch.reset()
            self._reset_gate()

    def copy(self):
        """An independent receiver continuing exactly from this one's state."""
        new = _copy.copy(self)
        new._blocks = [b.copy() for b in self._blocks]
        if self._front is not None:
            new._front = self._front.copy()
        if self.squelch is not None:
            new.squelch = self.squelch.copy()
            new._mask = self._mask.copy()
            new._held = self._held.copy()
            new._events = [dict(e) for e in self._events]
        return new

    def __repr__(self):
        return (f"NFMReceiver(fs={self.fs!r}, offset_hz={self.offset_hz!r}, "
                f"bandwidth_hz={self.bandwidth_hz!r}, deviation_hz={self.deviation_hz!r}, "
                f"audio_fs={self.audio_fs!r}, deemph_tau_s={self.deemph_tau_s!r})")
