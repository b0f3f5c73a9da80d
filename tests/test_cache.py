"""Compiled kernels are cached outside the installed package (issue 13, item 1): Numba's
default wrote ``*.nbi`` / ``*.nbc`` into ``site-packages/htdsp/kernels/__pycache__``, which pip
leaves behind, and the left-over folder shadowed the next installation."""

import json
import os
import subprocess
import sys
from pathlib import Path

import htdsp.kernels as K

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json, numpy as np
import htdsp.kernels as K
from htdsp.kernels import convert_kernel, convert_state
out = np.empty(4, np.float32)
convert_kernel(np.array([1, 2, 3, 4], np.uint8), np.float32(127.5), np.float32(1 / 127.5),
               convert_state(), out)
print(json.dumps({"dir": K.CACHE_DIR, "path": convert_kernel.stats.cache_path}))
"""


def _nbi(folder):
    return sorted(str(p) for p in Path(folder).rglob("*.nb[ic]"))


def test_kernels_are_cached_in_the_chosen_folder_not_the_package(tmp_path):
    pkg = Path(K.__file__).parent
    before = _nbi(pkg)
    env = {**os.environ, "HTDSP_CACHE_DIR": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    p = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                       text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["dir"] == str(tmp_path / "numba")
    assert got["path"].startswith(str(tmp_path / "numba"))
    assert _nbi(tmp_path), "nothing was cached in HTDSP_CACHE_DIR"
    assert _nbi(pkg) == before, "a kernel was cached inside the package"


def test_the_default_is_a_per_user_cache_folder(monkeypatch):
    from htdsp.kernels._config import numba_cache_dir

    monkeypatch.delenv("HTDSP_CACHE_DIR", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/x/cache")
    assert numba_cache_dir() == "/x/cache/htdsp/numba"
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/y")
    assert numba_cache_dir() == "/y"                     # the user's own Numba setting
    monkeypatch.setenv("HTDSP_CACHE_DIR", "/z")
    assert numba_cache_dir() == "/z/numba"
    pkg = str(Path(K.__file__).parent)
    assert not K.CACHE_DIR.startswith(pkg)
