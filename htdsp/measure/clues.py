"""Station clues: where one station's over ends and another's begins.

The squelch's events are joined into transmissions across fades (:mod:`htdsp.score`); a net's
quick turns are fades too, to the squelch: 0.6-2.5 s between one station's unkey and the next
one's key-up. :class:`StationClues` tells them apart with what the channel says about the
transmitter on each side of a gap, and marks an event ``split_before`` (the reason) when it is
another key-up:

- ``ani``: a trusted ANI decode (:mod:`htdsp.rx.ani`, :meth:`StationClues.trusted`) starting
  in the event's first
  :data:`ANI_HEAD_S` (a key-up ID), or ending within :data:`ANI_TAIL_S` of the previous event's
  end (a post-ID: the transmitter said it unkeyed), or the event's own post-ID (when it ends
  within :data:`HOLD_S`) differing from the IDs of the event before;
- ``carrier``: the carrier frequency error of the event's first :data:`HEAD_S` and of the
  last :data:`TAIL_S` before it (medians of the fully keyed windows of at least
  :data:`MIN_CNR_DB`, at least :data:`MIN_WINDOWS` each) differ by more than
  :data:`CARRIER_JUMP_HZ` and by more than :data:`SPREAD_K` robust spreads of the windows
  before (each radio's crystal is off by tens to hundreds of Hz at VHF; one radio's estimate
  moves by a few Hz, more in a deep fade);
- ``level``: their levels (median RSSI) differ likewise by more than :data:`LEVEL_JUMP_DB`
  (beyond what a fade's recovery gives over a second).

An event is annotated once its clues are in (:meth:`ready`: the audio decoded and the windows
measured to :data:`HOLD_S` past its start, or its end, and :data:`LAG_S` more for the
decoders' own latency); until then the judge is not given it (its windows wait). The event
also carries its own key-up ID (``ani``) and its head's numbers (``head_freq_hz``,
``head_rssi_dbfs``).
"""

import bisect
import math
from collections import deque

import numpy as np

#: the span of an over's start (and end) whose carrier and level are compared, s
HEAD_S = 1.0
#: a key-up ID starts within this of the event's start (radios wait 0.1-0.5 s), s
ANI_HEAD_S = 1.2
#: a post-ID ends within this of the event's end (or up to 0.3 s after: the squelch's hang)
ANI_TAIL_S = 1.5
#: an event is held this long (or to its end) before it is annotated: a post-ID at its end
#: that differs from the ID before it says it is another station too, s
HOLD_S = 8.0
#: the span of keyed windows before a gap the next over is compared with, s
TAIL_S = 3.0
#: fully keyed windows needed on each side for the carrier and level clues
MIN_WINDOWS = 3
#: windows under this CNR give no carrier clue (in a deep fade the estimate wanders), dB
MIN_CNR_DB = 12.0
#: a jump must exceed this many robust spreads of the windows before it
SPREAD_K = 4.0
#: carrier errors further apart than this are two radios, Hz
CARRIER_JUMP_HZ = 25.0
#: levels further apart than this are two transmitters, dB
LEVEL_JUMP_DB = 15.0
#: a DTMF or selcall ID (no check of its own) names a station only where the windows over it
#: read this SNR or more, dB (the decoders' 99 % holds from 12 dB SINAD)
ANI_MIN_SNR_DB = 12.0
#: the decoders' latency after the audio they decode (a DTMF burst ends after its silence), s
LAG_S = 0.6
#: windows and decodes kept before what is still needed, s (an over before it, its gap)
KEEP_S = 20.0


def _median(v):
    return float(np.median(v)) if len(v) else None


def _spread(v):
    """A robust standard deviation (1.4826 MAD; 0 for fewer than 3 values)."""
    if len(v) < 3:
        return 0.0
    v = np.asarray(v, dtype=np.float64)
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


