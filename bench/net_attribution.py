"""Stations on a net, measured on the regent-net preset (``python -m bench.net_attribution``).

Simulates the preset (a base and eleven stations, 10 minutes by default, at 250 kS/s),
scores it with the preset's roster (every station's ANI) and again with the ANI taken out of
the transmitters (fingerprint only), and prints: transmissions found against the truth's
overs, attribution accuracy, doublings found (interval errors), the stations' verdicts (the
weak links should fail), and the run's cost with and without station identification.
Then the fingerprint's accuracy against carrier-error spacing and CNR on synthetic nets.

    python -m bench.net_attribution [--duration S] [--seed N] [--table]
"""

import argparse
import time

import numpy as np

from htdsp.pipeline import Channel, Scoring, Settings
from htdsp.sim.channel import ChannelModel
from htdsp.sim.engine import Scenario, simulate
from htdsp.sim.scenarios import REGENT_NET, scenario
from htdsp.sim.transmitter import Transmitter
from htdsp.sources import RepeatSource
from htdsp.stations import Station

FS = 250e3


def score(sc, settings, x=None):
    truth = None
    if x is None:
        truth = simulate(sc, None)
        x = truth.pop("samples")
    src = RepeatSource(x, sc.fs, samples=x.size)
    sco = Scoring(settings)
    s = sco.session(src.info, "cf32", [Channel(sc.offset_hz)])
    t0 = time.process_time()
    s.run(src)
    s.finish()
    cpu = time.process_time() - t0
    doc = {"stations": sco.stations.summaries(settings.requirements, lambda q: None),
           "net": sco.stations.net_summary(settings.time_out_s)}
    return truth, x, s.runs[0], doc, cpu


def match(truth, run):
    """Each scored transmission with the truth over it overlaps most (None: no over)."""
    overs = [(a["htdsp:start_s"], a["htdsp:end_s"], a["htdsp:station"])
             for a in truth["annotations"]]
    out = []
    for t in run.judge.transmissions:
        best, who = 0.0, None
        for a, b, st in overs:
            ov = min(b, t["end_s"]) - max(a, t["start_s"])
            if ov > best:
                best, who = ov, st
        out.append((t, who))
    return overs, out


def accuracy(pairs, by_label=None):
    """Fraction attributed right: by name (``by_label``: label -> truth station), else each
    label standing for the truth station most of its transmissions are (and no two labels
    for one station)."""
    pairs = [(t, w) for t, w in pairs if w is not None and t["station"] is not None]
    if by_label is None:
        votes = {}
        for t, w in pairs:
            votes.setdefault(t["station"], []).append(w)
        by_label = {lab: max(set(ws), key=ws.count) for lab, ws in votes.items()}
        # a station split over two labels: only its larger label counts as right
        size = {}
        for lab, st in by_label.items():
            size.setdefault(st, []).append((len(votes[lab]), lab))
        keep = {max(v)[1] for v in size.values()}
        by_label = {lab: st for lab, st in by_label.items() if lab in keep}
    ok = sum(by_label.get(t["station"]) == w for t, w in pairs)
    return ok / max(len(pairs), 1), len(pairs)


def regent(duration_s, seed=0):
    sc = scenario("regent-net", duration_s)
    sc.fs, sc.seed = FS, seed
    roster = [Station(name, [_label(ani)]) for name, _, _, _, ani, _ in REGENT_NET]
    truth, x, run, doc, cpu = score(sc, Settings(keep_windows=True, roster=roster))
    overs, pairs = match(truth, run)
    acc, n = accuracy(pairs, {r.name: r.name for r in roster})
    print(f"regent-net {duration_s:g} s, seed {seed}: {len(overs)} overs in the truth, "
          f"{len(run.judge.transmissions)} transmissions scored")
    print(f"  with ANI: {acc:.1%} of {n} attributed right; by ani "
          f"{sum(t['station_by'] == 'ani' for t, _ in pairs)}")
    # a station's earlier labels (its overs heard before its ID was) stand for it too
    alias = {lab: s["station"] for s in doc["stations"] for lab in (s["labels"] or "").split()}
    both = sum((alias.get(t["station"], t["station"]) == w) for t, w in pairs if w is not None)
    print(f"  with ANI, counting the labels a station took in as it: "
          f"{both / max(len(pairs), 1):.1%}")
    names = {r.name for r in roster}
    for t, w in pairs:
        if t["station"] != w:
            kind = "another roster station" if t["station"] in names else "unnamed"
            print(f"    {t['start_s']:7.2f} s {w} given {t['station']} ({kind}, by "
                  f"{t['station_by']}, SNR p50 {t['snr_db_p50']} dB)")
    good = [(t, w) for t, w in pairs if (t["snr_db_p50"] or 0) >= 12.0]
    print(f"  of the {len(good)} with a median SNR of 12 dB or more: "
          f"{sum(t['station'] == w for t, w in good) / max(len(good), 1):.1%} right")
    want = truth["global"]["htdsp:doublings"]
    got = run.doublings.found
    for d in want:
        m = [g for g in got if g["start_s"] < d["end_s"] and g["end_s"] > d["start_s"]]
        err = (max(abs(m[0]["start_s"] - d["start_s"]), abs(m[0]["end_s"] - d["end_s"]))
               if m else None)
        print(f"  doubling {d['start_s']:.2f}-{d['end_s']:.2f} s "
              f"({d['level_difference_db']:.1f} dB): "
              + (f"found, edges within {err * 1e3:.0f} ms, {m[0]['second_carrier_db']} dB"
                 if m else "MISSED"))
    extra = [g for g in got if not any(g["start_s"] < d["end_s"] and g["end_s"] > d["start_s"]
                                       for d in want)]
    print(f"  doublings reported where there is none: {len(extra)}")
    for s in doc["stations"]:
        print(f"  {s['station']:14s} {s['transmissions']:3d} tx  avail "
              f"{s['availability']}  sinad p50 {s['sinad_db_p50']}  snr p50 "
              f"{s['snr_db_p50']}  {s['verdict']}")
    # fingerprint only: the same stations without their ANI
    for t in sc.transmitters:
        t.ani = None
    truth2, _, run2, _, cpu2 = score(sc, Settings(keep_windows=True, ani=()))
    _, pairs2 = match(truth2, run2)
    acc2, n2 = accuracy(pairs2)
    low = sum((t["station_confidence"] or 0) < 0.9 for t, _ in pairs2)
    print(f"  without ANI: {acc2:.1%} of {n2} attributed right by fingerprint; "
          f"{low} said to be guesses (confidence < 0.9)")
    return cpu, cpu2


