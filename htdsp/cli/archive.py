"""``htdsp score`` over an archive: directories, globs and manifests as inputs, each capture
one task (``--jobs``, ``--scheduler``: on Dask), results cached by content, one document with
the archive's views."""

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time

from htdsp.cli import common, scoring
from htdsp.errors import EXIT_CRITERIA, EXIT_OK, EXIT_USAGE, HtdspError, InputError

#: options that change no capture's result (left out of the cache key, not sent to workers)
_RUN_ONLY = ("inputs", "func", "command", "json", "csv", "events_csv", "html", "jsonl",
             "annotate", "quiet", "jobs", "scheduler", "no_cache", "cache_dir",
             "input_errors")
#: report options an archive run does not write yet
_NOT_YET = (("--csv", "csv"), ("--events-csv", "events_csv"), ("--html", "html"),
            ("--jsonl", "jsonl"), ("--annotate", "annotate"))


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


def score_capture(task):
    """One capture scored as ``htdsp score PATH --json`` would (a task: runs on a worker).

    ``task``: ``path``, ``options`` (:func:`result_options`), ``rate_hz`` / ``center_hz``
    overrides. Returns a JSON-able result: ``doc`` (the capture's document, None when nothing
    was scored), ``errors`` (``[path, problem]``), ``messages`` (its stderr lines),
    ``facts`` (site, location), ``samples``.
    """
    from htdsp.archive.views import recording_facts
    from htdsp.cli import score

    path = task["path"]
    ns = argparse.Namespace(**task["options"])
    for k in ("rate", "center"):
        if task.get(k + "_hz") is not None:
            setattr(ns, k, task[k + "_hz"])
    ns.inputs = [path]
    for _, k in _NOT_YET:
        setattr(ns, k, None if k != "annotate" else False)
    ns.quiet, ns.input_errors = True, []
    ns.jobs, ns.scheduler, ns.cache_dir, ns.no_cache = "1", None, None, True
    err = io.StringIO()
    doc, rc = None, EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="htdsp-task-") as d:
        ns.json = os.path.join(d, "capture.json")
        with contextlib.redirect_stderr(err):
            try:
                rc = score.run(ns)
            except HtdspError as e:
                common.error_line("score", e)
                ns.input_errors.append((path, common.say(getattr(e, "problem", None)
                                                         or str(e))))
        if os.path.exists(ns.json):
            with open(ns.json, encoding="utf-8") as f:
                doc = json.load(f)
    errors = doc["errors"] if doc else [{"path": str(p), "error": common.say(m)}
                                        for p, m in ns.input_errors]
    samples = sum(c["source"]["samples"] for c in doc["captures"]) if doc else 0
    return {"path": path, "rc": rc, "doc": doc, "errors": errors,
            "messages": err.getvalue().splitlines(), "facts": recording_facts(path),
            "samples": samples}


