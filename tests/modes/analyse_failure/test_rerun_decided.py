"""Whether the failed jobs are due a re-run is decided with the result, from data alone: no
GitHub is reached, and publish has nothing left to judge (``rerun_due`` or a refusal)."""

from __future__ import annotations

from datetime import date

import pytest

from cicd_agent.modes.analyse_failure.rerun import RerunRules, decide_rerun
from cicd_agent.modes.analyse_failure.result import FailureResult, JobOutcome
from cicd_agent.modes.analyse_failure.types import FailureFacts, RunTarget

TRUSTED = RerunRules(allowed=1, can_ask=True)
NOT_PUSHED = "the failed run's code is not known to come from someone who can push"


def target(attempt: int = 1) -> RunTarget:
    return RunTarget(run_id=7, attempt=attempt, workflow_id=1, head_sha="a" * 40, branch="main",
                     event="push", html_url="", default_branch="main")  # fmt: skip


def result(*kinds: str) -> FailureResult:
    jobs = [JobOutcome(name=f"job {n}", failed_step=None, conclusion="failure", failure_type=kind)
            for n, kind in enumerate(kinds)]  # fmt: skip
    return FailureResult(mode="analyse-failure", headline="", failure_type=kinds[0],
                         deterministic_failure_type=kinds[0], root_cause="", confidence=0.5,
                         signature="s", excerpt="", failed_jobs=jobs)  # fmt: skip


def decided(
    rules: RerunRules, *kinds: str, attempt: int = 1, code_is_proof: bool = True
) -> FailureResult:
    facts = FailureFacts(target(attempt), [], [], None, None, date(2026, 11, 30),
                         code_is_proof=code_is_proof)  # fmt: skip
    found = result(*kinds)
    decide_rerun(found, facts, rules)
    return found


def test_every_infrastructure_failure_on_pushed_code_is_due_a_re_run() -> None:
    found = decided(TRUSTED, "infrastructure", "infrastructure")
    assert found.rerun_due and found.rerun_reason == "" and found.notes == []
    assert "rerun_due" not in found.fields_json()


@pytest.mark.parametrize(
    ("rules", "kinds", "attempt", "proof", "why"),
    [
        (TRUSTED, ("infrastructure", "test_failure"), 1, True,
         "not every failure is infrastructure (infrastructure, test_failure)"),
        (TRUSTED, ("infrastructure",), 2, True, "attempt 2 is already a re-run"),
        (TRUSTED, ("infrastructure",), 1, False, NOT_PUSHED),
        (RerunRules(allowed=1, dry_run=True, can_ask=True), ("infrastructure",), 1, True,
         "dry run"),
        (RerunRules(allowed=1), ("infrastructure",), 1, True, "no GitHub token"),
    ],
)  # fmt: skip
def test_a_refused_re_run_says_why_in_the_result(
    rules: RerunRules, kinds: tuple[str, ...], attempt: int, proof: bool, why: str
) -> None:
    found = decided(rules, *kinds, attempt=attempt, code_is_proof=proof)
    assert not found.rerun_due and found.rerun_reason == why
    assert found.notes == [f"The failed jobs were not re-run (rerun-infrastructure: 1): {why}."]


def test_without_rerun_infrastructure_nothing_is_decided_or_said() -> None:
    found = decided(RerunRules(can_ask=True), "infrastructure")
    assert (found.rerun_due, found.rerun_reason, found.notes) == (False, "", [])


def test_publish_learns_the_comment_the_fixs_pull_request_and_the_re_run() -> None:
    """Written after publish (a crash while posting leaves the decided ones): the re-run's two,
    derived from the fields publish records, and the fix's pull request."""
    learnt = result("infrastructure").posted_outputs()
    assert learnt == {"comment_url", "fix_pr_url", "rerun_requested", "rerun_reason"}
