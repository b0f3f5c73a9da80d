"""Stations on a net: who sent each transmission, each station's link judged on its own.

A :class:`StationBook` is shared by every capture and channel of a run. Each transmission, as
it is judged, is attributed (``station``, ``station_confidence``, ``station_by``):

- **by ANI**: a decoded PTT-ID names its station outright (confidence 1): the roster's station
  with that ID, else a station labelled by its ID; a DTMF or selcall ID decoded on audio too
  poor to trust (:meth:`htdsp.measure.clues.StationClues.trusted`), or one the roster does not
  know, names a roster station only when it is that station's ID, or that ID with a digit
  lost, and the fingerprint rules out every other candidate (confidence
  :data:`UNSURE_ANI_CONFIDENCE`);
- **by fingerprint** otherwise: the transmitter's carrier frequency error (each radio's
  crystal differs by tens to hundreds of Hz at VHF), its CTCSS encoder's frequency error and,
  within one capture, the level it arrives at. Each station's fingerprint is the running mean
  of its transmissions'; a transmission goes to the station of highest posterior probability
  (Gaussian likelihoods of the differences, :data:`CARRIER_SIGMA_HZ`, :data:`CTCSS_SIGMA_HZ`,
  :data:`LEVEL_SIGMA_DB`, against a new station equally likely anywhere in
  :data:`CARRIER_SPAN_HZ`), times how sure that station's fingerprint is of one radio
  (:meth:`_Entry.resolved`: two radios too close to tell apart make one wide station), which
  is its confidence; when a new station is likelier it gets the next label (``station-3``).
  A CTCSS tone or DCS code other than a station's rules it out. A guess is a guess: a
  confidence under :data:`GUESS_BELOW` says so.

Carrier errors seen through different dongles differ by each dongle's LO error (up to kHz):
they are compared after removing it, given as ``ppm`` of a capture, or measured against a
roster station marked ``reference`` (a base or repeater whose own carrier error is known):
once a transmission of it is named by ANI, the capture's LO error is its measured error less
its known one. Without either, captures are compared as they are.

The roster (TOML, :func:`load_roster`)::

    [[station]]
    name = "Muaro Jambi"
    ani = ["selcall:zvei1:10105"]    # dtmf:ID, selcall:STANDARD:ID or mdc1200:ID
    ctcss_hz = 88.5
    carrier_error_hz = 270            # optional: seeds the fingerprint
    reference = false                 # true: its carrier_error_hz is known, LO error from it
    notes = "regent's car"
"""

import bisect
import math
from dataclasses import dataclass, field

from htdsp.errors import InputError
from htdsp.measure import BoundedHistogram, finite
from htdsp.records import StationRecord
from htdsp.standards import CTCSS_TONES_HZ, parse_dcs

#: one transmission's carrier error about its station's mean (measured: 2-8 Hz), Hz
CARRIER_SIGMA_HZ = 10.0
#: the CTCSS encoder's frequency error about its station's mean, Hz
CTCSS_SIGMA_HZ = 0.05
#: the level within one capture about its station's mean (fading, a station moving), dB
LEVEL_SIGMA_DB = 6.0
#: a new station's carrier error is equally likely anywhere in this span, Hz
CARRIER_SPAN_HZ = 2000.0
#: a new station's CTCSS error is equally likely in this span, Hz
CTCSS_SPAN_HZ = 2.0
#: a new station's level is equally likely in this span, dB
LEVEL_SPAN_DB = 60.0
#: one radio's transmissions spread this much in carrier error at most (measured: 1-3 Hz
#: at 20 dB CNR and more, up to 6 Hz at 15 dB), Hz
ONE_RADIO_SPREAD_HZ = 6.0
#: a fingerprint's attribution under this confidence is a guess (the report says so)
GUESS_BELOW = 0.9
#: the confidence of a roster ID decoded on audio too poor to trust it outright
UNSURE_ANI_CONFIDENCE = 0.95
#: a call not answered by anyone within this is unanswered, s
UNANSWERED_S = 30.0
#: a station's own transmission again after this wait, nobody between: its call went
#: unanswered (back to back, under this, is an acknowledgement and the next call), s
CALL_AGAIN_S = 3.0


@dataclass
class Station:
    """A roster entry (see module docstring)."""

    name: str
    ani: list = field(default_factory=list)
    ctcss_hz: float = None
    dcs_code: str = None
    carrier_error_hz: float = None
    reference: bool = False
    notes: str = ""


