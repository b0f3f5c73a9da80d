"""An RTL-SDR dongle through pyrtlsdr (its ``lib`` extra brings librtlsdr), imported only
when used: asynchronous reading into a bounded queue; when the consumer falls behind, whole USB
transfers are dropped and counted."""

import queue
import threading

import numpy as np

from htdsp.errors import HtdspError
from htdsp.sources.base import Chunk, Source, SourceLost
from htdsp.standards import R820T_GAINS


def _rtlsdr_driver():
    try:
        from rtlsdr import RtlSdr
    except ImportError as e:       # includes a missing librtlsdr
        raise HtdspError(f"the RTL-SDR driver is not installed ({e}); pip install "
                         "'htdsp[rtlsdr]' brings pyrtlsdr with its librtlsdr") from None
    return RtlSdr


class RtlSdrSource(Source):
    """A dongle through pyrtlsdr (``driver``: the ``RtlSdr`` class, replaceable for tests).

    Parameters
    ----------
    index : int
        Device index.
    center_hz, rate_hz : float
    gain_db : float, "auto" or None
        A tuner gain in dB (the nearest the tuner offers) or automatic.
    ppm : int
    bias_tee : bool
    queue_transfers : int
        USB transfers the bounded queue holds; beyond that, transfers are dropped and counted.
    transfer_bytes : int
        Bytes per USB transfer (a multiple of 512).
    """

    def __init__(self, index, center_hz, rate_hz, *, gain_db="auto", ppm=0, bias_tee=False,
                 queue_transfers=32, transfer_bytes=1 << 18, driver=None, timeout_s=3.0):
        super().__init__()
        drv = driver or _rtlsdr_driver()
        self.address = f"rtlsdr://{int(index)}"
        try:
            self.dev = drv(device_index=int(index))
        except Exception as e:       # the driver raises various errors for "no device"
            raise HtdspError(f"RTL-SDR #{index}: cannot open ({e})") from None
        self.sample_rate_hz = float(rate_hz)
        self.center_freq_hz = float(center_hz)
        try:
            self.dev.sample_rate = self.sample_rate_hz
            self.dev.center_freq = self.center_freq_hz
            if ppm:
                self.dev.freq_correction = int(ppm)
            if gain_db in (None, "auto"):
                self.dev.gain = "auto"
            else:
                gains = getattr(self.dev, "valid_gains_db", None) or [g / 10 for g in R820T_GAINS]
                self.dev.gain = min(gains, key=lambda g: abs(g - float(gain_db)))
            if bias_tee:
                self.dev.set_bias_tee(True)
        except Exception as e:
            self.dev.close()
            raise HtdspError(f"RTL-SDR #{index}: {e}") from None
        self.transfer_bytes = int(transfer_bytes)
        self.timeout_s = float(timeout_s)
        self._q = queue.Queue(maxsize=int(queue_transfers))
        self.overruns = 0
        self._dropped = 0
        self._lock = threading.Lock()
        self._thread = None
        self._error = None
        self.metadata = {"hw": f"RTL-SDR #{index} via pyrtlsdr",
                         "gain_db": None if gain_db in (None, "auto") else self.dev.gain,
                         "ppm": int(ppm), "bias_tee": bool(bias_tee)}

    def _callback(self, data, _context=None):
        arr = np.frombuffer(bytes(data), dtype=np.uint8) if not isinstance(data, np.ndarray) \
            else np.asarray(data, dtype=np.uint8).copy()
        try:
            self._q.put_nowait(arr)
        except queue.Full:
            with self._lock:
                self.overruns += 1
                self._dropped += arr.size // 2

    def _reader(self):
        try:
            self.dev.read_bytes_async(self._callback, self.transfer_bytes)
        except Exception as e:       # USB errors, device unplugged
            self._error = e
        finally:
            self._q.put(None)

    def chunks(self):
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()
        index = 0
        while True:
            try:
                arr = self._q.get(timeout=self.timeout_s)
            except queue.Empty:
                raise SourceLost(f"RTL-SDR: no samples for {self.timeout_s:g} s") from None
            if arr is None:
                if self._error is not None:
                    raise SourceLost(f"RTL-SDR: {self._error}")
                return
            with self._lock:
                lost, self._dropped = self._dropped, 0
            index += lost
            self.lost += lost
            yield Chunk(index, arr, lost)
            index += arr.size // 2

    def close(self):
        try:
            self.dev.cancel_read_async()
        except Exception:
            pass
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        try:
            self.dev.close()
        except Exception:
            pass
