"""The decide step's part of the fix: the floor's and the model's patches joined as data, the
attempt collect made left as it was, and the verified files carried to publish but never shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import FrozenInstanceError, replace
from typing import Any

import pytest

from cicd_agent.analysis.redact import Redactor
from cicd_agent.github.trust import Code, Trust, code_trust
from cicd_agent.job.pipeline import render_output
from cicd_agent.modes.analyse_failure.collect import failed_code
from cicd_agent.modes.analyse_failure.fix.attempt import FixAttempt, with_model
from cicd_agent.modes.analyse_failure.fix.judge.claims import Patch, Verdict, Verification
from cicd_agent.modes.analyse_failure.fix.outcome import (
    FixOutcome,
    fix_label,
    fix_outcome,
    fix_section,
)
from cicd_agent.modes.analyse_failure.types import RunTarget
from cicd_agent.verify.contract import NOT_PROOF, checked

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
FILE_TEXT = "x = 2  # the verified file's whole text\n"


def _refused(source: str) -> Verification:
    return Verification(Patch(DIFF + source, "fixer", "ruff --fix"), "still fails")


def _verified() -> Verification:
    patch = Patch(DIFF, "model", "set x to 2")
    return Verification(
        patch, "passes twice", files=(("app.py", FILE_TEXT),), verdict=Verdict.VERIFIED
    )


def test_the_models_patches_follow_the_floors_and_the_collected_attempt_is_not_changed() -> None:
    floor = FixAttempt("suggest", verifications=[_refused("a")], notes=["No deterministic fix."])
    joined = with_model(floor, [_verified()])
    assert [v.verdict for v in joined.verifications] == [Verdict.NOT_PASSED, Verdict.VERIFIED]
    assert joined.first_pass is not None and joined.first_pass.patch.source == "model"
    assert (len(floor.verifications), floor.notes, floor.first_pass) == (
        1,
        ["No deterministic fix."],
        None,
    )


def test_the_decided_fix_cannot_take_what_posting_learns() -> None:
    """Publish records the fix as posted (its pull request, suggestions and notes) as a value of
    its own: the fix decide returned stays as decided, whatever posting does."""
    attempt = FixAttempt("pr", verifications=[_verified()])
    decided = fix_outcome(attempt, patch_path="/tmp/fix.patch", redact=Redactor().redact)
    with pytest.raises(FrozenInstanceError):
        decided.pr_url = "https://github.com/o/r/pull/9"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        decided.publish_notes.append("posted")  # type: ignore[attr-defined]


def test_the_model_proposing_nothing_is_said_in_the_reason() -> None:
    floor = FixAttempt("pr", notes=["No deterministic fix: no known tool failed."])
    outcome = fix_outcome(
        with_model(floor, []),
        patch_path="/tmp/fix.patch",
        redact=Redactor().redact,
    )
    assert outcome.status == "none"
    assert outcome.reason.endswith("The model proposed no patch.")


def test_the_verified_files_reach_publish_but_no_rendering_of_the_result() -> None:
    outcome = fix_outcome(
        with_model(FixAttempt("pr"), [_verified()]),
        patch_path="/tmp/fix.patch",
        redact=Redactor().redact,
    )
    assert outcome.status == "verified"
    assert outcome.verified_files == (("app.py", FILE_TEXT),)
    shown = [render_output(outcome), render_output([outcome]), repr(outcome)]
    assert not [text for text in shown if "whole text" in text or "verified_files" in text]


def test_a_pass_that_is_no_proof_is_shown_as_such_never_called_verified() -> None:
    passed = replace(_verified(), verdict=Verdict.PASSES, reason=f"passes twice; {NOT_PROOF}")
    outcome = fix_outcome(
        with_model(FixAttempt("pr"), [passed]),
        patch_path="/tmp/fix.patch",
        redact=Redactor().redact,
    )
    assert outcome.status == "passes"
    for comment in (True, False):
        section = fix_section(outcome, comment=comment)
        assert "Verified" not in section and "verified" not in section.replace("not verified", "")
        assert NOT_PROOF in section


def _target(event: str, pulls: tuple[int, ...] = (), *, fork: bool = False) -> RunTarget:
    return RunTarget(1, 1, 1, "abc", "main", event, "", "main", pulls, from_fork=fork)


class Answers:
    """GitHub's answers as the run reads them: ``said`` of every commit asked about (pushed:
    on the branch; unknown: no token, or no answer)."""

    def __init__(self, said: Trust | None = None) -> None:
        self.said = said or Trust.pushed()
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    def trust_of(self, number: int | None) -> Trust:
        raise AssertionError("a failed run's trust is asked of its commit")

    def commit_trust(self, sha: str, branches: Sequence[str]) -> Trust:
        self.asked.append((sha, tuple(branches)))
        return self.said


def test_only_what_github_says_of_the_commit_is_proof_never_the_events_name() -> None:
    """Common sense: the event's name says nothing of whose code ran (a comment's or a
    dispatch's run may check out a fork's head). Without GitHub's answer for the commit no
    run's code is proof, a push's neither; a local checkout is the operator's own; a fork's is
    never asked about; the answer is asked for the commit, on the run's and default branch."""
    unanswered = Answers(Trust.unknown())
    for event in ("push", "pull_request", "issue_comment", "workflow_dispatch", "schedule"):
        assert not code_trust(failed_code(NO_RUN, _target(event)), unanswered).code_is_proof
    assert code_trust(Code(local=True), unanswered).code_is_proof
    answers = Answers()
    assert not code_trust(failed_code(NO_RUN, _target("push", fork=True)), answers).code_is_proof
    assert code_trust(failed_code(NO_RUN, _target("workflow_dispatch")), answers) == Trust.pushed()
    assert answers.asked == [("abc", ("main", "main"))]
    # GitHub records these runs at the default branch's commit, whatever they checked out.
    for event in ("issue_comment", "pull_request_target", "workflow_run"):
        assert not code_trust(failed_code(NO_RUN, _target(event)), answers).code_is_proof
    assert answers.asked == [("abc", ("main", "main"))]


NO_RUN: Any = None
"""No run context: a failed run that is named never asks the run's own checkout."""


@pytest.mark.parametrize("tests", [1, 3])
def test_a_fix_the_verifier_passed_is_labelled_only_checked(tests: int) -> None:
    """A model's patch the sandbox verified, even with proof (a base that senses the patch
    passes it: tests/modes/analyse_failure/fix/test_fix_judge.py), is shown as what it shows: the tests
    passed."""
    outcome = FixOutcome(requested="suggest", status="verified", reason="", source="model",
                         tests=tests)  # fmt: skip
    assert (
        fix_label(outcome)
        == f"Fix {checked(tests)}"
        == (f"Fix checked: {tests} test{'s pass' if tests > 1 else ' passes'} with it")
    )
    assert "verified" not in fix_section(outcome, comment=True).lower()
