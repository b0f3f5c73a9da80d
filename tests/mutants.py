"""Mutation check of the kernel tests: apply one plausible bug at a time to a kernel (or to the
Python layout feeding it), run the kernel tests, and report the first test that fails.

Not a test module (pytest does not collect it): run it by hand from the repository root on a
clean tree, e.g. after changing a kernel or its tests::

    .venv/bin/python -m tests.mutants                 # every mutant
    .venv/bin/python -m tests.mutants fir-reverse     # some, by id

Each mutant replaces one exact snippet (which must occur once: a kernel edit that moves it makes
the run stop with the mutant's id) and the file is always restored, content and time stamp.
Compiled kernels go to a separate Numba cache, so the tree's own cache stays valid. A mutant
that survives ``tests/kernels`` is run against the slower integration tests too. Every mutant
here is caught by ``tests/kernels``; one that is not is a blind spot of the tests.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
UNIT = ["tests/kernels"]
INTEGRATION = ["tests/test_receiver.py", "tests/io", "tests/sim", "tests/test_squelch.py",
               "tests/test_measure.py"]


class Mutant(NamedTuple):
    id: str
    kernel: str
    path: str
    old: str
    new: str
    what: str


MUTANTS = [
    Mutant('conv-pending', 'convert_kernel', 'kernels/convert.py',
           'state[0]["pending"] = out[total - 1]',
           'state[0]["pending"] = out[total - 2]',
           'held odd element taken one element early'),
    Mutant('conv-iq-swap', 'convert_kernel', 'kernels/convert.py',
           'seg[j] = (np.float32(x[j]) - offset) * scale',
           'seg[j] = (np.float32(x[j ^ 1 if j ^ 1 < n else j]) - offset) * scale',
           'I and Q exchanged'),
    Mutant('quant-floor', 'quantize_kernel', 'kernels/convert.py',
           'v = np.rint(x[j] * scale + offset)',
           'v = np.floor(x[j] * scale + offset + np.float32(0.5))',
           'round half up instead of half to even'),
    Mutant('quant-trunc', 'quantize_kernel', 'kernels/convert.py',
           'v = np.rint(x[j] * scale + offset)',
           'v = np.trunc(x[j] * scale + offset)',
           'truncation instead of rounding'),
    Mutant('quant-rail', 'quantize_kernel', 'kernels/convert.py',
           'elif v >= hi:',
           'elif v > hi:',
           'a code at the upper rail not counted as clipped'),
    Mutant('nco-conj', 'nco_kernel', 'kernels/mix.py',
           'out[j] = complex(v.real * c - v.imag * s, v.real * s + v.imag * c)',
           'out[j] = complex(v.real * c + v.imag * s, v.imag * c - v.real * s)',
           'phase sign flipped (rotates the wrong way)'),
    Mutant('nco-state', 'nco_kernel', 'kernels/mix.py',
           'state[0]["phase"] = (ph0 + n * dphase) & PHASE_MASK',
           'state[0]["phase"] = (ph0 + (n - 1) * dphase) & PHASE_MASK',
           'phase of the next chunk one sample behind'),
    Mutant('dc-iq-cross', 'dc_block_kernel', 'kernels/mix.py',
           'yi = vi - xi + alpha * yi',
           'yi = vi - xr + alpha * yi',
           'Q recursion subtracts the old I'),
    Mutant('dc-state', 'dc_block_kernel', 'kernels/mix.py',
           'state[0]["x1_im"] = xi',
           'state[0]["x1_im"] = yi',
           'stores y instead of x as the delayed input'),
    Mutant('fir-reverse', 'fir_decim_kernel', 'kernels/fir.py',
           'ar += taps[i] * si[i]\n'
           '                ai += taps[i] * sq[i]',
           'ar += taps[ntaps - 1 - i] * si[i]\n'
           '                ai += taps[ntaps - 1 - i] * sq[i]',
           'tap order reversed'),
    Mutant('fir-hist', 'fir_decim_kernel', 'kernels/fir.py',
           'for j in range(hist):\n'
           '            wi[j] = wi[m + j]\n'
           '            wq[j] = wq[m + j]',
           'for j in range(hist - 1):\n'
           '            wi[j] = wi[m + j]\n'
           '            wq[j] = wq[m + j]',
           'history keeps one sample too few'),
    Mutant('fir-py-noreverse', 'fir_decim_kernel', 'htdsp/fir.py',
           'self._taps = np.ascontiguousarray(h[::-1], dtype=np.float32)',
           'self._taps = np.ascontiguousarray(h, dtype=np.float32)',
           'Python face forgets to reverse the taps'),
    Mutant('xl-phase-sign', 'xlate_decim_kernel', 'kernels/fir.py',
           'out[k] = complex(ar * c + ai * s, ai * c - ar * s)',
           'out[k] = complex(ar * c - ai * s, ai * c + ar * s)',
           'output de-rotation with the wrong sign'),
    Mutant('xl-iq-swap', 'xlate_decim_kernel', 'kernels/fir.py',
           'dst[j] = (np.float32(src[j]) - offset) * scale',
           'dst[j] = (np.float32(src[j ^ 1]) - offset) * scale',
           'I and Q of the input exchanged'),
    Mutant('xl-py-hrev', 'xlate_decim_kernel', 'htdsp/fir.py',
           'g = (h * np.exp(1j * w * np.arange(h.size)))[::-1]',
           'g = (h[::-1] * np.exp(1j * w * np.arange(h.size)))[::-1]',
           'prototype reversed before rotation'),
    Mutant('xl-conj-taps', 'xlate_decim_kernel', 'htdsp/fir.py',
           'out[0, 0::2], out[0, 1::2] = g.real, -g.imag\n'
           '    out[1, 0::2], out[1, 1::2] = g.imag, g.real',
           'out[0, 0::2], out[0, 1::2] = g.real, g.imag\n'
           '    out[1, 0::2], out[1, 1::2] = -g.imag, g.real',
           'rotated taps conjugated'),
    Mutant('rs-reverse', 'resample_kernel', 'kernels/fir.py',
           'acc += row[i] * seg[i]',
           'acc += row[klen - 1 - i] * seg[i]',
           'branch taps reversed'),
    Mutant('rs-py-bank', 'resample_kernel', 'htdsp/fir.py',
           'return np.ascontiguousarray(padded.reshape(k, up).T[:, ::-1], dtype=np.float32)',
           'return np.ascontiguousarray(padded[::-1].reshape(k, up).T, dtype=np.float32)',
           'prototype reversed before the polyphase split'),
    Mutant('fm-conj', 'fm_demod_kernel', 'kernels/fm.py',
           're = v.real * pr + v.imag * pi_\n'
           '        im = v.imag * pr - v.real * pi_',
           're = v.real * pr + v.imag * pi_\n'
           '        im = v.real * pi_ - v.imag * pr',
           'product with the wrong conjugate (sign of the frequency flipped)'),
    Mutant('fm-state', 'fm_demod_kernel', 'kernels/fm.py',
           'pr = v.real\n'
           '        pi_ = v.imag\n'
           '    state',
           'pr = v.real\n'
           '        pi_ = v.imag\n'
           '    pr = x[0].real\n'
           '    pi_ = x[0].imag\n'
           '    state',
           'carries the first sample, not the last'),
    Mutant('fmf-coef', 'fm_demod_fast_kernel', 'kernels/fm.py',
           'z * (_C4 + z * _C5)',
           'z * (_C4 + z * _C5 * np.float32(0.9))',
           'polynomial coefficient off by 10 %'),
    Mutant('fmf-first', 'fm_demod_fast_kernel', 'kernels/fm.py',
           'out[0] = gain * _atan2_fast(v.imag * pr - v.real * pi_, v.real * pr + v.imag * pi_)',
           'out[0] = gain * _atan2_fast(v.real * pi_ - v.imag * pr, v.real * pr + v.imag * pi_)',
           'first sample of a chunk conjugated'),
    Mutant('de-delay', 'deemph_kernel', 'kernels/iir.py',
           'y1 = b0 * v + b1 * x1 - a1 * y1',
           'y1 = b0 * v + b1 * v - a1 * y1',
           'x[n-1] read as x[n]'),
    Mutant('de-state', 'deemph_kernel', 'kernels/iir.py',
           'state[0]["x1"] = x1',
           'state[0]["x1"] = y1',
           'stores y for x'),
    Mutant('sos-pair', 'sosfilt_kernel', 'kernels/iir.py',
           'q1 = c2 * y - c5 * w',
           'q1 = c2 * w - c5 * w',
           'second section of a pair feeds its output back'),
    Mutant('sos-odd', 'sosfilt_kernel', 'kernels/iir.py',
           'z1 = b2 * v - b5 * y',
           'z1 = b2 * v - b4 * y',
           'odd last section uses a1 for a2'),
    Mutant('sos-odd-state', 'sosfilt_kernel', 'kernels/iir.py',
           'zi[s, 0] = z0\n'
           '        zi[s, 1] = z1',
           'zi[s, 0] = z0\n'
           '        zi[s, 1] = z0',
           'odd last section stores a wrong delay'),
    Mutant('iq-swap', 'iq_stats_kernel', 'kernels/stats.py',
           'si += a\n'
           '        sq += b',
           'si += b\n'
           '        sq += a',
           'I and Q sums exchanged'),
    Mutant('iq-rail', 'iq_stats_kernel', 'kernels/stats.py',
           'if b <= rail_lo or b >= rail_hi:',
           'if b <= rail_lo or b > rail_hi:',
           'Q at the upper rail not counted'),
    Mutant('gs-bits', 'gauss_kernel', 'kernels/sim.py',
           'iz = np.int64(r & np.uint64(127))\n'
           '        hz = np.int64(np.int32(np.uint32(r >> np.uint64(32))))\n'
           '        if abs(hz) < kn[iz]:\n'
           '            out[j] = hz * wn[iz]',
           'iz = np.int64(r & np.uint64(127))\n'
           '        hz = np.int64(np.int32(np.uint32(r >> np.uint64(31))))\n'
           '        if abs(hz) < kn[iz]:\n'
           '            out[j] = hz * wn[iz]',
           'value bits shifted by one'),
    Mutant('xi-reverse', 'xlate_interp_kernel', 'kernels/sim.py',
           'vr = wr[hist + j - k]\n'
           '                vi = wi[hist + j - k]',
           'vr = wr[j + k]\n'
           '                vi = wi[j + k]',
           'branch taps applied in reversed order'),
    Mutant('xi-phase-sign', 'xlate_interp_kernel', 'kernels/sim.py',
           'wr[hist + j] = v.real * c - v.imag * s\n'
           '            wi[hist + j] = v.real * s + v.imag * c',
           'wr[hist + j] = v.real * c + v.imag * s\n'
           '            wi[hist + j] = v.imag * c - v.real * s',
           'input rotation with the wrong sign'),
    Mutant('xi-py-taps', 'xlate_interp_kernel', 'htdsp/fir.py',
           'g[: h.size] = h * np.exp(1j * w * np.arange(h.size))',
           'g[: h.size] = h[::-1] * np.exp(1j * w * np.arange(h.size))',
           'prototype reversed'),
    Mutant('fe-state', 'frame_energy_kernel', 'kernels/squelch.py',
           'state[0]["acc"] = acc',
           'state[0]["acc"] = 0.0',
           'partial frame sum lost between calls'),
    Mutant('fe-mean', 'frame_energy_kernel', 'kernels/squelch.py',
           'out[k] = acc / frame_elems',
           'out[k] = acc / (frame_elems + 1)',
           'mean over one element too many'),
    Mutant('ld-warmup', 'level_detect_kernel', 'kernels/squelch.py',
           'if seen <= warmup:',
           'if seen < warmup:',
           'warm-up one frame short'),
    Mutant('ld-alpha', 'level_detect_kernel', 'kernels/squelch.py',
           'ref += ref_alpha_up * (f - ref)',
           'ref += ref_alpha * (f - ref)',
           'fast alpha toward the signal'),
    Mutant('sq-hang', 'squelch_kernel', 'kernels/squelch.py',
           'if miss > hang:',
           'if miss >= hang:',
           'hang one frame short'),
    Mutant('sq-reason', 'squelch_kernel', 'kernels/squelch.py',
           'if term_since[t] >= term_since[reason]:',
           'if term_since[t] > term_since[reason]:',
           'tie goes to the first term'),
    Mutant('sq-state-last', 'squelch_kernel', 'kernels/squelch.py',
           'state[0]["last"] = last',
           'state[0]["last"] = frame - 1',
           'last frame not carried'),
    Mutant('gt-trunc', 'gate_kernel', 'kernels/squelch.py',
           'fr = np.int64(math.floor(((audio_n + i) * ratio - post) / frame)) - mask_base',
           'fr = np.int64(((audio_n + i) * ratio - post) / frame) - mask_base',
           'frame index truncated toward zero'),
    Mutant('gt-drop', 'gate_kernel', 'kernels/squelch.py',
           'drop = min(max(last, 0), nm) if count else 0',
           'drop = min(max(last + 1, 0), nm) if count else 0',
           'drops a frame still needed'),
    Mutant('ct-burst', 'ctcss_analyse_kernel', 'kernels/subaudible.py',
           'c = math.cos(wstep * (w - 5 * hop))\n'
           '        sn = math.sin(wstep * (w - 5 * hop))\n'
           '        for i in range(w - 5 * hop, w - 3 * hop):',
           'c = math.cos(wstep * (w - 5 * hop))\n'
           '        sn = math.sin(wstep * (w - 5 * hop))\n'
           '        for i in range(w - 5 * hop, w - 2 * hop):',
           'burst reference window one hop long'),
    Mutant('ct-refine-sign', 'ctcss_analyse_kernel', 'kernels/subaudible.py',
           'f_est = tones[k] + dphi / (2 * math.pi * half / fs_c)',
           'f_est = tones[k] - dphi / (2 * math.pi * half / fs_c)',
           'frequency refinement with the wrong sign'),
    Mutant('dcs-bitorder', 'dcs_slice_kernel', 'kernels/subaudible.py',
           'w_old |= 1 << b',
           'w_old |= 1 << (22 - b)',
           'older word bit order reversed'),
    Mutant('dcs-phase', 'dcs_slice_kernel', 'kernels/subaudible.py',
           'pos = min(int((b + (bestph + 0.5) / phases) * spb), n46 - 1)',
           'pos = min(int((b + bestph / phases) * spb), n46 - 1)',
           "slices at the phase's edge, not its centre"),
    Mutant('bm-conj', 'block_moments_kernel', 'kernels/measure.py',
           'li += im * pr - re * pi_',
           'li += re * pi_ - im * pr',
           'lag product conjugated'),
    Mutant('bm-prev', 'block_moments_kernel', 'kernels/measure.py',
           'state[0]["prev_im"] = pi_\n'
           '    state[0]["count"] = cnt',
           'state[0]["prev_im"] = 0.0\n'
           '    state[0]["count"] = cnt',
           'previous Q not carried'),
    Mutant('wh-mean', 'window_hist_kernel', 'kernels/measure.py',
           'sums_out[k, 2] = _hist_percentile(hist, lo, bin_width, s1 / cnt, pct)',
           'sums_out[k, 2] = _hist_percentile(hist, lo, bin_width, 0.0, pct)',
           'percentile about 0, not the mean'),
    Mutant('wh-pct', 'window_hist_kernel', 'kernels/measure.py',
           'if total - outside < need:',
           'if total - outside <= need:',
           'percentile one bin early'),
    Mutant('tf-phase', 'tone_fit_kernel', 'kernels/measure.py',
           'return f, amp, d, p_tot / n, p_res / n, p_harm, math.atan2(-b, a)',
           'return f, amp, d, p_tot / n, p_res / n, p_harm, math.atan2(b, a)',
           'phase sign flipped'),
    Mutant('tf-refine', 'tone_fit_kernel', 'kernels/measure.py',
           'f = f + dphi * fs / (2 * math.pi * half)',
           'f = f + dphi * fs / (2 * math.pi * n)',
           'refinement step halved'),
    Mutant('rl-swap', 'raw_levels_kernel', 'kernels/measure.py',
           'a_sum += a\n'
           '        b_sum += b',
           'a_sum += b\n'
           '        b_sum += a',
           'I and Q sums exchanged'),
    Mutant('rl-rail', 'raw_levels_kernel', 'kernels/measure.py',
           'np.int32(a >= code_hi)',
           'np.int32(a > code_hi)',
           'I at the upper rail not counted'),
    Mutant('fir-iq-swap', 'fir_decim_kernel', 'kernels/fir.py',
           'wi[hist + j] = v.real\n'
           '            wq[hist + j] = v.imag',
           'wi[hist + j] = v.imag\n'
           '            wq[hist + j] = v.real',
           'I and Q exchanged'),
    Mutant('xl-hist', 'xlate_decim_kernel', 'kernels/fir.py',
           'for j in range(hist2):\n'
           '            work[j] = work[2 * m + j]',
           'for j in range(hist2 - 2):\n'
           '            work[j] = work[2 * m + j]',
           'history keeps one sample too few'),
    Mutant('rs-hist', 'resample_kernel', 'kernels/fir.py',
           'for j in range(hist):\n'
           '            work[j] = work[m + j]\n'
           '        pos += m\n'
           '    state[0]["skip"] = skip\n'
           '    state[0]["phase_l"] = phi',
           'for j in range(hist - 1):\n'
           '            work[j] = work[m + j]\n'
           '        pos += m\n'
           '    state[0]["skip"] = skip\n'
           '    state[0]["phase_l"] = phi',
           'history keeps one sample too few'),
    Mutant('xi-hist', 'xlate_interp_kernel', 'kernels/sim.py',
           'for j in range(hist):\n'
           '            wr[j] = wr[m + j]',
           'for j in range(hist - 1):\n'
           '            wr[j] = wr[m + j]',
           'history keeps one sample too few'),
    Mutant('gs-state', 'gauss_kernel', 'kernels/sim.py',
           'state[0]["s3"] = s3',
           'state[0]["s3"] = s2',
           'one word of the generator state lost'),
]


def _pytest(paths, env):
    p = subprocess.run([sys.executable, "-m", "pytest", *paths, "-x", "-q", "-p",
                        "no:cacheprovider", "-rfE", "--tb=no"], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", p.stdout, re.M)
    return p.returncode, failed[0] if failed else None


def run(mutant, env, integration=True):
    """The first failing test under ``mutant`` (``None``: it survived)."""
    path = ROOT / mutant.path
    src = path.read_text()
    st = os.stat(path)
    if src.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.id}: its snippet occurs {src.count(mutant.old)} times in "
                         f"{mutant.path}")
    try:
        path.write_text(src.replace(mutant.old, mutant.new))
        rc, failed = _pytest(UNIT, env)
        if rc == 0 and integration:
            rc, failed = _pytest(INTEGRATION, env)
    finally:
        path.write_text(src)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    if rc not in (0, 1):
        return f"pytest exit {rc}"
    return failed


def main(ids):
    dirty = subprocess.run(["git", "status", "--porcelain", "kernels", "htdsp"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        raise SystemExit("kernels/ or htdsp/ has uncommitted changes: commit them first")
    chosen = [m for m in MUTANTS if not ids or m.id in ids]
    env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="htdsp-mutants-"),
               HYPOTHESIS_PROFILE="ci")
    survivors = []
    for m in chosen:
        failed = run(m, env)
        print(f"{m.id:16} {m.kernel:22} {failed or 'SURVIVED'}", flush=True)
        if failed is None:
            survivors.append(m.id)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(set(sys.argv[1:])))
