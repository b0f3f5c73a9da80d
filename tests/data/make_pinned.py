"""Pin what ``htdsp score --json`` says about the bundled captures, to hold a refactor to it:
``python tests/data/make_pinned.py`` (run on the tree before the refactor: it was run on
e98c6b0, the last commit before the streaming pipeline) writes ``tests/data/pinned_score.json``;
tests/test_pinned.py compares (counts exact, edges within 2 ms, dB figures within 0.05 dB)."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ["captures/kpbenz-2m-nfm-voice/capture.sigmf-meta",
            *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "captures" / "synthetic").glob(
                "*.sigmf-meta"))]
#: the per-window fields pinned (every window)
WINDOW_KEYS = ("index", "start_s", "end_s", "keyed", "gap", "counted", "meets_criterion",
               "rssi_dbfs", "noise_floor_dbfs", "cnr_db", "freq_error_hz", "sinad_db",
               "snr_db", "daq", "tone_missing", "bounds")
FADING_KEYS = ("fade_depth_db", "k_factor_db", "doppler_hz")


def pin():
    out = {}
    with tempfile.TemporaryDirectory() as d:
        for cap in CAPTURES:
            js = Path(d) / "s.json"
            subprocess.run([sys.executable, "-m", "htdsp.cli", "score", cap, "--json", str(js),
                            "-q"], cwd=ROOT, check=False, capture_output=True)
            doc = json.loads(js.read_text())
            c = doc["captures"][0]
            s = {k: v for k, v in c["summary"].items() if k not in ("input_health",)}
            events = [{**{k: v for k, v in e.items() if k != "fading"},
                       "fading": {k: e["fading"].get(k) for k in FADING_KEYS}}
                      for e in c["events"]]
            out[cap] = {"channel": c["channel"], "summary": s, "events": events,
                        "windows": [{k: w.get(k) for k in WINDOW_KEYS} for w in c["windows"]]}
            js.unlink()
    return out


if __name__ == "__main__":
    (Path(__file__).with_name("pinned_score.json")).write_text(json.dumps(pin(), indent=1) + "\n")
