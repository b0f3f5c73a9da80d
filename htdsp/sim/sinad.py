"""Expected SINAD of the reference receiver as a function of CNR (a calibrated table).

The reference receiver is measurement.md section 2's: 12.5 kHz channel, 1 kHz test tone at
1.5 kHz deviation, 750 us de-emphasis, 300-3000 Hz audio (``htdsp.NFMReceiver`` defaults). The
table is measured by :mod:`htdsp.sim.calibrate` with the strong oracle: the same receiver on the
noisy signal and on its noise-free twin, SINAD = P(y_noisy) / P(y_noisy - y_clean). The
simulator's truth uses it to say, window by window, whether the default criterion should hold.
"""

import json
from functools import lru_cache
from importlib import resources

import numpy as np

#: the default criterion of ``htdsp score``: SINAD >= 20 dB (DAQ 3.4)
CRITERION_SINAD_DB = 20.0


@lru_cache(maxsize=1)
def table():
    """``(cnr_db, sinad_db)`` arrays of the calibration shipped with htdsp."""
    with resources.files("htdsp.sim").joinpath("data/cnr_sinad.json").open() as f:
        d = json.load(f)
    return np.asarray(d["cnr_db"], float), np.asarray(d["sinad_db"], float)


def sinad_from_cnr(cnr_db):
    """Expected SINAD (dB) at ``cnr_db`` (interpolated; clamped at the table's ends).

    Examples
    --------
    >>> 10 < sinad_from_cnr(7.0) < 14        # about 12 dB SINAD at 7 dB CNR (measurement.md 2)
    True
    """
    c, s = table()
    return float(np.interp(cnr_db, c, s))
