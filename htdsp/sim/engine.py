"""The simulator: transmitters through channels into an RTL-SDR, written as SigMF with truth.

Signals are made at a low rate ``fs_sim`` (about 240 kS/s, ``fs / L``) centred on the channel,
summed, then interpolated and shifted to the channel offset by one frequency-translating
interpolator, so the full-rate work is the interpolator, the noise and the quantiser. Every
time function is evaluated at ``t = (i L + D) / fs`` (``D`` = the interpolator's delay), so the
truth's sample indexes are exact in the file.

Truth (SigMF, ``htdsp:`` namespace, declared in ``core:extensions``):

- global ``htdsp:simulator`` (scenario, seed, version), ``htdsp:channel`` (channel frequency,
  offset, bandwidth, rated deviation, requested and realised CNR), ``htdsp:transmitters`` (each
  transmitter's parameters, its channel model and realised values), ``htdsp:frontend`` (front-end
  parameters, clipping fraction, dropped-sample gaps), ``htdsp:impulses``;
- ``htdsp:windows``: every 10 ms, the instantaneous CNR of the strongest keyed transmitter (null
  when none is keyed), which one, and whether the default criterion (SINAD >= 20 dB, through the
  calibrated CNR -> SINAD table of the reference receiver) is expected to hold;
- one annotation per transmission: keyed sample interval, carrier offset and error, deviation,
  modulation, tone, CTCSS/DCS code, mean CNR.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from htdsp import __version__
from htdsp.dsp.design import kaiser_lowpass
from htdsp.dsp.fir import XlatingInterpolator
from htdsp.dsp.fm import default_deviation_hz
from htdsp.dsp.mix import NCO
from htdsp.dsp.noise import GaussianNoise
from htdsp.errors import InputError
from htdsp.io.datatypes import WRITABLE, datatype, to_elements
from htdsp.io.sigmf import SigMFWriter
from htdsp.sim.channel import ChannelModel, gain_process
from htdsp.sim.frontend import FrontEnd
from htdsp.sim.transmitter import Transmitter, TransmitterStream, keying_envelope
from htdsp.standards import CRITERION_SINAD_DB, sinad_from_cnr

WINDOW_S = 0.01
#: the simulator's low rate aims at this, Hz
SIM_RATE_HZ = 240e3


def _r(v, nd=6):
    """Round truth numbers to ``nd`` decimal places: the last-ulp differences of transcendental
    functions between platforms vanish, hertz-level frequencies survive."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if not math.isfinite(v):
        return None
    return round(float(v), nd)


@dataclass
class Scenario:
    """Everything a simulated recording is made of. Frequencies in Hz, times in s, powers in dB.

    ``channel_offset_hz`` is the channel's offset from the centre (default: ``fs / 8`` on the
    12.5 kHz grid, away from the RTL-SDR's DC spike). ``cnr_db`` is the mean carrier-to-noise
    ratio of a 0 dB transmitter in ``bandwidth_hz``, averaged over its fading.
    ``channels[k]`` is the path of ``transmitters[k]`` (missing ones: no fading).
    """

    name: str = "custom"
    description: str = ""
    duration_s: float = 10.0
    fs: float = 2.4e6
    center_hz: float = 145.2e6
    channel_offset_hz: float | None = None
    bandwidth_hz: float = 12500.0
    deviation_hz: float | None = None
    cnr_db: float = 20.0
    transmitters: list = field(default_factory=lambda: [Transmitter()])
    channels: list = field(default_factory=list)
    frontend: FrontEnd = field(default_factory=FrontEnd)
    impulses: dict | None = None
    datatype: str = "cu8"
    seed: int = 0

    @property
    def offset_hz(self):
        if self.channel_offset_hz is not None:
            return float(self.channel_offset_hz)
        return round(self.fs / 8 / 12500.0) * 12500.0

    @property
    def rated_deviation_hz(self):
        return (default_deviation_hz(self.bandwidth_hz) if self.deviation_hz is None
                else float(self.deviation_hz))

    def channel_of(self, k):
        return self.channels[k] if k < len(self.channels) else ChannelModel()

    def check(self):
        if self.duration_s <= 0 or self.fs <= 0 or self.bandwidth_hz <= 0:
            raise ValueError("duration, rate and bandwidth must be positive")
        if self.datatype not in WRITABLE:
            raise ValueError(f"datatype must be one of {', '.join(WRITABLE)}")
        if not self.transmitters:
            raise ValueError("a scenario needs at least one transmitter")
        edge = abs(self.offset_hz) + max(abs(t.offset_hz) for t in self.transmitters) \
            + self.bandwidth_hz
        if edge > self.fs / 2:
            raise ValueError(f"the channel (offset {self.offset_hz:.0f} Hz) does not fit in "
                             f"+-{self.fs / 2:.0f} Hz")
        for t in self.transmitters:
            t.check(self.rated_deviation_hz)


