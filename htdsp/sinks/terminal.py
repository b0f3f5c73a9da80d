"""The live run's terminal meter and audio (``htdsp live``; ``--play``)."""

import os
import sys
import time
from collections import deque

import numpy as np

from htdsp.pipeline import Sink


def _talking(run):
    """Who is talking on a run now, in words (``base (ani)``, ``station-2 (fingerprint 97 %)``,
    ``-``)."""
    who = run.talking()
    if who is None:
        return "-"
    name, conf, by = who
    return f"{name} (ani)" if by == "ani" else f"{name} ({by} {conf * 100:.0f} %)"


class LiveDisplay:
    """The terminal meter: a few lines redrawn in place (ANSI), a few times a second."""

    def __init__(self, out=sys.stderr, interval_s=0.25, log_lines=5):
        self.out = out
        self.interval = interval_s
        self._last = 0.0
        self._drawn = 0
        self.events = deque(maxlen=log_lines)

    @staticmethod
    def _bar(dbfs, width=30, lo=-100.0, hi=0.0):
        if dbfs is None:
            return "." * width
        k = int(round((min(max(dbfs, lo), hi) - lo) / (hi - lo) * width))
        return "#" * k + "." * (width - k)

    def render(self, session, source, recorder=None, elapsed_s=0.0):
        """The meter's lines for the first channel (a list of str); for a band, a line per
        channel that has a carrier (:meth:`render_band`)."""
        if session.band is not None:
            return self.render_band(session, source, recorder, elapsed_s)
        run = session.runs[0]
        w = run.last_window or {}

        def f(v, nd=1):
            return "-" if v is None else f"{v:.{nd}f}"
        sq = run.rx.squelch
        ctcss = sq.held("ctcss") if sq is not None else None
        dcs = sq.held("dcs") if sq is not None else None
        q = w.get("sinad_db") if w.get("sinad_db") is not None else w.get("snr_db")
        chan = f"{run.freq_hz / 1e6:.4f} MHz" if run.freq_hz else f"{run.offset_hz:+.0f} Hz"
        lines = [
            f"htdsp live  {chan}  {elapsed_s:7.1f} s  lost {source.lost} samples"
            + (f"  recording: {recorder.stopped or os.path.basename(recorder.files[-1])}"
               if recorder and recorder.files else ""),
            f"RSSI {self._bar(w.get('rssi_dbfs'))} {f(w.get('rssi_dbfs'))} dBFS"
            + (f" ({f(w.get('rssi_dbm'))} dBm)" if w.get("rssi_dbm") is not None else ""),
            f"CNR {f(w.get('cnr_db'))} dB   {'SINAD' if w.get('sinad_db') is not None else 'SNR'}"
            f" {f(q)} dB   DAQ {f(w.get('daq'))}   freq error {f(w.get('freq_error_hz'), 0)} Hz",
            f"squelch {'OPEN ' if sq is not None and sq.is_open else 'closed'}   "
            f"CTCSS {f(ctcss)}   DCS {dcs or '-'}   talking: {_talking(run)}",
        ]
        for e in self.events:
            lines.append(f"  {e['start_s']:8.2f}-{e['end_s']:8.2f} s  {e['close_reason']}"
                         f"  CTCSS {f(e.get('ctcss_hz'))}  DCS {e.get('dcs_code') or '-'}")
        return lines

    def render_band(self, session, source, recorder=None, elapsed_s=0.0, most=12):
        """A band's lines: how many channels are watched and used, then each used channel's
        squelch and last window (the open ones first, then the latest to start)."""
        fe = session.front

        def f(v, nd=1):
            return "-" if v is None else f"{v:.{nd}f}"
        lines = [f"htdsp live  {fe.offsets_hz.size} channels watched, {len(session.runs)} "
                 f"used  {elapsed_s:7.1f} s  lost {source.lost} samples"
                 + (f"  {len(fe.refused)} not scored (the run's {fe.max_active} started)"
                    if fe.refused else "")
                 + (f"  recording: {recorder.stopped or os.path.basename(recorder.files[-1])}"
                    if recorder and recorder.files else "")]
        runs = sorted(session.runs, key=lambda r: (not r.rx.squelch.is_open,
                                                   -r.start_sample))
        for run in runs[:most]:
            w = run.last_window or {}
            q = w.get("sinad_db") if w.get("sinad_db") is not None else w.get("snr_db")
            lines.append(f"{run.where():>14}  {'OPEN  ' if run.rx.squelch.is_open else 'closed'}"
                         f"  RSSI {f(w.get('rssi_dbfs'))} dBFS  CNR {f(w.get('cnr_db'))} dB  "
                         f"SINAD/SNR {f(q)} dB  {run.judge.transmissions_done} tx"
                         + (f"  {_talking(run)}" if run.rx.squelch.is_open else ""))
        if len(runs) > most:
            lines.append(f"  ... and {len(runs) - most} more")
        return lines

    def draw(self, lines, force=False):
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}F")
        for ln in lines:
            self.out.write("\x1b[2K" + ln + "\n")
        self.out.flush()
        self._drawn = len(lines)


class AudioPlayer:
    """Audio to the sound card (needs ``sounddevice``, the ``audio`` extra)."""

    def __init__(self, fs):
        try:
            import sounddevice
        except (ImportError, OSError) as e:
            raise ValueError("playing audio needs the audio extra (pip install "
                             f"'htdsp[audio]'): {e}") from None
        self._s = sounddevice.OutputStream(samplerate=fs, channels=1, dtype="float32")
        self._s.start()

    def write(self, audio):
        if audio is not None and len(audio):
            self._s.write(np.ascontiguousarray(audio, dtype=np.float32).reshape(-1, 1))

    def close(self):
        self._s.stop()
        self._s.close()


class DisplaySink(Sink):
    """A :class:`LiveDisplay` redrawn after each chunk (at most every ``interval_s``)."""

    def __init__(self, display, source, recorder=None):
        self.display = display
        self.source = source
        self.recorder = recorder
        self._t0 = time.monotonic()

    def chunk(self, session, data, index, lost, audio):
        d = self.display
        d.events.clear()
        if session.band is None:
            d.events.extend(session.runs[0].recent_events[-d.events.maxlen:])
        d.draw(d.render(session, self.source, self.recorder, time.monotonic() - self._t0))


class PlayerSink(Sink):
    """The first channel's audio to an :class:`AudioPlayer`."""

    def __init__(self, player):
        self.player = player

    def chunk(self, session, data, index, lost, audio):
        self.player.write(audio)

    def capture(self, session, entries):
        self.player.close()

    def abort(self):
        self.player.close()
