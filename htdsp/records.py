"""The records a score emits, declared once: a window's measurements and a transmission's.

Each field is declared here with its JSON type, its unit (also in its name: ``_db``, ``_hz``,
``_s``) and what it means; the CSV header (:data:`WINDOW_COLUMNS`), the JSON Schema's
``window`` and ``event`` properties (:func:`schema_properties`, checked against
``htdsp/data/score.schema.json``) and the README's field tables (:func:`markdown_table`, checked
against README.md) come from these declarations, by test.

A record is a ``dict`` whose keys are fixed by its declaration: it travels as it is to JSON,
templates and CSV, and a misspelt key is an error, not a new field::

    >>> w = WindowRecord(index=0, start_s=0.0, end_s=0.1)
    >>> w["sinad_db"] is None, w.sinad_db is None
    (True, True)
    >>> w["sinad"] = 20.0
    Traceback (most recent call last):
    ...
    KeyError: "WindowRecord has no field 'sinad'"

A dict rather than a dataclass because every consumer (the JSON writer, the HTML templates, the
CSV writer, users' scripts reading ``meter.windows``) takes mappings; the declaration is what
makes it typed. Fields marked internal are kept for the score's own use and are not written.
"""

from dataclasses import dataclass

__all__ = ["Field", "Record", "WindowRecord", "TransmissionRecord", "StationRecord",
           "WINDOW_COLUMNS",
           "schema_properties", "markdown_table"]


@dataclass(frozen=True)
class Field:
    """One declared field: ``kind`` is its JSON type (``number``, ``integer``, ``boolean``,
    ``string``, ``object``), nullable unless ``required``; ``public`` False keeps it out of
    every output."""

    name: str
    kind: str
    unit: str
    doc: str
    required: bool = False
    public: bool = True

    def schema(self):
        """Its JSON Schema (the score document's ``$defs/bounds`` for ``bounds``)."""
        if self.name == "bounds":
            return {"$ref": "#/$defs/bounds"}
        out = {"type": self.kind if self.required else [self.kind, "null"]}
        out["description"] = f"{self.doc} ({self.unit})" if self.unit else self.doc
        return out


class Record(dict):
    """A dict with the key set of its declaration (``FIELDS``); every field present, None when
    not measured. Attribute access reads fields (``w.sinad_db``)."""

    FIELDS = ()
    __slots__ = ("aux",)          # the score's working data for the record, never written

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.NAMES = tuple(f.name for f in cls.FIELDS)
        cls.PUBLIC = tuple(f.name for f in cls.FIELDS if f.public)
        cls._known = frozenset(cls.NAMES)
        cls._empty = dict.fromkeys(cls.NAMES)

    def __init__(self, *args, **kw):
        super().__init__(self._empty)
        self.aux = None
        self.update(*args, **kw)

    def _check(self, key):
        if key not in self._known:
            raise KeyError(f"{type(self).__name__} has no field {key!r}")

    def __setitem__(self, key, value):
        self._check(key)
        super().__setitem__(key, value)

    def update(self, *args, **kw):
        d = dict(*args, **kw)
        if not self._known.issuperset(d):
            self._check(next(k for k in d if k not in self._known))
        super().update(d)

    def setdefault(self, key, default=None):
        self._check(key)
        if self[key] is None:
            self[key] = default
        return self[key]

    def __delitem__(self, key):
        raise TypeError(f"a {type(self).__name__} keeps every field (set it to None)")

    def pop(self, *a):
        raise TypeError(f"a {type(self).__name__} keeps every field (set it to None)")

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def public(self):
        """The fields that are written, in declaration order (a plain dict)."""
        return {k: self[k] for k in self.PUBLIC}

    def __reduce__(self):
        # pickles as its class with its working data (an archive's worker ships its
        # transmissions to the reduce, whose station book reads their ``aux``)
        return (type(self), (dict(self),), self.aux)

    def __setstate__(self, aux):
        self.aux = aux


_N = "number"
_B = "boolean"
_I = "integer"
_S = "string"
_O = "object"


