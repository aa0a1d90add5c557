"""A checkout only its owner may enter (mode 0700, as ``mkdtemp`` makes it, or a home folder
closed to others) runs in the sandbox like any other: an agent running as root lends each run
``nobody``, and the run's copy must be a folder ``nobody`` (and bwrap, which drops every
capability but two before it enters it) can pass. Every run is real bubblewrap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cicd_agent.modes.analyse_failure.fix.fixers import run_fixer
from cicd_agent.modes.gen_tests.collect import cannot_run
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.runners.sessions import Evidence
from cicd_agent.sandbox import Limits, Sandbox
from cicd_agent.verify.contract import FailingCommand
from cicd_agent.verify.judge import SandboxVerifier
from tests.fixtures.gentests_project.build import make_repo
from tests.helpers.fix_projects import LINT, commit_project
from tests.helpers.gen_tests import path_env, run_gen_tests
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox


def test_gen_tests_runs_the_suite_of_a_checkout_whose_top_folder_is_0700(tmp_path: Path) -> None:
    """Regression: the copy kept the checkout's 0700, so bwrap could not enter it and gen-tests
    exited 2 telling the user to install the project."""
    repo = tmp_path / "shop"
    base, head = make_repo(repo)
    repo.chmod(0o700)
    argv = ["--repo", str(repo), "--base", base, "--head", head, "--provider", "none"]
    code, document, _, stderr = run_gen_tests(argv, tmp_path)
    assert code == 0, stderr
    assert document["segments"], "the suite must have run in the sandbox"


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
        verdict = SandboxVerifier(sandbox, command, redact=str).verify(run.patch)
    assert verdict.verified, (verdict.reason, [r.output for r in verdict.runs])


def test_a_run_that_cannot_start_says_the_sandbox_could_not_start_it(tmp_path: Path) -> None:
    """When bwrap itself fails (here: the copy closed again to the run after the hand-over,
    the old regression in one run), the result names bwrap's own words and the sandbox as the
    cause, not the project; a command that starts and fails is no sandbox failure."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits()) as box:
        space = box.workspace("closed")
        space.repo.chmod(0o700)
        result = box.run([sys.executable, "-c", "print('ran')"], space, timeout=60)
        failed = box.run(
            ["sh", "-c", "echo 'bwrap: forged'; exit 1"], box.workspace("open"), timeout=60
        )
    assert failed.sandbox_failure == "", failed
    suite = ProjectCommand.parse("python -m pytest")
    assert cannot_run(suite, result, Evidence(None)).startswith(
        "the sandbox could not start it (bwrap: Can't chdir"
    )
    assert not cannot_run(suite, failed, Evidence(None)).startswith("the sandbox")
    assert not result.ok
    assert result.sandbox_failure.startswith("bwrap: Can't chdir"), result.output
    assert "the sandbox could not start the command" in result.describe(), result.describe()


def test_the_jobs_virtualenv_in_a_checkout_whose_top_folder_is_0700_runs(tmp_path: Path) -> None:
    """Attack (fourth red team): the job installs the project into ``.venv`` in its checkout
    and puts ``.venv/bin`` on ``PATH``; the copy links the virtualenv, not copies it, to the
    checkout bound back whole, and a checkout closed to others kept ``nobody`` out of it:
    every tool of the project's environment was "Permission denied" (exit 126), and a suite
    could not run. The closed checkout becomes an empty folder and what is linked comes back
    into it, read-only."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "app.py").write_text("X = 1\n")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(checkout / ".venv")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    checkout.chmod(0o700)
    env = {
        "PATH": f"{checkout / '.venv' / 'bin'}:{path_env()}",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
    }
    probe = "import sys, app; print(sys.prefix, app.X)"
    with Sandbox(checkout, env) as box:
        result = box.run(["python", "-c", probe], box.workspace("venv"), timeout=60)
        hidden = box.run(["ls", str(checkout)], box.workspace("ls"), timeout=60)
    assert result.ok, (result.describe(), result.output)
    assert result.output == f"{checkout / '.venv'} 1\n", result.output
    assert hidden.output.split() in ([".venv"], []), hidden.output  # nothing else of it
