"""Live and file sources of I/Q, one interface: iterate to get :class:`Chunk` objects.

Every chunk carries ``index`` (the stream sample index of its first sample, lost samples
included) and ``lost`` (samples lost just before it: a dongle overrun, a reconnection), so a
consumer keeps time exactly and can flag what it did not see.

- :class:`FileSource`: any recording, optionally paced to real time.
- :class:`RtlTcpSource`: a client of the rtl_tcp protocol (measurement.md 6): 12-byte header,
  5-byte commands, then interleaved cu8. Timeouts, reconnection with back-off, lost-sample
  accounting across reconnections (the wall-clock time without data, at the sample rate).
- :class:`RtlSdrSource`: a dongle through pyrtlsdr (its ``lib`` extra brings librtlsdr),
  imported only when used. Asynchronous reading into a bounded queue: when the consumer falls
  behind, whole USB transfers are dropped *and counted* (``overruns``, ``lost``).

A source that cannot deliver any more (connection lost for good, dongle unplugged) raises
:class:`SourceLost` (exit code 3 on the command line).
"""

import abc
import queue
import socket
import struct
import threading
import time
from dataclasses import dataclass

import numpy as np

from htdsp.errors import EXIT_SOURCE_LOST, HtdspError
from htdsp.standards import R820T_GAINS  # noqa: F401 - the tuner the protocol names

#: rtl_tcp commands (rtl_tcp.c): code -> name
RTL_TCP_COMMANDS = {
    0x01: "set_freq", 0x02: "set_sample_rate", 0x03: "set_gain_mode", 0x04: "set_gain",
    0x05: "set_freq_correction", 0x06: "set_if_gain", 0x07: "set_test_mode",
    0x08: "set_agc_mode", 0x09: "set_direct_sampling", 0x0A: "set_offset_tuning",
    0x0B: "set_rtl_xtal", 0x0C: "set_tuner_xtal", 0x0D: "set_gain_by_index",
    0x0E: "set_bias_tee",
}
TUNER_R820T = 5


class SourceLost(HtdspError):
    """The source stopped delivering and could not be regained, or delivers something else
    than was asked for (exit code 3)."""

    exit_code = EXIT_SOURCE_LOST


class SourceUnusable(SourceLost):
    """The source delivers, but not what was asked for (another sample rate): its samples
    cannot be scored (exit code 3)."""


def parse_host_port(text):
    """``HOST:PORT`` with an IPv6 literal in brackets (``[::1]:1234``); ValueError otherwise.

    Examples
    --------
    >>> parse_host_port("127.0.0.1:1234"), parse_host_port("[::1]:1234")
    (('127.0.0.1', 1234), ('::1', 1234))
    """
    text = str(text).strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"expected [IPV6]:PORT, got {text!r}")
        port = rest[1:]
    else:
        host, _, port = text.rpartition(":")
        if ":" in host:
            raise ValueError(f"an IPv6 address goes in brackets: [{host}]:{port}")
    if not host or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    p = int(port)
    if not 1 <= p <= 65535:
        raise ValueError(f"port {p} is outside 1-65535")
    return host, p


@dataclass
class Chunk:
    """``data``: raw interleaved elements (``Source.format``); ``index``: the stream index of
    its first sample; ``lost``: samples lost just before it."""

    index: int
    data: np.ndarray
    lost: int = 0

    @property
    def samples(self):
        return self.data.size // 2


def pack_command(code, value):
    """One rtl_tcp command: a byte and a big-endian 32-bit parameter.

    Examples
    --------
    >>> pack_command(0x01, 144_500_000).hex()
    '01089ce520'
    """
    return struct.pack(">BI", code, int(value) & 0xFFFFFFFF)


def nearest_gain_tenths(gain_db):
    """The R820T table gain nearest to ``gain_db``, in tenths of a dB."""
    return min(R820T_GAINS, key=lambda g: abs(g - 10 * gain_db))


