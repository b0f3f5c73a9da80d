"""Stations on a net against simulator truth: a transmission never spans two stations, a fade
inside one station's over is still joined, transmissions are grouped into their stations by
fingerprint; the roster's file errors are one line naming the file."""

import numpy as np
import pytest

from htdsp.errors import InputError
from htdsp.pipeline import Channel, Scoring, Settings
from htdsp.sim.channel import ChannelModel
from htdsp.sim.engine import Scenario, doublings, simulate
from htdsp.sim.scenarios import REGENT_NET, net_schedule, scenario
from htdsp.sim.transmitter import Transmitter
from htdsp.sources import RepeatSource
from htdsp.stations import Station, StationBook, load_roster

#: five radios, carrier errors at least 70 Hz apart (a slow Rayleigh path among them)
ERRORS_HZ = (-250.0, -120.0, -20.0, 90.0, 260.0)
LEVELS_DB = (0.0, -4.0, 3.0, -8.0, -2.0)
ORDER = (0, 1, 2, 3, 4, 1, 0, 2, 4, 3, 1, 2, 0, 4)


def _score(sc, settings):
    x = simulate(sc, None)
    src = RepeatSource(x.pop("samples"), sc.fs, samples=int(sc.duration_s * sc.fs))
    s = Scoring(settings).session(src.info, "cf32", [Channel(sc.offset_hz)])
    s.run(src)
    s.finish()
    return x, s.runs[0]


@pytest.fixture(scope="module")
def quick_turns():
    # the case: 14 overs by five stations, 0.6-2.5 s apart, no CTCSS (so no
    # reverse burst says where an over ends), scored as 2 transmissions before the clues
    rng = np.random.default_rng(5)
    keyed = [[] for _ in ERRORS_HZ]
    t = 0.8
    for k in ORDER:
        n = rng.uniform(2.0, 3.4)
        keyed[k].append((round(t, 3), round(t + n, 3)))
        t += n + rng.uniform(0.6, 2.5)
    txs = [Transmitter(f"st{k}", "speech", freq_error_hz=f, power_db=lv, keyed=keyed[k],
                       seed_offset=k)
           for k, (f, lv) in enumerate(zip(ERRORS_HZ, LEVELS_DB, strict=True))]
    chans = [ChannelModel(), ChannelModel("rayleigh", speed_mps=3.0), ChannelModel(),
             ChannelModel(), ChannelModel("rician", k_factor_db=6.0, speed_mps=2.0)]
    sc = Scenario(duration_s=60.0, fs=250e3, cnr_db=28.0, transmitters=txs, channels=chans,
                  seed=3)
    return _score(sc, Settings(ani=(), keep_windows=True))


def test_every_over_is_its_own_transmission(quick_turns):
    truth, run = quick_turns
    want = sorted((a["htdsp:start_s"], a["htdsp:end_s"], a["htdsp:station"])
                  for a in truth["annotations"])
    got = run.judge.transmissions
    assert len(want) == len(ORDER) == 14
    assert len(got) == 14
    for t, (a, b, _) in zip(got, want, strict=True):
        assert abs(t["start_s"] - a) < 0.1 and abs(t["end_s"] - b) < 0.1
    # the gaps under 2 s were split by the carrier (no ANI here), the others by their gap
    gaps = [w[0] - v[1] for v, w in zip(want, want[1:], strict=False)]
    for t, g in zip(got[1:], gaps, strict=True):
        assert t["split_reason"] == ("carrier" if g < 2.0 else None)


def test_transmissions_group_into_their_stations_by_fingerprint(quick_turns):
    truth, run = quick_turns
    want = [a["htdsp:station"] for a in sorted(truth["annotations"],
                                               key=lambda a: a["htdsp:start_s"])]
    got = [t["station"] for t in run.judge.transmissions]
    assert all(t["station_by"] == "fingerprint" for t in run.judge.transmissions)
    # one label per radio, the same radio always the same label
    pairs = set(zip(want, got, strict=True))
    assert len(pairs) == len(set(want)) == len(set(got)) == 5


