"""Recording a live stream to SigMF as it is scored (``htdsp live --record``): written
incrementally, so that what is on disk is always a valid recording."""

import errno
import os
import shutil
from collections import deque

import numpy as np

from htdsp.io.sigmf import SigMFWriter
from htdsp.pipeline import Sink

RECORD_MODES = ("full", "channel", "squelched")
#: audio kept before a transmission opens the squelch (squelched recording), s
PRE_ROLL_S = 0.5


class Recorder:
    """Record a live stream to SigMF.

    Modes: ``full`` (every sample as received, raw), ``channel`` (the first channel's
    filtered I/Q at its low rate, cf32), ``squelched`` (full-rate raw, only while the first
    channel's squelch is open, with ``PRE_ROLL_S`` before: one capture segment per
    transmission, ``core:global_index`` giving its place in the stream). Lost samples start a
    new capture segment (their ``core:global_index`` jumps) and get an annotation.

    ``rotate_s`` starts a new file (``NAME-000.sigmf-meta``, ``-001``, ...) every that many
    seconds of stream. Before each write the free space is checked: under ``min_free_bytes``
    (or on an "no space left" error) recording stops with a message; the files written so far
    stay valid. ``stopped`` says why it stopped, if it did.

    Nothing existing is ever replaced unless ``overwrite``: the folder, and that no file of
    the recording (``NAME.sigmf-*``, or with ``rotate_s`` any ``NAME-NNN.sigmf-*``) exists,
    are checked when the recorder is made, before the source is opened.
    """

    def __init__(self, path, mode, *, fs, center_hz, fmt, metadata, channel_fs=None,
                 channel_hz=None, rotate_s=None, min_free_bytes=100 << 20, log=None,
                 datetime=None, overwrite=False, what="the recording"):
        import glob

        from htdsp.io.outputs import check_output

        if mode not in RECORD_MODES:
            raise ValueError(f"record mode must be one of {', '.join(RECORD_MODES)}")
        if not str(path).endswith(".sigmf-meta"):
            raise ValueError("the recording's name must end in .sigmf-meta")
        self.base = str(path)[: -len(".sigmf-meta")]
        self.overwrite = bool(overwrite)
        names = ([f"{self.base}.sigmf-meta", f"{self.base}.sigmf-data"] if not rotate_s else
                 [f"{self.base}-000.sigmf-meta", *sorted(glob.glob(
                     glob.escape(self.base) + "-[0-9][0-9][0-9].sigmf-*"))])
        for name in names:
            check_output(name, overwrite=self.overwrite, what=what)
        self.mode = mode
        self.fs = float(fs)
        self.center_hz = center_hz
        self.fmt = fmt
        self.metadata = dict(metadata)
        self.channel_fs = channel_fs
        self.channel_hz = channel_hz
        self.rotate_s = rotate_s
        self.min_free = int(min_free_bytes)
        self.log = log or (lambda m: None)
        self.datetime = datetime
        self.files = []
        self.stopped = None
        self._w = None
        self._file_start = 0           # stream index where the current file began
        self._pre = deque()
        self._pre_n = 0
        self._open_seg = False

    # ------------------------------------------------------------------ files
    def _name(self, k):
        return f"{self.base}-{k:03d}.sigmf-meta" if self.rotate_s else f"{self.base}.sigmf-meta"

    def _open(self, index):
        hw = self.metadata.get("hw")
        extra = {"htdsp:live": {k: v for k, v in self.metadata.items() if k != "hw"},
                 "htdsp:record_mode": self.mode}
        name = self._name(len(self.files))
        channel = self.mode == "channel"
        fs, center = (self.channel_fs, self.channel_hz) if channel else (self.fs, self.center_hz)
        cap = {"core:sample_start": 0}
        if center is not None:
            cap["core:frequency"] = float(center)
        if self.datetime is not None:
            cap["core:datetime"] = self.datetime
        if index:          # a file that does not start the stream says where it does start
            cap["core:global_index"] = int(round(index * fs / self.fs))
        self._w = SigMFWriter(name, "cf32" if channel else self.fmt, fs, hw=hw,
                              extra_global=extra, captures=[cap], overwrite=self.overwrite)
        self.files.append(self._w.meta_path)
        self._file_start = index

    def _space_ok(self):
        d = os.path.dirname(os.path.abspath(self.base)) or "."
        try:
            free = shutil.disk_usage(d).free
        except OSError as e:
            self._stop(f"cannot see the disk ({e.strerror or e})")
            return False
        if free < self.min_free:
            self._stop(f"disk nearly full ({free / 2**20:.0f} MiB free)")
            return False
        return True

    def _stop(self, why):
        self.stopped = why
        self.log(f"recording stopped: {why}; what was written is kept")
        self.close()

    # ------------------------------------------------------------------ writing
    def write(self, data, index, lost=0, channel=None, squelch_open=False):
        """One chunk of the stream: raw ``data`` starting at stream ``index`` (``lost``
        samples were lost before it); ``channel`` its channel I/Q; ``squelch_open`` whether
        the first channel's squelch is open after it."""
        if self.stopped is not None:
            return
        try:
            self._write(data, index, lost, channel, squelch_open)
        except OSError as e:
            if e.errno == errno.ENOSPC:
                self._truncate()
                self._stop("no space left on the device")
            else:
                raise

    def _write(self, data, index, lost, channel, squelch_open):
        n = data.size // 2 if not np.iscomplexobj(data) else data.size
        if self.rotate_s and self._w is not None and \
                index - self._file_start >= self.rotate_s * self.fs:
            self._w.close()
            self._w = None
        if self.mode == "squelched":
            self._pre.append((index, np.array(data, copy=True)))    # kept past the chunk
            self._pre_n += n
            while self._pre and self._pre_n - self._pre[0][1].size // 2 >= PRE_ROLL_S * self.fs:
                self._pre_n -= self._pre.popleft()[1].size // 2
            if not squelch_open:
                self._open_seg = False
                return
            if not self._space_ok():
                return
            if self._w is None:
                self._open(self._pre[0][0])
            first = True
            items = list(self._pre) if not self._open_seg else [(index, data)]
            for i, d in items:
                if first and not self._open_seg and self._w.samples:
                    self._w.add_capture(self._w.samples, global_index=int(i))
                first = False
                self._w.write(d)
            self._open_seg = True
            self._pre.clear()
            self._pre_n = 0
            return
        if not self._space_ok():
            return
        if self._w is None:
            self._open(index)
        if lost and self._w.samples:
            pos = self._w.samples
            if self.mode == "channel":
                gi = round(index * self.channel_fs / self.fs)
            else:
                gi = index
            self._w.add_capture(pos, global_index=int(gi))
            self._w.add_annotation(pos, label="lost samples", comment=f"{lost} samples lost "
                                   "before this point", **{"htdsp:lost_samples": int(lost)})
        if self.mode == "channel":
            if channel is not None and len(channel):
                self._w.write(np.asarray(channel, dtype=np.complex64))
        else:
            self._w.write(data)

    def _truncate(self):
        """After a failed write: cut the data file back to whole samples written."""
        if self._w is not None:
            self._w.cut_to_whole_samples()

    def close(self):
        if self._w is not None:
            try:
                self._w.close()
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                self._truncate()
            self._w = None


class RecorderSink(Sink):
    """A :class:`Recorder` fed by a session: every chunk, with the first channel's channel
    stream and squelch (a band's: any channel's squelch)."""

    def __init__(self, recorder):
        self.recorder = recorder

    def chunk(self, session, data, index, lost, audio):
        if session.band is not None:             # a band: while any of its channels is open
            self.recorder.write(data, index, lost, None,
                                any(r.rx.squelch.is_open for r in session.runs))
            return
        r0 = session.runs[0]
        self.recorder.write(data, index, lost, r0.last_channel, r0.rx.squelch.is_open)

    def capture(self, session, entries):
        self.recorder.close()

    def abort(self):
        self.recorder.close()
