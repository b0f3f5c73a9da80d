"""A client of the rtl_tcp protocol (measurement.md 6): 12-byte header, 5-byte commands, then
interleaved cu8; timeouts, reconnection with back-off, lost samples counted across
reconnections."""

import socket
import struct
import time

import numpy as np

from htdsp.sources.base import Chunk, Source, SourceLost, SourceUnusable
from htdsp.standards import R820T_GAINS

#: rtl_tcp commands (rtl_tcp.c): code -> name
RTL_TCP_COMMANDS = {
    0x01: "set_freq", 0x02: "set_sample_rate", 0x03: "set_gain_mode", 0x04: "set_gain",
    0x05: "set_freq_correction", 0x06: "set_if_gain", 0x07: "set_test_mode",
    0x08: "set_agc_mode", 0x09: "set_direct_sampling", 0x0A: "set_offset_tuning",
    0x0B: "set_rtl_xtal", 0x0C: "set_tuner_xtal", 0x0D: "set_gain_by_index",
    0x0E: "set_bias_tee",
}
TUNER_R820T = 5


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
        self.address = (f"rtl_tcp://[{host}]:{self.port}" if ":" in host
                        else f"rtl_tcp://{host}:{self.port}")
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
                "rate (give the rate it serves as `rate_hz`)")
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
