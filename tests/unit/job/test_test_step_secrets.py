"""The test step never hands the job's token or keys to the tests it runs.

The attack: a pull request's ``conftest.py`` reads what its process was given and keeps it (here
on its standard output; on a runner it would send it anywhere). The step needs the job's token itself, to ask
GitHub whether the head is trusted, so the token is in cicd-agent's environment while the tests
run. What the tests may see: on code GitHub does not trust (a fork), nothing secret-named and
none of the runner's own variables; on trusted code, the workflow's own variables (a test
database's password), but never the token, the model's key, the action's inputs or the
runner's tokens, under whatever name the workflow copied them to.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.cli import main
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event

CONFTEST = """\
import json
import os

print("SEEN=" + json.dumps(dict(os.environ)))
"""
MODEL_KEY = "sk-proj-Q8fLm2ZtR7vX1cW9nB4hK6dJ3sP0aYe5"
RUNTIME_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.runtime.Zx81kqP"
DATABASE_PASSWORD = "tests-db-Pw-7Hq2LmX9"


def _run_step(
    tmp_path: Path, github: dict[str, str], *, fork: bool, proxy: Any,
    capfd: pytest.CaptureFixture[str],
) -> dict[str, str]:
    if fork:
        proxy.script("GET", r"/repos/octocat/Hello-World/pulls/\d+$", edit=lambda pull: {
            **pull, "head": {**pull["head"], "repo": {**pull["head"]["repo"],
                                                      "full_name": "mallory/Hello-World"}}})  # fmt: skip
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n"})
    head = repo.commit("tests", {"tests/conftest.py": CONFTEST,
                                 "tests/test_t.py": "def test_ok():\n    pass\n"})  # fmt: skip
    payload = dict(example("pull_request"))
    pull = payload["pull_request"]
    payload["pull_request"] = {**pull, "base": {**pull["base"], "sha": base},
                               "head": {**pull["head"], "sha": head}}  # fmt: skip
    token = github["GITHUB_TOKEN"]
    environ = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
        "GITHUB_WORKSPACE": str(repo.path), "GITHUB_SHA": head,
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
        **github,
        "OPENAI_API_KEY": MODEL_KEY,
        "INPUT_OPENAI-API-KEY": MODEL_KEY,
        "CICD_AGENT_INPUTS": json.dumps({"github-token": token}),
        "ACTIONS_RUNTIME_TOKEN": RUNTIME_TOKEN,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": RUNTIME_TOKEN,
        "DEPLOY_HELPER": token,  # the workflow copied the token under a plain name
        "DATABASE_PASSWORD": DATABASE_PASSWORD,  # the workflow's own, for its tests
    }  # fmt: skip
    out = io.StringIO()
    code = main(["test-step", "--retries", "0", "--", sys.executable, "-m", "pytest", "-q", "-s",
                 "-p", "no:randomly", "-p", "no:xdist", "-p", "no:cacheprovider"],
                environ, out)  # fmt: skip
    assert code == 0, out.getvalue()
    # the step shows its command's output on standard error
    shown = [line for line in capfd.readouterr().err.splitlines() if line.startswith("SEEN=")]
    seen: dict[str, str] = json.loads(shown[0].removeprefix("SEEN="))
    held = (token, MODEL_KEY, RUNTIME_TOKEN)
    assert [name for name, value in seen.items() if any(v in value for v in held)] == []
    assert not [name for name in seen if name.startswith(("INPUT_", "ACTIONS_", "CICD_AGENT_"))]
    assert seen["PATH"] == "/usr/bin:/bin"  # the command still runs as the workflow set it up
    return seen


def test_attack_a_forks_tests_see_no_token_no_key_and_nothing_secret(
    tmp_path: Path, github_api: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    seen = _run_step(tmp_path, github_api.env(), fork=True, proxy=github_api.proxy, capfd=capfd)
    assert "DATABASE_PASSWORD" not in seen and "GITHUB_SHA" not in seen


def test_attack_a_writers_tests_keep_the_workflows_variables_not_the_jobs_secrets(
    tmp_path: Path, github_api: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    seen = _run_step(tmp_path, github_api.env(), fork=False, proxy=github_api.proxy, capfd=capfd)
    assert seen["DATABASE_PASSWORD"] == DATABASE_PASSWORD
    assert "GITHUB_SHA" in seen and "GITHUB_REPOSITORY" in seen


@pytest.mark.parametrize("fork", [True, False])
def test_the_step_itself_still_asked_github_with_the_token(
    tmp_path: Path, github_api: Any, fork: bool, capfd: pytest.CaptureFixture[str]
) -> None:
    """The token was not taken from cicd-agent: it asked GitHub who the head came from."""
    _run_step(tmp_path, github_api.env(), fork=fork, proxy=github_api.proxy, capfd=capfd)
    assert github_api.proxy.calls("GET", r"/repos/octocat/Hello-World/pulls/\d+$")


def test_the_steps_environment_keeps_the_workflows_variables_only_for_trusted_code() -> None:
    """The scrubbing alone: the job's own secrets go either way; a secret-named variable of the
    workflow's goes only on code GitHub does not vouch for."""
    from cicd_agent.sandbox.step import step_environment

    environ = {"PATH": "/usr/bin", "GITHUB_TOKEN": MODEL_KEY, "DATABASE_PASSWORD": DATABASE_PASSWORD,
               "COPY": MODEL_KEY, "GITHUB_SHA": "abc"}  # fmt: skip
    assert step_environment(environ, trusted=True) == {
        "PATH": "/usr/bin", "DATABASE_PASSWORD": DATABASE_PASSWORD, "GITHUB_SHA": "abc"}
    assert step_environment(environ, trusted=False) == {"PATH": "/usr/bin"}
