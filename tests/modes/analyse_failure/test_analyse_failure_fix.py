"""analyse-failure with ``fix``: from a failed run's log to a verified patch, through the CLI.

The checkout is a real git repository at the failed commit; the log wraps the real output of
the repository's own ruff; the fix runs in the real sandbox. Offline (``--logs``, no GitHub).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.analyse_failure import mode
from cicd_agent.modes.analyse_failure.fix.attempt import Checks
from cicd_agent.modes.analyse_failure.fix.bug_test import NO_MODEL
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.failed_run import zip_of
from tests.helpers.fix_projects import CALC, LINT, commit_project, git, lint_failure_log
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox


def _run(tmp_path: Path, files: dict[str, str], *extra: str, script: str = "ruff check .",
         head: str | None = None, path: str = "") -> tuple[int, dict[str, str], str, Path]:  # fmt: skip
    """``head``: None passes the failed commit's SHA, "" no ``--head`` at all."""
    done, checkout = _done(tmp_path, files, *extra, script=script, head=head, path=path)
    return done.code, done.outputs, done.summary, checkout


def _done(tmp_path: Path, files: dict[str, str], *extra: str, script: str = "ruff check .",
          head: str | None = None, path: str = "") -> tuple[CliRun, Path]:  # fmt: skip
    checkout = tmp_path / "checkout"
    sha = commit_project(checkout, files)
    git(checkout, "tag", "failed-build")
    log = lint_failure_log(checkout, path_env(), script)
    logs = tmp_path / "logs.zip"
    logs.write_bytes(zip_of({"0_lint.txt": log}))
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    environ = {
        "PATH": path or path_env(),
        "HOME": str(tmp_path / "home"),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(logs), "--repo", str(checkout),
         *(["--head", head or sha] if head != "" else []), *extra],
        tmp_path, environ,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done, checkout


@needs_sandbox
def test_the_check_step_says_a_test_needs_a_model_and_decide_does_not_guess_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a model a verified fix has no test: the check step, which knows it had no model,
    hands decide that reason, rather than decide inferring it from a missing test."""
    handed: list[object] = []
    decide = mode.decide

    def deciding(*args: Any, **kwargs: Any) -> Any:
        handed.append(args[2])
        return decide(*args, **kwargs)

    monkeypatch.setattr(mode, "decide", deciding)
    code, outputs, summary, _ = _run(tmp_path, LINT, "--fix", "suggest")
    assert code == 0 and outputs["fix_status"] == "verified", summary
    (checks,) = handed
    assert isinstance(checks, Checks) and checks.test == NO_MODEL, checks


@needs_sandbox
def test_a_lint_failure_gets_a_verified_patch_file_that_applies_to_the_failed_commit(
    tmp_path: Path,
) -> None:
    code, outputs, summary, checkout = _run(tmp_path, LINT, "--fix", "suggest")

    assert code == 0
    assert outputs["fix_status"] == "verified"
    patch = Path(outputs["fix_patch_path"])
    assert patch.parent == tmp_path / "runner-temp"
    assert "-import os\n" in patch.read_text()
    assert "**Verified fix** (from the repository's own tool, `ruff check --fix .`)" in summary
    # no test failed before the fix, and a test that shows the bug needs a model to write it
    assert NO_MODEL == "no test proposed: writing one needs a model" and NO_MODEL in summary
    assert "<details><summary>Patch (" in summary
    assert outputs["fix_pr_url"] == ""
    assert git(checkout, "status", "--porcelain") == ""  # the checkout itself is untouched
    applied = subprocess.run(["git", "-C", str(checkout), "apply", "--check", str(patch)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert applied.returncode == 0, applied.stderr


@needs_sandbox
def test_each_patch_judged_shows_a_line_of_progress(tmp_path: Path) -> None:
    """Judging a patch runs the failing command three times in the sandbox: the log says so
    as each patch begins, never silent for that long."""
    done, _ = _done(tmp_path, LINT, "--fix", "suggest")

    assert done.code == 0 and done.outputs["fix_status"] == "verified"
    assert "judging patch 1: the failing command without it, then twice with it" in done.stderr


@needs_sandbox
def test_the_failed_steps_script_is_split_into_commands_once_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parser, the fixer, each verifier run and the result all ask for the step's
    commands; the script is split once, by the failing command that holds it (it was split
    six times for one verified patch, then kept in a process-wide cache)."""
    from cicd_agent.modes.analyse_failure.fix import command
    from cicd_agent.modes.analyse_failure.fix.judge import claims, script

    splits: list[str] = []

    def counted(text: str) -> tuple[str, ...]:
        splits.append(text)
        return script.split_commands(text)

    for module in (command, claims):
        monkeypatch.setattr(module, "split_commands", counted)
    steps = "ruff format --check .\nruff check ."
    code, outputs, summary, _ = _run(tmp_path, LINT, "--fix", "suggest", script=steps)

    assert code == 0 and outputs["fix_status"] == "verified", summary
    assert splits == [steps]


