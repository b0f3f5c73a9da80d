"""``htdsp live --channels all`` on a 2.4 MS/s rtl_tcp stream replayed in real time over
loopback (the bundled band capture, looped): lost samples and the CPU share of the live run.

Usage: ``python bench/live_band.py [SECONDS]`` (default 60). The replay server runs on core 0,
the live run on core 1 (``taskset``); prints the live run's exit code, wall, user and system
time, its share of one core, its peak memory, and from its JSON the channels, those with
transmissions, the lost samples and the samples received.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTDSP = [sys.executable, "-m", "htdsp.cli"]


def main(seconds=60.0):
    seconds = float(seconds)
    out = Path(tempfile.mkdtemp()) / "live.json"
    server = subprocess.Popen(["taskset", "-c", "0", *HTDSP, "replay",
                               str(ROOT / "captures/band/band.sigmf-meta"), "--port", "0",
                               "--realtime", "--loop"], stderr=subprocess.PIPE, text=True)
    try:
        port = re.search(r":(\d+)\s*$", server.stderr.readline()).group(1)
        t = time.perf_counter()
        p = subprocess.Popen(["taskset", "-c", "1", *HTDSP, "live", "--rtltcp",
                              f"127.0.0.1:{port}", "--center", "145.2M", "--rate", "2.4M",
                              "--channels", "all", "--duration", str(seconds), "--json",
                              str(out), "-q"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)          # (the live run's own accounting)
        wall = time.perf_counter() - t
        code = os.waitstatus_to_exitcode(status)
    finally:
        server.terminate()
        server.wait(5)
    cpu = ru.ru_utime + ru.ru_stime
    print(f"live: exit {code}, wall {wall:.1f} s, user {ru.ru_utime:.1f} s, sys "
          f"{ru.ru_stime:.1f} s, {cpu / wall:.0%} of one core, peak {ru.ru_maxrss // 1024} MB")
    caps = json.loads(out.read_text())["captures"]
    print(f"{len(caps)} channels, {sum(1 for c in caps if c['summary']['transmissions'])} "
          f"with transmissions, lost samples {max(c['summary']['lost_samples'] for c in caps)},"
          f" samples {caps[0]['source']['samples']} of {int(seconds * 2.4e6)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