class WindowRecord(Record):
    """One measurement window (``--window``, 100 ms by default) of one channel."""

    __slots__ = ()
    FIELDS = (
        Field("index", _I, "", "window number, from 0 at the input's start (a late "
              "channel's first is not 0)", required=True),
        Field("start_s", _N, "s", "start, seconds from the first input sample (the first "
              "window is shorter by the channel filter's delay)", required=True),
        Field("end_s", _N, "s", "end, likewise", required=True),
        Field("keyed", _N, "fraction", "fraction of the window with the squelch open (null "
              "without a squelch)"),
        Field("gap", _B, "", "the window touches lost samples (never counted)", required=True),
        Field("counted", _B, "", "wholly inside a transmission and complete: judged",
              required=True),
        Field("meets_criterion", _B, "", "the criterion holds (null: not counted, or unknown "
              "for a bound)"),
        Field("rssi_dbfs", _N, "dBFS", "channel power"),
        Field("rssi_dbm", _N, "dBm", "channel power with --cal-db"),
        Field("noise_floor_dbfs", _N, "dBFS", "noise power in the channel"),
        Field("noise_floor_dbfs_hz", _N, "dBFS/Hz", "noise density"),
        Field("cnr_db", _N, "dB", "carrier to noise in the channel bandwidth"),
        Field("cnr_method", _S, "", "floor (tracked noise floor) or m2m4 (moments)"),
        Field("freq_error_hz", _N, "Hz", "carrier frequency error"),
        Field("freq_error_ppm", _N, "ppm", "the same, relative to the channel frequency"),
        Field("deviation_peak_hz", _N, "Hz", "peak deviation (99.9th percentile)"),
        Field("deviation_rms_hz", _N, "Hz", "RMS deviation"),
        Field("tone_hz", _N, "Hz", "test tone found (or given and found)"),
        Field("sinad_db", _N, "dB", "tone SINAD (tone fitted and subtracted)"),
        Field("sinad_cmsg_db", _N, "dB", "SINAD, C-message weighted"),
        Field("sinad_psoph_db", _N, "dB", "SINAD, psophometric weighted"),
        Field("thd_pct", _N, "%", "harmonic distortion of the tone"),
        Field("hum_noise_db", _N, "dB", "hum and noise relative to the tone"),
        Field("snr_db", _N, "dB", "tone-free SNR on the SINAD scale (the better of the two "
              "below)"),
        Field("snr_oob_db", _N, "dB", "tone-free SNR from the noise above the voice band"),
        Field("snr_m2m4_db", _N, "dB", "tone-free SNR from the M2M4 CNR"),
        Field("daq", _N, "DAQ", "DAQ of the SINAD (else the SNR) through the DAQ table"),
        Field("clipping_fraction", _N, "fraction", "I/Q values at the ADC rails (integer "
              "input)"),
        Field("dc_offset_dbfs", _N, "dBFS", "power of the mean I/Q (integer input)"),
        Field("tone_missing", _B, "", "a given --tone was not found here (null without a given "
              "tone)"),
        Field("second_carrier_db", _N, "dB", "two stations keyed at once: the weaker "
              "carrier's level below the stronger (null: one carrier; not counted when set)"),
        Field("bounds", _O, "", "fields whose value is an estimator's limit: lower or upper"),
        Field("noise_method", _S, "", "how the noise was measured", public=False),
        Field("doubled_spans", _O, "", "(start_s, end_s) of its 5 ms sub-windows holding two "
              "carriers", public=False),
        Field("oob_noise_db", _N, "dB", "noise above the voice band", public=False),
        Field("audio_power_db", _N, "dB", "audio power", public=False),
    )


class TransmissionRecord(Record):
    """One transmission of one channel: the squelch's events joined across short fades, with
    its measurements (the ``events`` of the score document)."""

    __slots__ = ()
    FIELDS = (
        Field("start_sample", _I, "samples", "first input sample (back-dated to where the "
              "signal began)", required=True),
        Field("end_sample", _I, "samples", "one past the last sample the signal was present",
              required=True),
        Field("start_s", _N, "s", "start, seconds from the first input sample", required=True),
        Field("end_s", _N, "s", "end, likewise", required=True),
        Field("start_utc", _S, "", "start time, RFC 3339 UTC, when the capture has one"),
        Field("end_utc", _S, "", "end time, likewise"),
        Field("open_reason", _S, "", "the squelch term that opened it"),
        Field("close_reason", _S, "", "the term that closed it, reverse_burst, dcs_turn_off or "
              "end_of_input"),
        Field("ctcss_hz", _N, "Hz", "CTCSS tone decoded"),
        Field("dcs_code", _S, "", "DCS code decoded"),
        Field("squelch_events", _I, "", "squelch events joined into it (fades under 2 s "
              "within one station's over)", required=True),
        Field("split_reason", _S, "", "why it is not joined to the transmission before it "
              "though under 2 s after it: ani (a key-up ID, or a post-ID before), carrier "
              "or level (another transmitter)"),
        Field("ani", _S, "", "the ANI that names it: its key-up ID, else its post-ID "
              "(dtmf:ID, selcall:STANDARD:ID or mdc1200:ID)"),
        Field("station", _S, "", "the station: its roster name, else a label (station-3)"),
        Field("station_confidence", _N, "probability", "how sure the attribution is"),
        Field("station_by", _S, "", "ani (named outright), fingerprint, or null "
              "(a doubling, or nothing to go on)"),
        Field("windows", _I, "", "complete windows inside it", public=False),
        Field("rssi_dbfs", _N, "dBFS", "mean channel power"),
        Field("rssi_dbm", _N, "dBm", "the same with --cal-db"),
        Field("cnr_db", _N, "dB", "mean CNR"),
        Field("noise_floor_dbfs", _N, "dBFS", "the last noise floor measured in it"),
        Field("freq_error_hz", _N, "Hz", "carrier frequency error over the transmission"),
        Field("freq_error_ppm", _N, "ppm", "the same, relative"),
        Field("deviation_peak_hz", _N, "Hz", "peak deviation (99.9th percentile of every "
              "sample)"),
        Field("deviation_rms_hz", _N, "Hz", "RMS deviation"),
        Field("sinad_db_p10", _N, "dB", "10th percentile of the windows' SINAD"),
        Field("sinad_db_p50", _N, "dB", "median SINAD"),
        Field("sinad_db_p90", _N, "dB", "90th percentile SINAD"),
        Field("snr_db_p10", _N, "dB", "10th percentile of the tone-free SNR"),
        Field("snr_db_p50", _N, "dB", "median tone-free SNR"),
        Field("snr_db_p90", _N, "dB", "90th percentile tone-free SNR"),
        Field("tone_hz", _N, "Hz", "median test tone frequency"),
        Field("ctcss_level_hz", _N, "Hz", "CTCSS deviation"),
        Field("ctcss_freq_error_hz", _N, "Hz", "CTCSS frequency error"),
        Field("fading", _O, "", "envelope percentiles, fade depth, Rician K, level crossing "
              "rate, average fade duration, Doppler (its last 5 minutes when longer)",
              required=True),
        Field("availability", _N, "fraction", "counted windows meeting the criterion"),
        Field("dropouts", _I, "", "runs of failing windows", required=True),
        Field("doubled_s", _N, "s", "time inside it with two stations keyed at once (its "
              "windows not counted)"),
        Field("bounds", _O, "", "fields whose value is an estimator's limit"),
    )