def test_a_fade_inside_one_over_is_still_joined():
    # one radio's 20 s over through deep slow fading at 15 dB CNR: fades close the squelch,
    # the clues must not read them as other stations
    sc = Scenario(duration_s=30.0, fs=240e3, cnr_db=15.0, seed=6,
                  channels=[ChannelModel("rayleigh", speed_mps=1.0)],
                  transmitters=[Transmitter(modulation="tone", keyed=[(1.0, 29.0)])])
    _, run = _score(sc, Settings(ani=(), keep_windows=True))
    assert len(run.events) >= 4                     # the squelch did close in fades
    assert len(run.judge.transmissions) == 1
    assert all(e["split_before"] is None for e in run.events)


def test_the_regent_net_preset():
    sc = scenario("regent-net", 600.0)
    assert [t.name for t in sc.transmitters][:2] == ["base", "batanghari"]
    assert len(sc.transmitters) == 12
    errs = sorted(t.freq_error_hz for t in sc.transmitters)
    assert min(b - a for a, b in zip(errs, errs[1:], strict=False)) >= 50.0
    n = sum(len(t.keyed) for t in sc.transmitters)
    assert 60 <= n <= 150
    longest = max(b - a for t in sc.transmitters for a, b in t.keyed)
    assert longest > 60.0                            # one over past the 60 s time-out
    ds = doublings(sc)
    assert len(ds) >= 4
    diffs = sorted(d["level_difference_db"] for d in ds)
    assert diffs[0] <= 2.0 and diffs[-1] >= 13.0      # 0-15 dB apart
    weak = [t.name for t in sc.transmitters if t.power_db < -15]
    assert len(weak) == 2 and all(t.ani for t in sc.transmitters)
    # a schedule is the same every time, and never keys a station twice at once
    again = net_schedule(600.0, [lv for _, lv, *_ in REGENT_NET], {3, 8})
    assert again == net_schedule(600.0, [lv for _, lv, *_ in REGENT_NET], {3, 8})
    for iv in again:
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(iv, iv[1:], strict=False))


def test_the_book_names_by_ani_and_guesses_by_fingerprint():
    book = StationBook([Station("base", ["dtmf:100"], carrier_error_hz=-20.0,
                                reference=True)])
    t = {"ani": "dtmf:100", "freq_error_hz": 480.0, "rssi_dbfs": -30.0,
         "ctcss_freq_error_hz": None, "start_s": 0.0, "end_s": 3.0}
    assert book.attribute(dict(t), capture="a")["station_by"] == "ani"
    # the dongle of capture "a" reads 500 Hz high: the reference station says so
    assert book.lo_hz["a"] == pytest.approx(500.0)
    u = book.attribute(dict(t, ani=None, freq_error_hz=-18.0), capture="b")
    assert (u["station"], u["station_by"]) == ("base", "fingerprint")
    # halfway between two known radios: a guess, and it says so
    book.attribute(dict(t, ani="dtmf:7", freq_error_hz=520.0), capture="a")
    w = book.attribute(dict(t, ani=None, freq_error_hz=500.0), capture="a")
    assert w["station_confidence"] < 0.9


@pytest.mark.parametrize("text,problem", [
    ("[[station]]\nname = 'a'\nani = ['nope:1']\n", "KIND:ID"),
    ("[[station]]\nname = 'a'\n[[station]]\nname = 'a'\n", "two stations"),
    ("[[station]]\nname = 'a'\nreference = true\n", "carrier_error_hz"),
    ("[[station]]\nname = 'a'\ncolour = 1\n", "unknown key"),
    ("name = ", "not valid TOML"),
    ("[[station]]\nname = 'a'\nani = 5\n", "list of strings"),
    ("[[station]]\nname = 'a'\nctcss_hz = true\n", "must be a number"),
    ("[[station]]\nname = 'a'\nctcss_hz = 88.6\n", "not a CTCSS tone"),
    ("[[station]]\nname = 'a'\ndcs_code = 7\n", "not a DCS code"),
    ("[[station]]\nname = 'a'\nnotes = 5\n", "must be text"),
    ("x = 1\n", "no [[station]]"),
])
def test_a_bad_roster_is_one_line_naming_the_file(tmp_path, text, problem):
    p = tmp_path / "net.toml"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        load_roster(p)
    assert problem in str(e.value) and "net.toml" in str(e.value)


