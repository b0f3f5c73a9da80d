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
    Returns a picklable result: ``log`` (the capture's log, None when it could not be
    opened; a capture that failed part way has one, ending in its discard), ``scored``,
    ``errors`` (``{path, error, stage}``), ``stage`` (how far it got: ``open``,
    ``channels``, ``score``), ``messages`` (its stderr lines), ``facts`` (site, location),
    ``samples``.
    """
    import warnings

    from htdsp.archive.replay import TaskScoring
    from htdsp.archive.views import recording_facts
    from htdsp.cli import score
    from htdsp.cli.app import one_line_warning
    from htdsp.sources import FileSource

    path = task["path"]
    ns = _task_args(task)
    err = io.StringIO()
    problems, log, samples, scored = [], None, 0, False
    warn = common.Warner("score")
    stage = "open"

    def bad(where, e):
        common.error_line("score", e)
        problems.append({"path": str(where), "error": common.say(getattr(e, "problem", None)
                                                                 or str(e)),
                         "stage": stage})

    with contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.showwarning = one_line_warning         # (as the command line has them)
        warnings.simplefilter("ignore", RuntimeWarning)
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
            stage = "channels"
            chans = score.capture_channels(ns, rec)
            stage = "score"
            sc = TaskScoring(st)
            entries = score.score_recording(ns, sc, rec, src, chans, bad, warn)
            scored = entries is not None
            if scored:
                samples = entries[0]["source"]["samples"] if entries else 0
            log = sc.log.getvalue()          # (a capture discarded part way: for its book)
        except HtdspError as e:
            bad(where, e)
    return {"path": path, "log": log, "errors": problems, "stage": stage,
            "scored": scored,
            "messages": err.getvalue().splitlines(), "facts": recording_facts(path),
            "samples": samples, "waterfall": bool(task.get("waterfall", True))}


def _failed(task, exc):
    """The result of a task Dask gave up on (its workers died under it each time): an error
    of that capture, not cached."""
    line = f"{task['path']}: could not be scored: {type(exc).__name__}: {exc}"
    return {"path": task["path"], "log": None, "failed": True, "stage": "score",
            "scored": False,
            "errors": [{"path": task["path"], "error": line.split(": ", 1)[1],
                        "stage": "score"}],
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
    early waits on disk (a file in ``folder``), not in memory; one from the cache is read
    from it when its turn comes (``load(key)``)."""

    def __init__(self, consume, load, folder):
        self.consume = consume
        self.load = load
        self.folder = folder
        self.next = 0
        self._ready = {}             # index -> ("cache", key) | ("file", path)

    def waiting(self, i, key):
        """Result ``i`` is in the cache under ``key``."""
        self._ready[i] = ("cache", key)
        self._drain()

    def arrived(self, i, result):
        """Result ``i`` came back."""
        if i == self.next:
            self.consume(i, result)
            self.next += 1
            self._drain()
        else:
            import pickle

            path = os.path.join(self.folder, f"{i}.result")
            with open(path, "wb") as f:
                pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
            self._ready[i] = ("file", path)

    def _drain(self):
        while self.next in self._ready:
            kind, where = self._ready.pop(self.next)
            self.consume(self.next, self._read(kind, where))
            self.next += 1

    def _read(self, kind, where):
        if kind == "cache":
            return self.load(where)
        import pickle

        with open(where, "rb") as f:
            r = pickle.load(f)
        os.unlink(where)
        return r


#: a plain run's warning and error lines (``htdsp score: warning: ...``, and a library's
#: ``htdsp: warning: ...``)
_TOLD = ("htdsp score: warning: ", "htdsp score: error: ", "htdsp: warning: ")
#: said once per run in a plain run (:func:`htdsp.cli.scoring.told_squelch`), once per task
#: in an archive's
_ONCE = "htdsp score: warning: --squelch "


def _messages(lines, quiet, said):
    """A capture's messages as a plain run tells them: with -q its warnings and errors only
    (a task keeps every line)."""
    for line in lines:
        if quiet and not line.startswith(_TOLD):
            continue
        if line.startswith(_ONCE):
            if line in said:
                continue
            said.add(line)
        print(line, file=sys.stderr)


def _annotation_targets(args, caps, reports):
    """``--annotate``: each capture's output checked before any work, as a plain run does.
    Returns ``{index: InputError}``: the captures whose output cannot be written, which a
    plain run refuses only once their channel is found (the refusal is then the run's);
    a recording that cannot be opened is left to its task, which reports it."""
    from htdsp.sources import FileSource

    refused = {}
    for i, c in enumerate(caps):
        ns = argparse.Namespace(**vars(args))
        ns.rate = c.rate_hz if c.rate_hz is not None else args.rate
        ns.center = c.center_hz if c.center_hz is not None else args.center
        try:
            info = FileSource(common.open_input(ns, c.path), copy=False).info
        except HtdspError:
            continue
        try:
            reports.annotations[info.path] = reports.annotation_target(info)
        except InputError as e:
            refused[i] = e
    return refused