class StationClues:
    """The clues of one channel (see module docstring): fed the meter's windows and the ANI
    decodes as they come, asked to annotate the squelch's events in order.

    Examples
    --------
    Two overs 1 s apart, the second 80 Hz off the first: another radio.

    >>> c = StationClues()
    >>> w = [{"start_s": i / 10, "end_s": (i + 1) / 10, "keyed": 1.0, "gap": False,
    ...       "freq_error_hz": 100.0 if i < 30 else 180.0, "rssi_dbfs": -40.0, "cnr_db": 30.0,
    ...       "snr_db": 30.0}
    ...      for i in range(60) if not 20 <= i < 30]
    >>> c.add_windows(w)
    >>> c.done_s = 12.0
    >>> e = {"close_reason": "noise"}
    >>> a = c.annotate({**e, "start_s": 0.0, "end_s": 2.0, "start_sample": 0})
    >>> b = c.annotate({**e, "start_s": 3.0, "end_s": 6.0, "start_sample": 3})
    >>> a["split_before"], b["split_before"], b["head_freq_hz"]
    (None, 'carrier', 180.0)
    """

    def __init__(self):
        self._w = deque()       # fully keyed windows: (start_s, end_s, freq, rssi, snr)
        self._d = []            # ANI decodes in start order, each with its "trusted"
        self._untold = []       # decodes whose windows are not all in yet
        self._done = {}         # start_sample -> annotation made
        self._prev = None       # the last finished event annotated
        #: input time up to which the decoders have looked, s
        self.done_s = -math.inf
        self._w_end = -math.inf

    def add_windows(self, windows):
        for w in windows:
            self._w_end = max(self._w_end, w["end_s"])
            if w.get("gap") or w.get("keyed") is None or w["keyed"] < 0.99:
                continue
            cnr = w.get("cnr_db")
            good = cnr is not None and cnr >= MIN_CNR_DB
            self._w.append((w["start_s"], w["end_s"], w.get("freq_error_hz") if good else None,
                            w.get("rssi_dbfs"), w.get("snr_db")))
        self._tell()

    def add_decodes(self, decodes, done_s):
        for d in decodes:
            d = {**d, "trusted": None}
            # in start order whatever the chunks (each chunk's decodes come sorted, a later
            # chunk's may start earlier: a DTMF burst is told 0.3 s after its end)
            keys = [x["start_s"] for x in self._d]
            self._d.insert(bisect.bisect_right(keys, d["start_s"]), d)
            self._untold.append(d)
        self.done_s = done_s
        self._tell()

    def _tell(self):
        """Decide each decode's trust once the windows over it are all in."""
        if not self._untold:
            return
        left = []
        for d in self._untold:
            if self._w_end >= d["end_s"] or math.isinf(self.done_s):
                d["trusted"] = self._trusted_now(d)
            else:
                left.append(d)
        self._untold = left

    def windows_needed_from(self, pending=()):
        """The earliest window time still needed: the heads of ``pending`` events (not yet
        annotated), the decodes whose trust is not decided yet, and now."""
        t = [self._w_end] + [d["start_s"] for d in self._untold]
        t += [e["start_s"] for e in pending if e["start_sample"] not in self._done]
        return min(t)

    def forget_before(self, t_s, windows_from_s=None):
        """Drop the decodes no transmission from ``t_s`` on can need, and the windows older
        than ``windows_from_s`` (default ``t_s``) that no event still to be annotated needs
        (:data:`KEEP_S` before either is kept: an over's tail before a gap)."""
        t = t_s - KEEP_S
        tw = (t_s if windows_from_s is None else windows_from_s) - KEEP_S
        while self._w and self._w[0][1] < tw:
            self._w.popleft()
        k = 0
        while k < len(self._d) and self._d[k]["end_s"] < t and self._d[k]["trusted"] is not None:
            k += 1
        if k:
            del self._d[:k]

    # ------------------------------------------------------------------ reading
    def _span(self, a, b, spread=False):
        ws = [w for w in self._w if a - 1e-9 <= w[0] and w[1] <= b + 1e-9]
        f = [w[2] for w in ws if w[2] is not None]
        r = [w[3] for w in ws if w[3] is not None]
        out = (_median(f) if len(f) >= MIN_WINDOWS else None,
               _median(r) if len(r) >= MIN_WINDOWS else None)
        if spread:
            out += (_spread(f), _spread(r))
        return out

    def trusted(self, d):
        """Whether a decode can name a station: MDC1200's CRC checks itself; a DTMF or
        selcall ID (no check) only where the audio is good enough to have every digit right
        (every fully keyed window over it reads an SNR of at least :data:`ANI_MIN_SNR_DB`: on
        a link too weak for that, a lost digit names another station). Decided once, when the
        windows over it are in."""
        if d.get("trusted") is not None:
            return d["trusted"]
        return self._trusted_now(d)

    def _trusted_now(self, d):
        if d["kind"] == "mdc1200":
            return True
        over = [w for w in self._w if w[1] > d["start_s"] and w[0] < d["end_s"]]
        # every window over it (each digit's audio, a fade in the middle loses one)
        return bool(over) and all(w[4] is not None and w[4] >= ANI_MIN_SNR_DB for w in over)

    def decodes_within(self, start_s, end_s, trusted=True):
        """The trusted ANI decodes of the span (starting in it, or ending in its hang), time
        order (``trusted`` False: the others)."""
        return [d for d in self._d if start_s - 0.3 <= d["start_s"] and d["end_s"]
                <= end_s + 0.3 and self.trusted(d) == trusted]

    def ids_of(self, start_s, end_s, trusted=True):
        """The IDs that name an over from ``start_s`` to ``end_s``: its key-up ID (starting
        in its first :data:`ANI_HEAD_S`) and its post-ID (ending within :data:`ANI_TAIL_S`
        of its end), in that order; an ID in the middle of an over is not its station's (a
        doubling station keying up, say)."""
        out = []
        for d in self.decodes_within(start_s, end_s, trusted):
            head = d["start_s"] <= start_s + ANI_HEAD_S
            tail = d["end_s"] >= end_s - ANI_TAIL_S
            if head or tail:
                out.append((0 if head else 1, d["label"]))
        return [lab for _, lab in sorted(out, key=lambda x: x[0])]

    def _head_ani(self, e):
        for d in self._trusted():
            if e["start_s"] - 0.3 <= d["start_s"] <= e["start_s"] + ANI_HEAD_S:
                return d["label"]
        return None

    def _trusted(self):
        return (d for d in self._d if self.trusted(d))

    @staticmethod
    def _is_post_id(d, e):
        """Whether decode ``d`` at the end of event ``e`` is a post-ID: MDC1200 says so
        (argument 0x00); another scheme's ID is one unless it is the event's own key-up ID
        (a fade soon after key-up ends the event just after it)."""
        if d["kind"] == "mdc1200" and "arg" in d:
            return d["arg"] == 0x00
        return d["start_s"] > e["start_s"] + ANI_HEAD_S

    def _tail_ani(self, e):
        for d in self._trusted():
            if e["end_s"] - ANI_TAIL_S <= d["end_s"] <= e["end_s"] + 0.3 \
                    and d["start_s"] >= e["start_s"] - 0.3 and self._is_post_id(d, e):
                return d["label"]
        return None

    def now(self, since_s):
        """The over running since ``since_s``: its trusted ID (its first) and the median
        carrier error of its last :data:`HEAD_S` of windows (a live meter's "who is talking")."""
        ani = next((d["label"] for d in self._d if d["start_s"] >= since_s - 0.3
                    and self.trusted(d)), None)
        end = self._w[-1][1] if self._w else since_s
        f, _ = self._span(max(since_s, end - HEAD_S), end)
        return ani, f

    def ready(self, e, final=False):
        """Whether the clues of event ``e`` (finished, or the open one: ``close_reason``
        None) are all in: an open one's first :data:`HOLD_S`, a finished one's all (its
        post-ID too), and :data:`LAG_S` for the decoders' latency."""
        if final:
            return True
        finished = e.get("close_reason") is not None
        if not finished and e["start_sample"] in self._done:
            return True
        need = (e["end_s"] if finished else e["start_s"] + HOLD_S) + LAG_S
        return min(self.done_s, self._w_end) >= need

    def annotate(self, e):
        """``e`` with its clues (``split_before``, ``ani``, ``head_freq_hz``,
        ``head_rssi_dbfs``): the same ones every time it is asked (an open event and then
        its finished self)."""
        key = e["start_sample"]
        if key not in self._done:
            prev = self._prev
            f_head, r_head = self._span(e["start_s"], min(e["end_s"], e["start_s"] + HEAD_S))
            why = None
            ani = self._head_ani(e)
            if prev is not None:
                # the over before: its last TAIL_S of keyed windows (across its fades), and
                # how much they wander (a fading link's estimates spread: the jump must
                # stand out of them)
                f_tail, r_tail, sf, sr = self._span(prev["end_s"] - TAIL_S, prev["end_s"],
                                                    spread=True)
                # its own post-ID (an over ended within HOLD_S) other than the IDs before
                own = (self._tail_ani(e) if e.get("close_reason") is not None
                       and e["end_s"] - e["start_s"] <= HOLD_S else None)
                before = {d["label"] for d in self.decodes_within(prev["start_s"],
                                                                   prev["end_s"])}
                if ani is not None or self._tail_ani(prev) is not None \
                        or (own is not None and before and own not in before):
                    why = "ani"
                elif f_head is not None and f_tail is not None \
                        and abs(f_head - f_tail) > max(CARRIER_JUMP_HZ, SPREAD_K * sf):
                    why = "carrier"
                elif r_head is not None and r_tail is not None \
                        and abs(r_head - r_tail) > max(LEVEL_JUMP_DB, SPREAD_K * sr):
                    why = "level"
            self._done[key] = {"split_before": why, "ani": ani,
                               "head_freq_hz": None if f_head is None else round(f_head, 2),
                               "head_rssi_dbfs": None if r_head is None else round(r_head, 3)}
            if len(self._done) > 64:
                for k in list(self._done)[:-32]:
                    del self._done[k]
        if e.get("close_reason") is not None:
            self._prev = e
        return {**e, **self._done[key]}