class Source(abc.ABC):
    """Base: ``format`` (``cu8`` for dongles), ``sample_rate_hz``, ``center_freq_hz``,
    ``metadata`` (hardware, gain, ppm: what a recording should say), ``lost`` (total samples
    lost so far); iterate for chunks, ``close()`` when done."""

    format = "cu8"
    sample_rate_hz = None
    center_freq_hz = None

    def __init__(self):
        self.lost = 0
        self.metadata = {}

    def __iter__(self):
        return self.chunks()

    @abc.abstractmethod
    def chunks(self):
        """Yield :class:`Chunk` objects until the stream ends (or raise SourceLost)."""

    def close(self):  # noqa: B027 - a file source has nothing to release; others override
        """Release the device or connection (the base has none)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FileSource(Source):
    """A recording as a source (``realtime``: paced to its sample rate)."""

    def __init__(self, rec, *, realtime=False, chunk_samples=1 << 16):
        super().__init__()
        self.rec = rec
        self.format = rec.format or "cf32"
        self.sample_rate_hz = rec.sample_rate_hz
        self.center_freq_hz = rec.center_freq_hz
        self.realtime = realtime
        self.chunk_samples = chunk_samples
        self.metadata = {"hw": rec.hw or f"file {rec.path}"}

    def chunks(self):
        t0 = time.monotonic()
        for first, x in self.rec.chunks(self.chunk_samples):
            if self.realtime:
                ahead = first / self.sample_rate_hz - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            yield Chunk(first, np.array(x, copy=True) if not np.iscomplexobj(x) else x, 0)


class RtlTcpSource(Source):
    """Client of an rtl_tcp server (a dongle's, or ``htdsp replay``).

    Parameters
    ----------
    host : str
    port : int
    center_hz, rate_hz : float
        Sent to the server as commands (``set_freq``, ``set_sample_rate``).
    gain_db : float or None
        None: the tuner's automatic gain; otherwise the nearest table gain (manual mode).
    ppm : int
    timeout_s : float
        No data for this long (or no connection) counts as a failure.
    retries : int
        Failures tolerated within ``retry_window_s`` (back-off doubling from ``backoff_s``):
        one more in that window and the source is lost. The budget is over time, not reset
        by data: a server that keeps closing the connection after a trickle of samples (a
        replay without ``--loop``) is lost, not reconnected to for ever.
    retry_window_s : float
    rate_check_s : float
        After this long with data, the delivered rate is compared with ``rate_hz``: more than
        :data:`RATE_TOLERANCE` slower is :class:`SourceUnusable` (a server that ignored the
        rate it was asked for). Faster is allowed (a replay that is not paced) and said once.
    chunk_bytes : int
    """

    #: the delivered rate may fall short of the asked one by this fraction (USB hiccups)
    RATE_TOLERANCE = 0.05

    def __init__(self, host, port, center_hz, rate_hz, *, gain_db=None, ppm=0, timeout_s=3.0,
                 retries=3, backoff_s=0.5, retry_window_s=60.0, rate_check_s=3.0,
                 chunk_bytes=1 << 17, log=None):
        super().__init__()
        self.host, self.port = host, int(port)
        self.center_freq_hz = float(center_hz)
        self.sample_rate_hz = float(rate_hz)
        self.gain_db = gain_db
        self.ppm = int(ppm)
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.backoff_s = float(backoff_s)
        self.retry_window_s = float(retry_window_s)
        self.rate_check_s = float(rate_check_s)
        self.chunk_bytes = int(chunk_bytes)
        self.log = log or (lambda msg: None)
        self.reconnects = 0
        self.tuner = None
        self._sock = None
        self.metadata = {"hw": f"rtl_tcp server {host}:{port}", "gain_db": gain_db,
                         "ppm": self.ppm}

    def _connect(self):
        s = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        s.settimeout(self.timeout_s)
        head = b""
        while len(head) < 12:
            got = s.recv(12 - len(head))
            if not got:
                s.close()
                raise ConnectionError("closed before the rtl_tcp header")
            head += got
        magic, tuner, ngains = head[:4], *struct.unpack(">II", head[4:])
        self.metadata["tuner_gains"] = ngains
        if magic != b"RTL0":
            s.close()
            raise ConnectionError(f"not an rtl_tcp server (header {head[:4]!r})")
        self.tuner = tuner
        self.metadata["tuner_type"] = tuner
        cmds = [pack_command(0x02, round(self.sample_rate_hz)),
                pack_command(0x01, round(self.center_freq_hz))]
        if self.ppm:
            cmds.append(pack_command(0x05, self.ppm))
        if self.gain_db is None:
            cmds.append(pack_command(0x03, 0))
        else:
            cmds += [pack_command(0x03, 1), pack_command(0x04,
                                                         nearest_gain_tenths(self.gain_db))]
        s.sendall(b"".join(cmds))
        self._sock = s

    def _failed(self, failures, why, got_any):
        """Note a failure; raise SourceLost past the budget, else wait the back-off."""
        now = time.monotonic()
        failures.append(now)
        while failures and now - failures[0] > self.retry_window_s:
            failures.popleft()
        if len(failures) > self.retries:
            hint = ""
            if not got_any:
                hint = (f"; the server never sent a sample: it may not serve "
                        f"{self.sample_rate_hz:.0f} S/s at {self.center_freq_hz:.0f} Hz (htdsp "
                        "replay serves only its recording's rate and centre; see its log)")
            raise SourceLost(f"rtl_tcp {self.host}:{self.port}: {why} (gave up after "
                             f"{self.retries} retries in {self.retry_window_s:g} s){hint}")
        wait = self.backoff_s * 2 ** (len(failures) - 1)
        self.log(f"rtl_tcp {self.host}:{self.port}: {why}; retry in {wait:.1f} s")
        time.sleep(wait)

    def _check_rate(self, t0, samples):
        """Compare the delivered rate with the asked one, once, after ``rate_check_s``."""
        elapsed = time.monotonic() - t0
        if elapsed < self.rate_check_s:
            return False
        got = samples / elapsed
        if got < (1 - self.RATE_TOLERANCE) * self.sample_rate_hz:
            raise SourceUnusable(
                f"rtl_tcp {self.host}:{self.port} delivers about {got:.0f} S/s, not the "
                f"{self.sample_rate_hz:.0f} S/s asked for: the server does not serve that "
                "rate (give the rate it serves with --rate)")
        if got > (1 + self.RATE_TOLERANCE) * self.sample_rate_hz:
            self.log(f"rtl_tcp {self.host}:{self.port} delivers {got / self.sample_rate_hz:.1f}x "
                     "faster than real time (an unpaced replay?)")
        return True

    def chunks(self):
        from collections import deque

        index = 0
        pending = b""
        failures = deque()     # times of recent failures (connecting or reading)
        down_since = None      # when the data stopped
        lost_next = 0
        got_any = False        # any sample at all, on any connection
        rate_t0 = None         # when the rate check's count began (the first data)
        rate_n = 0
        rate_done = self.rate_check_s <= 0
        while True:
            if self._sock is None:
                try:
                    self._connect()
                except OSError as e:
                    self._failed(failures, str(e), got_any)
                    continue
                if down_since is not None and got_any:
                    # what the server produced while we were away is gone: count it by the
                    # wall clock (the protocol has no sequence numbers); before the first
                    # sample the stream has not begun, so nothing is lost
                    gap = int(round((time.monotonic() - down_since) * self.sample_rate_hz))
                    lost_next += gap
                    self.reconnects += 1
                    self.log(f"rtl_tcp {self.host}:{self.port}: reconnected, about {gap} "
                             "samples lost")
                    rate_t0, rate_n = None, 0        # time the rate afresh on this connection
                down_since = None
                pending = b""
            try:
                data = self._sock.recv(self.chunk_bytes)
                if not data:
                    raise ConnectionError("the server closed the connection")
            except OSError as e:
                why = str(e) or f"no data for {self.timeout_s:g} s"
                self._close_sock()
                if down_since is None:
                    down_since = time.monotonic()
                self._failed(failures, why, got_any)
                continue
            data = pending + data
            cut = len(data) - len(data) % 2
            pending = data[cut:]
            if not cut:
                continue
            got_any = True
            arr = np.frombuffer(data[:cut], dtype=np.uint8)
            if not rate_done:
                if rate_t0 is None:
                    rate_t0 = time.monotonic()
                else:
                    rate_n += arr.size // 2
                    rate_done = self._check_rate(rate_t0, rate_n)
            index += lost_next
            self.lost += lost_next
            yield Chunk(index, arr, lost_next)
            lost_next = 0
            index += arr.size // 2

    def _close_sock(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None

    def close(self):
        self._close_sock()


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

