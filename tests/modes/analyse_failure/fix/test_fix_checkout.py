"""The fix step runs only on the failed commit's checkout, with nothing changed (the verifier
itself: tests/modes/analyse_failure/fix/test_fix_judge.py)."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.analyse_failure.fix.attempt import _checkout_problem
from tests.helpers.fix_projects import (
    CALC,
    commit_project,
    git,
)


def test_the_checkout_must_be_the_failed_commit_with_nothing_changed(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    head = commit_project(checkout, CALC)
    assert _checkout_problem(checkout, head) == ""
    other = "0" * 40
    assert _checkout_problem(checkout, other) == (
        f"the checkout is at {head[:12]}, not the failed commit 000000000000 "
        "(check out the run's head_sha)"
    )
    (checkout / "calc" / "ops.py").write_text("changed = True\n")
    assert _checkout_problem(checkout, head) == (
        "tracked files in the checkout differ from the failed commit"
    )
    git(checkout, "checkout", "-q", "--", ".")
    assert _checkout_problem(tmp_path, head) == f"{tmp_path} is not a git checkout"
