"""Signals to real processes (issue 12, item 16, and Ctrl-C in the first second of item 12):
batch commands exit 130 / 143 leaving nothing half-written; ``htdsp live`` finalises its
recording and every report on SIGINT or SIGTERM, and a second signal waits for them."""

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "kpbenz-2m-nfm-voice" / "capture.sigmf-meta"


def _htdsp(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "htdsp.cli", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


class _Started:
    """``htdsp`` with its clock started when the interpreter hands over to htdsp's code.

    CPython's own start-up (``site``, the editable install's finder: 50 ms on an idle machine,
    more than 0.3 s on a loaded one) runs before any code of ours and answers a Ctrl-C with its
    own traceback; a delay counted from ``Popen`` measured the machine's load, and failed CI
    once. ``-X importtime`` reports each import as it finishes: that of ``threading``, the
    first module :mod:`htdsp.cli.app` loads, comes when the signals are already held by
    :func:`htdsp.cli.entry` (before it: the start-up, runpy, and the few lines of ``htdsp``'s
    and ``htdsp.cli``'s lazy ``__init__``). Its lines are dropped from what stderr says.
    """

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "htdsp.cli", *map(str, args)], cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines, self.ours = [], threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert self.ours.wait(60), "the interpreter never finished starting"

    def _read(self):
        for line in self.proc.stderr:
            if line.startswith("import time:"):
                if line.rsplit("|", 1)[1].strip() == "threading":
                    self.ours.set()
            else:
                self.lines.append(line)
        self.ours.set()

    def signal_after(self, delay_s, signum):
        time.sleep(delay_s)
        self.proc.send_signal(signum)
        self.proc.wait(timeout=60)
        self.reader.join(timeout=60)
        return self.proc.returncode, "".join(self.lines)


#: work that lasts well past the first second on any machine: the capture twelve times over,
#: four channels each, every one running the whole chain (a band under five channels is not
#: watched: all run; a wider band now runs only its one used channel, and finished at 1.1 s).
#: A band's channels, so that the unused ones print no warning: stderr holds only what the
#: interruption says
LONG_WORK = [CAPTURE] * 12 + ["--channels", "144.4875M-144.525M"]


@pytest.mark.parametrize("delay_s", [0.0, 0.01, 0.3, 0.7, 1.1])
def test_ctrl_c_in_the_first_second_is_one_line_and_130(tmp_path, delay_s):
    # 0 and 10 ms land in the command line's own imports and definitions, the later ones in
    # parsing, opening and the work
    run = _Started("score", *LONG_WORK, "--json", tmp_path / "r.json", "-q")
    code, err = run.signal_after(delay_s, signal.SIGINT)
    if code == 0 or (code == 1 and "Traceback" not in err):
        pytest.fail(f"finished before the signal ({delay_s} s): make the work longer")
    assert code == 130, err
    # before the options are parsed the command is not known yet: "htdsp: interrupted"
    assert "Traceback" not in err and err.strip() in ("htdsp score: interrupted",
                                                      "htdsp: interrupted"), err
    assert not (tmp_path / "r.json").exists()
    assert [f.name for f in tmp_path.iterdir()] == []          # no temporary left either


@pytest.mark.parametrize("code", [0, 1])
def test_a_signal_after_the_work_keeps_the_exit_code(code):
    # Ctrl-C or SIGTERM while the interpreter shuts down (the reports are written): the run
    # finished and says so; it used to die by the signal without a word (exit -2 / -15)
    script = ("import atexit, os, signal, sys\n"
              "import htdsp.cli as c\n"
              f"c.main = lambda argv=None: {code}\n"
              "atexit.register(lambda: os.kill(os.getpid(), signal.SIGTERM))\n"
              "atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))\n"
              "c.entry()\n")
    p = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == code, p.stderr
    assert p.stderr == ""


def test_sigterm_to_a_batch_command_is_143(tmp_path):
    run = _Started("score", *LONG_WORK, "--html", tmp_path / "r.html", "-q")
    code, err = run.signal_after(0.6, signal.SIGTERM)
    assert code == 143, err
    # before the options are parsed (a loaded machine) the command is not known yet
    assert err.strip() in ("htdsp score: terminated", "htdsp: terminated"), err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def replay():
    p = subprocess.Popen([sys.executable, "-m", "htdsp.cli", "replay", str(CAPTURE), "--port",
                          "0", "--loop", "--realtime", "-q"], cwd=ROOT, stderr=subprocess.PIPE,
                         text=True)
    line = p.stderr.readline()
    assert "serving" in line, line
    yield int(line.rsplit(":", 1)[1])
    p.terminate()
    p.wait(10)


@pytest.mark.parametrize("signals", [(signal.SIGTERM,), (signal.SIGINT, signal.SIGTERM)],
                         ids=["sigterm", "ctrl-c-then-sigterm"])
def test_live_finalises_everything_on_a_signal(tmp_path, replay, signals):
    rec, js, html = tmp_path / "l.sigmf-meta", tmp_path / "l.json", tmp_path / "l.html"
    p = _htdsp("live", "--rtltcp", f"127.0.0.1:{replay}", "--center", "144.47M", "--rate",
               "280k", "--channel", "144.5M", "--record", rec, "--json", js, "--html", html,
               "-q")
    data = tmp_path / "l.sigmf-data"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not data.exists() or data.stat().st_size < 600000):
        time.sleep(0.05)                               # about a second of samples recorded
    p.send_signal(signals[0])
    for s in signals[1:]:
        time.sleep(0.3)                                # during the finalisation
        p.send_signal(s)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (0, 1), err                 # by the verdict, not 130/143
    assert "Traceback" not in err
    doc = json.loads(js.read_text())                   # both reports whole
    assert doc["captures"][0]["source"]["samples"] > 0
    assert html.read_text().rstrip().endswith("</html>")
    meta = json.loads(rec.read_text())
    assert "core:sha512" in meta["global"]             # the recording was closed properly
    import hashlib

    assert hashlib.sha512(data.read_bytes()).hexdigest() == meta["global"]["core:sha512"]
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".htdsp-tmp")]


def test_exit_codes_table_in_the_readme_is_the_code():
    import re

    from htdsp.cli import EXIT_SIGINT, EXIT_SIGTERM
    from htdsp.errors import EXIT_CRITERIA, EXIT_OK, EXIT_SOURCE_LOST, EXIT_USAGE

    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Exit codes"):]
    table = table[: table.index("\n## ", 5)]
    codes = {int(m.group(1)) for m in re.finditer(r"^\| (\d+) \|", table, re.M)}
    assert codes == {EXIT_OK, EXIT_CRITERIA, EXIT_USAGE, EXIT_SOURCE_LOST, EXIT_SIGINT,
                     EXIT_SIGTERM}


def test_a_signal_that_c_code_turned_into_another_exception_is_still_130():
    # numpy's import, interrupted, raises ImportError("PyCapsule_Import could not import
    # module 'datetime'"), not KeyboardInterrupt: it was a traceback and exit 1 under load
    script = ("import os, signal, sys, time\n"
              "import htdsp.cli.score as s\n"
              "def run(args):\n"
              "    try:\n"
              "        os.kill(os.getpid(), signal.SIGINT)\n"
              "        time.sleep(5)\n"
              "    except KeyboardInterrupt:\n"
              "        raise ImportError('could not import module datetime') from None\n"
              "s.run = run\n"
              "from htdsp.cli import entry\n"
              "sys.argv = ['htdsp', 'score', 'x.cu8']\n"
              "entry()\n")
    p = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 130, p.stderr
    assert p.stderr.strip() == "htdsp score: interrupted"