def test_ani_names_the_stations_and_splits_their_turns():
    # four radios on the same carrier error within 12 Hz (no fingerprint tells them apart):
    # key-up IDs (DTMF, CCIR selcall, MDC1200), a DTMF post-ID and an MDC1200 pre- and
    # post-ID split turns 0.7-1.2 s apart and name every transmission outright
    anis = ({"kind": "dtmf", "id": "101"},
            {"kind": "selcall", "id": "10102", "standard": "ccir"},
            {"kind": "dtmf", "id": "109", "at": "key-down"},
            {"kind": "mdc1200", "id": "1004", "at": "both"})
    keyed = ([(0.5, 3.5), (10.7, 13.5)], [(4.3, 7.0), (14.5, 17.0)], [(7.7, 10.0)],
             [(17.8, 20.5)])
    txs = [Transmitter(f"st{k}", "speech", freq_error_hz=40.0 + 4 * k, ani=a, keyed=keyed[k],
                       seed_offset=k) for k, a in enumerate(anis)]
    sc = Scenario(duration_s=21.0, fs=250e3, cnr_db=30.0, transmitters=txs, seed=4)
    roster = [Station("Batanghari", ["dtmf:101"]), Station("Bungo", ["selcall:ccir:10102"])]
    truth, run = _score(sc, Settings(keep_windows=True, roster=roster))
    want = sorted((a["htdsp:start_s"], a["htdsp:station"], [x["kind"] for x in a["htdsp:ani"]])
                  for a in truth["annotations"])
    assert all(k for _, _, k in want)                 # every over sent its ID
    got = run.judge.transmissions
    assert len(got) == 6
    names = {"st0": "Batanghari", "st1": "Bungo", "st2": "dtmf:109", "st3": "mdc1200:1004"}
    for t, (a, who, _) in zip(got, want, strict=True):
        assert abs(t["start_s"] - a) < 0.1
        assert t["station"] == names[who] and t["station_by"] == "ani"
        assert t["station_confidence"] == 1.0
    assert [t["split_reason"] for t in got[1:]] == ["ani"] * 5


@pytest.mark.parametrize("diff_db", [0.0, 7.0, 15.0])
def test_a_doubling_is_found_with_its_interval_and_left_out(diff_db):
    # a second station keys for 1.3 s in the middle of another's over, 0-15 dB under it
    txs = [Transmitter("a", "speech", keyed=[(1.0, 7.0)], freq_error_hz=50.0, ctcss_hz=88.5),
           Transmitter("b", "speech", power_db=-diff_db, keyed=[(3.0, 4.3)],
                       freq_error_hz=-110.0, seed_offset=1, ctcss_hz=88.5)]
    sc = Scenario(duration_s=8.0, fs=250e3, cnr_db=25.0, transmitters=txs, seed=1,
                  channels=[ChannelModel("rician", k_factor_db=6.0, speed_mps=1.5)])
    truth, run = _score(sc, Settings(ani=(), keep_windows=True))
    (want,) = truth["global"]["htdsp:doublings"]
    (got,) = run.doublings.found
    assert abs(got["start_s"] - want["start_s"]) <= 0.1
    assert abs(got["end_s"] - want["end_s"]) <= 0.1
    assert abs(got["second_carrier_db"] - want["level_difference_db"]) <= 3.0
    (t,) = run.judge.transmissions
    assert t["doubled_s"] == pytest.approx(1.3, abs=0.25)
    # its windows are nobody's link: not counted, and the CTCSS is never a wrong tone
    doubled = [w for w in run.meter.windows if w["second_carrier_db"] is not None]
    assert doubled and not any(w["counted"] for w in doubled)
    assert t["ctcss_hz"] == 88.5
    # nor the radio's fingerprint: its clean windows' carrier error is station a's
    assert abs(t.aux["carrier_hz"] - 50.0) <= 5.0


def test_a_stronger_doubling_does_not_move_the_fingerprint():
    # the base, 11 dB over a regent's over, keys for 1 s in it (regent-net at 508 s): the
    # windows at the doubling's edges, partly the base's, pull the power-weighted carrier
    # error of the whole over tens of Hz; its clean windows' median stays the regent's
    txs = [Transmitter("a", "speech", keyed=[(1.0, 7.0)], freq_error_hz=200.0),
           Transmitter("b", "speech", power_db=11.0, keyed=[(3.05, 4.07)],
                       freq_error_hz=-20.0, seed_offset=1)]
    sc = Scenario(duration_s=8.0, fs=250e3, cnr_db=25.0, transmitters=txs, seed=1)
    _, run = _score(sc, Settings(ani=(), keep_windows=True))
    (t,) = run.judge.transmissions
    assert abs(t.aux["carrier_hz"] - 200.0) <= 5.0