#: the order of a plain run's ``errors``: inputs that cannot be opened, then those whose
#: channel cannot be found, then those that fail while scored
_STAGES = ("open", "channels", "score")


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
    remote = args.scheduler is not None or client is not None
    if remote:
        # (a worker elsewhere has its own working folder: it is sent whole paths, and the
        # reports name the captures by them)
        for k in ("roster", "daq_table"):
            if options.get(k):
                options[k] = os.path.abspath(options[k])
    store = None if args.no_cache else rcache.ResultCache(args.cache_dir or
                                                          rcache.default_dir())
    used = InputFiles()                           # no report may land on an input
    for x in args.inputs:
        if str(x).lower().endswith(MANIFEST_SUFFIX):
            used.add_path(x)
    for c in caps:
        for f in rcache.data_files(c.path):
            used.add_path(f, c.path)

    def usable(hit):
        # (a result stored without the waterfall serves every report but the HTML)
        return hit is not None and (hit.get("waterfall") or not args.html)

    keys, hits, todo = {}, [], []
    for i, c in enumerate(caps):
        path = os.path.abspath(c.path) if remote else c.path
        if store is not None:
            try:
                # (the path as the reports will name it, and the file it is)
                keys[i] = rcache.result_key(c.path, [path, os.path.abspath(c.path), options,
                                                     c.rate_hz, c.center_hz,
                                                     *_file_ids(args)])
            except OSError:
                keys[i] = None                    # not there: the task says so, by name
            if keys[i] and usable(store.get(keys[i])):
                hits.append(i)
                continue
        todo.append((i, {"path": path, "options": options, "rate_hz": c.rate_hz,
                         "center_hz": c.center_hz, "waterfall": bool(args.html)}))
    if not args.quiet and caps:
        print(f"htdsp score: {len(caps)} captures: {len(hits)} unchanged "
              f"(from the cache, not scored again), {len(todo)} to score", file=sys.stderr)
    with OutputSet(used) as outputs:
        reports = scoring.Reports(args, outputs, "score")
        refused = _annotation_targets(args, caps, reports) if args.annotate else {}
        sinks = list(reports.sinks)
        if args.annotate:
            sinks.append(reports.annotation_sink())
        sc = Scoring(st, sinks, confidence=args.confidence,
                     area_reliability=args.area_reliability)
        facts, errors, said = {}, [], set()
        state = {"scored": 0}

        def consume(i, r):
            c = caps[i]
            if i in refused and r["stage"] == "score":
                raise refused[i]                  # (its channel was found: a plain run's
                #                                    refusal, before any work there)
            _messages(r["messages"], args.quiet, said)
            facts[r["path"]] = {"site": c.site or r["facts"]["site"],   # a manifest's word
                                "location": c.location or r["facts"]["location"]}
            errors.extend(r["errors"])
            if r["log"] is not None:
                entries = replay(sc, r["log"])
                if entries is not None:
                    sc.add(entries)
                    state["scored"] += 1

        def load(key):
            r = store.get(key)
            if not usable(r):
                raise InputError("a cached result was removed or changed while this run "
                                 "used it: run again", store.path(key))
            return r

        warned = []

        def put(i, r):
            """Store a result (a bad input's too: its key is its content, so a file that
            changes is tried again; a file that cannot be read has no key); not a task Dask
            gave up on; said once when the cache cannot be written."""
            if store is None or not keys.get(i) or r.get("failed") or warned:
                return
            try:
                store.put(keys[i], r)
            except (OSError, InputError) as e:
                warned.append(e)
                common.warn_line("score", f"the results cache cannot be written ({e}): "
                                 "results are not kept", store.root)

        try:
            with tempfile.TemporaryDirectory(prefix=".htdsp-archive-") as folder:
                order = _InOrder(consume, load, folder)
                for i in hits:
                    order.waiting(i, keys[i])
                progress = Progress(len(todo), args.quiet)
                for j, r in run_tasks(score_capture, [t for _, t in todo], jobs=jobs,
                                      scheduler=args.scheduler, client=client,
                                      on_error=_failed):
                    i = todo[j][0]
                    if on_result is not None:
                        on_result(i, r)
                    put(i, r)
                    order.arrived(i, r)
                    progress.add(r["samples"])
                if order.next != len(caps):
                    raise RuntimeError(f"an archive run replayed {order.next} of "
                                       f"{len(caps)} captures")
        except BaseException:
            sc.abort()
            raise
        if not state["scored"]:                   # nothing could be scored: no report
            sc.abort()
            outputs.abort()
            return EXIT_USAGE
        errors.sort(key=lambda e: _STAGES.index(e.get("stage", "score")))   # (stable)
        for e in [{"path": p, "error": common.say(m)} for p, m in problems] + errors:
            sc.error(e["path"], e["error"])

        def views(doc):
            return {"archive": {"captures": len(caps), "scored": state["scored"],
                                "views": archive_views(doc["captures"], facts,
                                                       doc["stations"],
                                                       sc.stations.heard())}}
        sc.more = views
        return scoring.conclude(args, sc, outputs, "score")
