"""An archive's scaling on Dask (``python -m bench.archive_scaling``).

Simulates an archive (40 captures of 2 s at 250 kS/s by default), then times, in the same run:
the whole score in this process (``--jobs 1``: no cluster); the same on a started local
cluster of 1 and of 2 worker processes (each worker warmed by one capture first: Numba's cache
loaded, htdsp imported; the cluster's start timed apart); the whole command with ``--jobs 2``
(cluster start included); plain processes without Dask, 1 and 2 (this machine's own
ceiling for two CPU-bound processes); and the engine's own cost per capture: the same number
of tasks that do no work but return a result as large as a capture's, on 1 worker. Each run
on a started cluster or pool is timed :data:`REPEATS` times and the best kept.

    python -m bench.archive_scaling [--captures N] [--duration S]
"""

import argparse
import json
import os
import pickle
import tempfile
import time

from htdsp.cli import archive, build_parser, main

FS = "250k"
#: runs of each timing (the best is reported: this VM is shared, and noise only adds time)
REPEATS = 3


def make_archive(root, n, duration):
    for i in range(n):
        scen = "clear-los" if i % 3 else "weak-edge"
        rc = main(["simulate", "--scenario", scen, "--rate", FS, "--duration", duration,
                   "--seed", str(i), "-q", "-o", os.path.join(root, f"c{i:03d}.sigmf-meta")])
        assert rc == 0


def _args(root, out, jobs="1"):
    return build_parser().parse_args(["score", root, "--no-cache", "-q", "--jobs", jobs,
                                      "--json", out])


def on_cluster(root, workers, out):
    """(start s, warm-up s, best run s) on a local cluster of ``workers`` processes."""
    import dask
    from distributed import Client, LocalCluster

    from htdsp.archive.engine import worker_config

    t0 = time.perf_counter()
    with dask.config.set(worker_config()), LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=None) as cluster, Client(cluster) as client:
        t1 = time.perf_counter()
        first = os.path.join(root, sorted(os.listdir(root))[0])
        client.run(archive.score_capture, {"path": first, "options":
                   archive.result_options(_args(root, out)), "rate_hz": None,
                   "center_hz": None})
        t2 = time.perf_counter()
        best = float("inf")
        for _ in range(REPEATS):
            t3 = time.perf_counter()
            archive.run(_args(root, out, str(workers)), client=client)
            best = min(best, time.perf_counter() - t3)
    return t1 - t0, t2 - t1, best


def _score_all(tasks):
    for t in tasks:
        archive.score_capture(t)
    return len(tasks)


def plain_processes(tasks, workers):
    """Seconds to score ``tasks`` split among ``workers`` plain processes (no Dask; each
    warmed by one capture first): what this machine's cores give two CPU-bound processes,
    the ceiling of any engine's scaling here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        list(pool.map(_score_all, [tasks[:1]] * workers))          # warm each
        k = -(-len(tasks) // workers)
        best = float("inf")
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            list(pool.map(_score_all, [tasks[i:i + k] for i in range(0, len(tasks), k)]))
            best = min(best, time.perf_counter() - t0)
        return best


def _noop(result):
    return result


def engine_overhead(n, result):
    """Seconds per task of the engine alone (1 worker, tasks returning ``result``)."""
    from distributed import Client, LocalCluster

    from htdsp.archive.engine import run_tasks

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        list(run_tasks(_noop, [result] * 4, client=client))     # warm
        t0 = time.perf_counter()
        list(run_tasks(_noop, [result] * n, client=client))
        return (time.perf_counter() - t0) / n


def main_(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--captures", type=int, default=40)
    p.add_argument("--duration", default="2s")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        root = os.path.join(d, "archive")
        os.mkdir(root)
        make_archive(root, a.captures, a.duration)
        out = os.path.join(d, "out.json")
        t0 = time.perf_counter()
        archive.run(_args(root, out))
        seq = time.perf_counter() - t0
        doc = json.load(open(out))
        opts = archive.result_options(_args(root, out))
        tasks = [{"path": os.path.join(root, f), "options": opts, "rate_hz": None,
                  "center_hz": None, "waterfall": False}
                 for f in sorted(os.listdir(root)) if f.endswith(".sigmf-meta")]
        p1 = plain_processes(tasks, 1)
        p2 = plain_processes(tasks, 2)
        one = on_cluster(root, 1, out)
        two = on_cluster(root, 2, out)
        t0 = time.perf_counter()
        archive.run(_args(root, out, "2"))
        cli2 = time.perf_counter() - t0
        from htdsp.cli.archive import score_capture
        r = score_capture(tasks[0])
        size = len(pickle.dumps(r))
        over = engine_overhead(a.captures, r)
    n = a.captures
    per = seq / n
    print(f"archive: {n} captures of {a.duration} at {FS}S/s "
          f"({len(doc['captures'])} scored), {os.cpu_count()} cores")
    print(f"in this process (--jobs 1, no cluster): {seq:.2f} s ({per * 1e3:.0f} ms a capture)")
    print(f"plain processes, no Dask: 1 {p1:.2f} s, 2 {p2:.2f} s: {p2 / p1:.2f} (this "
          "machine's own ceiling for two)")
    print(f"1 worker : start {one[0]:.2f} s, warm-up {one[1]:.2f} s, run {one[2]:.2f} s")
    print(f"2 workers: start {two[0]:.2f} s, warm-up {two[1]:.2f} s, run {two[2]:.2f} s")
    print(f"2 workers / 1 worker (run): {two[2] / one[2]:.2f}   (the issue asks <= 0.6)")
    print(f"htdsp score --jobs 2, whole command (cluster start included): {cli2:.2f} s "
          f"({cli2 / seq:.2f} x in-process)")
    print(f"engine overhead: {over * 1e3:.1f} ms a capture (a {size / 1e3:.0f} kB result), "
          f"{over / per * 100:.1f} % of a capture's scoring")
    print(f"implied: one scheduler serves up to ~{per / over:.0f} workers busy on captures "
          f"like these before its {over * 1e3:.1f} ms a task is the limit (longer captures: "
          "proportionally more)")


if __name__ == "__main__":
    main_()
