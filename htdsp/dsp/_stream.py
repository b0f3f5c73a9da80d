"""Shared machinery of the stateful objects (``process``, ``reset``, ``copy``)."""

import copy as _copy
from abc import ABC, abstractmethod

import numpy as np


class StreamBlock(ABC):
    """Base of every stateful processing object.

    A subclass sets its parameters in ``__init__``, lists the names of its mutable array
    attributes in ``_mutable`` and builds them in ``_fresh()``; this class provides ``reset``,
    ``copy`` (an independent object continuing from the same point), a read-only ``state`` and a
    ``__repr__`` from ``_params``.
    """

    _mutable: tuple = ()
    _params: tuple = ()

    @abstractmethod
    def _fresh(self):
        """Build the mutable state arrays named in ``_mutable``."""

    def reset(self):
        """Return to the freshly constructed state."""
        self._fresh()

    def copy(self):
        """An independent copy that continues exactly where this object is."""
        new = _copy.copy(self)
        for name in self._mutable:
            setattr(new, name, getattr(self, name).copy())
        return new

    def _zi(self):
        """The state as a functional face returns it (``zf``): a copy of the state array."""
        return self._state.copy()

    def _load(self, zi):
        """Continue from ``zi`` (a state array as returned by ``_zi``), validated."""
        z = np.asarray(zi)
        if z.shape != self._state.shape or z.dtype != self._state.dtype:
            raise ValueError(f"zi must be a {self._state.dtype} array of shape "
                             f"{self._state.shape}, got {z.dtype} {z.shape}")
        self._state[...] = z

    @property
    def state(self):
        """Read-only views of the mutable state arrays, by name."""
        views = {}
        for name in self._mutable:
            v = getattr(self, name).view()
            v.flags.writeable = False
            views[name.lstrip("_")] = v
        return views

    def __repr__(self):
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in self._params)
        return f"{type(self).__name__}({args})"


def run_functional(block, x, zi):
    """The functional face of a stateful object: ``y``, or ``(y, zf)`` when ``zi`` is given.

    ``zi`` is copied into a fresh object, never modified.
    """
    if zi is None:
        return block.process(x)
    block._load(zi)
    y = block.process(x)
    return y, block._zi()


_C64 = np.dtype(np.complex64)
_F32 = np.dtype(np.float32)


def as_complex64(x, name="x"):
    """``x`` as a contiguous 1-D complex64 array (copying only when needed)."""
    if type(x) is np.ndarray and x.dtype == _C64 and x.ndim == 1 and x.flags.c_contiguous:
        return x                  # (the common case, chunk after chunk: no checks to pay)
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.complex64)


def as_float32(x, name="x"):
    """``x`` as a contiguous 1-D float32 array (copying only when needed)."""
    if type(x) is np.ndarray and x.dtype == _F32 and x.ndim == 1 and x.flags.c_contiguous:
        return x
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if np.iscomplexobj(a):
        raise ValueError(f"{name} must be real")
    return np.ascontiguousarray(a, dtype=np.float32)


def check_fs(fs, name="fs"):
    """Validate a sample rate in Hz and return it as float."""
    fs = float(fs)
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"{name} must be a positive sample rate in Hz, got {fs!r}")
    return fs
