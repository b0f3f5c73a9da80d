"""The standard tables htdsp measures against, in one place: the receiver, the measurement,
the judgement and the simulator all import them from here (the receive side never imports the
simulator).

- CTCSS tones and DCS codes with their Golay words (measurement.md 5; EIA/TIA-603 practice);
- the C-message and ITU-T O.41 psophometric weighting curves (measurement.md 2);
- the DAQ table, SINAD -> delivered audio quality (TSB-88 practice, measurement.md 3:
  ``htdsp/data/daq.json``, replaceable by the user);
- the reference receiver's CNR -> SINAD calibration (``htdsp/data/cnr_sinad.json``) and the
  tone-free SNR calibration (``htdsp/data/tone_free.json``), both made by
  :mod:`htdsp.sim.calibrate` with the noisy/clean oracle;
- the R820T tuner's gain table (rtl-sdr's ``tuner_r82xx.c``).
"""

import json
from functools import lru_cache
from importlib import resources

import numpy as np

# ------------------------------------------------------------------ signalling
#: the de-facto 50-tone CTCSS table plus 150.0 Hz (Hz)
CTCSS_TONES_HZ = (
    67.0, 69.3, 71.9, 74.4, 77.0, 79.7, 82.5, 85.4, 88.5, 91.5, 94.8, 97.4, 100.0, 103.5, 107.2,
    110.9, 114.8, 118.8, 123.0, 127.3, 131.8, 136.5, 141.3, 146.2, 150.0, 151.4, 156.7, 159.8,
    162.2, 165.5, 167.9, 171.3, 173.8, 177.3, 179.9, 183.5, 186.2, 189.9, 192.8, 196.6, 199.5,
    203.5, 206.5, 210.7, 218.1, 225.7, 229.1, 233.6, 241.8, 250.3, 254.1,
)

#: the 83 standard DCS codes (octal, as written)
DCS_CODES = (
    "023", "025", "026", "031", "032", "043", "047", "051", "054", "065", "071", "072", "073",
    "074", "114", "115", "116", "125", "131", "132", "134", "143", "152", "155", "156", "162",
    "165", "172", "174", "205", "223", "226", "243", "244", "245", "251", "261", "263", "265",
    "271", "306", "311", "315", "331", "343", "346", "351", "364", "365", "371", "411", "412",
    "413", "423", "431", "432", "445", "464", "465", "466", "503", "506", "516", "532", "546",
    "565", "606", "612", "624", "627", "631", "632", "654", "662", "664", "703", "712", "723",
    "731", "732", "734", "743", "754",
)

#: DCS bit rate, bit/s
DCS_BAUD = 134.4
#: generator polynomial of the Golay (23,12) code: x^11+x^10+x^6+x^5+x^4+x^2+1
GOLAY_POLY = 0xC75


def golay_parity(data12):
    """The 11 check bits of a 12-bit message (remainder of ``data * x^11`` by the generator)."""
    r = (data12 & 0xFFF) << 11
    for bit in range(22, 10, -1):
        if r & (1 << bit):
            r ^= GOLAY_POLY << (bit - 11)
    return r & 0x7FF


def parse_dcs(code):
    """``'D023N'`` / ``'023'`` / ``'D023I'`` -> (octal string, inverted).

    Examples
    --------
    >>> parse_dcs("D023N"), parse_dcs("754i")
    (('023', False), ('754', True))
    """
    c = str(code).strip().upper()
    if c.startswith("D"):
        c = c[1:]
    inverted = c.endswith("I")
    c = c.rstrip("NI")
    if c not in DCS_CODES:
        raise ValueError(f"not a standard DCS code: {code!r}")
    return c, inverted


def dcs_codeword(code):
    """The 23-bit DCS word of a code: 9 code bits, the fixed '100', 11 Golay check bits.

    Bit 0 is sent first. An inverted code sends the complement of the whole stream.

    Examples
    --------
    >>> f"{dcs_codeword('D023N'):06x}"
    '763813'
    """
    octal, inverted = parse_dcs(code)
    data = 0x800 | int(octal, 8)         # bits 9-11 hold the fixed octal '4' ('100')
    word = data | (golay_parity(data) << 12)
    return word ^ 0x7FFFFF if inverted else word


def dcs_bits(code):
    """The 23 transmitted bits (0/1), first sent first."""
    w = dcs_codeword(code)
    return [(w >> i) & 1 for i in range(23)]


