"""Independent ways of writing recordings, and the plain NumPy decode readers must agree with."""

import json

import numpy as np

#: SigMF datatype -> (numpy element dtype, offset, scale): measurement.md 2b, written out again
DECODE = {
    "cu8": ("u1", 127.5, 1 / 127.5), "ci8": ("i1", 0.0, 1 / 128),
    "ci16_le": ("<i2", 0.0, 1 / 32768), "ci16_be": (">i2", 0.0, 1 / 32768),
    "ci32_le": ("<i4", 0.0, 1 / 2**31), "ci32_be": (">i4", 0.0, 1 / 2**31),
    "cf32_le": ("<f4", 0.0, 1.0), "cf32_be": (">f4", 0.0, 1.0),
    "cf64_le": ("<f8", 0.0, 1.0), "cf64_be": (">f8", 0.0, 1.0),
    "cu16_le": ("<u2", 32767.5, 1 / 32767.5),
}
SHORT = {"cu8": "cu8", "cs8": "ci8", "cs16": "ci16_le", "cf32": "cf32_le"}


def random_elements(name, n, seed):
    """Interleaved elements of a datatype, covering its whole range (and the rails)."""
    rng = np.random.default_rng(seed)
    el = np.dtype(DECODE[name][0])
    if el.kind == "f":
        return rng.uniform(-1.5, 1.5, 2 * n).astype(el)
    info = np.iinfo(el)
    e = rng.integers(info.min, info.max, 2 * n, endpoint=True, dtype=np.int64)
    if n:
        e[0] = info.min
        e[-1] = info.max
    return e.astype(el)


def numpy_decode(elements, name):
    """Plain NumPy decode to complex128."""
    _, off, sc = DECODE[name]
    v = (np.asarray(elements).astype(np.float64) - off) * sc
    return v[0::2] + 1j * v[1::2]


def write_sigmf_by_hand(base, elements, datatype, meta_global=None, captures=None,
                        annotations=None, data_name=None):
    """A SigMF pair written with json and tofile only."""
    data = f"{base}.sigmf-data" if data_name is None else str(base.parent / data_name)
    np.asarray(elements).tofile(data)
    g = {"core:datatype": datatype, "core:version": "1.2.0", "core:sample_rate": 250000.0}
    if data_name is not None:
        g["core:dataset"] = data_name
    g.update(meta_global or {})
    meta = {"global": g, "captures": captures if captures is not None else
            [{"core:sample_start": 0, "core:frequency": 433.92e6}],
            "annotations": annotations or []}
    with open(f"{base}.sigmf-meta", "w") as f:
        json.dump(meta, f)
    return f"{base}.sigmf-meta"
