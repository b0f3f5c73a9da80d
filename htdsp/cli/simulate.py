"""``htdsp simulate``: a SigMF recording of a named scenario, with its ground truth."""

import argparse
import shutil
import sys
import textwrap

from htdsp import limits
from htdsp.cli import common
from htdsp.errors import EXIT_OK, InputError

#: ranges of the scenario overrides (each bounds what the run costs or is physically sensible)
CNR_DB = limits.Range("CNR", -30.0, 100.0, "dB")
TONE_HZ = limits.Range("test tone", 50.0, 20e3, "Hz")
DOPPLER_HZ = limits.Range("Doppler", 0.0, 1000.0, "Hz")
SPEED_MPS = limits.Range("speed", 0.0, 340.0, "m/s")
K_FACTOR_DB = limits.Range("K-factor", -30.0, 40.0, "dB")
SHADOW_DB = limits.Range("shadowing sigma", 0.0, 30.0, "dB")
PPM = limits.Range("LO error", -1000.0, 1000.0, "ppm")
GAIN_DB = limits.Range("front-end gain", -60.0, 60.0, "dB")
IMPULSES = limits.Range("impulse rate", 0.0, 10000.0, "/s")
SEED = limits.Range("seed", 0, 2**63 - 1)


def _ranged(rng):
    return common.arg_type(lambda t: common.number(t, rng), rng.name)


