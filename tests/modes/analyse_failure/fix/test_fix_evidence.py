"""The verifier's per-test evidence on real projects, real pytest, the real sandbox: with the
failing tests known, "verified" needs pytest's report to show them run and passed; an exit code
of 0 from a run that never ran them is not a fix. The runner's settings stay as committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.fix.contract import FailingCommand, Patch
from cicd_agent.modes.analyse_failure.fix.evidence import missing_evidence
from cicd_agent.modes.analyse_failure.fix.policy import check_patch
from cicd_agent.modes.analyse_failure.fix.runner_settings import settings_change
from cicd_agent.modes.analyse_failure.fix.verify import SandboxVerifier
from cicd_agent.sandbox import Sandbox
from tests.helpers.fix_projects import (
    CALC,
    CALC_EXIT_ZERO,
    CALC_FIX,
    commit_project,
    pytest_failure,
)
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

FAILED = "tests/test_ops.py::test_add"
SKIP_ON_IMPORT = (
    "diff --git a/calc/__init__.py b/calc/__init__.py\n"
    "--- a/calc/__init__.py\n"
    "+++ b/calc/__init__.py\n"
    "@@ -0,0 +1,2 @@\n"
    "+import pytest\n"
    "+pytest.skip('later', allow_module_level=True)\n"
)
"""Every test module importing ``calc`` is skipped: pytest exits 0 (another test passes), the
bug is still there."""
OTHER_TEST = {"tests/test_misc.py": "def test_ok() -> None:\n    assert True\n"}
RUFF_SETTING = (
    "diff --git a/pyproject.toml b/pyproject.toml\n"
    "--- a/pyproject.toml\n"
    "+++ b/pyproject.toml\n"
    "@@ -1,2 +1,4 @@\n"
    " [tool.pytest.ini_options]\n"
    " testpaths = ['tests']\n"
    "+[tool.ruff]\n"
    "+line-length = 100\n"
)
TOOL_TABLE = {"pyproject.toml": "[tool]\nblack = {line-length = 100}\n"}
DOTTED_ADDOPTS = (
    "diff --git a/pyproject.toml b/pyproject.toml\n"
    "--- a/pyproject.toml\n"
    "+++ b/pyproject.toml\n"
    "@@ -1,2 +1,3 @@\n"
    " [tool]\n"
    " black = {line-length = 100}\n"
    "+pytest.ini_options.addopts = '--collect-only -q'\n"
)
"""pytest's settings from a ``[tool]`` table (a dotted key): no hunk line is in a pytest
section, so only parsing the file before and after sees it."""


def _verifier(
    tmp_path: Path,
    *,
    failed: tuple[str, ...] = (FAILED,),
    files: tuple[str, ...] = (),
    failing: FailingCommand | None = None,
    extra: dict[str, str] | None = None,
) -> SandboxVerifier:
    checkout = tmp_path / "checkout"
    commit_project(checkout, {**CALC, **(extra or {})})
    sandbox = Sandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    return SandboxVerifier(
        sandbox,
        failing or pytest_failure(),
        redact=str,
        failing_tests=files,
        failed_tests=failed,
    )


def _verify(verifier: SandboxVerifier, diff: str) -> tuple[bool, str]:
    with verifier.sandbox:
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    return verdict.verified, verdict.reason


@needs_sandbox
@pytest.mark.parametrize("files", [(), ("tests/test_ops.py",)], ids=["names", "names+files"])
def test_the_real_fix_is_verified_with_the_failing_test_in_the_report(
    tmp_path: Path, files: tuple[str, ...]
) -> None:
    verified, reason = _verify(_verifier(tmp_path, files=files), CALC_FIX)
    assert verified, reason
    assert reason == (
        "the failing command passes twice with the patch and its report shows the failing "
        "tests passing"
    )


@needs_sandbox
def test_a_fix_judged_by_the_failing_tests_file_alone_is_verified(tmp_path: Path) -> None:
    verified, reason = _verify(
        _verifier(tmp_path, failed=(), files=("tests/test_ops.py",)), CALC_FIX
    )
    assert verified, reason


@needs_sandbox
@pytest.mark.parametrize("diff", [SKIP_ON_IMPORT, SKIP_ON_IMPORT + CALC_FIX], ids=["skip", "both"])
def test_an_exit_zero_without_the_failing_test_in_the_report_is_not_verified(
    tmp_path: Path, diff: str
) -> None:
    """The runner's own settings unchanged, nothing refused: only the report tells."""
    verified, reason = _verify(_verifier(tmp_path, extra=OTHER_TEST), diff)
    assert not verified
    assert reason == (
        "not verified: the failing command exits 0, but its test report (1 test(s)) does not "
        "show tests/test_ops.py::test_add running (first run)"
    ), reason


@needs_sandbox
def test_a_run_that_is_not_pytest_gives_no_per_test_evidence(tmp_path: Path) -> None:
    """A jest-style name from the log, a command no report comes from: never "verified"."""
    script = "python -c 'import sys, calc.ops; sys.exit(calc.ops.add(2, 3) != 5)'"
    failing = FailingCommand(job="test", step="Run check", script=script, failing=script)
    verifier = _verifier(tmp_path, failed=("calc › adds",), failing=failing)
    verified, reason = _verify(verifier, CALC_FIX)
    assert not verified
    assert reason.startswith("not verified: the run gave no per-test evidence"), reason


