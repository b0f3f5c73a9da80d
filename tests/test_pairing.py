"""Every kernel comes with its NumPy reference, its streaming-contract case and a benchmark group.

This test fails the moment a kernel is added without them, so the pairing never silently lapses.
"""

import ast
from pathlib import Path

import pytest

import htdsp.kernels as K
from tests import reference
from tests.kernels.test_streaming import CASES

ROOT = Path(__file__).resolve().parent.parent


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


def test_kernel_list_is_complete():
    found = {n for n in dir(K) if n.endswith("_kernel")}
    assert found == set(K.KERNELS)


@pytest.mark.parametrize("name", K.KERNELS)
def test_kernel_has_reference_case_and_benchmark(name):
    op = name.removesuffix("_kernel")
    assert callable(getattr(reference, f"{op}_ref", None)), f"tests/reference.py::{op}_ref missing"
    streaming = any(c.kernel == name for c in CASES) or any(
        name in p.read_text() for p in (ROOT / "tests" / "kernels").glob("test_*.py"))
    assert streaming, f"no streaming-contract tests for {name}"
    assert name in _bench_groups(), f"no benchmark group '{name}' in bench/"
