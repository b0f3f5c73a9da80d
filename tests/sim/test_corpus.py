"""The synthetic corpus in captures/synthetic is what make_corpus.py makes, bit for bit."""

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from htdsp.io import open_recording

HERE = Path(__file__).resolve().parents[2] / "captures" / "synthetic"
EXPECTED = json.loads((HERE / "expected.json").read_text())


def _maker():
    spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _truth(meta):
    g = {k: v for k, v in meta["global"].items() if k.startswith("htdsp:")}
    g["htdsp:simulator"] = {k: v for k, v in g["htdsp:simulator"].items() if k != "version"}
    return g, meta["annotations"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_regenerates_bit_for_bit(tmp_path, name):
    entry = _maker().make(name, tmp_path)
    assert entry == EXPECTED[name], "captures/synthetic is stale: run make_corpus.py"
    stored = (HERE / f"{name}.sigmf-data").read_bytes()
    assert hashlib.sha512(stored).hexdigest() == EXPECTED[name]["sha512"]
    assert (tmp_path / f"{name}.sigmf-data").read_bytes() == stored
    fresh = json.loads((tmp_path / f"{name}.sigmf-meta").read_text())
    kept = json.loads((HERE / f"{name}.sigmf-meta").read_text())
    assert _truth(fresh) == _truth(kept)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_reads_with_its_truth(name):
    e = EXPECTED[name]
    rec = open_recording(HERE / e["meta"])
    assert (rec.sample_rate_hz, rec.center_freq_hz) == (e["sample_rate_hz"], e["center_freq_hz"])
    assert rec.samples == round(e["duration_s"] * e["sample_rate_hz"])
    assert [a["core:label"] for a in rec.annotations] == [t["label"] for t in e["transmissions"]]
    assert [a["core:sample_start"] for a in rec.annotations] == \
        [t["sample_start"] for t in e["transmissions"]]
