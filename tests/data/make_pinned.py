"""Pin what ``htdsp score --json`` says about the bundled captures, to hold a refactor to it:
``python tests/data/make_pinned.py`` (run on the tree before the refactor) writes
``tests/data/pinned_score.json``; tests/test_pinned.py compares (counts exact, edges within
2 ms, dB figures within 0.05 dB)."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ["captures/kpbenz-2m-nfm-voice/capture.sigmf-meta",
            *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "captures" / "synthetic").glob(
                "*.sigmf-meta"))]
EVENT_KEYS = ("start_s", "end_s", "squelch_events", "ctcss_hz", "dcs_code", "close_reason",
              "cnr_db", "freq_error_hz", "sinad_db_p50", "snr_db_p50")
SUMMARY_KEYS = ("verdict", "transmissions", "keyed_windows", "availability", "sinad_db_p10",
                "sinad_db_p50", "sinad_db_p90", "snr_db_p10", "snr_db_p50", "snr_db_p90",
                "quality_db_p10", "quality_db_p50", "quality_db_p90", "daq", "cnr_db",
                "rssi_dbfs", "noise_floor_dbfs", "freq_error_hz", "deviation_peak_hz",
                "ctcss_hz", "dcs_code", "dropouts")


def pin():
    out = {}
    with tempfile.TemporaryDirectory() as d:
        for cap in CAPTURES:
            js = Path(d) / "s.json"
            subprocess.run([sys.executable, "-m", "htdsp.cli", "score", cap, "--json", str(js),
                            "-q"], cwd=ROOT, check=False, capture_output=True)
            doc = json.loads(js.read_text())
            c = doc["captures"][0]
            out[cap] = {"channel_hz": c["channel"]["freq_hz"],
                        "summary": {k: c["summary"].get(k) for k in SUMMARY_KEYS},
                        "events": [{k: e.get(k) for k in EVENT_KEYS} for e in c["events"]],
                        "windows": len(c["windows"])}
            js.unlink()
    return out


if __name__ == "__main__":
    (Path(__file__).with_name("pinned_score.json")).write_text(json.dumps(pin(), indent=1) + "\n")