def load_roster(path):
    """The stations of a roster file (TOML); a bad file is an :class:`InputError` naming it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.toml"
    >>> _ = p.write_text('[[station]]\\nname = "base"\\nani = ["DTMF:100"]\\n')
    >>> load_roster(p)[0].ani
    ['dtmf:100']
    """
    try:
        import tomllib
    except ModuleNotFoundError:                      # Python 3.10
        import tomli as tomllib
    from htdsp.rx.ani import parse_ani_label

    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as e:
        raise InputError(f"cannot read the roster: {e.strerror or e}", path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"the roster is not valid TOML: {e}", path) from None
    entries = doc.get("station")
    if not isinstance(entries, list) or not entries:
        raise InputError("the roster has no [[station]] tables", path)
    out, names, ids = [], set(), {}
    known = set(Station.__dataclass_fields__)
    for i, e in enumerate(entries):
        where = f"station {i + 1}"
        if not isinstance(e, dict) or not isinstance(e.get("name"), str) or not e["name"]:
            raise InputError(f"{where} has no name", path)
        bad = set(e) - known
        if bad:
            raise InputError(f"{where} ({e['name']}): unknown key {sorted(bad)[0]!r}", path)
        if e["name"] in names:
            raise InputError(f"two stations are named {e['name']!r}", path)
        names.add(e["name"])
        ani = e.get("ani", [])
        if isinstance(ani, str):
            ani = [ani]
        if not isinstance(ani, list) or not all(isinstance(a, str) for a in ani):
            raise InputError(f"{where} ({e['name']}): ani must be a string or a list of "
                             "strings", path)
        try:
            ani = [parse_ani_label(a) for a in ani]
        except ValueError as x:
            raise InputError(f"{where} ({e['name']}): {x}", path) from None
        for a in ani:
            if a in ids:
                raise InputError(f"{a} is both {ids[a]!r} and {e['name']!r}", path)
            ids[a] = e["name"]
        for k in ("ctcss_hz", "carrier_error_hz"):
            v = e.get(k)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or not math.isfinite(v)):
                raise InputError(f"{where} ({e['name']}): {k} must be a number", path)
        tone = e.get("ctcss_hz")
        if tone is not None and not any(abs(tone - x) < 0.05 for x in CTCSS_TONES_HZ):
            raise InputError(f"{where} ({e['name']}): {tone} Hz is not a CTCSS tone", path)
        dcs = e.get("dcs_code")
        if dcs is not None:
            try:
                octal, inv = parse_dcs(str(dcs)) if isinstance(dcs, str) else (None, None)
            except ValueError:
                octal = None
            if octal is None:
                raise InputError(f"{where} ({e['name']}): dcs_code {dcs!r} is not a DCS code "
                                 "(D023N, D023I)", path)
            dcs = f"D{octal}{'I' if inv else 'N'}"
        for k in ("notes", "reference"):
            v = e.get(k)
            if v is not None and not isinstance(v, str if k == "notes" else bool):
                raise InputError(f"{where} ({e['name']}): {k} must be "
                                 + ("text" if k == "notes" else "true or false"), path)
        if e.get("reference") and e.get("carrier_error_hz") is None:
            raise InputError(f"{where} ({e['name']}): a reference station needs its "
                             "carrier_error_hz", path)
        out.append(Station(e["name"], ani, None if tone is None else float(tone), dcs,
                           e.get("carrier_error_hz"), bool(e.get("reference", False)),
                           str(e.get("notes", ""))))
    return out


class _Mean:
    """A running mean and spread."""

    __slots__ = ("n", "s", "s2")

    def __init__(self):
        self.n, self.s, self.s2 = 0, 0.0, 0.0

    def add(self, v):
        if v is not None:
            self.n += 1
            self.s += v
            self.s2 += v * v

    @property
    def mean(self):
        return self.s / self.n if self.n else None

    @property
    def std(self):
        if self.n < 2:
            return None
        return math.sqrt(max(self.s2 / self.n - (self.s / self.n) ** 2, 0.0))