@pytest.mark.parametrize("speed,cnr", [(10.0, 15.0), (30.0, 25.0)])
def test_no_doubling_in_a_fading_single_station(speed, cnr):
    sc = Scenario(duration_s=8.0, fs=250e3, cnr_db=cnr, seed=2,
                  transmitters=[Transmitter("a", "speech", keyed=[(1.0, 7.5)])],
                  channels=[ChannelModel("rayleigh", speed_mps=speed)])
    _, run = _score(sc, Settings(ani=(), keep_windows=True))
    assert run.meter.windows and run.doublings.found == []
    assert not any(w["second_carrier_db"] is not None for w in run.meter.windows)


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    from htdsp.cli import main

    d = tmp_path_factory.mktemp("net")
    out = d / "net.sigmf-meta"
    assert main(["simulate", "--scenario", "regent-net", "--duration", "16", "--rate", "250k",
                 "-o", out, "--seed", "3"]) == 0
    roster = d / "net.toml"
    roster.write_text("".join(
        f'[[station]]\nname = "{name}"\nani = ["{_label(ani)}"]\n\n'
        for name, _, _, _, ani, _ in REGENT_NET))
    return d, out, roster


def _label(ani):
    from htdsp.rx.ani import ani_label

    return ani_label({"standard": None, **ani})


def test_score_names_the_net_in_every_report(net_file):
    import csv
    import json

    from htdsp.cli import main

    d, rec, roster = net_file
    truth = json.loads(rec.read_text())
    want = {a["htdsp:station"] for a in truth["annotations"]}
    rc = main(["score", rec, "--roster", roster, "--json", d / "s.json", "--html", d / "s.html",
               "--events-csv", d / "s.csv", "-q"])
    assert rc in (0, 1)
    doc = json.loads((d / "s.json").read_text())
    import jsonschema

    from htdsp.sinks.document import schema

    jsonschema.validate(doc, schema())
    assert doc["schema"] == "htdsp.score/3"
    named = {s["station"] for s in doc["stations"]}
    assert want <= named | {None} and all(s["in_roster"] for s in doc["stations"])
    (net,) = doc["net"]
    assert net["transmissions"] == len(doc["captures"][0]["events"])
    rows = list(csv.DictReader((d / "s.csv").open()))
    assert [r["station"] for r in rows] == [e["station"] for e in doc["captures"][0]["events"]]
    html = (d / "s.html").read_text()
    assert "<h2>Stations</h2>" in html and 'alt="who talked when"' in html
    for s in doc["stations"]:
        assert f">{s['station']}" in html


