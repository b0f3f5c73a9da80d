"""Every kernel comes with its NumPy reference, its streaming-contract tests and a benchmark group.

This test fails the moment a kernel is added without them, so the pairing never silently lapses.
A kernel's tests are found by what they do, not by its name appearing in a file: a case of
``tests/kernels/test_streaming.py::CASES`` whose object really calls the kernel (checked by
running it) and whose reference is ``<op>_ref``, or else test functions in ``tests/kernels``
that call the kernel (directly, through a helper of their module, or through the ``htdsp``
face that calls it): one with its ``<op>_ref`` and, for a kernel with state, one over a
chunking (``splits`` / ``chunked``).
"""

import ast
import inspect
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import htdsp
import htdsp.kernels as K
from tests import reference
from tests.kernels import test_streaming
from tests.kernels.test_streaming import CASES

ROOT = Path(__file__).resolve().parent.parent
#: the contract tests of tests/kernels/test_streaming.py, each parametrized over CASES
CONTRACT = ("test_matches_reference", "test_any_chunking_is_bit_identical",
            "test_copy_mid_stream_continues_identically", "test_reset_equals_fresh",
            "test_empty_input_leaves_state_alone")
CHUNKING = {"splits", "chunked"}


def _bench_groups():
    groups = set()
    for path in (ROOT / "bench").glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "benchmark"
                    and node.keywords):
                for kw in node.keywords:
                    if kw.arg == "group" and isinstance(kw.value, ast.Constant):
                        groups.add(kw.value.value)
    return groups


def _called(node):
    """Names called anywhere in ``node``: ``f(...)``, ``m.f(...)``, ``C(...).f(...)``."""
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Name):
                names.add(f.id)
            elif isinstance(f, ast.Attribute):
                names.add(f.attr)
    return names


def _closure(tree):
    """For each top-level function and class of a module, the names it calls, including those
    called by the module's own functions and classes that it calls (to a fixed point)."""
    defs = {n.name: _called(n) for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    changed = True
    while changed:
        changed = False
        for name, calls in defs.items():
            more = set().union(*(defs[c] for c in calls if c in defs and c != name)) - calls
            if more:
                calls |= more
                changed = True
    return defs


@lru_cache(maxsize=1)
def _htdsp_closures():
    return [_closure(ast.parse(p.read_text())) for p in (ROOT / "htdsp").rglob("*.py")]


def _faces(kernel):
    """The kernel and the htdsp functions and classes that call it."""
    names = {kernel}
    for defs in _htdsp_closures():
        names |= {n for n, calls in defs.items() if kernel in calls}
    return names


def _tests_calling(source, kernel, also):
    """Test functions of ``source`` that call ``kernel`` (or a face of it) and one of ``also``."""
    faces = _faces(kernel)
    return [name for name, calls in _closure(ast.parse(source)).items()
            if name.startswith("test_") and calls & faces and calls & set(also)]


def _has_state(kernel):
    params = inspect.signature(getattr(K, kernel).py_func).parameters
    return "state" in params or "zi" in params


def _kernel_calls(case, kernel, monkeypatch):
    """How many times running ``case``'s object calls ``kernel`` (patched in every htdsp
    module that holds it)."""
    original = getattr(K, kernel)
    calls = []

    def spy(*args):
        calls.append(1)
        return original(*args)

    with monkeypatch.context() as mp:
        for mod in list(sys.modules.values()):
            if getattr(mod, "__name__", "").startswith("htdsp") and \
                    getattr(mod, kernel, None) is original and mod is not K:
                mp.setattr(mod, kernel, spy)
        case.make().process(case.signal(64, 1))
    return len(calls)


def test_kernel_list_is_complete():
    found = {n for n in dir(K) if n.endswith("_kernel")}
    assert found == set(K.KERNELS)


def test_contract_tests_run_over_every_case():
    for name in CONTRACT:
        fn = getattr(test_streaming, name)
        marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
        assert any(m.args[0] == "case" and list(m.args[1]) == CASES for m in marks), name


@pytest.mark.parametrize("name", K.KERNELS)
def test_kernel_has_reference_case_and_benchmark(name, monkeypatch):
    op = name.removesuffix("_kernel")
    ref_name = f"{op}_ref"
    assert callable(getattr(reference, ref_name, None)), f"tests/reference.py::{ref_name} missing"
    cases = [c for c in CASES if c.kernel == name]
    if cases:
        for c in cases:
            assert _kernel_calls(c, name, monkeypatch) > 0, f"case {c} does not call {name}"
            assert ref_name in c.reference.__code__.co_names, f"case {c} does not use {ref_name}"
    else:
        sources = [p.read_text() for p in sorted((ROOT / "tests" / "kernels").glob("test_*.py"))]
        assert any(_tests_calling(s, name, {ref_name}) for s in sources), \
            f"no test in tests/kernels calls {name} and {ref_name}"
        if _has_state(name):
            assert any(_tests_calling(s, name, CHUNKING) for s in sources), \
                f"no test in tests/kernels runs {name} over a chunking (splits, chunked)"
    assert name in _bench_groups(), f"no benchmark group '{name}' in bench/"


def test_a_kernel_named_only_in_an_import_or_a_string_has_no_tests():
    # the detector itself: an import, a string or a call outside any test is not a test
    src = (
        "from htdsp.kernels import frame_energy_kernel\n"
        "from tests.reference import frame_energy_ref\n"
        "NOTE = 'frame_energy_kernel is tested elsewhere'\n"
        "def helper_not_called(x):\n"
        "    return frame_energy_kernel(x), frame_energy_ref(x), splits(3)\n"
        "def test_something():\n"
        "    assert frame_energy_ref is not None\n"
    )
    for also in ({"frame_energy_ref"}, CHUNKING):
        assert _tests_calling(src, "frame_energy_kernel", also) == []
    ok = src + "def test_real():\n    helper_not_called(1)\n"
    for also in ({"frame_energy_ref"}, CHUNKING):
        assert _tests_calling(ok, "frame_energy_kernel", also) == ["test_real"]
    # a test of the reference alone does not count; a face of the kernel counts as the kernel
    ref_only = "def test_ref_only():\n    frame_energy_ref(1)\n    splits(3)\n"
    assert _tests_calling(ref_only, "frame_energy_kernel", {"frame_energy_ref"}) == []
    face = "def test_face():\n    GaussianNoise(1).normal(5)\n    gauss_ref(1)\n"
    assert _tests_calling(face, "gauss_kernel", {"gauss_ref"}) == ["test_face"]


def test_a_case_whose_object_does_not_call_its_kernel_is_caught(monkeypatch):
    fake = test_streaming.Case("nco_kernel", lambda: htdsp.DCBlocker(fs=48000.0, cutoff_hz=20.0),
                               lambda n, seed: np.zeros(n, np.complex64), None, None, None, 0.0)
    assert _kernel_calls(fake, "nco_kernel", monkeypatch) == 0