# ------------------------------------------------------------------ audio weighting
# measurement.md 2: C-message (re 1 kHz) and ITU-T O.41 psophometric (re 800 Hz) responses, dB
C_MESSAGE_DB = (
    (60, -55.7), (100, -42.5), (200, -25.1), (300, -16.3), (400, -11.2), (500, -7.7),
    (600, -5.0), (700, -2.8), (800, -1.3), (900, -0.3), (1000, 0.0), (1200, -0.4),
    (1300, -0.7), (1500, -1.2), (1800, -1.3), (2000, -1.1), (2500, -1.1), (2800, -2.0),
    (3000, -3.0), (3300, -5.1), (3500, -7.1), (4000, -14.6), (4500, -22.3), (5000, -28.7))
PSOPHOMETRIC_DB = (
    (50, -63.0), (100, -41.0), (200, -21.0), (300, -10.6), (400, -6.3), (500, -3.6),
    (600, -2.0), (700, -0.9), (800, 0.0), (900, 0.6), (1000, 1.0), (1200, 0.0), (1400, -0.9),
    (1600, -1.7), (1800, -2.4), (2000, -3.0), (2500, -4.2), (3000, -5.6), (3500, -8.5),
    (4000, -15.0), (4500, -25.0), (5000, -36.0), (6000, -43.0))


def weighting_power(table, f_hz):
    """Power weighting |W(f)|^2 of a response table (dB), interpolated in log frequency; below
    and above the table the end slopes continue (then at least 100 dB down).

    Examples
    --------
    >>> round(float(10 * np.log10(weighting_power(C_MESSAGE_DB, 1000.0))), 2)
    0.0
    >>> round(float(10 * np.log10(weighting_power(PSOPHOMETRIC_DB, 3000.0))), 2)
    -5.6
    """
    f = np.maximum(np.asarray(f_hz, dtype=np.float64), 1.0)
    lf = np.log10([p[0] for p in table])
    db = np.array([p[1] for p in table])
    x = np.log10(f)
    out = np.interp(x, lf, db)
    lo_slope = (db[1] - db[0]) / (lf[1] - lf[0])
    hi_slope = (db[-1] - db[-2]) / (lf[-1] - lf[-2])
    out = np.where(x < lf[0], db[0] + lo_slope * (x - lf[0]), out)
    out = np.where(x > lf[-1], db[-1] + hi_slope * (x - lf[-1]), out)
    return 10 ** (np.maximum(out, -100.0) / 10)


# ------------------------------------------------------------------ calibrations and DAQ
def _data(name):
    with resources.files("htdsp").joinpath(f"data/{name}").open() as f:
        return json.load(f)


@lru_cache(maxsize=1)
def daq_table():
    """``(sinad_db, daq)`` of the shipped DAQ table (measurement.md 3), as tuples."""
    d = _data("daq.json")
    return tuple(d["sinad_db"]), tuple(d["daq"])


@lru_cache(maxsize=1)
def cnr_sinad_table():
    """``(cnr_db, sinad_db)`` arrays of the reference receiver's calibration: 12.5 kHz channel,
    1 kHz test tone at 1.5 kHz deviation, 750 us de-emphasis, 300-3000 Hz audio."""
    d = _data("cnr_sinad.json")
    return np.asarray(d["cnr_db"], float), np.asarray(d["sinad_db"], float)


#: the default criterion of ``htdsp score``: SINAD >= 20 dB (DAQ 3.4)
CRITERION_SINAD_DB = 20.0


def sinad_from_cnr(cnr_db):
    """Expected SINAD (dB) of the reference receiver at ``cnr_db`` (interpolated; clamped at
    the table's ends).

    Examples
    --------
    >>> 10 < sinad_from_cnr(7.0) < 14        # about 12 dB SINAD at 7 dB CNR (measurement.md 2)
    True
    """
    c, s = cnr_sinad_table()
    return float(np.interp(cnr_db, c, s))


@lru_cache(maxsize=1)
def tone_free_table():
    """``(oob_db, sinad_db)`` arrays of the tone-free SNR calibration (None while it is being
    made: ``python -m htdsp.sim.calibrate tone-free``)."""
    try:
        d = _data("tone_free.json")
    except FileNotFoundError:
        return None
    return np.asarray(d["oob_db"], float), np.asarray(d["sinad_db"], float)


# ------------------------------------------------------------------ tuners
#: the R820T's gain table, tenths of a dB (rtl-sdr's tuner_r82xx.c)
R820T_GAINS = (0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254, 280, 297, 328,
               338, 364, 372, 386, 402, 421, 434, 439, 445, 480, 496)
