"""htdsp: tells, in numbers, whether a handheld two-way radio link works.

The top level exposes the receive chain and the streaming building blocks, imported on first
use (PEP 562): ``import htdsp`` itself loads nothing heavy, so the command line starts at once
(``htdsp --version`` in a fraction of a second, and a Ctrl-C in the first second lands in code
that handles it) and ``htdsp.cli`` imports only what a command needs. The compiled kernels are
in :mod:`htdsp.kernels`.
"""

__version__ = "0.1.0"

from htdsp._lazy import lazy

#: public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(["Converter", "convert", "convert_zi"], "htdsp.dsp.convert"),
    **dict.fromkeys(["HtdspError", "InputError"], "htdsp.errors"),
    **dict.fromkeys(["FIRDecimator", "Resampler", "XlatingDecimator", "fir_decimate",
                     "fir_decimate_zi", "resample", "resample_zi", "xlate_decimate",
                     "xlate_decimate_zi"], "htdsp.dsp.fir"),
    **dict.fromkeys(["FMDemodulator", "fm_demod", "fm_demod_zi"], "htdsp.dsp.fm"),
    **dict.fromkeys(["BiquadFilter", "Deemphasis", "deemphasis", "deemphasis_zi", "sosfilt",
                     "sosfilt_zi"], "htdsp.dsp.iir"),
    **dict.fromkeys(["NCO", "DCBlocker", "dc_block", "dc_block_zi", "nco_shift",
                     "nco_shift_zi"], "htdsp.dsp.mix"),
    **dict.fromkeys(["NFMReceiver"], "htdsp.rx.receiver"),
}


__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy(globals(), _EXPORTS)