class _Plan:
    """Rates, filters and levels derived from a scenario."""

    def __init__(self, sc):
        span = max(abs(t.offset_hz) for t in sc.transmitters) + 0.75 * sc.bandwidth_hz + 5e3
        # a band of users is simulated at a rate that holds them all (the whole rate for
        # users across a dongle's band)
        self.L = max(1, min(int(round(sc.fs / SIM_RATE_HZ)), int(sc.fs // (2.2 * span))))
        self.fs_sim = sc.fs / self.L
        if self.L > 1:
            if self.fs_sim - span <= span:
                raise ValueError("transmitter offsets too wide for the simulator's band")
            h = kaiser_lowpass(sc.fs, span, self.fs_sim - span, 70.0)
            if h.size % 2 == 0:                       # odd length: an integer delay
                h = kaiser_lowpass(sc.fs, span, 0.98 * (self.fs_sim - span), 70.0)
            self.taps = h * self.L
            self.delay = (h.size - 1) // 2
        else:
            self.taps = None
            self.delay = 0
        cnr = 10 ** (sc.cnr_db / 10)
        level = 10 ** (sc.frontend.level_dbfs / 10)
        ratio = sc.fs / sc.bandwidth_hz
        # the set point covers everything at the ADC: every transmitter keyed, and the noise
        carriers = sum(10 ** (t.power_db / 10) for t in sc.transmitters)
        self.p_ref = level / (carriers + ratio / cnr)
        self.p_noise = self.p_ref * ratio / cnr
        fd = max([sc.channel_of(k).doppler(sc.center_hz + sc.offset_hz)
                  for k in range(len(sc.transmitters))] + [0.0])
        self.fs_f = max(1000.0, 50.0 * fd)


#: fading-process samples a run may hold (duration x fading rate, per transmitter, complex128:
#: 320 MB each), so that a long run with a fast Doppler cannot exhaust the memory
MAX_FADING_SAMPLES = 20_000_000


def simulate(sc, out_path=None, *, block_s=0.1, noise=True, progress=None, overwrite=False):
    """Make the recording of scenario ``sc``.

    Parameters
    ----------
    sc : Scenario
    out_path : str, optional
        ``.sigmf-meta`` (or ``.sigmf``) to write; None returns the samples instead (small runs).
    noise : bool
        False leaves out the receiver noise and impulses (the clean twin used by SINAD oracles).
    progress : callable, optional
        Called with the fraction done after each block.
    overwrite : bool
        Replace an existing recording at ``out_path`` (default: refuse).

    Returns
    -------
    truth : dict
        The ``htdsp:`` metadata (also written into the file); with ``out_path=None``, the key
        ``"samples"`` holds the complex64 recording as it would be written (after quantisation).
    """
    try:
        sc.check()
        plan = _Plan(sc)
    except ValueError as e:
        raise InputError(str(e), out_path) from None
    if sc.duration_s * plan.fs_f > MAX_FADING_SAMPLES:
        raise InputError(f"{sc.duration_s:g} s of fading at a {plan.fs_f:.0f} Hz fading rate "
                         f"(from the Doppler) needs more than {MAX_FADING_SAMPLES} samples: "
                         "shorten the run or lower the Doppler", out_path)
    fs, L = sc.fs, plan.L
    n_out = int(round(sc.duration_s * fs))
    dt = datatype(sc.datatype)
    seeds = np.random.SeedSequence(sc.seed).spawn(len(sc.transmitters) + 3)
    carrier_hz = sc.center_hz + sc.offset_hz
    rated = sc.rated_deviation_hz

    # transmitters and their paths (fading processes for the whole run, at the fading rate)
    nf = int(math.ceil(sc.duration_s * plan.fs_f)) + 2
    t_f = np.arange(nf) / plan.fs_f
    streams, gains, amps, tx_info = [], [], [], []
    for k, tx in enumerate(sc.transmitters):
        s_seed = int(seeds[k].generate_state(1, np.uint64)[0]) + tx.seed_offset
        streams.append(TransmitterStream(tx, plan.fs_sim, rated, sc.duration_s, s_seed))
        g, info = gain_process(sc.channel_of(k), nf, plan.fs_f, carrier_hz,
                               np.random.default_rng(seeds[k]))
        gains.append(g)
        amps.append(math.sqrt(plan.p_ref * 10 ** (tx.power_db / 10)))
        tx_info.append(info)
    constant = [bool(np.all(g == g[0])) for g in gains]
    noise_gen = GaussianNoise(int(seeds[-1].generate_state(1, np.uint64)[0]))
    imp_rng = np.random.default_rng(seeds[-2])
    lo_shift = sc.frontend.lo_shift_hz(sc.center_hz)
    if L > 1:
        interp = XlatingInterpolator(plan.taps, L, fs=fs, offset_hz=sc.offset_hz + lo_shift)
    else:
        nco = NCO(fs=fs, shift_hz=sc.offset_hz + lo_shift)

    gaps = sorted((int(round(t * fs)), int(n)) for t, n in sc.frontend.gaps)
    writer = None
    if out_path is not None:
        writer = SigMFWriter(out_path, sc.datatype, fs, center_freq_hz=sc.center_hz,
                             hw="htdsp simulator: RTL-SDR model",
                             description=f"htdsp simulate --scenario {sc.name}: "
                             f"{sc.description}", overwrite=overwrite)
    kept = []
    carrier_acc = [0.0, 0]
    noise_acc = [0.0, 0]
    counts = {"clipped": 0}
    if not dt.is_float:
        rail_lo, rail_hi = np.iinfo(dt.element).min, np.iinfo(dt.element).max
    impulses = 0
    file_pos = 0
    block = max(L, int(block_s * fs) // L * L)
    n0 = 0
    while n0 < n_out:
        n1 = min(n_out, n0 + block)
        i0, i1 = n0 // L, -(-n1 // L)
        t = (np.arange(i0, i1) * L + plan.delay) / fs
        s = np.zeros(i1 - i0, dtype=np.complex64)
        for k, st in enumerate(streams):
            env = keying_envelope(t, st.intervals)
            if not env.any():
                continue
            part = st.block(t, env)
            gk = gains[k]
            if constant[k]:
                part *= np.complex64(amps[k] * gk[0])
            else:
                g = np.empty(t.size, dtype=np.complex64)
                g.real = np.interp(t, t_f, gk.real)
                g.imag = np.interp(t, t_f, gk.imag)
                part *= g
                part *= np.float32(amps[k])
            s += part
            if k == 0:
                keyed = env >= 1.0
                pk = part[keyed].view(np.float32)
                carrier_acc[0] += float(np.dot(pk, pk))
                carrier_acc[1] += int(keyed.sum())
        # blocks start on multiples of L, so output n0 is the first of this block's outputs
        x = (interp.process(s) if L > 1 else nco.process(s))[: n1 - n0]
        if noise:
            w = noise_gen.complex(x.size, plan.p_noise)
            wv = w.view(np.float32)
            noise_acc[0] += float(np.dot(wv, wv))
            noise_acc[1] += w.size
            x += w
            impulses += _add_impulses(x, sc.impulses, fs, imp_rng)
        x = sc.frontend.analog(x)
        if not gaps:
            e = to_elements(x, dt, counts)            # the quantiser counts the clipped values
        else:
            # clipping of what the file holds: the values at the rails once gaps are dropped
            e = _drop(to_elements(x, dt), n0, n1, gaps)
            if dt.is_float:
                counts["clipped"] += int(np.count_nonzero(np.abs(e) >= 1.0))
            else:
                counts["clipped"] += int(np.count_nonzero((e == rail_lo) | (e == rail_hi)))
        if writer is not None:
            writer.write(e)
        else:
            kept.append(e.copy())
        file_pos += e.size // 2
        n0 = n1
        if progress:
            progress(n0 / n_out)

    bursts = [[(t0, t1, at) for t0, t1, at, _ in st.ani_bursts] for st in streams]
    truth = _truth(sc, plan, gains, amps, tx_info, carrier_acc, noise_acc, counts["clipped"],
                   file_pos, gaps, impulses, noise, bursts)
    if writer is not None:
        writer.update_global(truth["global"])
        for a in truth["annotations"]:
            writer.add_annotation(**a)
        writer.close()
    else:
        e = np.concatenate(kept) if kept else np.zeros(0, dt.element)
        from htdsp.io.datatypes import to_complex

        truth["samples"] = to_complex(e, dt)
    return truth


def _add_impulses(x, spec, fs, rng):
    """Impulsive noise (ignition-like clicks): Poisson arrivals, decaying bursts."""
    if not spec:
        return 0
    rate = float(spec.get("rate_hz", 0))
    k = rng.poisson(rate * x.size / fs)
    if k == 0:
        return 0
    amp = 10 ** (float(spec.get("level_dbfs", -6)) / 20)
    length = max(1, int(float(spec.get("duration_s", 5e-6)) * fs))
    decay = np.exp(-np.arange(length) / max(length / 3, 1)).astype(np.float32)
    for pos in rng.integers(0, x.size, k):
        ph = np.complex64(np.exp(2j * np.pi * rng.random()))
        seg = slice(pos, min(x.size, pos + length))
        x[seg] += amp * ph * decay[: seg.stop - seg.start]
    return int(k)


def _drop(e, n0, n1, gaps):
    """Remove the samples of dropped-sample gaps that fall in ``[n0, n1)`` (element arrays)."""
    keep = None
    for at, n in gaps:
        a, b = max(at, n0), min(at + n, n1)
        if a < b:
            if keep is None:
                keep = np.ones(n1 - n0, dtype=bool)
            keep[a - n0:b - n0] = False
    if keep is None:
        return e
    return e.reshape(-1, 2)[keep].ravel()


def _file_index(n, gaps):
    lost = sum(max(0, min(n, at + k) - at) for at, k in gaps if at < n)
    return n - lost


def doublings(sc, gains=None, fs_f=None):
    """Every stretch where two or more transmitters are keyed at once: ``[{"start_s",
    "end_s", "transmitters": [k, ...], "level_difference_db"}]`` (the level difference of
    the two strongest at the receiver, their path gains' mean power over the stretch
    included when ``gains`` is given)."""
    edges = []
    for k, tx in enumerate(sc.transmitters):
        for a, b in tx.intervals(sc.duration_s):
            edges += [(a, 1, k), (b, -1, k)]
    edges.sort(key=lambda e: (e[0], e[1]))
    on, out, start = set(), [], None
    for t, kind, k in edges:
        before = len(on)
        if kind > 0:
            on.add(k)
        else:
            on.discard(k)
        if before < 2 <= len(on):
            start, who = t, set(on)
        elif len(on) >= 2:
            who |= on
        elif before >= 2 > len(on) and t > start:
            out.append({"start_s": start, "end_s": t, "transmitters": sorted(who)})
    for d in out:
        lv = []
        for k in d["transmitters"]:
            p = sc.transmitters[k].power_db
            if gains is not None:
                i0, i1 = int(d["start_s"] * fs_f), int(math.ceil(d["end_s"] * fs_f)) + 1
                g2 = np.abs(gains[k][i0:i1]) ** 2
                p += 10 * math.log10(max(float(g2.mean()), 1e-30)) if g2.size else 0.0
            lv.append(p)
        lv.sort(reverse=True)
        d["level_difference_db"] = lv[0] - lv[1]
    return out


def _truth(sc, plan, gains, amps, tx_info, carrier_acc, noise_acc, clipped, n_file, gaps,
           impulses, noise, bursts=None):
    fs = sc.fs
    rated = sc.rated_deviation_hz
    p_noise_ch = plan.p_noise * sc.bandwidth_hz / fs
    realised = None
    if noise and carrier_acc[1] and noise_acc[1]:
        realised = 10 * math.log10((carrier_acc[0] / carrier_acc[1])
                                   / (noise_acc[0] / noise_acc[1] * sc.bandwidth_hz / fs))
    # per-window series (10 ms): CNR of the strongest keyed transmitter
    nw = int(round(sc.duration_s / WINDOW_S))
    per = max(1, int(round(WINDOW_S * plan.fs_f)))
    cnr_w = [None] * nw
    who = [None] * nw
    met = [None] * nw
    tw = (np.arange(nw) + 0.5) * WINDOW_S
    for k, tx in enumerate(sc.transmitters):
        iv = tx.intervals(sc.duration_s)
        keyed = keying_envelope(tw, iv) >= 1.0
        g2 = np.abs(gains[k]) ** 2
        m = min(len(g2) // per, nw)
        pw = np.full(nw, np.nan)
        pw[:m] = g2[: m * per].reshape(m, per).mean(axis=1)
        pw[m:] = g2[-1]
        # the clean twin (noise=False) carries the same truth as the noisy one
        c = 10 * np.log10(amps[k] ** 2 * pw / p_noise_ch)
        for w in np.nonzero(keyed)[0]:
            if cnr_w[w] is None or c[w] > cnr_w[w]:
                cnr_w[w] = float(c[w])
                who[w] = k
    for w in range(nw):
        if cnr_w[w] is not None:
            met[w] = bool(sinad_from_cnr(cnr_w[w]) >= CRITERION_SINAD_DB)
            cnr_w[w] = _r(cnr_w[w], 4) if math.isfinite(cnr_w[w]) else None
    txs = []
    annotations = []
    carrier_hz = sc.center_hz + sc.offset_hz
    lo = sc.frontend.lo_shift_hz(sc.center_hz)
    for k, tx in enumerate(sc.transmitters):
        d = tx.describe(rated)
        mean_cnr = 10 * math.log10(amps[k] ** 2 / p_noise_ch)
        d["channel"] = {kk: (_r(v) if isinstance(v, float) else v)
                        for kk, v in sc.channel_of(k).describe(carrier_hz).items()}
        d["mean_cnr_db"] = _r(mean_cnr)
        d["channel_realised"] = {kk: _r(v, 4) for kk, v in tx_info[k].items()
                                 if kk != "mean_power"}
        txs.append(d)
        for a, b in tx.intervals(sc.duration_s):
            s0 = _file_index(int(round(a * fs)), gaps)
            s1 = _file_index(int(round(b * fs)), gaps)
            f_c = sc.offset_hz + tx.offset_hz + tx.freq_error_hz + lo
            ann = {"sample_start": s0, "sample_count": s1 - s0,
                   "label": tx.name,
                   "freq_lower_edge": _r(sc.center_hz + sc.offset_hz + tx.offset_hz
                                         - sc.bandwidth_hz / 2),
                   "freq_upper_edge": _r(sc.center_hz + sc.offset_hz + tx.offset_hz
                                         + sc.bandwidth_hz / 2),
                   "htdsp:transmitter": k, "htdsp:start_s": _r(a), "htdsp:end_s": _r(b),
                   "htdsp:carrier_offset_hz": _r(f_c),
                   "htdsp:carrier_error_hz": _r(tx.freq_error_hz + lo),
                   "htdsp:deviation_hz": _r(tx.peak_deviation(rated)),
                   "htdsp:modulation": tx.modulation,
                   "htdsp:tone_hz": _r(tx.tone_hz) if tx.modulation == "tone" else None,
                   "htdsp:ctcss_hz": tx.ctcss_hz,
                   "htdsp:ctcss_error_hz": _r(tx.ctcss_error_hz) if tx.ctcss_hz else None,
                   "htdsp:station": tx.name,
                   "htdsp:ani": [{"kind": tx.ani["kind"], "id": str(tx.ani["id"]).upper(),
                                  "standard": tx.ani.get("standard"), "at": at,
                                  "start_s": _r(t0), "end_s": _r(t1)}
                                 for t0, t1, at in (bursts[k] if bursts else ())
                                 if a <= t0 < b] if tx.ani else [],
                   "htdsp:dcs_code": _dcs_name(tx.dcs_code),
                   "htdsp:mean_cnr_db": _r(mean_cnr)}
            annotations.append(ann)
    annotations.sort(key=lambda a: a["sample_start"])
    fe = sc.frontend.describe()
    fe["clipping_fraction"] = _r(clipped / (2 * max(n_file, 1)), 9)
    fe["samples"] = n_file
    fe["lo_shift_hz"] = _r(lo)
    fe["gaps"] = [{"sample": _file_index(at, gaps), "true_sample": at, "lost": n}
                  for at, n in gaps]
    glob = {
        "htdsp:simulator": {"version": __version__, "scenario": sc.name, "seed": sc.seed,
                            "description": sc.description, "sim_rate_hz": _r(plan.fs_sim)},
        "htdsp:channel": {"freq_hz": _r(carrier_hz), "offset_hz": _r(sc.offset_hz),
                          "bandwidth_hz": _r(sc.bandwidth_hz), "deviation_hz": _r(rated),
                          "cnr_db": _r(sc.cnr_db), "noise": bool(noise),
                          "cnr_realised_db": _r(realised, 4)},
        "htdsp:transmitters": txs,
        "htdsp:frontend": fe,
        "htdsp:impulses": {"count": impulses, **(sc.impulses or {})},
        "htdsp:doublings": [{**d, "start_s": _r(d["start_s"]), "end_s": _r(d["end_s"]),
                             "level_difference_db": _r(d["level_difference_db"], 3)}
                            for d in doublings(sc, gains, plan.fs_f)],
        "htdsp:windows": {"window_s": WINDOW_S, "criterion": f"sinad>={CRITERION_SINAD_DB:g}",
                          "cnr_db": cnr_w, "transmitter": who, "criterion_met": met},
    }
    return {"global": glob, "annotations": annotations}


def _dcs_name(code):
    if not code:
        return None
    from htdsp.standards import parse_dcs

    octal, inv = parse_dcs(code)
    return f"D{octal}{'I' if inv else 'N'}"
