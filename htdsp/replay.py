"""An rtl_tcp-compatible server that serves a recording (``htdsp replay``).

What a client sees is what a dongle behind ``rtl_tcp`` gives it: the 12-byte header (``RTL0``,
an R820T tuner, its 29 gains), then interleaved cu8 I/Q for as long as it stays connected. The
recording is sent as cu8 whatever its own format (converted on the fly), from its first sample
for each client, paced to its sample rate with ``realtime`` and repeated with ``loop``; without
``loop`` the connection is closed at the end of the file.

Commands (5 bytes: a code and a big-endian 32-bit value) are read and answered as sensibly as a
recording allows: a sample rate or centre frequency other than the recording's cannot be
honoured, and serving the recording anyway would hand the client samples at a rate (or a
frequency) it does not expect, which it cannot see: such a client is told the only way the
protocol allows, by closing its connection (logged), and a client such as ``htdsp live`` then
says why. The server streams once a client's first commands are answered (or ``settle_s``
after the header from a client that sends none), so a refused client gets no sample. Gain,
AGC, ppm, bias-tee and the rest change nothing and are logged once; an
unknown code is logged, and a client sending nothing but unknown codes (garbage) is dropped. A
client that stops reading is dropped after ``send_timeout_s``. One client at a time, like
rtl_tcp; the next waits in the listen queue. IPv4 and IPv6 (``host="::1"``).
"""

import socket
import struct
import threading
import time

import numpy as np

from htdsp.io.datatypes import as_elements, datatype
from htdsp.sources import RTL_TCP_COMMANDS, TUNER_R820T
from htdsp.standards import R820T_GAINS

#: unknown commands a client may send before it is taken for garbage and dropped
MAX_UNKNOWN = 16


def _drop(conn, gone):
    """End a client's stream and its connection (the streaming loop sees ``gone``)."""
    gone.set()
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class ReplayServer:
    """Serve ``rec`` over the rtl_tcp protocol (see module docstring).

    Parameters
    ----------
    rec : htdsp.io.Recording
    host : str
        Address to bind (loopback by default: serving the network is a deliberate choice).
    port : int
        0 picks a free port (see :attr:`port` after :meth:`bind`).
    loop, realtime : bool
    log : callable
        Receives one-line messages.
    """

    def __init__(self, rec, host="127.0.0.1", port=1234, *, loop=False, realtime=False,
                 log=None, send_timeout_s=5.0, chunk_samples=1 << 14, settle_s=0.1):
        self.rec = rec
        self.host = host
        self.port = int(port)
        self.loop = loop
        self.realtime = realtime
        self.log = log or (lambda msg: None)
        self.send_timeout_s = float(send_timeout_s)
        self.chunk_samples = int(chunk_samples)
        self.settle_s = float(settle_s)
        self.clients = 0
        self._sock = None
        self._stop = threading.Event()
        self._cu8 = datatype("cu8")

    def bind(self):
        host = self.host.strip("[]")
        family = socket.getaddrinfo(host, self.port, type=socket.SOCK_STREAM)[0][0]
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, self.port))
        except OSError:
            s.close()
            raise
        s.listen(4)
        s.settimeout(0.2)
        self._sock = s
        self.port = s.getsockname()[1]
        return self

    def stop(self):
        self._stop.set()

    def serve_forever(self):
        """Accept clients one after another until :meth:`stop`."""
        if self._sock is None:
            self.bind()
        try:
            while not self._stop.is_set():
                try:
                    conn, addr = self._sock.accept()
                except TimeoutError:
                    continue
                except OSError:
                    if self._stop.is_set():
                        break
                    raise
                self.clients += 1
                self.log(f"client {addr[0]}:{addr[1]} connected")
                try:
                    self._serve(conn)
                except OSError as e:
                    self.log(f"client {addr[0]}:{addr[1]}: {e}")
                finally:
                    try:
                        conn.close()
                    except OSError:
                        pass
                self.log(f"client {addr[0]}:{addr[1]} gone")
        finally:
            self._sock.close()

    # ------------------------------------------------------------------ one client
    def _serve(self, conn):
        conn.settimeout(self.send_timeout_s)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(b"RTL0" + struct.pack(">II", TUNER_R820T, len(R820T_GAINS)))
        gone = threading.Event()
        heard = threading.Event()             # the client's first commands were answered
        reader = threading.Thread(target=self._commands, args=(conn, gone, heard), daemon=True)
        reader.start()
        # a client says its rate and frequency at once: stream when they are answered (a
        # client refused gets no sample), or after settle_s from a client that says nothing
        heard.wait(self.settle_s)
        try:
            self._stream(conn, gone)
        except TimeoutError:
            self.log(f"client stalled (not reading for {self.send_timeout_s:g} s): dropped")
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            gone.set()
            # shut down, not only close: the command reader still holds the socket, and a
            # close alone would leave the client waiting for an end that never comes
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            reader.join(timeout=1.0)

    def _stream(self, conn, gone):
        rate = self.rec.sample_rate_hz
        t0 = time.monotonic()
        sent = 0
        while not (gone.is_set() or self._stop.is_set()):
            for _, x in self.rec.chunks(self.chunk_samples, raw=self.rec.format == "cu8"):
                if gone.is_set() or self._stop.is_set():
                    return
                e = x if self.rec.format == "cu8" else as_elements(x, self._cu8)
                if self.realtime:
                    ahead = sent / rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
                conn.sendall(np.ascontiguousarray(e, dtype=np.uint8).tobytes())
                sent += e.size // 2
            if not self.loop:
                self.log("end of the recording: closing the connection (--loop repeats it)")
                return

    def _commands(self, conn, gone, heard):
        said = set()
        unknown = 0
        buf = b""
        while not gone.is_set():
            try:
                got = conn.recv(512)
            except TimeoutError:
                continue
            except OSError:
                break
            if not got:
                break
            buf += got
            while len(buf) >= 5:
                code, value = struct.unpack(">BI", buf[:5])
                buf = buf[5:]
                name = RTL_TCP_COMMANDS.get(code)
                if name is None:
                    unknown += 1
                    if unknown <= 3:
                        self.log(f"unknown command 0x{code:02x} ignored")
                    if unknown > MAX_UNKNOWN:
                        self.log("client sends garbage: dropped")
                        _drop(conn, gone)
                        return
                    continue
                msg, refuse = self._answer(name, value)
                if msg and (name, msg) not in said:
                    said.add((name, msg))
                    self.log(msg)
                if refuse:
                    _drop(conn, gone)
                    heard.set()
                    return
            heard.set()
        gone.set()
        heard.set()

    def _answer(self, name, value):
        """``(message or None, refuse)``: what to log, and whether the client must go."""
        rec = self.rec
        if name == "set_sample_rate":
            if abs(value - rec.sample_rate_hz) > 0.5:
                return (f"set_sample_rate {value}: this recording is {rec.sample_rate_hz:.0f} "
                        "S/s and cannot be resampled: client dropped (ask for "
                        f"{rec.sample_rate_hz:.0f})", True)
            return None, False
        if name == "set_freq":
            if rec.center_freq_hz is not None and abs(value - rec.center_freq_hz) > 0.5:
                return (f"set_freq {value}: this recording is centred on "
                        f"{rec.center_freq_hz:.0f} Hz and cannot be retuned: client dropped",
                        True)
            return None, False
        if name == "set_gain":
            value = value / 10
        return f"{name} {value}: a recording has no {name[4:].replace('_', ' ')}; ignored", False
