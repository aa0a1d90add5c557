"""A fork's tests, run by ``test-step`` outside the sandbox, and the runner's file commands.

Their environment holds none of the runner's variables, but the files those name lie at a path
any process of the job can list (``$HOME/work/_temp/_runner_file_commands/`` on GitHub's
runners, beside the checkout). A fork's ``conftest.py`` appends to ``set_env_…`` (a
``NODE_OPTIONS`` or ``LD_PRELOAD`` for every later step of the job) and to cicd-agent's own step
summary."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.cli import main
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event

CONFTEST = """\
import pathlib

commands = pathlib.Path(__file__).resolve().parents[2] / "_temp" / "_runner_file_commands"
for path in commands.glob("set_env_*"):
    with path.open("a") as file:
        file.write("NODE_OPTIONS=--require=/tmp/planted.js\\n")
for path in commands.glob("step_summary_*"):
    with path.open("a") as file:
        file.write("### cicd-agent test-step: verified, every test passes\\n")
"""


@pytest.mark.xfail(
    strict=True,
    reason="test-step runs a fork's tests on the host, outside the sandbox: their variables "
    "are withheld, but the runner's file-command files are found by path and written (an "
    "environment for the job's later steps, cicd-agent's own summary). The seam is where the "
    "step starts (local/test_step.run_step): on code GitHub does not vouch for, run the "
    "command in the sandbox, or at least hide the runner's folders from it",
)
def test_attack_a_forks_tests_cannot_write_the_runners_file_commands(
    tmp_path: Path, github_api: Any
) -> None:
    github_api.proxy.script("GET", r"/repos/octocat/Hello-World/pulls/\d+$", edit=lambda pull: {
        **pull, "head": {**pull["head"], "repo": {**pull["head"]["repo"],
                                                  "full_name": "mallory/Hello-World"}}})  # fmt: skip
    commands = tmp_path / "_temp" / "_runner_file_commands"
    commands.mkdir(parents=True)
    set_env, summary = commands / "set_env_1", commands / "step_summary_1"
    set_env.write_text("")
    summary.write_text("")
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n"})
    head = repo.commit("tests", {"tests/conftest.py": CONFTEST,
                                 "tests/test_t.py": "def test_ok():\n    pass\n"})  # fmt: skip
    payload = dict(example("pull_request"))
    pull = payload["pull_request"]
    payload["pull_request"] = {**pull, "base": {**pull["base"], "sha": base},
                               "head": {**pull["head"], "sha": head}}  # fmt: skip
    environ = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
        "GITHUB_WORKSPACE": str(repo.path), "GITHUB_SHA": head,
        "GITHUB_ENV": str(set_env), "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
        **github_api.env(),
    }  # fmt: skip
    out = io.StringIO()
    code = main(["test-step", "--retries", "0", "--", sys.executable, "-m", "pytest", "-q",
                 "-p", "no:randomly", "-p", "no:xdist", "-p", "no:cacheprovider"],
                environ, out)  # fmt: skip
    assert code == 0, out.getvalue()
    assert "NODE_OPTIONS" not in set_env.read_text()
    assert "verified, every test passes" not in summary.read_text()
