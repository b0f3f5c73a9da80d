"""htdsp.kernels: the compiled core of htdsp (Numba, numpy only, no I/O).

Every streaming operation is a ``<op>_kernel`` function that takes its state explicitly and
mutates it in place, plus a ``<op>_state()`` constructor (or, for filters with a delay line, a
work buffer made by the Python layer). See ``htdsp`` for the validated public faces.
"""

from ._config import use_cache_dir

#: where the compiled kernels are cached (see ``_config.numba_cache_dir``): set before any
#: kernel module is imported, so that every kernel's cache goes there
CACHE_DIR = use_cache_dir()

from .bank import band_power_kernel, hann_power_kernel
from .convert import CONVERT_STATE, FORMAT_SCALES, convert_kernel, convert_state, quantize_kernel
from .fir import (
    FIR_DECIM_STATE,
    RESAMPLE_STATE,
    XLATE_DECIM_STATE,
    fir_decim_kernel,
    fir_decim_state,
    resample_kernel,
    resample_state,
    xlate_decim_kernel,
    xlate_decim_state,
)
from .fm import (
    FAST_MAX_PHASE_ERROR_RAD,
    FM_DEMOD_STATE,
    fm_demod_fast_kernel,
    fm_demod_kernel,
    fm_demod_state,
)
from .iir import DEEMPH_STATE, deemph_kernel, deemph_state, sosfilt_kernel, sosfilt_state
from .mdc1200 import MDC1200_DECODE, MDC1200_STATE, mdc1200_kernel, mdc1200_state
from .measure import (
    BLOCK_MOMENTS_STATE,
    RAW_LEVELS_STATE,
    WINDOW_HIST_STATE,
    block_moments_kernel,
    block_moments_state,
    raw_levels_kernel,
    raw_levels_state,
    tone_fit_kernel,
    window_hist_kernel,
    window_hist_state,
)
from .mix import DC_BLOCK_STATE, NCO_STATE, dc_block_kernel, dc_block_state, nco_kernel, nco_state
from .sim import (
    GAUSS_STATE,
    XLATE_INTERP_STATE,
    gauss_kernel,
    gauss_state,
    xlate_interp_kernel,
    xlate_interp_state,
    ziggurat_tables,
)
from .squelch import (
    FRAME_ENERGY_STATE,
    LEVEL_DETECT_STATE,
    SQUELCH_STATE,
    frame_energy_kernel,
    frame_energy_state,
    gate_kernel,
    level_detect_kernel,
    level_detect_state,
    squelch_kernel,
    squelch_state,
)
from .stats import IQ_STATS_STATE, iq_stats_kernel, iq_stats_state
from .subaudible import ctcss_analyse_kernel, dcs_slice_kernel
from .tones import (
    DTMF_RUN,
    DTMF_STATE,
    SELCALL_RUN,
    SELCALL_STATE,
    dtmf_kernel,
    dtmf_state,
    selcall_kernel,
    selcall_state,
)

#: every kernel of the package, by name (the pairing test checks each has a reference and a bench)
KERNELS = (
    "convert_kernel",
    "quantize_kernel",
    "nco_kernel",
    "dc_block_kernel",
    "fir_decim_kernel",
    "xlate_decim_kernel",
    "resample_kernel",
    "fm_demod_kernel",
    "fm_demod_fast_kernel",
    "deemph_kernel",
    "sosfilt_kernel",
    "iq_stats_kernel",
    "gauss_kernel",
    "xlate_interp_kernel",
    "frame_energy_kernel",
    "level_detect_kernel",
    "squelch_kernel",
    "gate_kernel",
    "ctcss_analyse_kernel",
    "dcs_slice_kernel",
    "block_moments_kernel",
    "window_hist_kernel",
    "tone_fit_kernel",
    "raw_levels_kernel",
    "hann_power_kernel",
    "band_power_kernel",
    "dtmf_kernel",
    "selcall_kernel",
    "mdc1200_kernel",
)

__all__ = [
    "CONVERT_STATE", "FORMAT_SCALES", "convert_kernel", "convert_state", "quantize_kernel",
    "FIR_DECIM_STATE", "RESAMPLE_STATE", "XLATE_DECIM_STATE", "fir_decim_kernel",
    "fir_decim_state", "resample_kernel", "resample_state", "xlate_decim_kernel",
    "xlate_decim_state", "FAST_MAX_PHASE_ERROR_RAD", "FM_DEMOD_STATE", "fm_demod_fast_kernel",
    "fm_demod_kernel", "fm_demod_state", "DEEMPH_STATE", "deemph_kernel", "deemph_state",
    "sosfilt_kernel", "sosfilt_state", "DC_BLOCK_STATE", "NCO_STATE", "dc_block_kernel",
    "dc_block_state", "nco_kernel", "nco_state", "IQ_STATS_STATE", "iq_stats_kernel",
    "iq_stats_state", "GAUSS_STATE", "XLATE_INTERP_STATE", "gauss_kernel", "gauss_state",
    "xlate_interp_kernel", "xlate_interp_state", "ziggurat_tables", "FRAME_ENERGY_STATE",
    "LEVEL_DETECT_STATE", "SQUELCH_STATE", "frame_energy_kernel", "frame_energy_state",
    "level_detect_kernel", "level_detect_state", "squelch_kernel", "squelch_state", "gate_kernel",
    "ctcss_analyse_kernel", "dcs_slice_kernel", "BLOCK_MOMENTS_STATE", "WINDOW_HIST_STATE",
    "block_moments_kernel", "block_moments_state", "tone_fit_kernel", "window_hist_kernel",
    "window_hist_state", "RAW_LEVELS_STATE", "raw_levels_kernel", "raw_levels_state",
    "hann_power_kernel", "band_power_kernel", "KERNELS", "CACHE_DIR",
    "DTMF_RUN", "DTMF_STATE", "dtmf_kernel", "dtmf_state", "SELCALL_RUN", "SELCALL_STATE",
    "selcall_kernel", "selcall_state", "MDC1200_DECODE", "MDC1200_STATE", "mdc1200_kernel",
    "mdc1200_state",
]