def test_score_with_ani_off_and_a_bad_roster(net_file, capsys):
    import json

    from htdsp.cli import main

    d, rec, _ = net_file
    assert main(["score", rec, "--ani", "none", "--json", d / "n.json", "-q"]) in (0, 1)
    doc = json.loads((d / "n.json").read_text())
    assert all(e["station_by"] in ("fingerprint", None) for e in doc["captures"][0]["events"])
    bad = d / "bad.toml"
    bad.write_text("[[station]]\nname = 'x'\nani = 'dtmf:'\n")
    capsys.readouterr()
    assert main(["score", rec, "--roster", bad, "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.toml" in err[0]
    assert main(["score", rec, "--ani", "morse", "-q"]) == 2


def test_a_garbled_id_names_the_one_roster_station_it_can_be():
    # DTMF has no check: a digit lost in a fade makes "10" of "103"; of the roster's IDs it
    # could come from, the fingerprint rules out those heard elsewhere
    roster = [Station(n, [a]) for n, a in (("base", "dtmf:100"), ("batanghari", "dtmf:101"),
                                           ("kerinci", "dtmf:103"), ("tebo", "dtmf:209"))]
    book = StationBook(roster)
    t = {"freq_error_hz": 0.0, "rssi_dbfs": -30.0, "ctcss_freq_error_hz": None,
         "start_s": 0.0, "end_s": 3.0}
    book.attribute(dict(t, ani="dtmf:100", freq_error_hz=-20.0))
    book.attribute(dict(t, ani="dtmf:101", freq_error_hz=130.0))
    u = book.attribute(dict(t, ani="dtmf:10", freq_error_hz=340.0))
    assert (u["station"], u["station_by"]) == ("kerinci", "ani")
    assert u["station_confidence"] < 1.0
    # near the base's fingerprint, "10" is the base's "100"
    assert book.attribute(dict(t, ani="dtmf:10", freq_error_hz=-22.0))["station"] == "base"
    # nobody's: an ID of its own
    assert book.attribute(dict(t, ani="dtmf:55", freq_error_hz=600.0))["station"] == "dtmf:55"


def test_stations_group_across_captures_through_two_dongles():
    # the same three radios heard through two dongles, the second's LO 3 ppm high (every
    # carrier reads 436 Hz low at 145 MHz): the base, the roster's reference with a known
    # carrier error, tells each capture's LO error once its MDC1200 ID is heard, and the
    # two ANI-less radios are the same stations in both
    from htdsp.sim.frontend import FrontEnd

    roster = [Station("base", ["mdc1200:1001"], carrier_error_hz=-20.0, reference=True)]
    sco = Scoring(Settings(ani=("mdc1200",), roster=tuple(roster), keep_windows=True))
    labels = []
    for ppm in (0.0, 3.0):
        txs = [Transmitter("base", "speech", freq_error_hz=-20.0, keyed=[(0.5, 3.0)],
                           ani={"kind": "mdc1200", "id": "1001"}),
               Transmitter("a", "speech", freq_error_hz=130.0, keyed=[(3.8, 6.5)],
                           seed_offset=1),
               Transmitter("b", "speech", freq_error_hz=-230.0, keyed=[(7.3, 10.0)],
                           seed_offset=2)]
        sc = Scenario(duration_s=10.5, fs=250e3, cnr_db=28.0, transmitters=txs, seed=7,
                      frontend=FrontEnd(ppm=ppm))
        x = simulate(sc, None).pop("samples")
        src = RepeatSource(x, sc.fs, samples=x.size, center_hz=sc.center_hz)
        s = sco.session(src.info, "cf32", [Channel(sc.offset_hz)])
        s.key = f"dongle-{ppm:g}"
        s.run(src)
        s.finish()
        labels.append([t["station"] for t in s.runs[0].judge.transmissions])
    assert sco.stations.lo_hz["dongle-0"] == pytest.approx(0.0, abs=8.0)
    assert sco.stations.lo_hz["dongle-3"] == pytest.approx(-3e-6 * 145.2e6, abs=8.0)
    assert labels[0] == labels[1] == ["base", "station-1", "station-2"]


def test_a_fade_after_the_key_up_id_does_not_split_the_over():
    # the over's own key-up ID ends 1.3 s before a fade closes the squelch: it is not a
    # post-ID of the first part (a post-ID of another scheme comes after its key-up span)
    from htdsp.measure.clues import StationClues

    c = StationClues()
    c.add_windows([{"start_s": i / 10, "end_s": (i + 1) / 10, "keyed": 1.0, "gap": False,
                    "freq_error_hz": 60.0, "rssi_dbfs": -40.0, "cnr_db": 30.0, "snr_db": 30.0}
                   for i in range(80) if not 20 <= i < 25])
    c.add_decodes([{"kind": "dtmf", "id": "101", "label": "dtmf:101", "start_s": 0.2,
                    "end_s": 0.7}], 20.0)
    e = {"close_reason": "noise"}
    a = c.annotate({**e, "start_s": 0.0, "end_s": 2.0, "start_sample": 0})
    b = c.annotate({**e, "start_s": 2.5, "end_s": 8.0, "start_sample": 1})
    assert a["ani"] == "dtmf:101" and b["split_before"] is None
    # the same ID as a post-ID, after the key-up span: the radio said it unkeyed
    c.add_decodes([{"kind": "dtmf", "id": "101", "label": "dtmf:101", "start_s": 11.2,
                    "end_s": 11.7}], 20.0)
    c.add_windows([{"start_s": i / 10, "end_s": (i + 1) / 10, "keyed": 1.0, "gap": False,
                    "freq_error_hz": 60.0, "rssi_dbfs": -40.0, "cnr_db": 30.0, "snr_db": 30.0}
                   for i in range(80, 160) if not 120 <= i < 125])
    c.annotate({**e, "start_s": 8.0, "end_s": 12.0, "start_sample": 2})
    d = c.annotate({**e, "start_s": 12.5, "end_s": 16.0, "start_sample": 3})
    assert d["split_before"] == "ani"


@pytest.mark.parametrize("chunk", [6_007, 11_111, 50_000])
def test_station_clues_do_not_depend_on_the_chunking(chunk, tmp_path):
    # a 10 s over with a reverse burst and a DTMF post-ID, another station's over 1.2 s
    # after: the same transmissions, IDs and stations for any chunking (the post-ID is told
    # 0.3 s after it ends, after the over is final for the squelch)
    from htdsp.pipeline import Session
    from htdsp.sources import SourceInfo

    txs = [Transmitter("a", "speech", ctcss_hz=88.5, freq_error_hz=40.0, keyed=[(0.5, 10.5)],
                       ani={"kind": "dtmf", "id": "109", "at": "key-down"}),
           Transmitter("b", "speech", freq_error_hz=42.0, keyed=[(11.7, 14.0)], seed_offset=1,
                       ani={"kind": "mdc1200", "id": "1004"})]
    sc = Scenario(duration_s=14.5, fs=120e3, cnr_db=30.0, transmitters=txs, seed=9)
    x = _cached_samples(sc)
    s = Session(SourceInfo("net", "cf32", sc.fs), "cf32", [Channel(sc.offset_hz)],
                Settings(keep_windows=True))
    for i in range(0, x.size, chunk):
        s.feed(x[i:i + chunk])
    s.finish()
    got = [(round(t["start_s"], 2), t["ani"], t["station"], t["station_by"])
           for t in s.runs[0].judge.transmissions]
    assert got == [(0.5, "dtmf:109", "dtmf:109", "ani"),
                   (11.7, "mdc1200:1004", "mdc1200:1004", "ani")]


_SAMPLES = {}


def _cached_samples(sc):
    key = repr(sc)
    if key not in _SAMPLES:
        _SAMPLES[key] = simulate(sc, None).pop("samples")
    return _SAMPLES[key]


def test_a_station_known_in_fewer_ways_is_not_favoured():
    # A and B heard in capture a at the same level; B alone in capture b, 20 dB down: a
    # transmission in b between them in carrier and at B's level there is B's
    book = StationBook()
    t = {"ani": None, "ctcss_freq_error_hz": None, "start_s": 0.0, "end_s": 3.0}
    a = book.attribute(dict(t, freq_error_hz=100.0, rssi_dbfs=-30.0), capture="a")["station"]
    b = book.attribute(dict(t, freq_error_hz=140.0, rssi_dbfs=-30.0), capture="a")["station"]
    assert a != b
    assert book.attribute(dict(t, freq_error_hz=140.0, rssi_dbfs=-50.0),
                          capture="b")["station"] == b
    assert book.attribute(dict(t, freq_error_hz=125.0, rssi_dbfs=-50.0),
                          capture="b")["station"] == b
    # and another CTCSS tone is another station, whatever the carrier says
    u = book.attribute(dict(t, freq_error_hz=100.0, rssi_dbfs=-30.0, ctcss_hz=88.5),
                       capture="a")["station"]
    v = book.attribute(dict(t, freq_error_hz=100.0, rssi_dbfs=-30.0, ctcss_hz=123.0),
                       capture="a")["station"]
    assert u != v


class _Rec(dict):
    """A transmission record as the judge gives it: a dict with its ``aux`` (nothing judged)."""

    def __init__(self, *a, **kw):
        from htdsp.measure import BoundedHistogram

        super().__init__(*a, **kw)
        self.aux = {"ok": 0, "judged": 0, "ani_unsure": [],
                    "series": {"sinad_db": BoundedHistogram(), "snr_db": BoundedHistogram()}}


def test_an_over_heard_before_its_radio_was_named_is_renamed_by_a_poor_id():
    # a weak link: its first over's ID lost, then a poor decode with a digit dropped ("13"
    # of "103"): that names the roster station, which takes in the unnamed one
    book = StationBook([Station("base", ["dtmf:100"]), Station("kerinci", ["dtmf:103"])])
    t = {"freq_error_hz": 0.0, "rssi_dbfs": -44.0, "ctcss_freq_error_hz": None,
         "start_s": 0.0, "end_s": 3.0}
    book.attribute(dict(t, ani="dtmf:100", freq_error_hz=-20.0, rssi_dbfs=-30.0))
    first = book.attribute(_Rec(t, ani=None, freq_error_hz=339.0))
    assert first["station"] == "station-1"
    later = _Rec(t, ani=None, freq_error_hz=340.0, start_s=10.0, end_s=13.0)
    later.aux["ani_unsure"] = ["dtmf:13"]
    later = book.attribute(later)
    assert (later["station"], later["station_by"]) == ("kerinci", "ani")
    assert book.renamed == {"station-1": "kerinci"}
    (k,) = [s for s in book.summaries(Settings().requirements, lambda q: None)
            if s["station"] == "kerinci"]
    assert k["transmissions"] == 2 and "station-1" in k["labels"]
    # a poor decode that the fingerprint contradicts names nobody
    far = _Rec(t, ani=None, freq_error_hz=-380.0, start_s=20.0, end_s=23.0)
    far.aux["ani_unsure"] = ["dtmf:103"]
    assert book.attribute(far)["station"] not in ("kerinci", "base")


def test_the_clean_windows_fingerprint_is_used_over_the_whole_over():
    # an over whose whole-over carrier error a doubling pulled 45 Hz: its clean windows'
    # median says which radio it is
    book = StationBook([Station("tebo", ["dtmf:109"]), Station("base", ["dtmf:100"])])
    t = {"rssi_dbfs": -31.0, "ctcss_freq_error_hz": None, "start_s": 0.0, "end_s": 3.0}
    book.attribute(dict(t, ani="dtmf:100", freq_error_hz=-20.0))
    book.attribute(dict(t, ani="dtmf:109", freq_error_hz=198.0))
    pulled = _Rec(t, ani=None, freq_error_hz=153.8)
    pulled.aux.update(ani_unsure=["dtmf:109"], carrier_hz=197.0, level_dbfs=-31.0)
    assert book.attribute(pulled)["station"] == "tebo"
    bare = _Rec(t, ani=None, freq_error_hz=153.8)
    bare.aux["ani_unsure"] = ["dtmf:109"]
    assert book.attribute(bare)["station"] != "tebo"


def test_every_report_of_the_capture_names_an_over_heard_before_its_id():
    # one radio (the same carrier error, level and path) keys without its ID, then with it:
    # the first over is an unnamed station while the capture runs, the radio's name in
    # every report the capture ends with
    import csv
    import io
    import json

    from htdsp.sinks.document import JsonSink
    from htdsp.sinks.table import EventsCsvSink

    radio = dict(freq_error_hz=300.0, power_db=-2.0, seed_offset=0)
    txs = [Transmitter("x", "speech", keyed=[(0.5, 3.0)], **radio),
           Transmitter("x", "speech", keyed=[(4.0, 6.5)], ani={"kind": "dtmf", "id": "103"},
                       **radio),
           Transmitter("y", "speech", keyed=[(7.3, 9.5)], freq_error_hz=-150.0,
                       ani={"kind": "dtmf", "id": "101"}, seed_offset=1)]
    sc = Scenario(duration_s=10.0, fs=250e3, cnr_db=28.0, transmitters=txs, seed=2)
    x = simulate(sc, None)
    src = RepeatSource(x.pop("samples"), sc.fs, samples=int(sc.duration_s * sc.fs))
    js, cs = io.StringIO(), io.StringIO()
    roster = [Station("kerinci", ["dtmf:103"]), Station("batanghari", ["dtmf:101"])]
    sco = Scoring(Settings(roster=roster, keep_windows=True), sinks=[JsonSink(js),
                                                                      EventsCsvSink(cs)])
    s = sco.session(src.info, "cf32", [Channel(sc.offset_hz)])
    online = []
    s.sinks.append(type("Tap", (object,), {
        **{k: (lambda self, *a: None) for k in ("start", "add_run", "chunk", "window",
                                                "capture", "close", "discard", "abort")},
        "transmission": lambda self, run, t: online.append(t["station"])})())
    s.run(src)
    s.finish()
    sco.finish()
    assert online == ["station-1", "kerinci", "batanghari"]
    final = ["kerinci", "kerinci", "batanghari"]
    assert [t["station"] for t in s.runs[0].judge.transmissions] == final
    doc = json.loads(js.getvalue())
    assert [e["station"] for e in doc["captures"][0]["events"]] == final
    rows = list(csv.DictReader(io.StringIO(cs.getvalue())))
    assert [r["station"] for r in rows] == final
    # the rest of a row is as it was spooled
    assert [float(r["start_s"]) for r in rows] == [e["start_s"] for e in
                                                   doc["captures"][0]["events"]]
    (k,) = [st for st in doc["stations"] if st["station"] == "kerinci"]
    assert k["transmissions"] == 2 and k["labels"] == "station-1"
