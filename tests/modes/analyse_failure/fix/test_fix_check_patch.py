"""The calls analyse-failure makes to have a patch judged (a fix:
:meth:`~cicd_agent.modes.analyse_failure.fix.judge.verifier.SandboxVerifier.verify`; the test
that shows its bug: :func:`~cicd_agent.modes.analyse_failure.fix.judge.fail_to_pass.judge`): each
comes back in its judge's own words, on a real project, real git, real pytest, the real
sandbox."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.analyse_failure.fix.judge.claims import Patch, Verdict
from cicd_agent.modes.analyse_failure.fix.judge.fail_to_pass import judge
from tests.helpers.sandbox import needs_sandbox
from tests.modes.analyse_failure.fix.test_fix_fail_to_pass import (
    MEAN_FIX,
    SHOWS_THE_BUG,
    _claim,
    _verifier,
)

WORKFLOW = Patch(
    diff="diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml\nnew file mode 100644\n"
    "--- /dev/null\n+++ b/.github/workflows/ci.yml\n@@ -0,0 +1 @@\n+on: push\n",
    source="model",
    summary="a workflow",
)


@needs_sandbox
def test_a_new_test_that_shows_the_bug_is_judged_by_running_it(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        verdict = judge(verifier, _claim(verifier, SHOWS_THE_BUG))
    assert verdict.verdict is Verdict.VERIFIED and verdict.tests == 1, verdict.reason
    assert verdict.reason.endswith("fails on the failed commit and passes with the fix, in the "
                                   "sandbox")  # fmt: skip
    assert [run.exit_code for run in verdict.runs] == [1, 0]


@needs_sandbox
def test_a_fix_the_failing_command_passes_with_is_not_verified_by_its_exit_code(
    tmp_path: Path,
) -> None:
    """The crash is ``python -c``: no test runner and no linter, so a pass is the word of the
    code it runs, and the judge says so rather than verifying the fix."""
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        verdict = verifier.verify(MEAN_FIX)
    assert verdict.verdict is Verdict.NOT_PASSED
    assert verdict.reason.startswith("not verified: no pytest ran, and the failing command is "
                                     "no linter or formatter the fix step knows")  # fmt: skip
    assert not verdict.runs[0].passed  # the baseline still crashes


@needs_sandbox
def test_a_patch_the_policy_refuses_runs_nothing(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path)
    with verifier.sandbox:
        verdict = verifier.verify(WORKFLOW)
    assert verdict == verifier.verify(WORKFLOW)
    assert verdict.verdict is Verdict.NOT_PASSED and not verdict.runs
    assert verdict.reason == "refused: the patch edits a workflow file (.github/workflows/ci.yml)"
