"""A fork's tests, run by ``test-step``, and the runner's state around them.

On a runner, the files the runner's file commands name lie at a path any process of the job
can list (``$HOME/work/_temp/_runner_file_commands/``, beside the checkout): a fork's
``conftest.py`` that appends to ``set_env_…`` gives every later step of the job an
environment (a ``NODE_OPTIONS``, an ``LD_PRELOAD``), to ``set_output_…`` forged outputs, to
``step_summary_…`` words in cicd-agent's own summary. Beside them: ``RUNNER_TEMP``, the
actions later steps run (``_actions``), the home's configuration later steps read, the
checkout's ``.git``, and the job's own processes. On code GitHub does not vouch for, the step
runs in the sandbox, where none of those is there. One run, every attempt checked."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.cli import main
from cicd_agent.runners.sandboxes import opened
from cicd_agent.sandbox.run import Sandbox
from cicd_agent.sandbox.step import step_place
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.job_run import JobRun

FILE_COMMANDS = ("set_env_1", "set_output_1", "add_path_1", "step_summary_1", "save_state_1")

CONFTEST = """\
import os
import pathlib
import sys

TARGETS = {targets!r}
REACHED = []
ATTEMPTED = 0
near = pathlib.Path(__file__).resolve().parents[2] / "_temp" / "_runner_file_commands"
for path in [*TARGETS, *(str(near / name) for name in {names!r})]:
    ATTEMPTED += 1
    try:
        with open(path, "a") as file:
            file.write("NODE_OPTIONS=--require=/tmp/planted.js\\n")
        REACHED.append(path)
    except OSError:
        pass
for name in ("ACTIONS_RUNTIME_TOKEN", "GITHUB_ENV", "GITHUB_OUTPUT", "RUNNER_TEMP"):
    ATTEMPTED += 1
    if name in os.environ:
        REACHED.append(name)
report = next(arg.split("=", 1)[1] for arg in sys.argv if arg.startswith("--junitxml="))
ATTEMPTED += 1
try:  # the next run's folder, made first, would stop the step as it makes it
    (pathlib.Path(report).parent.parent / "1").mkdir()
    REACHED.append("the next run's folder")
except OSError:
    pass
ATTEMPTED += 1
try:
    if pathlib.Path("/proc/{pid}/cmdline").read_bytes() == {cmdline!r}:
        REACHED.append("the job's own process")
except OSError:
    pass
"""

TEST = """\
from conftest import ATTEMPTED, REACHED

def test_ok():
    assert REACHED == [] and ATTEMPTED == {attempted}
"""


def test_attack_a_forks_tests_reach_nothing_of_the_runner(tmp_path: Path, github_api: Any) -> None:
    """A fork's ``conftest.py`` tries every place at once; its own test passes only when it
    reached none (and tried them all), and nothing it touched changed."""
    github_api.proxy.script("GET", r"/repos/octocat/Hello-World/pulls/\d+$", edit=lambda pull: {
        **pull, "head": {**pull["head"], "repo": {**pull["head"]["repo"],
                                                  "full_name": "mallory/Hello-World"}}})  # fmt: skip
    work = tmp_path / "work"
    commands = work / "_temp" / "_runner_file_commands"
    commands.mkdir(parents=True)
    files = {name: commands / name for name in FILE_COMMANDS}
    later = work / "_temp" / "later-step.sh"  # RUNNER_TEMP: a later step's script
    action = work / "_actions" / "actions" / "upload" / "dist" / "index.js"
    action.parent.mkdir(parents=True)
    gitconfig = tmp_path / ".gitconfig"
    for path in (*files.values(), later, action, gitconfig):
        path.write_text("")
    repo = GitRepoBuilder(work / "project" / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n"})
    git_config = repo.path / ".git" / "config"
    targets = [*map(str, files.values()), str(later), str(action), str(gitconfig),
               str(git_config), str(repo.path / "planted.txt")]  # fmt: skip
    cmdline = Path(f"/proc/{os.getpid()}/cmdline").read_bytes()
    conftest = CONFTEST.format(targets=targets, names=FILE_COMMANDS, pid=os.getpid(),
                               cmdline=cmdline)  # fmt: skip
    attempted = len(targets) + len(FILE_COMMANDS) + 4 + 2
    head = repo.commit("tests", {"tests/conftest.py": conftest,
                                 "tests/test_t.py": TEST.format(attempted=attempted)})  # fmt: skip
    before = {path: Path(path).read_bytes() for path in targets if Path(path).exists()}
    payload = dict(example("pull_request"))
    pull = payload["pull_request"]
    payload["pull_request"] = {**pull, "base": {**pull["base"], "sha": base},
                               "head": {**pull["head"], "sha": head}}  # fmt: skip
    environ = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
        "GITHUB_WORKSPACE": str(repo.path), "GITHUB_SHA": head,
        "GITHUB_ENV": str(files["set_env_1"]), "GITHUB_OUTPUT": str(files["set_output_1"]),
        "GITHUB_PATH": str(files["add_path_1"]), "GITHUB_STATE": str(files["save_state_1"]),
        "GITHUB_STEP_SUMMARY": str(files["step_summary_1"]), "RUNNER_TEMP": str(work / "_temp"),
        "ACTIONS_RUNTIME_TOKEN": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.runtime.Zx81kqP",
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
        **github_api.env(),
    }  # fmt: skip
    out = io.StringIO()
    code = main(["test-step", "--retries", "1", "--", sys.executable, "-m", "pytest", "-q",
                 "-p", "no:randomly", "-p", "no:xdist", "-p", "no:cacheprovider"],
                environ, out)  # fmt: skip
    assert code == 0, out.getvalue()
    ours = (str(files["step_summary_1"]), str(files["set_output_1"]))  # cicd-agent writes these
    after = {path: Path(path).read_bytes() for path in targets if Path(path).exists()}
    assert {path: text for path, text in after.items() if path not in ours} == {
        path: text for path, text in before.items() if path not in ours}
    assert not [path for path in ours if b"NODE_OPTIONS" in Path(path).read_bytes()]



def test_where_the_sandbox_cannot_run_untrusted_code_does_not_run(tmp_path: Path) -> None:
    """No bubblewrap: a fork's command never starts on the host; trusted code still does."""
    (tmp_path / "planted").write_text("")
    planted = {"PATH": str(tmp_path / "planted")}
    with pytest.raises(UsageError, match="bubblewrap cannot run here"), step_place(
        tmp_path, planted, trusted=False, own=tmp_path / "own",
        opens=lambda checkout: opened(JobRun(planted), checkout, Sandbox),
    ):
        pass
    with step_place(tmp_path, {"PATH": "/usr/bin:/bin"}, trusted=True, own=tmp_path / "ours",
                    opens=lambda checkout: opened(JobRun(planted), checkout, Sandbox)) as place:
        assert place.sandbox is None and place.cwd == tmp_path
