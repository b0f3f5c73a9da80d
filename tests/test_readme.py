"""README's set-up commands are the ones CI runs and the ones that work."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Set up.*?```sh\n(.*?)```", text, re.S).group(1)
    return [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]


def test_readme_has_exactly_two_setup_commands():
    cmds = _commands()
    assert len(cmds) == 2
    assert "htdsp score captures/" in cmds[0] and "--html" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command_verbatim():
    assert _commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_ci_runs_the_readme_main_job_verbatim():
    assert _commands()[0] in (ROOT / ".ci" / "run").read_text()
    # the band's own invocation, after the six locations' (their verdicts stay theirs)
    assert "htdsp score captures/band/band.sigmf-meta --channels auto" in _commands()[0]


def test_readme_main_job_uses_the_bundled_captures():
    import glob

    cmd = _commands()[0].split("htdsp score ", 1)[1].split(" --")[0]
    paths = [p for pat in cmd.split() for p in glob.glob(str(ROOT / pat))]
    assert len(paths) == 6 and all(Path(p).is_file() for p in paths)


def test_readme_first_python_example_runs():
    import numpy as np

    text = (ROOT / "README.md").read_text()
    code = re.search(r"## Python API.*?```python\n(.*?)```", text, re.S).group(1)
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)      # runs on the bundled capture
    audio = np.concatenate(scope["audio"])
    assert audio.dtype == np.float32
    assert abs(audio.size - 1728000 / 280000 * 48000) <= 3     # 6.171 s at 48 kHz


def test_readme_pipeline_example_runs(tmp_path, monkeypatch):
    import json

    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text.split("## Python API", 1)[1], re.S)
    first = blocks[0]
    pipe = next(b for b in blocks if "htdsp.pipeline" in b)
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(first.replace('"captures/', f'"{ROOT}/captures/'), "README.md", "exec"),
         scope)
    exec(compile(pipe, "README.md", "exec"), scope)
    s = scope["entries"][0]["summary"]
    assert s["transmissions"] == 1 and s["verdict"] == "pass"
    lines = [json.loads(ln) for ln in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert {ln["type"] for ln in lines} == {"window", "transmission", "summary"}
