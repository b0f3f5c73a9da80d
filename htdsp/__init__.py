"""htdsp: tells, in numbers, whether a handheld two-way radio link works.

The top level exposes the receive chain and the streaming building blocks, imported on first
use (PEP 562): ``import htdsp`` itself loads nothing heavy, so the command line starts at once
(``htdsp --version`` in a fraction of a second, and a Ctrl-C in the first second lands in code
that handles it) and ``htdsp.cli`` imports only what a command needs. The compiled kernels are
in :mod:`htdsp.kernels`.
"""

__version__ = "0.1.0"

import sys
import types

from htdsp._lazy import lazy

#: public name -> the module that defines it
_EXPORTS = {
    "Converter": "htdsp.convert", "convert": "htdsp.convert", "convert_zi": "htdsp.convert",
    "HtdspError": "htdsp.errors", "InputError": "htdsp.errors",
    "FIRDecimator": "htdsp.fir", "Resampler": "htdsp.fir", "XlatingDecimator": "htdsp.fir",
    "fir_decimate": "htdsp.fir", "fir_decimate_zi": "htdsp.fir", "resample": "htdsp.fir",
    "resample_zi": "htdsp.fir", "xlate_decimate": "htdsp.fir", "xlate_decimate_zi": "htdsp.fir",
    "FMDemodulator": "htdsp.fm", "fm_demod": "htdsp.fm", "fm_demod_zi": "htdsp.fm",
    "BiquadFilter": "htdsp.iir", "Deemphasis": "htdsp.iir", "deemphasis": "htdsp.iir",
    "deemphasis_zi": "htdsp.iir", "sosfilt": "htdsp.iir", "sosfilt_zi": "htdsp.iir",
    "NCO": "htdsp.mix", "DCBlocker": "htdsp.mix", "dc_block": "htdsp.mix",
    "dc_block_zi": "htdsp.mix", "nco_shift": "htdsp.mix", "nco_shift_zi": "htdsp.mix",
    "NFMReceiver": "htdsp.receiver",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy(globals(), _EXPORTS)


class _Package(types.ModuleType):
    """``htdsp.convert`` is both a submodule and the function it defines; importing the
    submodule would set the package's attribute to the module, so the function is kept
    instead, as an eager ``from htdsp.convert import convert`` used to do."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
