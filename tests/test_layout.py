"""The layout holds: who may import whom (read from the source, so an import inside a
function counts too), and the records' one declaration behind the CSV header, the JSON
Schema and the README."""

import ast
import json
import re
from pathlib import Path

import pytest

from htdsp.records import (
    WINDOW_COLUMNS,
    StationRecord,
    TransmissionRecord,
    WindowRecord,
    markdown_table,
    schema_properties,
)

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "htdsp"

#: the receive side: what turns samples into numbers, and may not depend on what uses them
RECEIVE_SIDE = ("dsp", "rx", "measure", "standards.py", "records.py", "metrics.py")
NOT_FROM_RECEIVE_SIDE = ("htdsp.sim", "htdsp.cli", "htdsp.sinks", "htdsp.pipeline",
                         "htdsp.score", "htdsp.sources")


def _imports(path):
    """``(module, names)`` of every import statement in a file, wherever it is."""
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:                       # relative: resolve against the file
                parts = path.relative_to(ROOT).with_suffix("").parts[:-node.level]
                pkg = ["htdsp", *parts] if parts[0] == "kernels" else list(parts)
                base = ".".join([*pkg, *([base] if base else [])])
            out.append((base, tuple(a.name for a in node.names)))
    return out


def _files(*under):
    for u in under:
        p = PKG / u if not u.startswith("kernels") else ROOT / u
        yield from ([p] if p.suffix == ".py" else sorted(p.rglob("*.py")))


def _offences(files, bad):
    return [f"{f.name}: {m}" for f in files for m, _ in _imports(f)
            if any(m == b or m.startswith(b + ".") for b in bad)]


def test_the_kernels_import_nothing_from_htdsp():
    files = list(_files("kernels"))
    assert len(files) >= 10
    bad = [f"{f.name}: {m}" for f in files for m, _ in _imports(f)
           if m.startswith("htdsp") and not m.startswith("htdsp.kernels")]
    assert not bad, bad


def test_the_receive_side_imports_nothing_from_what_uses_it():
    files = list(_files(*RECEIVE_SIDE))
    assert len(files) >= 20
    assert not _offences(files, NOT_FROM_RECEIVE_SIDE)


def test_the_cli_imports_no_private_names():
    files = list(_files("cli"))
    bad = [f"{f.name}: {m} {n}" for f in files for m, names in _imports(f)
           for n in (*names, m.rsplit(".", 1)[-1])
           if n.startswith("_") and not (n.startswith("__") and n.endswith("__"))]
    assert len(files) >= 9 and not bad, bad


def test_the_checks_can_fail(tmp_path):
    # an offending import inside a function is found (a lazy import is still a dependency)
    f = tmp_path / "x.py"
    f.write_text("import numpy\ndef g():\n    from htdsp.sim.engine import simulate\n")
    assert _offences([f], NOT_FROM_RECEIVE_SIDE) == ["x.py: htdsp.sim.engine"]
    # a relative import inside the kernels resolves to htdsp.kernels, not to htdsp
    k = ROOT / "kernels" / "fir.py"
    assert all(m.startswith(("htdsp.kernels", "numpy", "numba", "math"))
               for m, _ in _imports(k))


# ------------------------------------------------------------------ records
def test_the_csv_header_is_the_declaration(tmp_path):
    from tests.cli import run_cli

    out = tmp_path / "w.csv"
    p = run_cli("score", ROOT / "captures/synthetic/clear-los.sigmf-meta", "--csv", out, "-q")
    assert p.returncode in (0, 1)
    header = out.read_text().splitlines()[0]
    assert [c.strip('"') for c in header.split(",")] == list(WINDOW_COLUMNS)
    assert WINDOW_COLUMNS[2:] == WindowRecord.PUBLIC


@pytest.mark.parametrize("name,cls", [("window", WindowRecord), ("event", TransmissionRecord),
                                      ("station", StationRecord)])
def test_the_schema_properties_are_the_declaration(name, cls):
    s = json.loads((PKG / "data" / "score.schema.json").read_text())
    assert s["$defs"][name]["properties"] == schema_properties(cls)
    assert set(s["$defs"][name]["required"]) <= set(cls.PUBLIC)


@pytest.mark.parametrize("cls", [WindowRecord, TransmissionRecord, StationRecord])
def test_the_readme_tables_are_the_declaration(cls):
    readme = (ROOT / "README.md").read_text()
    assert markdown_table(cls) in readme


def test_the_document_writes_every_public_field_in_order(tmp_path):
    from tests.cli import run_cli

    out = tmp_path / "d.json"
    run_cli("score", ROOT / "captures/synthetic/ctcss-net.sigmf-meta", "--json", out, "-q")
    c = json.loads(out.read_text())["captures"][0]
    assert c["windows"] and c["events"]
    assert all(tuple(w) == WindowRecord.PUBLIC for w in c["windows"])
    assert all(tuple(e) == TransmissionRecord.PUBLIC for e in c["events"])
    doc = json.loads(out.read_text())
    assert doc["stations"] and all(tuple(s) == StationRecord.PUBLIC for s in doc["stations"])


def test_a_record_keeps_its_fields():
    w = WindowRecord(index=3, start_s=0.3, end_s=0.4, gap=False)
    assert tuple(w) == WindowRecord.NAMES and w.sinad_db is None and w["index"] == 3
    with pytest.raises(KeyError, match="no field 'sinad'"):
        w["sinad"] = 1.0
    with pytest.raises(KeyError):
        w.update(cnr=3.0)
    with pytest.raises(TypeError):
        del w["index"]
    import pickle

    assert pickle.loads(pickle.dumps(w)) == w and type(pickle.loads(pickle.dumps(w))) is \
        WindowRecord
    # (with its working data: an archive's reduce attributes a worker's transmissions by it)
    w.aux = {"ok": 3, "series": [1.5]}
    assert pickle.loads(pickle.dumps(w)).aux == {"ok": 3, "series": [1.5]}


def test_every_field_name_carries_its_unit():
    # a number with a unit says it in its name (_db, _hz, _s ...)
    suffix = {"dB": "_db", "dBFS": "_dbfs", "dBm": "_dbm", "Hz": "_hz", "s": "_s",
              "ppm": "_ppm", "%": "_pct", "dBFS/Hz": "_dbfs_hz", "samples": "_sample"}
    for cls in (WindowRecord, TransmissionRecord):
        for f in cls.FIELDS:
            if f.unit in suffix:
                assert re.search(suffix[f.unit] + r"(_p\d\d)?$", f.name), f.name