class _Judged:
    """A station's running judgement (in one capture)."""

    def __init__(self):
        self.n = 0
        self.talk_s = 0.0
        self.ok = 0
        self.judged = 0
        self.dropouts = 0
        self.doubled = 0
        self.guesses = 0
        self.series = {"sinad_db": BoundedHistogram(), "snr_db": BoundedHistogram()}

    def merge(self, other):
        for k in ("n", "talk_s", "ok", "judged", "dropouts", "doubled", "guesses"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        for k, h in other.series.items():
            self.series[k].merge(h)


class _Entry:
    """A station as the book knows it: who, its fingerprint, its link's running judgement."""

    def __init__(self, label, roster=None):
        self.label = label
        self.roster = roster
        self.ani = set(roster.ani) if roster else set()
        #: the CTCSS tones (Hz) / DCS codes it sends: the roster's, else those heard; a
        #: transmission with another is not this station
        self.roster_codes = {v for v in ((roster.ctcss_hz, roster.dcs_code) if roster
                                         else ()) if v is not None}
        self.codes = set(self.roster_codes)
        self.carrier = _Mean()
        self.ctcss = _Mean()
        self.level = {}                    # capture -> _Mean of rssi_dbfs
        if roster is not None and roster.carrier_error_hz is not None:
            self.seed = float(roster.carrier_error_hz)
        else:
            self.seed = None
        #: capture -> its judgement there (a capture discarded takes its own away)
        self.caps = {}
        self.first_s = None
        #: labels its transmissions had before its ID named it; IDs of its that were garbled
        self.labels = set()
        self.odd_ids = set()

    def absorb(self, other):
        """Take in another entry's transmissions and fingerprint (the same radio)."""
        for a, b in ((self.carrier, other.carrier), (self.ctcss, other.ctcss)):
            a.n, a.s, a.s2 = a.n + b.n, a.s + b.s, a.s2 + b.s2
        for cap, m in other.level.items():
            mine = self.level.setdefault(cap, _Mean())
            mine.n, mine.s, mine.s2 = mine.n + m.n, mine.s + m.s, mine.s2 + m.s2
        for cap, agg in other.caps.items():
            self.cap(cap).merge(agg)
        self.labels |= {other.label} | other.labels
        if not self.roster_codes:
            self.codes |= other.codes
        if other.first_s is not None:
            self.first_s = other.first_s if self.first_s is None else min(self.first_s,
                                                                        other.first_s)

    def resolved(self):
        """How sure its fingerprint is one radio's: 1 while its transmissions' carrier errors
        spread no more than one radio's do (:data:`ONE_RADIO_SPREAD_HZ`), falling as the
        square of the ratio beyond (two radios closer than the estimates can tell apart make
        one wide station: an attribution to it is a guess)."""
        sd = self.carrier.std if self.carrier.n >= 3 else None
        if not sd or sd <= ONE_RADIO_SPREAD_HZ:
            return 1.0
        return (ONE_RADIO_SPREAD_HZ / sd) ** 2

    def cap(self, capture):
        """Its judgement in ``capture`` (made on first use)."""
        agg = self.caps.get(capture)
        if agg is None:
            agg = self.caps[capture] = _Judged()
        return agg

    def total(self):
        """Its judgement over every capture kept."""
        out = _Judged()
        for agg in self.caps.values():
            out.merge(agg)
        return out

    def carrier_mean(self):
        if self.carrier.n:
            return self.carrier.mean
        return self.seed


def _code_of(t):
    """A transmission's sub-audible code: its CTCSS tone (Hz) or DCS code, or None."""
    if t.get("ctcss_hz") is not None:
        return float(t["ctcss_hz"])
    return t.get("dcs_code")


def _fingerprint(t, clean, whole):
    """A transmission's carrier error or level as its clean windows give it (the judge's
    median, kept with the record), else the whole over's."""
    aux = getattr(t, "aux", None)
    v = aux.get(clean) if isinstance(aux, dict) else None
    return t.get(whole) if v is None else v


def _log_gauss(d, sigma):
    return -0.5 * (d / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))


