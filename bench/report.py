"""Markdown table (MS/s and ratio to the NumPy reference) from a pytest-benchmark JSON file.

Usage: ``python bench/report.py BENCH.json`` (from ``pytest bench --benchmark-only
--benchmark-json=BENCH.json``). In each group the row whose name contains ``reference`` is 1.0x.
"""

import json
import sys
from collections import defaultdict


def table(path):
    with open(path) as f:
        data = json.load(f)
    groups = defaultdict(list)
    for b in data["benchmarks"]:
        groups[b["group"]].append(b)
    lines = [f"machine: {data['machine_info'].get('cpu', {}).get('brand_raw', '?')}, "
             f"{data['datetime'][:16]} UTC, python {data['machine_info']['python_version']}", "",
             "| group | benchmark | samples | median ms | MS/s | vs reference |",
             "|---|---|---|---|---|---|"]
    for g in sorted(groups):
        rows = groups[g]
        ref = next((r for r in rows if "reference" in r["name"]), None)
        for r in sorted(rows, key=lambda r: r["name"]):
            med = r["stats"]["median"]
            msps = r["extra_info"].get("msamples_per_s")
            n = r["extra_info"].get("samples")
            ratio = ""
            if ref is not None and n == ref["extra_info"].get("samples"):
                ratio = f"{ref['stats']['median'] / med:.2f}x"
            elif "x_real_time" in r["extra_info"]:
                ratio = f"{r['extra_info']['x_real_time']}x real time"
            lines.append(f"| {g} | {r['name'].removeprefix('test_')} | {n} | {med * 1e3:.3f} | "
                         f"{msps} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1]))