def _label(ani):
    from htdsp.rx.ani import ani_label

    return ani_label({"standard": None, **ani})


def synthetic(spacing_hz, cnr_db, n_st=6, overs=60, seed=0):
    """A net of ``n_st`` stations ``spacing_hz`` apart in carrier error, taking ``overs``
    turns (2-5 s, 0.6-2.5 s apart) at ``cnr_db`` through mild Rician fading: the
    fingerprint's accuracy."""
    rng = np.random.default_rng(seed)
    keyed = [[] for _ in range(n_st)]
    t, last = 0.5, -1
    for _ in range(overs):
        k = int(rng.integers(n_st - 1))
        k = k + (k >= last)
        n = rng.uniform(2.0, 5.0)
        keyed[k].append((round(t, 3), round(t + n, 3)))
        t += n + rng.uniform(0.6, 2.5)
        last = k
    errs = (np.arange(n_st) - n_st / 2) * spacing_hz
    txs = [Transmitter(f"st{k}", "speech", freq_error_hz=float(errs[k]),
                       power_db=float(rng.uniform(-3, 3)), keyed=keyed[k] or [(t, t)],
                       seed_offset=k) for k in range(n_st)]
    chans = [ChannelModel("rician", k_factor_db=6.0, speed_mps=1.5) for _ in range(n_st)]
    sc = Scenario(duration_s=t + 0.5, fs=FS, cnr_db=cnr_db, transmitters=txs, channels=chans,
                  seed=seed)
    truth, _, run, _, _ = score(sc, Settings(keep_windows=True, ani=()))
    _, pairs = match(truth, run)
    acc, n = accuracy(pairs)
    low = sum((t["station_confidence"] or 0) < 0.9 for t, _ in pairs)
    sure = [(t, w) for t, w in pairs if (t["station_confidence"] or 0) >= 0.9]
    right_sure = (sum(_majority(pairs).get(t["station"]) == w for t, w in sure)
                  / len(sure)) if sure else None
    return acc, n, low, right_sure


def _majority(pairs):
    """label -> the truth station most of its transmissions are (a station split over two
    labels: only its larger one)."""
    votes = {}
    for t, w in pairs:
        if w is not None and t["station"] is not None:
            votes.setdefault(t["station"], []).append(w)
    best = {lab: max(set(ws), key=ws.count) for lab, ws in votes.items()}
    size = {}
    for lab, st in best.items():
        size.setdefault(st, []).append((len(votes[lab]), lab))
    keep = {max(v)[1] for v in size.values()}
    return {lab: st for lab, st in best.items() if lab in keep}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=600.0)
    p.add_argument("--seed", type=int, default=0, help="the simulation's seed")
    p.add_argument("--table", action="store_true", help="also the spacing x CNR table")
    a = p.parse_args(argv)
    cpu, cpu2 = regent(a.duration, a.seed)
    print(f"  cost: {cpu:.1f} s CPU with ANI decoding and station clues, {cpu2:.1f} s "
          f"without ANI decoding")
    if a.table:
        table()


def table():
    """The fingerprint's accuracy by carrier-error spacing x CNR: right overall, how many
    said to be guesses (confidence < 0.9), right among the others."""
    print("fingerprint (6 stations, 60 overs): right / guesses / right when sure, by "
          "carrier-error spacing x CNR", flush=True)
    cnrs = (10.0, 15.0, 20.0, 30.0)
    print("  spacing " + "".join(f"{c:>20.0f} dB" for c in cnrs), flush=True)
    for sp in (25.0, 50.0, 100.0):
        row = []
        for c in cnrs:
            acc, n, low, sure = synthetic(sp, c)
            row.append(f"{acc:4.0%} /{low:2d} /" + (f"{sure:4.0%}" if sure is not None
                                                   else "   -"))
        print(f"  {sp:5.0f} Hz " + "".join(f"{r:>23s}" for r in row), flush=True)


if __name__ == "__main__":
    main()