def _failed(task, exc):
    """The result of a task Dask gave up on (its workers died under it each time): an error
    of that capture, not cached."""
    line = f"{task['path']}: could not be scored: {type(exc).__name__}: {exc}"
    return {"path": task["path"], "rc": EXIT_USAGE, "doc": None, "failed": True,
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


def run(args, client=None, on_result=None):
    """The archive run (see :func:`wanted`); returns the exit code. ``client``: a
    :class:`distributed.Client` to run on (instead of ``--jobs`` / ``--scheduler``);
    ``on_result(index, result)`` as each capture's result comes back."""
    from htdsp.archive import cache as rcache
    from htdsp.archive.engine import run_tasks, worker_count
    from htdsp.archive.inputs import expand
    from htdsp.io.outputs import InputFiles, OutputSet

    scoring.settings(args)                        # usage errors before any work
    jobs = worker_count(args.jobs)
    if args.scheduler is not None and "://" not in args.scheduler:
        raise InputError(f"--scheduler takes tcp://HOST:PORT, got {args.scheduler!r}")
    for opt, k in _NOT_YET:
        if getattr(args, k):
            raise InputError(f"{opt} is not written by an archive run yet (use --json; a "
                             "plain list of files writes every report)")
    caps, problems = expand(args.inputs)
    errors = [{"path": p, "error": m} for p, m in problems]
    for p, m in problems:
        common.error_line("score", f"{p}: {m}")
    options = result_options(args)
    store = None if args.no_cache else rcache.ResultCache(args.cache_dir or
                                                          rcache.default_dir())
    results, todo, keys = [None] * len(caps), [], {}
    for i, c in enumerate(caps):
        task = {"path": c.path, "options": options, "rate_hz": c.rate_hz,
                "center_hz": c.center_hz}
        if store is not None:
            try:
                keys[i] = rcache.result_key(c.path, [os.path.abspath(c.path), options,
                                                     c.rate_hz, c.center_hz,
                                                     *_file_ids(args)])
            except OSError:
                keys[i] = None                     # not there: the task says so, by name
            hit = store.get(keys[i]) if keys[i] else None
            if hit is not None:
                results[i] = hit
                continue
        todo.append((i, task))
    if not args.quiet and caps:
        print(f"htdsp score: {len(caps)} captures: {len(caps) - len(todo)} unchanged "
              f"(from the cache, not scored again), {len(todo)} to score", file=sys.stderr)
    with OutputSet(InputFiles()) as outputs:
        out = (sys.stdout if args.json == "-" else
               outputs.open(args.json, "w", what="--json").file) if args.json else None
        progress = Progress(len(todo), args.quiet)
        for j, r in run_tasks(score_capture, [t for _, t in todo], jobs=jobs,
                              scheduler=args.scheduler, client=client, on_error=_failed):
            i = todo[j][0]
            if on_result is not None:
                on_result(i, r)
            results[i] = r
            if store is not None and keys.get(i) and not r.get("failed"):
                store.put(keys[i], r)
            progress.add(r["samples"])
        for c, r in zip(caps, results, strict=True):   # a manifest's word over the file's
            r["facts"] = {"site": c.site or r["facts"]["site"],
                          "location": c.location or r["facts"]["location"]}
        doc = merge(results, errors, args)
        for r in results:
            for line in r["messages"]:
                print(line, file=sys.stderr)
        if doc is None:                            # nothing could be scored: no report
            outputs.abort()
            return EXIT_USAGE
        if out is not None:
            from htdsp.io import jsonio

            out.write(jsonio.dumps(doc, indent=1) + "\n")
            out.flush()
        outputs.commit()
    if not args.quiet:
        o = sys.stdout if sys.stdout.isatty() and args.json != "-" else sys.stderr
        scoring.table(doc, o)
    verdicts = [c["summary"]["verdict"] for c in doc["captures"]]
    if doc["errors"] or "unusable" in verdicts:
        return EXIT_USAGE
    return EXIT_CRITERIA if doc["aggregate"]["verdict"] == "fail" else EXIT_OK


def merge(results, errors, args):
    """One document from the captures' results, in input order: their captures, the area's
    aggregate over all of them, their errors, their stations (each capture's own) and the
    archive's views; None when no capture was scored."""
    from htdsp.archive.views import archive_views
    from htdsp.score import area_summary, location_verdicts

    docs = [r["doc"] for r in results if r["doc"] is not None]
    if not docs:
        return None
    captures = [c for d in docs for c in d["captures"]]
    errors = list(errors) + [e for r in results for e in r["errors"]]
    aggregate = area_summary(location_verdicts(captures), args.confidence,
                             args.area_reliability)
    stations = {r["path"]: r["doc"]["stations"] for r in results if r["doc"] is not None}
    facts = {r["path"]: r["facts"] for r in results}
    head = {k: v for k, v in docs[0].items()
            if k not in ("captures", "aggregate", "stations", "net", "errors")}
    return {**head, "captures": captures, "aggregate": aggregate,
            "stations": [s for d in docs for s in d["stations"]],
            "net": [n for d in docs for n in d["net"]],
            "errors": errors,
            "archive": {"captures": len(results), "scored": len(docs),
                        "views": archive_views(captures, facts, stations)}}
