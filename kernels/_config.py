"""The one numeric policy for every compiled kernel.

Every kernel is decorated with ``@njit(**JIT)`` (or ``JIT_RECURSIVE``, below). Keeping the
flags in one place means the speed/accuracy trade is decided once and can be reviewed once.

``fastmath`` is a *subset* of LLVM's fast-math flags:

- ``reassoc`` lets LLVM reorder the FIR dot products into SIMD lanes (the main speed-up);
- ``contract`` allows fused multiply-add;
- ``nsz``, ``arcp``, ``afn``: no signed zeros, reciprocal for division, approximate libm calls.

``nnan`` and ``ninf`` are deliberately left out: a NaN that reaches a kernel must stay a NaN
(so that the I/O layer's NaN counting and later measurements can see it), and comparisons with
infinities must keep their IEEE meaning.

Reassociation changes rounding versus a naive NumPy reference by a few ulp, which is why the
reference tests use tolerances. It does *not* break chunk invariance: every output sample is
computed by the same loop over the same buffer layout whatever the chunking, so chunked and
one-shot results are bit-identical (and the tests check exactly that).


Recursive kernels (IIR, DC blocker, de-emphasis) are the exception and use ``JIT_RECURSIVE``,
with fast-math off. A recursion cannot be vectorised anyway, and with ``reassoc`` LLVM unrolls it
and reassociates the unrolled body differently from the leftover iterations, so the rounding of a
sample depended on where the chunk ended (found by the chunking property test on the biquads).
"""

import os

import numpy as np

FASTMATH = frozenset({"reassoc", "contract", "nsz", "arcp", "afn"})

#: keyword arguments for ``numba.njit`` on the vectorised kernels (FIR, conversion, discriminator)
JIT = {"cache": True, "nogil": True, "fastmath": set(FASTMATH)}

#: keyword arguments for ``numba.njit`` on recursive kernels: exact IEEE arithmetic
JIT_RECURSIVE = {"cache": True, "nogil": True, "fastmath": False}

#: phase accumulators are unsigned 32-bit integers held in int64 (one full turn = 2**32)
PHASE_BITS = 32
PHASE_MASK = (1 << PHASE_BITS) - 1
PHASE_TO_RAD = 6.283185307179586 / (1 << PHASE_BITS)


def phase_tables():
    """Phasor tables for a uint32 phase split 11 + 11 + 10 bits (complex128, 5120 entries).

    ``exp(2j pi p / 2**32) = hi[p >> 21] * mid[(p >> 10) & 2047] * lo[p & 1023]``: three
    lookups and two complex products instead of a sine and a cosine, exact to about 1e-15, and
    a function of the integer phase alone (so chunking cannot change it).
    """
    k = np.arange(2048)
    hi = np.exp(2j * np.pi * k / 2**11)
    mid = np.exp(2j * np.pi * k / 2**22)
    lo = np.exp(2j * np.pi * np.arange(1024) / 2**32)
    return hi, mid, lo


#: samples per internal block of the block-buffered FIR kernels (work buffer = history + block)
FIR_BLOCK = 8192


def numba_cache_dir():
    """Where compiled kernels are cached: ``$HTDSP_CACHE_DIR/numba``, else ``NUMBA_CACHE_DIR``
    (the user's own choice for Numba), else ``$XDG_CACHE_HOME/htdsp/numba`` (by default
    ``~/.cache/htdsp/numba``).

    Never the package's own folder: Numba's default writes ``*.nbi`` / ``*.nbc`` into
    ``site-packages/htdsp/kernels/__pycache__``, where pip does not know them, so replacing an
    installation with another (``pip install .`` then ``pip install -e .``) left a folder
    ``site-packages/htdsp`` behind that shadowed the new one as an empty namespace package.
    Numba keys its cache by the source file's path, its modification time and the CPU, so one
    folder serves every installation and every machine sharing a home directory.
    """
    mine = os.environ.get("HTDSP_CACHE_DIR")
    if mine:
        return os.path.join(mine, "numba")
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "htdsp", "numba")


def use_cache_dir():
    """Point Numba's cache at :func:`numba_cache_dir` (made if missing; a private folder in
    the temporary directory when it cannot be). Called before any kernel is decorated, which
    is when Numba decides where a function's cache lives. Returns the folder."""
    import tempfile

    from numba.core import config

    path = numba_cache_dir()
    try:
        os.makedirs(path, exist_ok=True)
        if not os.access(path, os.W_OK):
            raise PermissionError(path)
    except OSError:
        path = os.path.join(tempfile.gettempdir(), f"htdsp-numba-{os.getuid()}")
        os.makedirs(path, mode=0o700, exist_ok=True)
    config.CACHE_DIR = path
    return path