class NoClues:
    """Station clues switched off (``Settings.stations`` False): every event is ready as it
    is, nothing splits a transmission but what the squelch and its codes say."""

    done_s = math.inf

    def add_windows(self, windows):
        pass

    def add_decodes(self, decodes, done_s):
        pass

    def forget_before(self, t_s, windows_from_s=None):
        pass

    def windows_needed_from(self, pending=()):
        return math.inf

    def ready(self, e, final=False):
        return True

    def annotate(self, e):
        return e

    def decodes_within(self, start_s, end_s, trusted=True):
        return []

    def ids_of(self, start_s, end_s, trusted=True):
        return []

    def now(self, since_s):
        return None, None


#: sub-window spans closer than this are one doubling, s
DOUBLING_JOIN_S = 0.015
#: a doubling shorter than this is a fade's flicker, not two stations, s
DOUBLING_MIN_S = 0.08


class Doublings:
    """Doublings (two stations keyed at once) from the windows' doubled 5 ms sub-windows
    (:meth:`htdsp.measure.Meter` ``doubled_spans``, ``second_carrier_db``): spans less than
    :data:`DOUBLING_JOIN_S` apart join; one of at least :data:`DOUBLING_MIN_S` that holds a
    doubled window is reported: ``{"start_s", "end_s", "second_carrier_db"}`` (the median of
    its doubled windows'), once a window after it holds none.

    Examples
    --------
    >>> d = Doublings()
    >>> w = lambda a, spans, db: {"start_s": a, "end_s": a + 0.1, "doubled_spans": spans,
    ...                           "second_carrier_db": db}
    >>> d.add_windows([w(1.0, ((1.06, 1.1),), None), w(1.1, ((1.1, 1.2),), 6.0),
    ...                w(1.2, ((1.2, 1.23),), None), w(1.3, (), None)])
    [{'start_s': 1.06, 'end_s': 1.23, 'second_carrier_db': 6.0}]
    """

    def __init__(self):
        self._run = None                  # [start, end, [levels]]
        self.found = []

    def add_windows(self, windows):
        """Windows in order; returns the doublings finished by them."""
        out = []
        for w in windows:
            spans = w.get("doubled_spans") or ()
            for a, b in spans:
                if self._run is not None and a - self._run[1] <= DOUBLING_JOIN_S:
                    self._run[1] = max(self._run[1], b)
                else:
                    out += self._close()
                    self._run = [a, b, []]
            if w.get("second_carrier_db") is not None and self._run is not None:
                self._run[2].append(w["second_carrier_db"])
            if self._run is not None and w["end_s"] - self._run[1] > DOUBLING_JOIN_S:
                out += self._close()
        self.found += out
        return out

    def flush(self):
        out = self._close()
        self.found += out
        return out

    def _close(self):
        run, self._run = self._run, None
        if run is None or run[1] - run[0] < DOUBLING_MIN_S or not run[2]:
            return []
        return [{"start_s": round(float(run[0]), 6), "end_s": round(float(run[1]), 6),
                 "second_carrier_db": round(float(np.median(run[2])), 2)}]