class StationRecord(Record):
    """One station of a run (the ``stations`` of the score document): who, its fingerprint,
    and its link judged on its own transmissions (doubled ones left out)."""

    __slots__ = ()
    FIELDS = (
        Field("station", _S, "", "its roster name, else a label (station-3, or its ANI)",
              required=True),
        Field("in_roster", _B, "", "named by the roster", required=True),
        Field("labels", _S, "", "labels its transmissions were given before its ANI named "
              "it (the same radio's fingerprint), space-separated"),
        Field("ani", _S, "", "the ANI IDs it sent, space-separated"),
        Field("transmissions", _I, "", "transmissions attributed to it", required=True),
        Field("talk_time_s", _N, "s", "their air time", required=True),
        Field("doubled", _I, "", "of them doubled by another station (not judged)",
              required=True),
        Field("guessed", _I, "", "of them attributed by fingerprint with confidence under "
              "0.9", required=True),
        Field("availability", _N, "fraction", "its counted windows meeting the criterion"),
        Field("sinad_db_p10", _N, "dB", "10th percentile of its windows' SINAD"),
        Field("sinad_db_p50", _N, "dB", "median SINAD"),
        Field("sinad_db_p90", _N, "dB", "90th percentile SINAD"),
        Field("snr_db_p10", _N, "dB", "10th percentile of its tone-free SNR"),
        Field("snr_db_p50", _N, "dB", "median tone-free SNR"),
        Field("snr_db_p90", _N, "dB", "90th percentile tone-free SNR"),
        Field("daq", _N, "DAQ", "DAQ of its median SINAD (else SNR)"),
        Field("dropouts", _I, "", "runs of failing windows in its transmissions",
              required=True),
        Field("carrier_error_hz", _N, "Hz", "its fingerprint: mean carrier frequency error "
              "(the receiver's LO error removed when known)"),
        Field("carrier_error_std_hz", _N, "Hz", "spread of its transmissions' carrier error"),
        Field("ctcss_freq_error_hz", _N, "Hz", "mean CTCSS frequency error"),
        Field("rssi_dbfs", _N, "dBFS", "mean level of its transmissions"),
        Field("verdict", _S, "", "pass or fail on the requirements (null: nothing judged)"),
        Field("requirements", _O, "", "each requirement, its value and whether it is met",
              public=False),
    )


#: the CSV's columns: where the row comes from, then every public window field
WINDOW_COLUMNS = ("capture", "channel_hz", *WindowRecord.PUBLIC)


def schema_properties(cls):
    """The JSON Schema ``properties`` of a record's public fields."""
    return {f.name: f.schema() for f in cls.FIELDS if f.public}


def markdown_table(cls):
    """The README's table of a record's public fields."""
    rows = ["| field | unit | meaning |", "|---|---|---|"]
    rows += [f"| `{f.name}` | {f.unit} | {f.doc} |" for f in cls.FIELDS if f.public]
    return "\n".join(rows)
