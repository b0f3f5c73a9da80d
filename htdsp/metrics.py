"""The vocabulary of judgement: the metrics a ``--criterion`` (per window) and a ``--require``
(per capture) may name, and the ``METRIC OP NUMBER`` grammar both share.

Declared here once, without numerical imports, so that the command line can list the metrics
in its help at once; :mod:`htdsp.score` applies them.
"""

import math
import operator
import re
from dataclasses import dataclass

#: the measurement window, s (:class:`htdsp.measure.Meter`)
WINDOW_S = 0.1


#: per-window metrics a criterion may use: the window record's fields (``quality_db``: the
#: tone SINAD, else the tone-free SNR on the same scale)
WINDOW_FIELDS_JUDGED = (
    "quality_db", "sinad_db", "snr_db", "cnr_db", "rssi_dbfs", "rssi_dbm", "daq",
    "sinad_cmsg_db", "sinad_psoph_db", "deviation_peak_hz", "deviation_rms_hz",
    "freq_error_hz",
)

#: summary metrics a requirement may use (the summary's field names)
SUMMARY_METRICS = (
    "availability", "transmissions", "keyed_windows", "dropouts", "dropout_total_s",
    "dropout_longest_s", "sinad_db_p10", "sinad_db_p50", "sinad_db_p90", "snr_db_p10",
    "snr_db_p50", "snr_db_p90", "quality_db_p10", "quality_db_p50", "quality_db_p90", "daq",
    "daq_p10", "cnr_db", "rssi_dbfs", "rssi_dbm", "noise_floor_dbfs", "freq_error_hz",
    "freq_error_ppm", "deviation_peak_hz", "deviation_rms_hz", "clipping_fraction",
    "lost_samples", "k_factor_db", "fade_depth_db",
)

#: one vocabulary for both grammars: the short names (the criterion's names before 0.2, kept)
#: and the window's field names, each meaning the same quantity in a criterion (per window)
#: and in a requirement (per capture: its median where the summary keeps percentiles)
ALIASES = {
    "sinad": ("quality_db", "quality_db_p50"), "snr": ("snr_db", "snr_db_p50"),
    "cnr": ("cnr_db", "cnr_db"), "rssi": ("rssi_dbfs", "rssi_dbfs"),
    "deviation": ("deviation_peak_hz", "deviation_peak_hz"),
    "freq_error": ("freq_error_hz", "freq_error_hz"),
    "sinad_cmsg": ("sinad_cmsg_db", None), "sinad_psoph": ("sinad_psoph_db", None),
    "quality_db": ("quality_db", "quality_db_p50"), "sinad_db": ("sinad_db", "sinad_db_p50"),
    "snr_db": ("snr_db", "snr_db_p50"),
}


def _window_field(name):
    if name in WINDOW_FIELDS_JUDGED:
        return name
    return ALIASES.get(name, (None, None))[0]


def _summary_field(name):
    if name in SUMMARY_METRICS:
        return name
    return ALIASES.get(name, (None, None))[1]


#: every name a criterion accepts -> the window field it reads
WINDOW_METRICS = {n: _window_field(n) for n in (*ALIASES, *WINDOW_FIELDS_JUDGED)
                  if _window_field(n) is not None}
#: every name a requirement accepts -> the summary field it reads
REQUIREMENT_METRICS = {n: _summary_field(n) for n in (*SUMMARY_METRICS, *ALIASES)
                       if _summary_field(n) is not None}

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
        "==": operator.eq}


@dataclass(frozen=True)
class Expr:
    """``metric op value`` (see module docstring); ``field`` is the record field the metric
    names (an alias resolved)."""

    metric: str
    op: str
    value: float
    field: str = None

    def __str__(self):
        return f"{self.metric}{self.op}{self.value:g}"

    def holds(self, v, bound=None):
        """True / False, or None when the metric is unknown (null) or, for a bound (``"lower"``:
        the truth is at least ``v``; ``"upper"``: at most), when the truth could go either way.

        Examples
        --------
        >>> e = Expr("sinad", ">=", 20.0)
        >>> e.holds(49.1, "lower"), e.holds(12.0, "lower"), e.holds(12.0, "upper")
        (True, None, False)
        """
        if v is None:
            return None
        op = _OPS[self.op]
        at = bool(op(float(v), self.value))
        if bound is None:
            return at
        if self.op == "==":                      # over a half-line: only ruled out, or not
            inside = self.value >= v if bound == "lower" else self.value <= v
            return None if inside else False
        far = math.inf if bound == "lower" else -math.inf
        return at if bool(op(far, self.value)) == at else None


def parse_expr(text, metrics):
    """Parse ``METRIC OP NUMBER`` against the allowed metric names (ValueError otherwise):
    ``metrics`` maps each name to the field it reads (:data:`WINDOW_METRICS`,
    :data:`REQUIREMENT_METRICS`), or lists names that are fields themselves.

    Examples
    --------
    >>> parse_expr("sinad >= 20", WINDOW_METRICS)
    Expr(metric='sinad', op='>=', value=20.0, field='quality_db')
    >>> parse_expr("cnr>=30", REQUIREMENT_METRICS).field
    'cnr_db'
    >>> str(parse_expr("availability>0.9", REQUIREMENT_METRICS))
    'availability>0.9'
    """
    m = re.fullmatch(r"\s*([a-z_0-9]+)\s*(>=|<=|==|>|<)\s*([-+0-9.eE]+)\s*", str(text))
    if not m:
        raise ValueError(f"expected METRIC OP NUMBER (OP one of >= > <= < ==), got {text!r}")
    name, op, num = m.groups()
    if name not in metrics:
        raise ValueError(f"unknown metric {name!r} in {text!r} (known: {', '.join(metrics)})")
    try:
        value = float(num)
    except ValueError:
        raise ValueError(f"bad number in {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"bad number in {text!r}")
    field = metrics[name] if isinstance(metrics, dict) else name
    return Expr(name, op, value, field)


