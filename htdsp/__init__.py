"""htdsp: tells, in numbers, whether a handheld two-way radio link works.

The top level stays light (no librtlsdr, no plotting): it exposes the receive chain and the
streaming building blocks. The compiled kernels are in :mod:`htdsp.kernels`.
"""

__version__ = "0.1.0"

from htdsp.convert import Converter, convert, convert_zi  # noqa: E402
from htdsp.errors import HtdspError, InputError  # noqa: E402
from htdsp.fir import (  # noqa: E402
    FIRDecimator,
    Resampler,
    XlatingDecimator,
    fir_decimate,
    fir_decimate_zi,
    resample,
    resample_zi,
    xlate_decimate,
    xlate_decimate_zi,
)
from htdsp.fm import FMDemodulator, fm_demod, fm_demod_zi  # noqa: E402
from htdsp.iir import (  # noqa: E402
    BiquadFilter,
    Deemphasis,
    deemphasis,
    deemphasis_zi,
    sosfilt,
    sosfilt_zi,
)
from htdsp.mix import NCO, DCBlocker, dc_block, dc_block_zi, nco_shift, nco_shift_zi  # noqa: E402
from htdsp.receiver import NFMReceiver  # noqa: E402

__all__ = [
    "__version__", "Converter", "convert", "convert_zi", "HtdspError", "InputError",
    "FIRDecimator", "Resampler", "XlatingDecimator", "fir_decimate", "fir_decimate_zi",
    "resample", "resample_zi", "xlate_decimate", "xlate_decimate_zi", "FMDemodulator",
    "fm_demod", "fm_demod_zi", "BiquadFilter", "Deemphasis", "deemphasis", "deemphasis_zi",
    "sosfilt", "sosfilt_zi", "NCO", "DCBlocker", "dc_block", "dc_block_zi", "nco_shift",
    "nco_shift_zi", "NFMReceiver",
]
