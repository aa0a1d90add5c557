"""test-step's trust in a pull request's code is the one decision every mode's rests on
(``github/trust.code_trust``), asked of GitHub through the validating mock, never the event's
word: a fork's pull request gets what ``code_trust`` says of it, trusted with nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cicd_agent.github.trust import code_trust
from cicd_agent.modes.test_step.collect import _trust
from cicd_agent.modes.test_step.options import TestStepOptions
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.context import run_context

PULL = r"/repos/octocat/Hello-World/pulls/\d+$"


def test_a_forks_pull_request_gets_what_code_trust_says(tmp_path: Path, github_api: Any) -> None:
    def forked(pull: dict[str, Any]) -> dict[str, Any]:
        head = {
            **pull["head"],
            "repo": {**pull["head"]["repo"], "full_name": "mallory/Hello-World"},
        }
        return {**pull, "head": head}

    github_api.proxy.script("GET", PULL, edit=forked)
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("start", {"tests/test_s.py": "def test_s():\n    pass\n"})
    environ = {**github_api.env(), "GITHUB_EVENT_NAME": "pull_request",
               "GITHUB_EVENT_PATH": str(write_event(tmp_path, example("pull_request"))),
               "GITHUB_WORKSPACE": str(repo.path)}  # fmt: skip
    ctx, _ = run_context("test-step", ["--", "true"], environ, TestStepOptions.from_given)

    trust, unsure = _trust(ctx, ctx.event)

    assert github_api.proxy.calls("GET", PULL), "GitHub was not asked"
    assert trust == code_trust(ctx.checkout_code(), ctx) and unsure == ""
    assert trust.is_fork and not trust.code_is_proof