def _seed(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if SEED.problem(v):
        raise argparse.ArgumentTypeError(SEED.problem(v))
    return v


class _Formatter(argparse.HelpFormatter):
    """Wraps the description like any help; keeps the scenario listing's lines."""

    def _fill_text(self, text, width, indent):
        if text.startswith("scenarios:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def add_parser(sub):
    from htdsp.sim.scenarios import SCENARIOS

    listing = "scenarios:\n" + "\n".join(
        textwrap.fill(desc, 78, initial_indent=f"  {name:<17} ", subsequent_indent=" " * 20)
        for name, (_, desc) in SCENARIOS.items())
    s = sub.add_parser(
        "simulate", help="simulate HT transmissions through a terrain/flood channel into an "
        "RTL-SDR, as SigMF with ground truth",
        description="Write a SigMF recording of a named scenario, with its ground truth "
        "(keyed intervals, offsets, deviation, tones, CNR every 10 ms) in the metadata. The "
        "options after the common ones override the scenario's first transmitter, its path "
        "and the front end. An existing output is refused unless --force.",
        epilog=listing, formatter_class=_Formatter)
    s.add_argument("--scenario", required=True, choices=list(SCENARIOS), metavar="NAME",
                   help="one of the scenarios listed below")
    s.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="OUT.sigmf-meta (or OUT.sigmf for an archive)")
    s.add_argument("--cnr", type=_ranged(CNR_DB), metavar="DB",
                   help="mean CNR in the channel bandwidth")
    s.add_argument("--duration", type=common.SIM_DURATION, default=10.0, metavar="S",
                   help="length (default 10 s; 500ms, 2min ...; at most "
                   f"{limits.format_quantity(limits.SIM_DURATION.hi, 's')})")
    s.add_argument("--rate", type=common.RATE, default=2.4e6, metavar="HZ",
                   help="sample rate (default 2.4M)")
    s.add_argument("--center", type=common.CENTER, default=145.2e6, metavar="HZ",
                   help="centre frequency (default 145.2M)")
    s.add_argument("--datatype", choices=["cu8", "cs8", "cs16", "cf32"], default="cu8",
                   help="sample type of the recording (default cu8, as an RTL-SDR writes)")
    s.add_argument("--seed", type=_seed, default=0,
                   help="random seed (default 0): the same seed gives the same recording on "
                   "the same machine")
    common.add_force_option(s)
    s.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    o = s.add_argument_group("scenario overrides")
    o.add_argument("--offset", type=common.FREQ, metavar="HZ",
                   help="channel offset from the centre, e.g. -25k")
    o.add_argument("--bandwidth", type=common.BANDWIDTH, metavar="HZ",
                   help="channel bandwidth (12.5k, 20k, 25k; sets the rated deviation)")
    o.add_argument("--modulation", choices=["tone", "multitone", "speech", "silence"])
    o.add_argument("--tone", type=_ranged(TONE_HZ), metavar="HZ", help="test tone frequency")
    o.add_argument("--tx-deviation", type=common.POSITIVE_FREQ, metavar="HZ",
                   help="peak deviation of the message")
    o.add_argument("--freq-error", type=common.FREQ, metavar="HZ",
                   help="transmitter carrier error")
    o.add_argument("--ctcss", type=common.NUMBER, metavar="HZ", help="CTCSS tone")
    o.add_argument("--dcs", metavar="CODE", help="DCS code, e.g. D023N")
    o.add_argument("--keyed", metavar="A-B[,A-B]|random",
                   help="keyed intervals in s, e.g. 1-4,6-9, or 'random' (a seeded PTT "
                   "schedule: overs of 2-8 s, gaps of 1-5 s)")
    o.add_argument("--no-ani", action="store_true",
                   help="every transmitter without its ANI (PTT-ID): stations known by their "
                   "fingerprint alone")
    o.add_argument("--fading", choices=["none", "rayleigh", "rician"])
    o.add_argument("--k-factor", type=_ranged(K_FACTOR_DB), metavar="DB", help="Rician K")
    o.add_argument("--doppler", type=_ranged(DOPPLER_HZ), metavar="HZ",
                   help="maximum Doppler shift")
    o.add_argument("--speed", type=_ranged(SPEED_MPS), metavar="M/S", help="speed of the mobile")
    o.add_argument("--shadowing", type=_ranged(SHADOW_DB), metavar="DB",
                   help="log-normal sigma")
    o.add_argument("--ppm", type=_ranged(PPM), help="receiver LO error")
    o.add_argument("--gain", type=_ranged(GAIN_DB), metavar="DB",
                   help="extra front-end gain (overdrive)")
    o.add_argument("--dc-offset", metavar="I,Q", help="front-end DC offset, full-scale units")
    o.add_argument("--iq-imbalance", metavar="DB,DEG", help="front-end IQ imbalance")
    o.add_argument("--gap", action="append", default=[], metavar="T:N",
                   help="drop N samples at T seconds (repeatable)")
    o.add_argument("--impulses", type=_ranged(IMPULSES), metavar="PER_S",
                   help="impulsive noise rate")
    s.set_defaults(func=run)


def _pair(text, name):
    try:
        a, b = (common.number(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"{name} takes two numbers separated by a comma, got {text!r}") from None
    return a, b


def _apply_overrides(sc, a):
    """Command-line overrides onto a preset scenario (first transmitter, its path, front end)."""
    from dataclasses import replace

    sc.fs, sc.center_hz, sc.datatype, sc.seed = a.rate, a.center, a.datatype, a.seed
    for attr, val in (("cnr_db", a.cnr), ("channel_offset_hz", a.offset),
                      ("bandwidth_hz", a.bandwidth)):
        if val is not None:
            setattr(sc, attr, val)
    if a.no_ani:
        for t in sc.transmitters:
            t.ani = None
    tx = sc.transmitters[0]
    for attr, val in (("modulation", a.modulation), ("tone_hz", a.tone),
                      ("deviation_hz", a.tx_deviation), ("freq_error_hz", a.freq_error),
                      ("ctcss_hz", a.ctcss), ("dcs_code", a.dcs)):
        if val is not None:
            setattr(tx, attr, val)
    if a.keyed == "random":
        tx.keyed = "random"
    elif a.keyed:
        try:
            tx.keyed = [tuple(common.number(v) for v in part.split("-"))
                        for part in a.keyed.split(",")]
        except ValueError:
            raise InputError(f"--keyed takes intervals like 1-4,6-9, got {a.keyed!r}") from None
        for k in tx.keyed:
            if len(k) != 2 or not 0 <= k[0] < k[1] <= sc.duration_s:
                raise InputError(f"--keyed interval {k} is not within the {sc.duration_s:g} s "
                                 "run (start < end)")
    ch = sc.channel_of(0)
    changes = {k: v for k, v in (("fading", a.fading), ("k_factor_db", a.k_factor),
                                 ("doppler_hz", a.doppler), ("speed_mps", a.speed),
                                 ("shadow_sigma_db", a.shadowing)) if v is not None}
    if changes:
        sc.channels = [replace(ch, **changes)] + [sc.channel_of(k)
                                                  for k in range(1, len(sc.transmitters))]
    fe = sc.frontend
    if a.ppm is not None:
        fe.ppm = a.ppm
    if a.gain is not None:
        fe.gain_db = a.gain
    if a.dc_offset:
        fe.dc_offset = _pair(a.dc_offset, "--dc-offset")
    if a.iq_imbalance:
        fe.iq_amplitude_db, fe.iq_phase_deg = _pair(a.iq_imbalance, "--iq-imbalance")
    total = int(round(sc.duration_s * sc.fs))
    for g in a.gap:
        try:
            t, n = g.split(":")
            t, n = common.number(t), int(n)
        except ValueError:
            raise InputError(f"--gap takes T:N (seconds:samples), got {g!r}") from None
        if not (0 <= t < sc.duration_s and 0 < n <= total):
            raise InputError(f"--gap {g}: T must be within the {sc.duration_s:g} s run and N "
                             f"between 1 and its {total} samples")
        fe.gaps.append((t, n))
    if a.impulses is not None:
        sc.impulses = {"rate_hz": a.impulses, "level_dbfs": -6.0, "duration_s": 5e-6}


def _check_space(sc, out):
    """The recording must fit on its disk (with 5 % to spare)."""
    import os

    from htdsp.io.datatypes import datatype

    size = int(round(sc.duration_s * sc.fs)) * datatype(sc.datatype).sample_bytes
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(out))).free
    if size > 0.95 * free:
        raise InputError(f"the recording needs {size / 2**20:.0f} MiB and the disk has "
                         f"{free / 2**20:.0f} MiB free: shorten --duration or lower --rate", out)


