"""``htdsp score`` over an archive: directories, globs and manifests as inputs, each capture
one task (``--jobs``, ``--scheduler``: on Dask), results cached by content, one document with
the archive's views."""

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time

from htdsp.cli import common, scoring
from htdsp.errors import EXIT_USAGE, HtdspError, InputError

#: options that change no capture's result (left out of the cache key, not sent to workers):
#: a capture's result is its log, from which every report is written
_RUN_ONLY = ("inputs", "func", "command", "json", "csv", "events_csv", "html", "jsonl",
             "annotate", "quiet", "jobs", "scheduler", "no_cache", "cache_dir")
#: the report options, as a task runs with them (none: its log stands for every report)
_REPORTS = {"json": None, "csv": None, "events_csv": None, "html": None, "jsonl": None,
            "annotate": False}


def add_archive_options(s):
    """``--jobs``, ``--scheduler``, ``--no-cache``, ``--cache-dir``."""
    a = s.add_argument_group("archive (many captures: one task each, results cached)")
    a.add_argument("--jobs", default="1", metavar="N|auto",
                   help="worker processes on a local Dask cluster (auto: one per core; "
                        "default 1: in this process, no cluster)")
    a.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="run the captures on an existing Dask cluster (see README)")
    a.add_argument("--no-cache", action="store_true",
                   help="score every capture again (and store nothing)")
    a.add_argument("--cache-dir", metavar="DIR",
                   help="the results cache (default $HTDSP_CACHE_DIR/results, else "
                        "~/.cache/htdsp/results)")


def wanted(args):
    """Whether a score is an archive run: an option of the archive's, or an input that is a
    directory, a glob or a manifest."""
    if str(getattr(args, "jobs", "1")).strip() != "1" or getattr(args, "scheduler", None) \
            or getattr(args, "cache_dir", None):
        return True
    import glob

    from htdsp.archive.inputs import MANIFEST_SUFFIX

    return any(os.path.isdir(p) or p.lower().endswith(MANIFEST_SUFFIX)
               or (glob.has_magic(p) and not os.path.exists(p)) for p in args.inputs)


def result_options(args):
    """The options that change a capture's result (the cache key's, and each task's)."""
    return {k: v for k, v in sorted(vars(args).items()) if k not in _RUN_ONLY}


def _file_ids(args):
    """The content of the files the options name (a roster, a DAQ table): part of the key."""
    from htdsp.archive import cache as rcache

    return [rcache.content_id(p) for p in (args.roster, args.daq_table) if p]


def _task_args(task):
    """A capture's options as a namespace (with its manifest's overrides)."""
    ns = argparse.Namespace(**task["options"], **_REPORTS)
    for k in ("rate", "center"):
        if task.get(k + "_hz") is not None:
            setattr(ns, k, task[k + "_hz"])
    ns.inputs = [task["path"]]
    ns.quiet = False                 # (every message is kept: the reduce tells what -q asks)
    ns.jobs, ns.scheduler, ns.cache_dir, ns.no_cache = "1", None, None, True
    return ns


def score_capture(task):
    """One capture scored as a plain ``htdsp score PATH`` would (a task: runs on a worker),
    its session written down for the reduce to replay (:mod:`htdsp.archive.replay`).

    ``task``: ``path``, ``options`` (:func:`result_options`), ``rate_hz`` / ``center_hz``
    overrides; ``waterfall`` (default True): the band's waterfall, for an HTML report.
    Returns a picklable result: ``log`` (the capture's log, None when nothing was
    scored), ``errors`` (``{path, error}``), ``messages`` (its stderr lines), ``facts``
    (site, location), ``samples``.
    """
    from htdsp.archive.replay import TaskScoring
    from htdsp.archive.views import recording_facts
    from htdsp.cli import score
    from htdsp.sources import FileSource

    path = task["path"]
    ns = _task_args(task)
    err = io.StringIO()
    problems, log, samples = [], None, 0
    warn = common.Warner("score")

    def bad(where, e):
        common.error_line("score", e)
        problems.append({"path": str(where), "error": common.say(getattr(e, "problem", None)
                                                                 or str(e))})

    with contextlib.redirect_stderr(err):
        where = path
        try:
            st = scoring.settings(ns)
            # the band's waterfall only for an HTML report: it is most of a short capture's
            # log (80 rows of 4 kB in 8 s); a result without it serves every other report
            st.waterfall = bool(task.get("waterfall", True))
            rec = common.open_input(ns, path)
            warn(rec)
            where = rec.path
            src = FileSource(rec, copy=False)
            chans = score._channels(ns, rec)
            sc = TaskScoring(st)
            entries = score.score_recording(ns, sc, rec, src, chans, bad, warn)
            if entries is not None:
                log = sc.log.getvalue()
                samples = entries[0]["source"]["samples"] if entries else 0
        except HtdspError as e:
            bad(where, e)
    return {"path": path, "log": log, "errors": problems,
            "messages": err.getvalue().splitlines(), "facts": recording_facts(path),
            "samples": samples, "waterfall": bool(task.get("waterfall", True))}