@needs_sandbox
def test_a_legitimate_change_to_pyproject_is_still_verified(tmp_path: Path) -> None:
    """The rule is the runner's part of pyproject.toml, not the file: a fix may set ruff."""
    verified, reason = _verify(_verifier(tmp_path), CALC_FIX + RUFF_SETTING)
    assert verified, reason


@needs_sandbox
def test_the_runners_settings_set_from_the_tool_table_are_refused(tmp_path: Path) -> None:
    verified, reason = _verify(_verifier(tmp_path, extra=TOOL_TABLE), DOTTED_ADDOPTS)
    assert not verified
    assert reason == (
        "refused: the patch edits the test runner's settings (pyproject.toml: "
        "[tool.pytest] or [tool.tox])"
    )


@pytest.mark.parametrize("path", ["pytest.ini", "tests/pytest.ini", ".pytest.ini", "tox.ini"])
def test_a_runners_own_settings_file_is_refused_by_the_policy(tmp_path: Path, path: str) -> None:
    diff = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-old\n+new\n"
    verdict = check_patch(diff, tmp_path, failing_tests=["tests/test_ops.py"])
    assert not verdict.allowed
    assert verdict.reason == f"the patch edits the test runner's settings ({path})"


@pytest.mark.parametrize(
    ("before", "after", "refused"),
    [
        ("[metadata]\nname = x\n", "[metadata]\nname = y\n", False),
        ("[tool:pytest]\naddopts = -q\n", "[tool:pytest]\naddopts = --collect-only\n", True),
        ("[metadata]\nname = x\n", "[metadata]\nname = x\n[testenv]\ncommands = true\n", True),
        ("[tool:pytest]\naddopts = -q\n", "[tool:pytest\n", True),
    ],
)
def test_setup_cfg_is_refused_only_for_the_runners_sections(
    before: str, after: str, refused: bool
) -> None:
    assert bool(settings_change("setup.cfg", before, after)) is refused


def test_a_new_pyproject_without_runner_settings_is_not_refused() -> None:
    assert settings_change("sub/pyproject.toml", None, "[project]\nname = 'x'\n") == ""
    assert settings_change("sub/pyproject.toml", None, "[tool.pytest.ini_options]\nx = 1\n")


def test_a_report_that_does_not_parse_or_names_the_test_failing_is_no_evidence() -> None:
    failing = (
        b'<testsuite><testcase classname="tests.test_ops" name="test_add">'
        b"<failure>no</failure></testcase></testsuite>"
    )
    assert missing_evidence(failing, [FAILED], ()) == (
        "not verified: the test report shows tests/test_ops.py::test_add failing"
    )
    assert missing_evidence(b"<testsuite", [FAILED], ()).startswith("not verified: the failing")
    passing = b'<testsuite><testcase classname="tests.test_ops" name="test_add"/></testsuite>'
    assert missing_evidence(passing, [FAILED], ()) == ""
    assert missing_evidence(passing, [], ["tests/test_ops.py"]) == ""
    assert missing_evidence(passing, [], ["tests/test_other.py"]).startswith("not verified")


@needs_sandbox
def test_the_steps_own_pytest_addopts_still_apply_with_the_report(tmp_path: Path) -> None:
    """The step's ``env: PYTEST_ADDOPTS`` ran in CI: it runs here too, before our report's
    option (ours is added to it, never put in its place)."""
    script = "python -m pytest -q"
    lent = (("PYTEST_ADDOPTS", "--deselect tests/test_misc.py::test_ok"),)
    failing = FailingCommand(job="test", step="Run pytest", script=script, failing=script, env=lent)
    verifier = _verifier(tmp_path, failing=failing, extra=OTHER_TEST)
    with verifier.sandbox:
        verdict = verifier.verify(Patch(diff=CALC_FIX, source="model", summary="a fix"))
    assert verdict.verified, verdict.reason
    assert "1 passed, 1 deselected" in verdict.runs[-1].output, verdict.runs[-1].output


@needs_sandbox
@pytest.mark.parametrize(
    ("diff", "verified", "reason"),
    [
        (CALC_FIX, True, "the failing command passes twice with the patch and pytest's report "
                         "shows its tests passing"),
        (CALC_EXIT_ZERO, False, "not verified: the run gave no per-test evidence (no test report"),
    ],
    ids=["fix", "exit-zero"],
)  # fmt: skip
def test_a_pytest_run_whose_log_named_no_test_still_needs_a_report(
    tmp_path: Path, diff: str, verified: bool, reason: str
) -> None:
    """pytest's ``-rN`` (or a log cut short) names no failing test: the exit code is still not
    the judge when the command runs pytest; the report must hold tests, none failing."""
    verdict = _verify(_verifier(tmp_path, failed=()), diff)
    assert verdict[0] is verified and verdict[1].startswith(reason), verdict


@needs_sandbox
def test_a_command_with_its_own_junitxml_is_not_verified_and_says_why(tmp_path: Path) -> None:
    """pytest keeps the last ``--junitxml``: the command's own replaces ours, so the real fix
    has no evidence here; the reason names the cause instead of a vague one."""
    script = "python -m pytest -q --junitxml=junit.xml"
    failing = FailingCommand(job="test", step="Run pytest", script=script, failing=script)
    verified, reason = _verify(_verifier(tmp_path, failing=failing), CALC_FIX)
    assert not verified
    assert reason == (
        "not verified: the run gave no per-test evidence (the command sets its own --junitxml, "
        "which replaces the report the fix step asks pytest for) (first run)"
    )