def run(args):
    from htdsp.io.outputs import OutputSet
    from htdsp.sim.engine import simulate
    from htdsp.sim.scenarios import scenario

    sc = scenario(args.scenario, args.duration)
    _apply_overrides(sc, args)
    out = args.output
    if not out.endswith((".sigmf-meta", ".sigmf")):
        raise InputError("simulate writes SigMF: name the output .sigmf-meta or .sigmf", out)
    outputs = OutputSet(overwrite_recordings=args.force)
    if out.endswith(".sigmf"):
        outputs.check(out, samples=True)
    else:
        base = out[: -len(".sigmf-meta")]
        for p in (base + ".sigmf-meta", base + ".sigmf-data"):
            outputs.check(p, samples=True)
    _check_space(sc, out)
    try:
        truth = simulate(sc, out, overwrite=args.force)
    except ValueError as e:
        if isinstance(e, InputError):
            raise
        raise InputError(str(e), out) from None
    if not args.quiet:
        ch = truth["global"]["htdsp:channel"]
        fe = truth["global"]["htdsp:frontend"]
        realised = ch["cnr_realised_db"]
        print(f"htdsp simulate: {out}: {sc.name}, {sc.duration_s:g} s at {sc.fs:.0f} S/s "
              f"({sc.datatype}), channel {ch['freq_hz'] / 1e6:.4f} MHz, CNR {ch['cnr_db']:g} dB"
              + (f" (realised {realised:.1f} dB)" if realised is not None else "")
              + f", {common.plural(len(truth['annotations']), 'transmission')}, clipping "
              f"{fe['clipping_fraction']:g}", file=sys.stderr)
    return EXIT_OK
