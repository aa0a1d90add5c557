"""test-step's pull requests for its flaky tests (a quarantine entry, a fix's draft) go only
into a branch pushed by code GitHub vouches for: a pull request's run, whoever wrote it, opens
none, and says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cicd_agent.github.trust import Trust
from cicd_agent.modes.test_step.dependence import Runs
from cicd_agent.modes.test_step.flaky_step import _drafted_once, quarantine
from cicd_agent.modes.test_step.options import TestStepOptions
from cicd_agent.modes.test_step.types import FlakyFix, StepFacts, StepVerdict
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.context import run_context

VOUCHED = Trust.pushed()  # a push GitHub vouches for: the event is what is refused


def _pull_request_run(tmp_path: Path) -> Any:
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("start", {"tests/test_s.py": "def test_s():\n    pass\n"})
    environ = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(write_event(tmp_path, example("pull_request"))),
        "GITHUB_WORKSPACE": str(repo.path),
        "GITHUB_TOKEN": "not-used",
    }
    ctx, _ = run_context("test-step", ["--", "true"], environ, TestStepOptions.from_given)
    return ctx


def _facts(trust: Trust) -> StepFacts:
    return StepFacts(trust, "", (), None, (), 0.0)


def test_a_pull_requests_run_proposes_no_quarantine_and_says_why(tmp_path: Path) -> None:
    ctx = _pull_request_run(tmp_path)
    verdict = StepVerdict(passed=True, flaky=(("tests/test_s.py::test_s", "failed, passed"),))

    quarantine(ctx, _facts(VOUCHED), verdict, [])

    assert ctx.notes == ["No quarantine pull request: it is not from a push GitHub vouches for."]


def test_a_verified_fix_on_a_pull_requests_run_is_shown_not_drafted(tmp_path: Path) -> None:
    ctx = _pull_request_run(tmp_path)
    fix = FlakyFix(
        test="tests/test_s.py::test_s",
        kind="victim",
        related_test="tests/test_s.py::test_p",
        status="verified",
        patch="--- a/tests/test_s.py\n+++ b/tests/test_s.py\n",
        runs_before=Runs(1, 2),
        runs_after=Runs(0, 2),
        evidence="",
        files={"tests/test_s.py": "def test_s():\n    pass\n"},
    )

    assert _drafted_once(ctx, _facts(VOUCHED), [fix, fix]) == [fix, fix]
    assert ctx.notes == [
        "No draft pull request for `tests/test_s.py::test_s`: it is not from a push GitHub "
        "vouches for."
    ]