class StationBook:
    """Attribution of transmissions to stations across a run (see module docstring).

    Parameters
    ----------
    roster : list of Station, optional

    Examples
    --------
    >>> book = StationBook([Station("base", ["dtmf:100"])])
    >>> t = {"ani": "dtmf:100", "freq_error_hz": -20.0, "rssi_dbfs": -30.0,
    ...      "ctcss_freq_error_hz": None, "start_s": 0.0, "end_s": 3.0}
    >>> book.attribute(t)["station"], t["station_by"]
    ('base', 'ani')
    >>> u = dict(t, ani=None, freq_error_hz=-24.0)
    >>> book.attribute(u)["station"], u["station_by"], u["station_confidence"] > 0.9
    ('base', 'fingerprint', True)
    >>> book.attribute(dict(u, freq_error_hz=150.0))["station"]
    'station-1'
    """

    def __init__(self, roster=()):
        self.roster = list(roster)
        self.entries = [_Entry(r.name, r) for r in self.roster]
        self._by_ani = {a: e for e in self.entries for a in e.ani}
        self._next = 1
        #: capture -> its receiver's LO error, Hz (given as ppm, or from a reference station)
        self.lo_hz = {}
        self._lo_meas = {}
        self._log = {}                     # (capture, channel) -> [(start, end, station)]
        self._duration = {}                # capture -> its length, s
        self._doublings = {}               # (capture, channel) -> [doubling]
        #: label -> the station that took it in (its overs heard before its ID was): the
        #: capture's final outputs give its transmissions that station's name
        self.renamed = {}

    # ------------------------------------------------------------------ LO error
    def set_lo(self, capture, lo_hz):
        """The capture's LO error is known (``-ppm`` times its centre frequency: an LO high
        reads carriers low), Hz."""
        self.lo_hz[capture] = float(lo_hz)

    def _corrected(self, t, capture):
        f = _fingerprint(t, "carrier_hz", "freq_error_hz")
        if f is None:
            return None
        return f - self.lo_hz.get(capture, 0.0)

    # ------------------------------------------------------------------ attribution
    def _new(self, label=None):
        if label is None:
            label = f"station-{self._next}"
            self._next += 1
        e = _Entry(label)
        self.entries.append(e)
        return e

    def _score(self, e, f, c, lv, capture, code=None):
        """Log-likelihood of a fingerprint under station ``e`` (None: nothing to compare, or
        its CTCSS tone / DCS code rules it out). Every hypothesis is scored on the same
        evidence: a term the station has no value for yet counts as the new station's
        (uniform) density, so a station known in fewer ways is neither favoured nor
        penalised for it."""
        if code is not None and e.codes and code not in e.codes:
            return None
        s, used = 0.0, False
        m = e.carrier_mean()
        if f is not None and m is not None:
            s += _log_gauss(f - m, CARRIER_SIGMA_HZ if e.carrier.n else 3 * CARRIER_SIGMA_HZ)
            used = True
        if c is not None:
            s += (_log_gauss(c - e.ctcss.mean, CTCSS_SIGMA_HZ) if e.ctcss.n
                  else -math.log(CTCSS_SPAN_HZ))
        lm = e.level.get(capture)
        if lv is not None:
            s += (_log_gauss(lv - lm.mean, LEVEL_SIGMA_DB) if lm is not None and lm.n
                  else -math.log(LEVEL_SPAN_DB))
        return s if used else None

    @staticmethod
    def _score_new(f, c, lv):
        s = -math.log(CARRIER_SPAN_HZ)
        if c is not None:
            s -= math.log(CTCSS_SPAN_HZ)
        if lv is not None:
            s -= math.log(LEVEL_SPAN_DB)
        return s

    def attribute(self, t, capture=None, doubled=False, channel=None):
        """Name the station of transmission ``t`` (a record: ``station``,
        ``station_confidence``, ``station_by`` are set) and add it to that station's
        judgement. A ``doubled`` transmission (two stations keyed at once) is named only by
        ANI and left out of the judgement."""
        f = self._corrected(t, capture)
        c = t.get("ctcss_freq_error_hz")
        lv = _fingerprint(t, "level_dbfs", "rssi_dbfs")
        code = _code_of(t)
        ani = t.get("ani")
        entry, conf, by = None, None, None
        aux = getattr(t, "aux", None)
        if ani is None and isinstance(aux, dict):
            # an ID decoded on poor audio: believed only when it is a roster station's and its
            # fingerprint does not say otherwise (a lost digit makes another ID, rarely one
            # of the roster's)
            for label in aux.get("ani_unsure") or ():
                e = self._garbled(label, f)
                if e is not None:
                    entry, conf, by = e, UNSURE_ANI_CONFIDENCE, "ani"
                    break
        if entry is not None:
            if not entry.carrier.n and f is not None:
                # named for the first time: its overs heard before are its too
                self._absorb(entry, f, lv, capture)
        elif ani is not None:
            entry = self._by_ani.get(ani)
            if entry is None and self.roster:
                # an ID the roster does not know: one of its IDs with a digit lost?
                entry = self._garbled(ani, f)
                if entry is not None:
                    conf, by = UNSURE_ANI_CONFIDENCE, "ani"
                    entry.odd_ids.add(ani)
                    if not entry.carrier.n and f is not None:
                        self._absorb(entry, f, lv, capture)
            if entry is None and self.roster and f is not None and not doubled:
                # an ID the roster does not know, from a radio whose fingerprint is a roster
                # station's: a digit lost on the way (DTMF and selcall have no check), not a
                # new station
                best, p = self._by_fingerprint(f, c, lv, capture, code)
                if best is not None and best.roster is not None and p >= GUESS_BELOW:
                    entry, conf, by = best, p, "fingerprint"
                    best.odd_ids.add(ani)
            if entry is None:
                entry = self._new(ani)
                entry.ani.add(ani)
                self._by_ani[ani] = entry
            if by is None:
                conf, by = 1.0, "ani"
                self._reference(entry, t, capture)
                f = self._corrected(t, capture)         # (a reference just told the LO)
                if not entry.carrier.n and f is not None:
                    self._absorb(entry, f, lv, capture)
        elif f is not None and not doubled:
            entry, conf = self._by_fingerprint(f, c, lv, capture, code)
            if entry is None:
                entry = self._new()
            else:
                conf *= entry.resolved()
            by = "fingerprint"
        if entry is None:
            t["station"], t["station_confidence"], t["station_by"] = None, None, None
            self._log.setdefault((capture, channel), []).append(
                (t["start_s"], t["end_s"], None))
            return t
        t["station"] = entry.label
        t["station_confidence"] = finite(conf, 4)
        t["station_by"] = by
        self._add(entry, t, f, c, lv, capture, doubled, by == "fingerprint" and
                  conf < GUESS_BELOW, code)
        self._log.setdefault((capture, channel), []).append(
            (t["start_s"], t["end_s"], entry.label))
        return t

    def _garbled(self, label, f, exact=False):
        """The roster station an ID decoded on poor audio (or one the roster does not know)
        stands for: its own (``exact``), or one the decoded ID is with a digit lost (DTMF and
        selcall have no check: a digit in a fade is dropped), the fingerprint ruling out the
        candidates whose carrier error is known and elsewhere; None unless one is left."""
        def fits(e):
            m = e.carrier_mean()
            return f is None or m is None or abs(f - m) < 3 * CARRIER_SIGMA_HZ

        e = self._by_ani.get(label)
        if e is not None and e.roster is not None:
            return e if fits(e) else None
        if exact or label.startswith("mdc1200:"):
            return None
        kind, _, ident = label.rpartition(":")
        cands = []
        for a, e in self._by_ani.items():
            k2, _, id2 = a.rpartition(":")
            if e.roster is None or k2 != kind or len(id2) != len(ident) + 1:
                continue
            if any(id2[:i] + id2[i + 1:] == ident for i in range(len(id2))) and fits(e):
                cands.append(e)
        known = [e for e in cands if e.carrier_mean() is not None]
        if len(known) == 1:
            return known[0]
        return cands[0] if len(cands) == 1 else None

    def _by_fingerprint(self, f, c, lv, capture, code=None):
        """The likeliest known station of a fingerprint and its posterior probability; None
        (and the new station's probability) when a new station is likelier."""
        scores = [(self._score(e, f, c, lv, capture, code), e) for e in self.entries]
        scores = [(v, e) for v, e in scores if v is not None]
        new = self._score_new(f, c, lv)
        # each known station as likely as a new one: the evidence decides
        best = max(scores, key=lambda x: x[0], default=None)
        z = max([new] + [v for v, _ in scores])
        total = math.exp(new - z) + sum(math.exp(v - z) for v, _ in scores)
        if best is not None and best[0] > new:
            return best[1], math.exp(best[0] - z) / total
        return None, math.exp(new - z) / total

    def _absorb(self, entry, f, lv=None, capture=None):
        """A station named by its ID for the first time takes in the unnamed stations its
        fingerprint matches (heard before its ID was: a weak link's first overs, its ID lost
        in the noise): one radio, one station; their labels are kept as its ``labels``. A
        match: the carrier errors within three of their combined spreads (the unnamed
        station's own, at least :data:`CARRIER_SIGMA_HZ`, and one transmission's) and, in
        the same capture, the levels within three :data:`LEVEL_SIGMA_DB`."""
        for e in list(self.entries):
            if e is entry or e.roster is not None or e.ani or not e.carrier.n:
                continue
            sd = max(CARRIER_SIGMA_HZ, e.carrier.std or 0.0)
            gate = 3 * math.sqrt(sd * sd + CARRIER_SIGMA_HZ ** 2)
            m = e.level.get(capture)
            far = lv is not None and m is not None and m.n \
                and abs(lv - m.mean) > 3 * LEVEL_SIGMA_DB
            if abs(e.carrier.mean - f) < gate and not far:
                entry.absorb(e)
                self.renamed[e.label] = entry.label
                self.entries.remove(e)
                for log in self._log.values():
                    for i, (a, b, who) in enumerate(log):
                        if who == e.label:
                            log[i] = (a, b, entry.label)

    def name_now(self, ani=None, freq_error_hz=None, capture=None):
        """Who is talking, as far as the over so far tells (a live meter): ``(station,
        confidence, by)`` or None; nothing is added to any station."""
        if ani is not None:
            e = self._by_ani.get(ani)
            return (e.label if e is not None else ani), 1.0, "ani"
        if freq_error_hz is None:
            return None
        f = freq_error_hz - self.lo_hz.get(capture, 0.0)
        scores = [(self._score(e, f, None, None, capture), e) for e in self.entries]
        scores = [(v, e) for v, e in scores if v is not None]
        if not scores:
            return None
        new = self._score_new(f, None, None)
        z = max([new] + [v for v, _ in scores])
        total = math.exp(new - z) + sum(math.exp(v - z) for v, _ in scores)
        v, e = max(scores, key=lambda x: x[0])
        if v <= new:
            return None
        return e.label, round(math.exp(v - z) / total, 3), "fingerprint"

    def _reference(self, entry, t, capture):
        r = entry.roster
        f = _fingerprint(t, "carrier_hz", "freq_error_hz")
        if r is None or not r.reference or f is None:
            return
        ms = self._lo_meas.setdefault(capture, [])
        bisect.insort(ms, f - r.carrier_error_hz)
        self.lo_hz[capture] = ms[len(ms) // 2]

    def _add(self, e, t, f, c, lv, capture, doubled, guess, code=None):
        if e.first_s is None:
            e.first_s = t["start_s"]
        j = e.cap(capture)
        j.n += 1
        j.talk_s += t["end_s"] - t["start_s"]
        if doubled:
            j.doubled += 1
            return
        j.guesses += bool(guess)
        if code is not None and (e.roster is None or not e.roster_codes):
            e.codes.add(code)
        e.carrier.add(f)
        e.ctcss.add(c)
        e.level.setdefault(capture, _Mean()).add(lv)
        aux = getattr(t, "aux", None)
        if isinstance(aux, dict):
            j.ok += aux["ok"]
            j.judged += aux["judged"]
            for k in ("sinad_db", "snr_db"):
                j.series[k].merge(aux["series"][k])
        j.dropouts += t.get("dropouts") or 0

    # ------------------------------------------------------------------ judgement
    def summaries(self, requirements, daq):
        """One :class:`htdsp.records.StationRecord` per station heard (roster order, then as
        first heard), judged on ``requirements`` (the run's; a metric a station has no value
        for is unmet) with ``daq(sinad_db)`` for its DAQ."""
        out = []
        for e in self.entries:
            j = e.total()
            if not j.n:
                continue
            r = StationRecord(station=e.label, in_roster=e.roster is not None,
                              labels=" ".join(sorted(e.labels)) or None,
                              ani=" ".join(sorted(e.ani)) or None, transmissions=j.n,
                              talk_time_s=round(j.talk_s, 3), doubled=j.doubled,
                              guessed=j.guesses, dropouts=j.dropouts)
            r["availability"] = finite(j.ok / j.judged, 4) if j.judged else None
            for k in ("sinad_db", "snr_db"):
                for q in (10, 50, 90):
                    r[f"{k}_p{q}"] = j.series[k].percentile(q)[0]
            q50 = r["sinad_db_p50"] if r["sinad_db_p50"] is not None else r["snr_db_p50"]
            r["daq"] = daq(q50) if q50 is not None else None
            r["carrier_error_hz"] = finite(e.carrier.mean, 2)
            r["carrier_error_std_hz"] = finite(e.carrier.std, 2)
            r["ctcss_freq_error_hz"] = finite(e.ctcss.mean, 3)
            lv = [m.mean for m in e.level.values() if m.n]
            r["rssi_dbfs"] = finite(sum(lv) / len(lv), 3) if lv else None
            res = []
            for q in requirements:
                key = q.field or q.metric
                v = r[key] if key in StationRecord.NAMES else None
                res.append({"requirement": str(q), "value": v, "met": q.holds(v)})
            r["requirements"] = res
            r["verdict"] = (None if not j.judged else
                            "pass" if all(x["met"] is True for x in res) else "fail")
            out.append(r)
        return out

    def heard(self):
        """Where each station was heard: its name (a label it absorbed counts as it) ->
        ``(captures, channels)``, the captures in the order first heard and the number of
        (capture, channel) pairs."""
        out = {}
        for (cap, ch), log in self._log.items():
            for _, _, who in log:
                if who is None:
                    continue
                caps, chans = out.setdefault(self.renamed.get(who, who), ([], set()))
                if cap not in caps:
                    caps.append(cap)
                chans.add((cap, ch))
        return {k: (caps, len(chans)) for k, (caps, chans) in out.items()}

    def note_doubling(self, capture, channel, doubling):
        """Two stations keyed at once on a channel (:class:`htdsp.measure.clues.Doublings`)."""
        self._doublings.setdefault((capture, channel), []).append(dict(doubling))
        self._log.setdefault((capture, channel), [])

    def doublings_of(self, capture, channel):
        """The doublings found on a channel of a capture (in time order)."""
        return list(self._doublings.get((capture, channel), ()))

    def discard(self, capture):
        """A capture left out of the run (it failed part way): its transmissions, doublings
        and judgement go (the fingerprints it taught stay: they are of the radios)."""
        for e in self.entries:
            e.caps.pop(capture, None)
        for key in [k for k in self._log if k[0] == capture]:
            del self._log[key]
        for key in [k for k in self._doublings if k[0] == capture]:
            del self._doublings[key]
        self._duration.pop(capture, None)

    def note_capture(self, capture, duration_s):
        """A capture has ended (its length is the base of its channels' busy fraction)."""
        self._duration[capture] = float(duration_s)

    def net_summary(self, time_out_s=60.0, answer_within_s=UNANSWERED_S):
        """The net's view: per channel of each capture, its busy fraction, the stations
        heard, the longest over, its doublings (two stations keyed at once: their interval
        and the weaker's level below the stronger), the overs past ``time_out_s`` and the
        unanswered calls (a
        station's transmission followed by its own again after at least :data:`CALL_AGAIN_S`
        with nobody between: it called again, or by nothing for ``answer_within_s``)."""
        out = []
        for (cap, ch), log in self._log.items():
            log = sorted(log)
            busy, end = 0.0, -math.inf
            for a, b, _ in log:                     # union of the intervals
                if b > end:
                    busy += b - max(a, end)
                    end = b
            dur = self._duration.get(cap)
            longest = max(log, key=lambda x: x[1] - x[0]) if log else None
            unanswered = []
            for (a, b, who), (a2, _, who2) in zip(log, log[1:], strict=False):
                # it called again after waiting for an answer (a station's own turns back
                # to back are an acknowledgement and the next call), or nobody spoke
                if who is not None and ((who2 == who and a2 - b >= CALL_AGAIN_S)
                                        or a2 - b >= answer_within_s):
                    unanswered.append({"station": who, "start_s": a})
            if log and log[-1][2] is not None and dur is not None \
                    and dur - log[-1][1] >= answer_within_s:
                unanswered.append({"station": log[-1][2], "start_s": log[-1][0]})
            out.append({
                "capture": cap, "channel": ch, "transmissions": len(log),
                "stations": sorted({w for _, _, w in log if w is not None}),
                "busy_fraction": finite(busy / dur, 4) if dur else None,
                "longest_over": None if longest is None else {
                    "station": longest[2], "start_s": longest[0],
                    "duration_s": round(longest[1] - longest[0], 3)},
                "doublings": self._doublings.get((cap, ch), []),
                "time_out_s": time_out_s,
                "time_out_overruns": [{"station": w, "start_s": a, "duration_s": round(b - a, 3)}
                                      for a, b, w in log if b - a > time_out_s],
                "unanswered_calls": unanswered,
            })
        return out
