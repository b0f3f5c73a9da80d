"""Every channel of a band at once (``htdsp score --channels``): on simulated band captures at
2.4 MS/s (centre on the raster) and 2.048 MS/s (centre 3.1 kHz off it), every keyed channel is
found, no other channel is reported active (the neighbours of a user at 45 dB CNR included),
and each user's transmissions are found within 20 ms of the truth."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from htdsp.sim import simulate
from htdsp.sim.scenarios import BAND_USERS, scenario
from tests.cli import run_cli

RASTER = 12500.0


def _band(tmp_path, fs, center_hz, seconds=3.0):
    sc = scenario("band", seconds)
    sc.fs, sc.center_hz = fs, center_hz
    half = fs / 2 * 0.8
    truth = {}
    keep = []
    for t, (off, _, keyed, _) in zip(sc.transmitters, BAND_USERS, strict=True):
        f = RASTER * round((center_hz + off) / RASTER)        # on the raster, absolute
        t.offset_hz = f - center_hz
        if abs(t.offset_hz) + RASTER / 2 <= half:
            truth[f] = [(a * seconds, b * seconds) for a, b in keyed]
            keep.append(t)
    sc.transmitters = keep
    path = tmp_path / f"band-{fs:.0f}.sigmf-meta"
    simulate(sc, str(path))
    return path, truth


@pytest.mark.parametrize("fs,center_hz", [(2.4e6, 145.2e6), (2.048e6, 145.2031e6)])
def test_every_keyed_channel_is_found_and_no_other(tmp_path, fs, center_hz):
    path, truth = _band(tmp_path, fs, center_hz)
    assert len(truth) >= 7
    out = tmp_path / "b.json"
    html = tmp_path / "b.html"
    p = run_cli("score", path, "--channels", "auto", "--json", out, "--html", html, text=True)
    assert p.returncode in (0, 1), p.stderr
    assert f"{len(truth)} of " in p.stderr and "channels active" in p.stderr
    caps = json.loads(out.read_text())["captures"]
    found = {round(c["channel"]["freq_hz"]): c for c in caps}
    assert set(found) == {round(f) for f in truth}
    for f, intervals in truth.items():
        c = found[round(f)]
        assert c["channel"]["chosen"] == "auto"
        got = [(e["start_s"], e["end_s"]) for e in c["events"]]
        assert len(got) == len(intervals), (f, got, intervals)
        for (a, b), (s, e) in zip(intervals, got, strict=True):
            assert abs(s - a) <= 0.020 and abs(e - b) <= 0.020, (f, (a, b), (s, e))
        # the band's table: air time and share of the capture as keyed, the best and worst
        sm = c["summary"]
        talk = sum(b - a for a, b in intervals)
        assert sm["talk_time_s"] == pytest.approx(talk, abs=0.04)
        assert sm["busy_fraction"] == pytest.approx(talk / 3.0, abs=0.015)
        assert sm["best_link_db"] >= sm["worst_link_db"] > 15.0
    assert "band:" in p.stderr and "busy %" in p.stderr
    page = html.read_text()
    assert page.count('alt="band occupancy"') == 1 and "<script" not in page
    assert page.count('alt="band power"') == 1            # every channel's power, rtl_power's
    band = page.split("<h2>Band:", 1)[1].split("</table>", 1)[0]
    assert band.count("<tr>") == len(truth) + 1                   # a row per channel
    assert p.stderr.count(" MHz ") >= 2 * len(truth)              # both tables


def test_all_and_a_range_score_the_raster_channels(tmp_path):
    path, truth = _band(tmp_path, 2.4e6, 145.2e6, seconds=1.0)
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    p = run_cli("score", path, "--channels", "145.225M-145.25M", "--json", out, "--html", html,
                "-q", text=True)
    assert p.returncode in (0, 1), p.stderr
    caps = json.loads(out.read_text())["captures"]
    assert [c["channel"]["freq_hz"] for c in caps] == [145.225e6, 145.2375e6, 145.25e6]
    assert [len(c["events"]) for c in caps] == [0, 1, 0]          # only the user at +37.5 k
    assert {c["channel"]["chosen"] for c in caps} == {"range"}
    # an unused channel of a band is not a warning (152 of them would bury the rest)
    assert "no transmission found" not in p.stderr
    assert not any(c["summary"]["warnings"] for c in caps)
    # and in the HTML the unused channels get their table, no pictures: one channel's four
    parts = html.read_text().split('<div class="capture">')[1:]
    assert len(parts) == 1 + 3 and parts[0].count("<figure>") == 2   # the band's, then 3
    assert [p_.count("<figure>") >= 3 for p_ in parts[1:]] == [False, True, False]
    assert parts[1].count("<figure>") == parts[3].count("<figure>") == 0
    # an unused channel (watched, never run) reads the noise floor the channel scored alone
    # reads, and is judged as it is
    one = tmp_path / "one.json"
    assert run_cli("score", path, "--channel", "145.225M", "--json", one, "-q").returncode \
        in (0, 1)
    alone = json.loads(one.read_text())["captures"][0]["summary"]
    quiet = caps[0]["summary"]
    assert quiet["noise_floor_dbfs"] == pytest.approx(alone["noise_floor_dbfs"], abs=0.5)
    for k in ("transmissions", "talk_time_s", "availability", "verdict", "unusable"):
        assert quiet[k] == alone[k], k


@pytest.mark.parametrize("argv,needle", [
    (["--channels", "most"], "give all, auto or a range"),
    (["--channels", "146M-145M"], "from a lower to a higher"),
    (["--channels", "all", "--channel", "145M"], "not allowed with"),
])
def test_channel_selection_usage_errors(tmp_path, argv, needle):
    p = run_cli("score", "captures/synthetic/clear-los.sigmf-meta", *argv, "-q", text=True)
    assert p.returncode == 2 and needle in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_a_raster_needs_the_centre_frequency(tmp_path):
    raw = tmp_path / "x.cu8"
    np.full(2 * 240000, 128, np.uint8).tofile(raw)
    p = run_cli("score", raw, "--rate", "2.4M", "--channels", "all", "-q", text=True)
    assert p.returncode == 2 and "centre frequency" in p.stderr


def test_the_bundled_band_capture_shows_its_eight_users(tmp_path):
    # README's main job scores it with --channels auto: every keyed user's channel, no other
    out = tmp_path / "band.json"
    p = run_cli("score", "captures/band/band.sigmf-meta", "--channels", "auto", "--json", out,
                "-q", text=True)
    assert p.returncode in (0, 1), p.stderr
    doc = json.loads(out.read_text())
    import jsonschema

    from htdsp.sinks.document import schema

    jsonschema.validate(doc, schema())                  # the new fields and choices included
    got = [c["channel"]["freq_hz"] for c in doc["captures"]]
    assert got == sorted(145.2e6 + off for off, *_ in BAND_USERS)
    assert all(c["summary"]["transmissions"] >= 1 for c in doc["captures"])


def test_the_activity_detector_streams():
    # runs carry across chunks (any chunking, the same answer), a burst shorter than min_s is
    # not a carrier, and its memory is a few numbers per channel
    from htdsp.measure.activity import ActivityDetector

    rng = np.random.default_rng(9)
    p = 1.0 + 0.05 * rng.standard_normal((400, 20))    # a block averages 20000 samples
    p[100:110, 3] *= 100.0                 # 10 blocks: 87 ms at 8.7 ms a block
    p[200:203, 7] *= 100.0                 # 3 blocks: 26 ms, under 50 ms
    p[:, 12] *= 100.0                      # busy all the time
    whole = ActivityDetector(20, 0.0087)
    whole.add(p)
    parts = ActivityDetector(20, 0.0087)
    for a in range(0, 400, 7):
        parts.add(p[a:a + 7])
    assert np.flatnonzero(whole.active).tolist() == [3, 12]
    assert np.array_equal(parts.active, whole.active)
    # when each became active: the first block of the run that made it (for back-dating)
    assert whole.first_block[3] == 100 and whole.first_block[12] == 0
    assert np.array_equal(parts.first_block, whole.first_block)
    # the noise of a channel: its blocks under the threshold
    assert whole.idle_power[3] == pytest.approx(1.0, abs=0.01)
    assert np.array_equal(parts.busy_fraction, whole.busy_fraction)
    assert whole.busy_fraction[12] > 0.95 and whole.busy_fraction[3] < 0.05


def test_a_neighbours_splatter_is_not_a_carrier():
    # a 60 dB carrier on channel 5: its neighbours at +20 dB over the floor (40 dB under it)
    # are its splatter; a user beside it 20 dB under it is a carrier of its own
    from htdsp.measure.activity import ActivityDetector

    offs = np.arange(12) * 12500.0
    p = np.ones((50, 12))
    p[:, 5] = 1e6
    p[:, [4, 6]] = 100.0
    p[:, 9] = 1e6
    p[:, 10] = 1e4
    det = ActivityDetector(12, 0.0087, offsets_hz=offs, bandwidth_hz=12500.0)
    det.add(p)
    assert np.flatnonzero(det.active).tolist() == [5, 9, 10]
    plain = ActivityDetector(12, 0.0087)                 # (without the offsets: no such rule)
    plain.add(p)
    assert np.flatnonzero(plain.active).tolist() == [4, 5, 6, 9, 10]


def test_a_bands_unused_channels_are_reported_not_judged():
    # a location passes when its used channels pass: a band's unused channels (no
    # transmission) do not fail it, unless none was used; a channel asked for by name that
    # was not heard still fails
    from htdsp.score import location_verdicts

    def entry(path, chosen, activity, verdict):
        return {"source": {"path": path}, "channel": {"chosen": chosen, "activity": activity},
                "summary": {"verdict": verdict}}

    caps = [entry("a", "all", "idle", "fail"), entry("a", "all", "scored", "pass"),
            entry("b", "all", "idle", "fail"), entry("b", "all", "idle", "fail"),
            entry("c", "given", None, "fail"), entry("c", "given", None, "pass"),
            entry("d", "range", "idle", "unusable"), entry("d", "range", "scored", "pass"),
            # a carrier seen but never heard as a transmission, or refused: judged
            entry("e", "auto", "scored", "fail"), entry("e", "auto", "scored", "pass"),
            entry("f", "all", "refused", "fail"), entry("f", "all", "scored", "pass")]
    assert location_verdicts(caps) == ["pass", "fail", "fail", "unusable", "fail", "fail"]


def _detector_ref(p, need, ratio):
    """The carrier detector written plainly: block by block, channel by channel."""
    nb, nc = p.shape
    k = int(round(0.2 * (nc - 1)))
    run = [0] * nc
    first = [-1] * nc
    for b in range(nb):
        floor = sorted(p[b])[k]
        for c in range(nc):
            run[c] = run[c] + 1 if p[b, c] > ratio * floor else 0
            if run[c] >= need and first[c] < 0:
                first[c] = b - run[c] + 1
    return first


@given(st.integers(0, 2**31), st.lists(st.integers(1, 30), min_size=1, max_size=8))
def test_the_activity_detector_is_its_plain_loop(seed, cuts):
    # any chunking: the same channels, made active at the same blocks, as block by block
    from htdsp.measure.activity import ActivityDetector

    rng = np.random.default_rng(seed)
    p = 1.0 + 0.05 * rng.random((120, 9))
    for _ in range(6):                       # bursts of random length on random channels
        c, a, n = rng.integers(0, 9), rng.integers(0, 110), rng.integers(1, 15)
        p[a:a + n, c] *= 10.0
    det = ActivityDetector(9, 0.0087)
    i = 0
    for c in [*np.cumsum(cuts).tolist(), 120]:
        det.add(p[i:min(c, 120)])
        i = min(c, 120)
    assert det.first_block.tolist() == _detector_ref(p, det.need, det.ratio)


@given(st.lists(st.integers(1, 90), min_size=1, max_size=12))
def test_the_band_power_picture_stays_bounded(cuts):
    # 1000 blocks of a ramp on channel 0 (and 2.0 on channel 1) into at most 16 columns, in any
    # chunking: the same picture, whole columns the mean of their blocks, memory bounded
    from htdsp.measure.activity import BandPower

    p = np.stack([np.arange(1000.0) + 1.0, np.full(1000, 2.0)], axis=1)
    whole = BandPower(2, 0.01, columns=16)
    whole.add(p)
    parts = BandPower(2, 0.01, columns=16)
    i = 0
    for c in [*np.cumsum(cuts).tolist(), 1000]:
        parts.add(p[i:min(c, 1000)])
        i = min(c, 1000)
    db, col_s = whole.picture()
    assert np.array_equal(parts.picture()[0], db) and parts.picture()[1] == col_s
    assert db.shape[0] <= 17 and col_s == 0.01 * whole.span == 0.64   # 1000 / 64: 15 and one
    span = whole.span
    means = p[:(1000 // span) * span, 0].reshape(-1, span).mean(axis=1)
    assert np.allclose(10 ** (db[:len(means), 0] / 10), means)
    assert np.allclose(db[:, 1], 10 * np.log10(2.0))