def _failed(task, exc):
    """The result of a task Dask gave up on (its workers died under it each time): an error
    of that capture, not cached."""
    line = f"{task['path']}: could not be scored: {type(exc).__name__}: {exc}"
    return {"path": task["path"], "log": None, "failed": True,
            "errors": [{"path": task["path"], "error": line.split(": ", 1)[1]}],
            "messages": [f"htdsp score: error: {line}"],
            "facts": {"site": None, "location": None}, "samples": 0}


class Progress:
    """Captures done, samples per second and time left, one line on stderr now and then."""

    def __init__(self, total, quiet, every_s=2.0):
        self.total, self.quiet, self.every_s = total, quiet, every_s
        self.done = self.samples = 0
        self.t0 = self.last = time.monotonic()

    def add(self, samples):
        self.done += 1
        self.samples += samples
        now = time.monotonic()
        if self.quiet or (now - self.last < self.every_s and self.done < self.total):
            return
        self.last = now
        rate = self.samples / max(now - self.t0, 1e-9)
        left = (now - self.t0) / self.done * (self.total - self.done)
        print(f"htdsp score: {self.done}/{self.total} captures scored, "
              f"{rate / 1e6:.2f} MS/s, {left:.0f} s left", file=sys.stderr)



class _InOrder:
    """The results of an archive's captures, replayed in the archive's order as they become
    ready (a station book attributes in that order, as a plain run would): one that comes
    early waits on disk (in the cache, else in a spool folder), not in memory."""

    def __init__(self, consume, store, folder):
        self.consume = consume
        self.store = store
        self.folder = folder
        self.next = 0
        self._ready = {}             # index -> ("cache", key) | ("file", path)

    def waiting(self, i, where):
        """Result ``i`` is ready where it is stored."""
        self._ready[i] = where
        self._drain()

    def arrived(self, i, result, key=None):
        """Result ``i`` came back (``key``: it is in the cache under it)."""
        if i == self.next:
            self.consume(i, result)
            self.next += 1
            self._drain()
        elif key is not None:
            self._ready[i] = ("cache", key)
        else:
            import pickle

            path = os.path.join(self.folder, f"{i}.result")
            with open(path, "wb") as f:
                pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
            self._ready[i] = ("file", path)

    def _drain(self):
        while self.next in self._ready:
            kind, where = self._ready.pop(self.next)
            self.consume(self.next, self._load(kind, where))
            self.next += 1

    def _load(self, kind, where):
        if kind == "cache":
            r = self.store.get(where)
            if r is None:
                raise InputError("a cached result was removed or changed while this run "
                                 "used it: run again", self.store.path(where))
            return r
        import pickle

        with open(where, "rb") as f:
            r = pickle.load(f)
        os.unlink(where)
        return r


def _messages(lines, quiet, said):
    """A capture's messages as this run tells them: with -q its warnings and errors only;
    a warning already told (the same words) not again."""
    for line in lines:
        warning = line.startswith("htdsp score: warning: ")
        if quiet and not (warning or line.startswith("htdsp score: error: ")):
            continue
        if warning and line in said:
            continue
        said.add(line)
        print(line, file=sys.stderr)


def _annotation_targets(args, caps, reports):
    """``--annotate``: each capture's output checked before any work, as a plain run does
    (a recording that cannot be opened is left to its task, which reports it)."""
    from htdsp.sources import FileSource

    for c in caps:
        ns = argparse.Namespace(**vars(args))
        ns.rate = c.rate_hz if c.rate_hz is not None else args.rate
        ns.center = c.center_hz if c.center_hz is not None else args.center
        try:
            info = FileSource(common.open_input(ns, c.path), copy=False).info
        except HtdspError:
            continue
        reports.annotations[info.path] = reports.annotation_target(info)


