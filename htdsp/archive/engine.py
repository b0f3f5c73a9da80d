"""The engine: independent tasks (one per capture) run in-process or on a Dask cluster (a
local one of worker processes, or an existing one by its scheduler's address), their results
streamed back as each ends. Dask schedules and retries; htdsp writes no scheduler."""

import contextlib
import logging
import os

from htdsp.errors import InputError

#: times Dask runs a task again after its worker died under it
RETRIES = 2
#: glibc's mmap threshold in the workers htdsp starts (see :func:`worker_config`), bytes
MMAP_THRESHOLD = 1 << 25


def worker_config():
    """Dask settings of the workers htdsp starts.

    - No statistical profiler: it samples the task's stack every 10 ms, holding the
      interpreter lock the scoring's Python needs (2 workers: 10.0 s -> 7.4 s on 40 x 8 s
      captures).
    - glibc's mmap threshold at 32 MiB, its own ceiling for the dynamic threshold. Dask's
      nannies set ``MALLOC_TRIM_THRESHOLD_``, and setting it turns glibc's dynamic mmap
      threshold off (mallopt(3)): every array over 128 KiB, a chunk's samples, is then a
      fresh mmap whose pages fault in again. Measured: 16 captures of 2 s on one worker
      2.6-2.9 s, 2.2 s with this, 1.8-2.2 s in-process.
    """
    import dask
    import distributed  # noqa: F401  (its defaults join Dask's config when it is imported)

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    env["MALLOC_MMAP_THRESHOLD_"] = MMAP_THRESHOLD
    return {"distributed.worker.profile.enabled": False,
            "distributed.nanny.pre-spawn-environ": env}


def worker_count(jobs):
    """``--jobs``: a positive count or ``auto`` (one per core), as a number.

    Examples
    --------
    >>> worker_count("3"), worker_count("auto") >= 1
    (3, True)
    >>> worker_count("0")
    Traceback (most recent call last):
    htdsp.errors.InputError: --jobs takes a positive number of workers or auto, got '0'
    """
    text = str(jobs).strip().lower()
    if text == "auto":
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else (os.cpu_count() or 1))
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1 or n > 4096:
        raise InputError(f"--jobs takes a positive number of workers or auto, got {jobs!r}")
    return n


#: how long ``--scheduler`` waits to reach its scheduler, s
CONNECT_TIMEOUT_S = 5.0


@contextlib.contextmanager
def cluster_client(jobs=1, scheduler=None, timeout_s=None):
    """A :class:`distributed.Client`: on ``scheduler`` (``tcp://HOST:8786``), else on a new
    local cluster of ``jobs`` worker processes (one thread each: a worker holds one capture
    at a time); closed on exit."""
    from distributed import Client, LocalCluster

    quiet = {"silence_logs": logging.ERROR}
    if scheduler is not None:
        if "://" not in scheduler:
            raise InputError(f"--scheduler takes tcp://HOST:PORT, got {scheduler!r}")
        try:
            client = Client(scheduler, timeout=timeout_s or CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError(f"--scheduler {scheduler}: cannot reach it ({e})") from None
        with client:
            yield client
        return
    import dask

    with dask.config.set(worker_config()), LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
            **quiet) as cluster, Client(cluster) as client:
        yield client


def run_tasks(fn, payloads, *, jobs=1, scheduler=None, client=None, on_error=None):
    """``fn(payload)`` for each payload; yields ``(index, result)`` as each ends (in-process
    and in order for ``jobs == 1`` without a scheduler or client; else on Dask, in the order
    they end). A worker that dies under a task: Dask runs it again elsewhere (:data:`RETRIES`);
    a task that still fails (its workers died each time): ``on_error(payload, exception)`` is
    its result (without ``on_error``, the exception is raised).

    Examples
    --------
    >>> sorted(run_tasks(abs, [-1, -2]))
    [(0, 1), (1, 2)]
    """
    payloads = list(payloads)
    if not payloads:
        return
    if client is None and scheduler is None and jobs == 1:
        for i, p in enumerate(payloads):
            yield i, fn(p)
        return
    if client is not None:
        yield from _on(client, fn, payloads, on_error)
        return
    with cluster_client(jobs, scheduler) as c:
        yield from _on(c, fn, payloads, on_error)


def _on(client, fn, payloads, on_error):
    from distributed import as_completed

    futures = {}
    for i, p in enumerate(payloads):
        f = client.submit(fn, p, pure=False, retries=RETRIES, key=f"htdsp-capture-{i}-"
                          f"{os.getpid()}-{id(payloads)}")
        futures[f] = i
    for f in as_completed(list(futures)):
        i = futures.pop(f)
        try:
            result = f.result()
        except Exception as e:            # (KilledWorker; a bug in a task)
            if on_error is None:
                raise
            result = on_error(payloads[i], e)
        f.release()                       # streamed: the reduce keeps only what it needs
        yield i, result
