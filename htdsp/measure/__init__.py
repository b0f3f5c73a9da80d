"""Signal-quality measurement: the per-window :class:`Meter` (:mod:`htdsp.measure.meter`), the
capture's usability (:mod:`htdsp.measure.health`)."""

from htdsp.measure.meter import (  # noqa: F401 - the measurement API
    BLOCK_S,
    C_MESSAGE_DB,
    PSOPHOMETRIC_DB,
    RHO_LEVELS,
    WINDOW_S,
    Meter,
    clamped_interp,
    combine_max,
    ctcss_summary,
    db,
    deviation_percentile,
    enbw_hz,
    fading_stats,
    finite,
    m2m4,
    percentile_bound,
    tone_free_sinad_db,
    tone_free_table,
    transmission_summary,
    weighting_power,
    windows_within,
)
