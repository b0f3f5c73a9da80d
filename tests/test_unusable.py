"""A dead dongle, a disconnected antenna or a stuck ADC never passes (issue 12, item 6): the
usability check on the raw values, its thresholds, and what ``score`` and ``live`` do with an
unusable capture."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from htdsp.cli import main
from htdsp.io import open_recording

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.sigmf-meta"
SYNTHETIC = sorted((ROOT / "captures" / "synthetic").glob("*.sigmf-meta"))


def _health(x, fmt, chunk=None):
    from htdsp.measure.health import CaptureHealth

    h = CaptureHealth(fmt)
    if chunk is None:
        h.process(x)
    else:
        step = 2 * chunk if not np.iscomplexobj(x) else chunk
        for i in range(0, len(x), step):
            h.process(x[i:i + step])
    return h.summary()


@pytest.mark.parametrize("path", [CAPTURE, *SYNTHETIC], ids=lambda p: p.name)
def test_every_bundled_capture_is_usable(path):
    from htdsp.measure.health import CaptureHealth

    rec = open_recording(path)
    h = CaptureHealth(rec.format)
    for _, chunk in rec.chunks():
        h.process(chunk)
    s = h.summary()
    assert s["unusable"] is None, s
    assert s["ac_power_dbfs"] > s["floor_dbfs"] + 20


@pytest.mark.parametrize("x,fmt,why", [
    (np.zeros(40000, np.uint8), "cu8", "stuck codes"),
    (np.full(40000, 127, np.uint8), "cu8", "stuck codes"),
    (np.tile(np.array([127, 128], np.uint8), 20000), "cu8", "stuck codes"),   # the 0.5 LSB
    (np.zeros(40000, np.int16), "cs16", "stuck codes"),
    (np.zeros(40000, np.float32), "cf32", "stuck codes"),
    (np.full(40000, 0.25, np.float32), "cf32", "stuck codes"),
    (np.tile(np.array([0, 255, 255, 0], np.uint8), 10000), "cu8", "stuck codes"),
])
def test_dead_inputs_are_unusable(x, fmt, why):
    s = _health(x, fmt)
    assert s["unusable"] is not None and s["unusable"].startswith(why), s


def test_the_stuck_code_threshold():
    from htdsp.measure.health import AWAY_FRACTION, FAR_CODES, STUCK_FRACTION

    rng = np.random.default_rng(0)
    n = 2 * 2_000_000

    def stuck_with(frac, lo, hi):
        """127 everywhere but ``frac`` of the values, drawn from codes lo..hi."""
        x = np.full(n, 127, np.uint8)
        k = int(round(frac * n))
        x[rng.choice(n, k, replace=False)] = rng.integers(lo, hi, k, dtype=np.uint8)
        return x
    # 99.5 % on 127 and the rest within 4 codes of it: rounding noise, nothing else
    assert _health(stuck_with(0.005, 124, 131), "cu8")["unusable"].startswith("stuck")
    # 97 % on two codes: noise of about half an LSB, a very quiet but live input
    assert _health(stuck_with(0.03, 124, 131), "cu8")["unusable"] is None
    # 99.5 % quiet, but 0.5 % far away (one strong over in a long quiet capture): alive
    assert _health(stuck_with(0.005, 20, 60), "cu8")["unusable"] is None
    assert (STUCK_FRACTION, AWAY_FRACTION, FAR_CODES) == (0.99, 0.001, 4)


def test_the_clipping_threshold():
    from htdsp.measure.health import CLIPPED_FRACTION

    rng = np.random.default_rng(1)
    n = 2 * 64 * 20000

    def clipped(frac):
        x = rng.integers(60, 200, n, dtype=np.uint8)
        k = int(round(frac * n))
        x[rng.choice(n, k, replace=False)] = rng.choice(np.array([0, 255], np.uint8), k)
        return x
    assert _health(clipped(0.45), "cu8")["unusable"] is None
    assert _health(clipped(0.55), "cu8")["unusable"].startswith("clipped")
    assert CLIPPED_FRACTION == 0.5


def test_below_the_quantisation_floor():
    from htdsp.measure.health import STUCK_FRACTION, quantisation_floor_dbfs

    # cs16 that is 0 in 95 % of its values and +-1 LSB otherwise: not stuck (the two commonest
    # codes hold 97.5 %), but its power is below the format's own rounding noise (2 q^2 / 12);
    # Gaussian noise of 4 LSB rms is a real, quiet input
    rng = np.random.default_rng(2)
    n = 2 * 64 * 20000
    sparse = rng.choice(np.array([-1, 0, 1], np.int16), n, p=[0.025, 0.95, 0.025])
    s = _health(sparse, "cs16")
    assert s["top2_fraction"] < STUCK_FRACTION
    assert s["unusable"] is not None and "quantisation floor" in s["unusable"], s
    quiet = np.rint(rng.standard_normal(n) * 4.0).astype(np.int16)
    assert _health(quiet, "cs16")["unusable"] is None
    assert quantisation_floor_dbfs("cu8") == pytest.approx(-49.9, abs=0.05)
    assert quantisation_floor_dbfs("cs16") == pytest.approx(-98.1, abs=0.05)


@given(st.lists(st.integers(1, 5000), min_size=1, max_size=8), st.integers(0, 3))
def test_the_check_is_the_same_for_any_chunking(sizes, seed):
    from htdsp.measure.health import CaptureHealth

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, 2 * sum(sizes) * 8, dtype=np.uint8)
    one = CaptureHealth("cu8")
    one.process(x)
    parts = CaptureHealth("cu8")
    i = 0
    for s in sizes * 8:
        parts.process(x[2 * i:2 * (i + s)])
        i += s
    parts.process(x[2 * i:])
    assert one.summary() == parts.summary()


# ------------------------------------------------------------------ score
@pytest.fixture(scope="module")
def dead_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dead")
    np.zeros(2 * 600000, np.uint8).tofile(d / "zero.cu8")
    np.full(2 * 600000, 127, np.uint8).tofile(d / "c127.cu8")
    with open(d / "sparse.cu8", "wb") as f:             # a sparse file: zeros on disk
        f.truncate(2 * 4_000_000)
    return d


@pytest.mark.parametrize("name", ["zero.cu8", "c127.cu8", "sparse.cu8"])
def test_a_dead_capture_is_unusable_and_never_passes(dead_files, tmp_path, capsys, name):
    out = tmp_path / "r.json"
    code = main(["score", str(dead_files / name), "--rate", "2.4M", "--json", str(out), "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert "unusable capture: stuck codes" in err and name in err
    s = json.loads(out.read_text())["captures"][0]["summary"]
    assert s["verdict"] == "unusable" and s["unusable"].startswith("stuck codes")
    assert s["availability"] is None and s["daq"] is None and s["cnr_db"] is None
    assert all(r["met"] is False for r in s["requirements"])
    assert s["input_health"]["top2_fraction"] == 1.0


def test_an_unusable_capture_is_a_failing_location_and_the_rest_is_scored(dead_files, tmp_path):
    out = tmp_path / "area.json"
    code = main(["score", str(CAPTURE), str(dead_files / "zero.cu8"), "--rate", "280k",
                 "--channel", "144.5M", "--center", "144.47M", "--json", str(out), "-q",
                 "--area-reliability", "0.5", "--confidence", "0.5"])
    doc = json.loads(out.read_text())
    verdicts = [c["summary"]["verdict"] for c in doc["captures"]]
    assert verdicts == ["pass", "unusable"]
    a = doc["aggregate"]
    assert (a["locations"], a["passing"]) == (2, 1)
    assert code == 2                      # an unusable input, even where the area would pass


def test_bad_inputs_among_good_ones_are_reported_and_the_rest_scored(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["score", str(CAPTURE), str(tmp_path / "missing.cu8"), "--channel",
                 "144.5M", "--json", str(out), "-q"])
    assert code == 2
    assert "missing.cu8: no such file" in capsys.readouterr().err
    doc = json.loads(out.read_text())
    assert [c["summary"]["verdict"] for c in doc["captures"]] == ["pass"]
    assert doc["errors"] == [{"path": str(tmp_path / "missing.cu8"), "error": "no such file"}]
    import jsonschema

    from htdsp.sinks.document import schema

    jsonschema.validate(doc, schema())
