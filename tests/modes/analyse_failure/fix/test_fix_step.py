"""The check step (the fix, judged in the sandbox, between ask and decide) opens no sandbox and
runs nothing when no fix is asked for, or when no job failed: decide gets no checks."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from cicd_agent.job.run import Run
from cicd_agent.modes.analyse_failure.fix import check
from cicd_agent.modes.analyse_failure.fix.attempt import FixInput
from cicd_agent.modes.analyse_failure.fix.bug_test import why_no_test
from cicd_agent.modes.analyse_failure.fix.judge.claims import Patch, Verdict, Verification, refused
from cicd_agent.modes.analyse_failure.options import FixRequest


def test_no_fix_asked_or_no_failed_job_runs_nothing(tmp_path: Path) -> None:
    said: list[str] = []
    run = SimpleNamespace(progress=SimpleNamespace(stage=said.append))

    def given(requested: FixRequest, failed_jobs: tuple[str, ...]) -> FixInput:
        return FixInput(
            requested,
            "",
            (),
            failed_jobs,
            (),
            "",
            True,
            tmp_path,
            local=True,
        )

    assert check(cast(Any, run), given("off", ("tests",))) is None
    assert check(cast(Any, run), given("suggest", ())) is None
    assert said == []  # the step never started


def test_a_fix_that_changes_no_python_file_gets_no_pytest_test_asked_for() -> None:
    """The test written with a verified fix is a pytest file: for a fix to a go, jest or cargo
    project's code it was asked for anyway, and could only be a Python file in a project that has
    none, or a test of nothing the fix changed."""
    passes = Verdict.PASSES
    go = Verification(Patch("diff", "model", "fix"), "", (), (("calc/calc.go", "x"),), passes)
    python = Verification(Patch("diff", "model", "fix"), "", (), (("calc/ops.py", "x"),), passes)
    assert why_no_test(go) == (
        "no test proposed: the fix changes no Python file, and the test written with a fix is a "
        "pytest test"
    )
    assert why_no_test(python) == ""


def test_the_fix_step_is_handed_the_run_s_services_once() -> None:
    """The model and where a tool's run is recorded are the run's: ``check`` reads them from the
    :class:`Run` it is handed, and its input holds no second copy that could differ."""
    services = {"model", "tool"}
    assert services <= set(dir(Run))
    assert services.isdisjoint(field.name for field in fields(FixInput))


def test_a_patch_the_judge_did_not_pass_is_not_called_refused() -> None:
    """A patch that did not apply, still fails, or met no sandbox or a spent budget was not
    refused: the verdict says it did not pass (its output word stays ``none``), and only a rule
    of the judge that refuses a patch words its reason so."""
    did_not_apply = Verification(Patch("diff", "model", "fix"), "the patch does not apply")
    assert did_not_apply.verdict is Verdict.NOT_PASSED and Verdict.NOT_PASSED.value == "none"
    assert "REFUSED" not in Verdict.__members__
    assert refused("the patch edits a workflow file") == "refused: the patch edits a workflow file"
