"""Signalling tables (measurement.md section 5): CTCSS tones, DCS codes and their Golay words."""

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