def run(args, client=None, on_result=None):
    """The archive run (see :func:`wanted`); returns the exit code. ``client``: a
    :class:`distributed.Client` to run on (instead of ``--jobs`` / ``--scheduler``);
    ``on_result(index, result)`` as each capture's result comes back."""
    from htdsp.archive import cache as rcache
    from htdsp.archive.engine import run_tasks, worker_count
    from htdsp.archive.inputs import MANIFEST_SUFFIX, expand
    from htdsp.archive.replay import replay
    from htdsp.archive.views import archive_views
    from htdsp.io.outputs import InputFiles, OutputSet
    from htdsp.pipeline import Scoring

    st = scoring.settings(args)                   # usage errors before any work
    jobs = worker_count(args.jobs)
    if args.scheduler is not None and "://" not in args.scheduler:
        raise InputError(f"--scheduler takes tcp://HOST:PORT, got {args.scheduler!r}")
    caps, problems = expand(args.inputs)
    for p, m in problems:
        common.error_line("score", f"{p}: {m}")
    options = result_options(args)
    store = None if args.no_cache else rcache.ResultCache(args.cache_dir or
                                                          rcache.default_dir())
    used = InputFiles()                           # no report may land on an input
    for x in args.inputs:
        if str(x).lower().endswith(MANIFEST_SUFFIX):
            used.add_path(x)
    for c in caps:
        for f in rcache.data_files(c.path):
            used.add_path(f, c.path)
    keys, hits, todo = {}, [], []
    for i, c in enumerate(caps):
        if store is not None:
            try:
                keys[i] = rcache.result_key(c.path, [os.path.abspath(c.path), options,
                                                     c.rate_hz, c.center_hz,
                                                     *_file_ids(args)])
            except OSError:
                keys[i] = None                    # not there: the task says so, by name
            hit = store.get(keys[i]) if keys[i] else None
            # (a result stored without the waterfall serves every report but the HTML)
            if hit is not None and (hit.get("waterfall") or not args.html):
                hits.append(i)
                continue
        todo.append((i, {"path": c.path, "options": options, "rate_hz": c.rate_hz,
                         "center_hz": c.center_hz, "waterfall": bool(args.html)}))
    if not args.quiet and caps:
        print(f"htdsp score: {len(caps)} captures: {len(hits)} unchanged "
              f"(from the cache, not scored again), {len(todo)} to score", file=sys.stderr)
    with OutputSet(used) as outputs:
        reports = scoring.Reports(args, outputs, "score")
        if args.annotate:
            _annotation_targets(args, caps, reports)
        sinks = list(reports.sinks)
        if args.annotate:
            sinks.append(reports.annotation_sink())
        sc = Scoring(st, sinks, confidence=args.confidence,
                     area_reliability=args.area_reliability)
        facts, errors, said = {}, [], set()
        state = {"scored": 0}

        def consume(i, r):
            c = caps[i]
            _messages(r["messages"], args.quiet, said)
            facts[r["path"]] = {"site": c.site or r["facts"]["site"],   # a manifest's word
                                "location": c.location or r["facts"]["location"]}
            errors.extend(r["errors"])
            if r["log"] is not None:
                sc.add(replay(sc, r["log"]))
                state["scored"] += 1

        warned = []

        def put(i, r):
            """Store a result; its key, or None (not stored: a task that failed, no cache,
            or a cache that cannot be written, said once)."""
            if store is None or not keys.get(i) or r.get("failed") or warned:
                return None
            try:
                store.put(keys[i], r)
            except (OSError, InputError) as e:
                warned.append(e)
                common.warn_line("score", f"the results cache cannot be written ({e}): "
                                 "results are not kept", store.root)
                return None
            return keys[i]

        try:
            with tempfile.TemporaryDirectory(prefix=".htdsp-archive-") as folder:
                order = _InOrder(consume, store, folder)
                for i in hits:
                    order.waiting(i, ("cache", keys[i]))
                progress = Progress(len(todo), args.quiet)
                for j, r in run_tasks(score_capture, [t for _, t in todo], jobs=jobs,
                                      scheduler=args.scheduler, client=client,
                                      on_error=_failed):
                    i = todo[j][0]
                    if on_result is not None:
                        on_result(i, r)
                    order.arrived(i, r, put(i, r))
                    progress.add(r["samples"])
        except BaseException:
            sc.abort()
            raise
        if not state["scored"]:                   # nothing could be scored: no report
            sc.abort()
            outputs.abort()
            return EXIT_USAGE
        for e in [{"path": p, "error": common.say(m)} for p, m in problems] + errors:
            sc.error(e["path"], e["error"])

        def views(doc):
            return {"archive": {"captures": len(caps), "scored": state["scored"],
                                "views": archive_views(doc["captures"], facts,
                                                       doc["stations"],
                                                       sc.stations.heard())}}
        sc.more = views
        return scoring.conclude(args, sc, outputs, "score")