@needs_sandbox
def test_the_failed_jobs_log_is_read_once_for_the_diagnosis_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failing command comes from the analysis's one pass over the log (the step's header
    and tail it kept), not from a second read of the whole job's log."""
    opened: list[str] = []
    original = zipfile.ZipFile.open

    def counted(self: zipfile.ZipFile, name: Any, mode: str = "r", **kwargs: Any) -> Any:
        if mode == "r":  # not the test's own zip being written
            opened.append(name if isinstance(name, str) else name.filename)
        return original(self, name, mode, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counted)
    code, outputs, summary, _ = _run(tmp_path, LINT, "--fix", "suggest")

    assert code == 0 and outputs["fix_status"] == "verified", summary
    assert opened == ["0_lint.txt"]


@needs_sandbox
def test_head_may_be_any_name_of_the_failed_commit(tmp_path: Path) -> None:
    """Before: a tag or branch for the checked-out commit was compared as text and refused."""
    code, outputs, summary, _ = _run(tmp_path, LINT, "--fix", "suggest", head="failed-build")
    assert code == 0 and outputs["fix_status"] == "verified", summary


@needs_sandbox
def test_a_local_run_without_head_takes_the_checkouts_head_and_says_so(tmp_path: Path) -> None:
    """Before: "the failed run's head commit is unknown", with no hint."""
    code, outputs, summary, checkout = _run(tmp_path, LINT, "--fix", "suggest", head="")
    assert code == 0 and outputs["fix_status"] == "verified", summary
    sha = git(checkout, "rev-parse", "HEAD").strip()
    assert (
        f"No --head given: the checkout's HEAD ({sha[:12]}) is taken as the failed commit"
        in summary
    )


def test_a_head_that_names_no_commit_says_so(tmp_path: Path) -> None:
    code, outputs, summary, _ = _run(tmp_path, LINT, "--fix", "suggest", head="no-such-branch")
    assert code == 0 and outputs["fix_status"] == "none"
    assert "the failed commit 'no-such-branch' names no commit of the checkout" in summary


def test_fix_is_off_by_default(tmp_path: Path) -> None:
    code, outputs, summary, _ = _run(tmp_path, LINT)
    assert code == 0
    assert outputs["fix_status"] == "none" and outputs["fix_patch_path"] == ""
    assert "fix offered" not in summary and "Verified fix" not in summary


def test_a_checkout_at_another_commit_offers_nothing_and_says_why(tmp_path: Path) -> None:
    code, outputs, summary, _ = _run(tmp_path, LINT, "--fix", "suggest", head="1" * 40)
    assert code == 0
    assert outputs["fix_status"] == "none"
    assert "**No fix offered:** the checkout is at " in summary
    assert "not the failed commit 111111111111" in summary


@needs_sandbox
def test_a_failure_no_fixer_knows_offers_nothing_without_a_model(tmp_path: Path) -> None:
    code, outputs, summary, _ = _run(
        tmp_path, CALC, "--fix", "suggest", script="python -m pytest -q -p no:cacheprovider"
    )
    assert code == 0
    assert outputs["fix_status"] == "none"
    assert (
        "**No fix offered:** no patch was proposed. No deterministic fix: the failing command "
        "runs no linter or formatter we can fix with." in summary
    )


def test_without_a_sandbox_nothing_from_the_checkout_runs_and_the_summary_says_why(
    tmp_path: Path,
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("git", "sh", "bash"):
        found = shutil.which(name)
        assert found is not None
        (tools / name).symlink_to(found)
    planted = tmp_path / "ran"
    files = {**LINT, "app/ruff": f"#!/bin/sh\ntouch {planted}\n"}  # a "ruff" of the checkout
    path = os.pathsep.join([str(Path(sys.executable).parent), str(tools)])

    code, outputs, summary, _ = _run(tmp_path, files, "--fix", "suggest", path=path)

    assert code == 0
    assert outputs["fix_status"] == "none"
    assert "**No fix offered:** no sandbox on this runner (bwrap is not installed)" in summary
    assert not planted.exists()
