"""The fix step on a checkout only its owner may enter (mode 0700, as ``mkdtemp`` makes it), in
real bubblewrap (the sandbox's own part: tests/unit/sandbox/test_closed_checkout.py)."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.analyse_failure.fix.fixers import run_fixer
from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand, Verdict
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.helpers.fix_projects import LINT, commit_project
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox


def test_the_fix_step_fixes_a_lint_failure_in_a_checkout_whose_top_folder_is_0700(
    tmp_path: Path,
) -> None:
    """Regression: ``ruff check --fix .`` could not start in the copy, and the step said it
    "changed nothing"."""
    repo = tmp_path / "checkout"
    commit_project(repo, LINT)
    repo.chmod(0o700)
    (repo / "app").chmod(0o700)
    command = FailingCommand(job="lint", step="Lint", script="ruff check .", failing="ruff check .")
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    with Sandbox(repo, environ) as sandbox:
        run = run_fixer(sandbox, command, environ)
        assert run.patch is not None, run.note
        verdict = SandboxVerifier(sandbox, command, watched=PYTEST, redact=str).verify(run.patch)
    assert verdict.verdict is not Verdict.NOT_PASSED, (
        verdict.reason,
        [r.output for r in verdict.runs],
    )
