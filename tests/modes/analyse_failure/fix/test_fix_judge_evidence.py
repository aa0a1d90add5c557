"""The verifier's per-test evidence on real projects, real pytest, the real sandbox: with the
failing tests known, "verified" needs pytest's report to show them run and passed; an exit code
of 0 from a run that never ran them is not a fix. The runner's settings stay as committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand, Patch, Verdict
from cicd_agent.modes.analyse_failure.fix.judge.policy import policy_verdict
from cicd_agent.modes.analyse_failure.fix.judge.runner_settings import settings_change
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.pytest.evidence import missing_evidence
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.helpers.failed_run import pytest_failure
from tests.helpers.fix_projects import CALC, CALC_EXIT_ZERO, CALC_FIX, commit_project, git
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
        watched=PYTEST,
        redact=str,
        failing_test_files=files,
        failed_test_names=failed,
        code_is_proof=True,  # the evidence is judged here, not whom the code came from
    )


def _verify(verifier: SandboxVerifier, diff: str) -> tuple[bool, str]:
    with verifier.sandbox:
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    return verdict.verdict is not Verdict.NOT_PASSED, verdict.reason


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
    verdict = policy_verdict(diff, tmp_path, failing_test_files=["tests/test_ops.py"])
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
    assert verdict.verdict is not Verdict.NOT_PASSED, verdict.reason
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


# ------------------------------------- Attacks: fixes reported verified whose test never passed
# Red team, round three: fixes reported "verified" whose failing test never passed.
#
# The fix step refuses ``conftest.py`` and the runner's settings files because a hook there can
# report a failing test as passed. Each attack below loads the same hook (a ``pytest_runtest_makereport``
# wrapper that marks every report passed) by another door pytest opens, against the real
# ``calc`` project, the real sandbox and real pytest: the bug stays (``add`` still subtracts),
# pytest's own JUnit report says ``test_add`` passed, and the verifier says "verified".


PASS_EVERYTHING = (
    "import pytest\n"
    "\n"
    "\n"
    "@pytest.hookimpl(wrapper=True)\n"
    "def pytest_runtest_makereport(item, call):\n"
    "    report = yield\n"
    "    report.outcome = 'passed'\n"
    "    report.longrepr = None\n"
    "    return report\n"
)
"""A pytest plugin that turns every failure into a pass: what a ``conftest.py`` could do."""


def _new_file(path: str, text: str) -> str:
    lines = text.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\n"
        "new file mode 100644\n"
        "--- /dev/null\n"
        f"+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n"
        f"{body}"
    )


def _edit_file(path: str, before: str, after: str) -> str:
    old, new = before.splitlines(), after.splitlines()
    return (
        f"diff --git a/{path} b/{path}\n"
        f"--- a/{path}\n"
        f"+++ b/{path}\n"
        f"@@ -1,{len(old)} +1,{len(new)} @@\n"
        + "".join(f"-{line}\n" for line in old)
        + "".join(f"+{line}\n" for line in new)
    )


def _verdict(
    tmp_path: Path,
    diff: str,
    *,
    failing: FailingCommand | None = None,
    extra: dict[str, str] | None = None,
    files: tuple[str, ...] = ("tests/test_ops.py",),
) -> tuple[bool, str, str]:
    checkout = tmp_path / "checkout"
    commit_project(checkout, {**CALC, **(extra or {})})
    sandbox = Sandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    verifier = SandboxVerifier(
        sandbox,
        failing or pytest_failure(),
        watched=PYTEST,
        redact=str,
        failing_test_files=files,
        failed_test_names=(FAILED,),
    )
    with sandbox:
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    output = verdict.runs[-1].output if verdict.runs else ""
    return verdict.verdict is not Verdict.NOT_PASSED, verdict.reason, output


ENTRY_POINT_PLUGIN = (
    _new_file("fixplug.py", PASS_EVERYTHING)
    + _new_file("fixplug.dist-info/METADATA", "Metadata-Version: 2.1\nName: fixplug\nVersion: 1\n")
    + _new_file("fixplug.dist-info/entry_points.txt", "[pytest11]\nfixplug = fixplug\n")
)
"""``python -m pytest`` puts the checkout first on ``sys.path``; pytest loads every
``pytest11`` entry point of every distribution found there, and a ``*.dist-info`` folder in
the checkout is one. No log cooperation needed: the default command of every Python CI."""

PYTEST_TOML = _new_file("fixplug.py", PASS_EVERYTHING) + _new_file(
    "pytest.toml", '[pytest]\naddopts = ["-p", "fixplug"]\n'
)
"""pytest 9 reads ``pytest.toml`` (and ``.pytest.toml``) first of all its settings files;
the policy's list stops at ``pytest.ini``/``.pytest.ini``/``tox.ini``."""


@needs_sandbox
def test_an_entry_point_plugin_added_by_the_patch_is_not_verified(tmp_path: Path) -> None:
    verified, reason, output = _verdict(tmp_path, ENTRY_POINT_PLUGIN)
    assert not verified, (reason, output)
    assert reason == (
        "refused: the patch edits a package's metadata, where pytest finds plugins "
        "(fixplug.dist-info/METADATA)"
    )


@pytest.mark.parametrize(
    "path", ["x.egg-info/entry_points.txt", "src/X.Dist-Info/entry_points.txt", "hook.pth"]
)
def test_every_package_metadata_path_is_refused(tmp_path: Path, path: str) -> None:
    verdict = policy_verdict(_new_file(path, "[pytest11]\nx = x\n"), tmp_path,
                          failing_test_files=["tests/test_ops.py"])  # fmt: skip
    assert not verdict.allowed
    assert verdict.reason.startswith("the patch edits a package's metadata"), verdict.reason


@needs_sandbox
def test_a_pytest_toml_added_by_the_patch_is_not_verified(tmp_path: Path) -> None:
    verified, reason, output = _verdict(tmp_path, PYTEST_TOML)
    assert not verified, (reason, output)


@needs_sandbox
@pytest.mark.parametrize("name", [".pytest.toml", "tests/pytest.toml"])
def test_every_pytest_toml_is_refused(tmp_path: Path, name: str) -> None:
    diff = _new_file("fixplug.py", PASS_EVERYTHING) + _new_file(
        name, '[pytest]\naddopts = ["-p", "fixplug"]\n'
    )
    verified, reason, output = _verdict(tmp_path, diff)
    assert not verified, (reason, output)
    assert reason == f"refused: the patch edits the test runner's settings ({name})"


HELPER = {"tests/helpers.py": "HELPER = 1\n"}


@needs_sandbox
def test_a_plugin_named_by_the_logs_env_header_is_not_the_patchs_to_change(
    tmp_path: Path,
) -> None:
    """The failed step's ``env:`` (the pull request's workflow) says ``PYTEST_PLUGINS:
    tests.helpers``; the helper is no failing test and no ``conftest.py``, so the patch may
    turn it into a conftest by another name."""
    script = "python -m pytest -q -p no:cacheprovider"
    failing = FailingCommand(
        job="test", step="Run pytest", script=script, failing=script,
        env=(("PYTEST_PLUGINS", "tests.helpers"),),
    )  # fmt: skip
    diff = _edit_file("tests/helpers.py", "HELPER = 1\n", "HELPER = 1\n" + PASS_EVERYTHING)
    verified, reason, output = _verdict(tmp_path, diff, failing=failing, extra=HELPER)
    assert not verified, (reason, output)


MAKEFILE = {"Makefile": "test:\n\tpython -m pytest -q -p no:cacheprovider\n"}


@needs_sandbox
def test_a_makefile_that_runs_pytest_is_the_runners_settings_too(tmp_path: Path) -> None:
    """``make test`` is the failing command: the Makefile decides pytest's options as surely
    as ``addopts`` does, and the patch may change it."""
    failing = FailingCommand(job="test", step="Run make test", script="make test",
                             failing="make test")  # fmt: skip
    after = "test:\n\tpython -m pytest -q -p no:cacheprovider -p fixplug\n"
    diff = _new_file("fixplug.py", PASS_EVERYTHING) + _edit_file(
        "Makefile", MAKEFILE["Makefile"], after
    )
    verified, reason, output = _verdict(tmp_path, diff, failing=failing, extra=MAKEFILE)
    assert not verified, (reason, output)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("[tool:pytest]\nADDOPTS = -p fixplug\n", "[tool:pytest]\naddopts = -p fixplug\n"),
        (
            "[DEFAULT]\naddopts = -p fixplug\n[tool:pytest]\n",
            "[tool:pytest]\naddopts = -p fixplug\n",
        ),
        (
            "[metadata]\nname = x\n[tool:pytest]x\naddopts = -p fixplug\n",
            "[metadata]\nname = x\n[tool:pytest]\naddopts = -p fixplug\n",
        ),
    ],
    ids=["key-case", "default-section", "header-tail"],
)
def test_setup_cfg_is_read_as_pytest_reads_it(before: str, after: str) -> None:
    """Before the patch, pytest (iniconfig) sees no ``addopts``: ``ADDOPTS`` is another key,
    ``[DEFAULT]`` lends nothing, ``[tool:pytest]x`` is a continued value of ``name``. After it,
    pytest loads the plugin. configparser read both files as the same ``[tool:pytest]``."""
    assert settings_change("setup.cfg", before, after)


OTHER = {"tests/test_misc.py": "def test_ok() -> None:\n    assert True\n"}
SKIP_WHERE_CALC_IS_IMPORTED = _edit_file(
    "calc/__init__.py", "", "import pytest\npytest.skip('later', allow_module_level=True)\n"
).replace("@@ -1,0 +1,2 @@", "@@ -0,0 +1,2 @@")
DECOY = _new_file("test_ops.py", "def test_add() -> None:\n    assert True\n")
"""A test at the root named ``test_ops.py::test_add``: JUnit's ``test_ops.test_add``, a
``.``-suffix of the failing test's ``tests.test_ops.test_add``."""


@needs_sandbox
def test_a_decoy_test_whose_name_is_a_suffix_of_the_failing_ones_is_no_evidence(
    tmp_path: Path,
) -> None:
    """The real ``tests/test_ops.py`` is skipped whole (``calc`` skips the module importing
    it), a new ``test_ops.py`` at the root passes: exit 0, and the report's only test with
    ``test_add`` in its name is the decoy. The project collects from its root (no
    ``testpaths``), as most do."""
    no_testpaths = {"pyproject.toml": "[project]\nname = 'calc'\nversion = '1'\n"}
    verified, reason, output = _verdict(
        tmp_path, SKIP_WHERE_CALC_IS_IMPORTED + DECOY, extra={**no_testpaths, **OTHER}
    )
    assert not verified, (reason, output)
    assert reason.startswith("refused: the patch edits a test file (test_ops.py)"), reason
    # The policy now refuses any test file; the evidence check stands behind it on its own:
    # pytest's report of that run (the decoy alone passed) is no evidence for the real test.
    decoy_report = (
        b'<testsuites><testsuite name="pytest" tests="1">'
        b'<testcase classname="test_ops" name="test_add" time="0.001"/>'
        b"</testsuite></testsuites>"
    )
    assert missing_evidence(decoy_report, (FAILED,), ("tests/test_ops.py",)).startswith(
        "not verified: the failing command exits 0, but its test report"
    )


CI_INI = {"pytest-ci.ini": "[pytest]\ntestpaths = tests\n"}


@needs_sandbox
def test_a_settings_file_the_failing_command_names_is_the_runners_settings(
    tmp_path: Path,
) -> None:
    script = "python -m pytest -q -p no:cacheprovider -c pytest-ci.ini"
    failing = FailingCommand(job="test", step="Run pytest", script=script, failing=script)
    diff = _new_file("fixplug.py", PASS_EVERYTHING) + _edit_file(
        "pytest-ci.ini",
        CI_INI["pytest-ci.ini"],
        "[pytest]\ntestpaths = tests\naddopts = -p fixplug\n",
    )
    verified, reason, output = _verdict(tmp_path, diff, failing=failing, extra=CI_INI)
    assert not verified, (reason, output)


MONKEYPATCH_IN_TEST_PACKAGE = _edit_file(
    "tests/__init__.py",
    "",
    "import calc.ops\n\ncalc.ops.add = lambda a, b: a + b\n",
).replace("@@ -1,0 +1,3 @@", "@@ -0,0 +1,3 @@")


@needs_sandbox
def test_a_test_packages_init_that_patches_the_code_is_not_a_fix(tmp_path: Path) -> None:
    verified, reason, output = _verdict(tmp_path, MONKEYPATCH_IN_TEST_PACKAGE)
    assert not verified, (reason, output)


@needs_sandbox
def test_runner_settings_behind_a_symbolic_link_are_still_the_runners(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    commit_project(checkout, {**CALC, "ci/settings.txt": "[pytest]\ntestpaths = tests\n"})
    (checkout / "pytest.ini").symlink_to("ci/settings.txt")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "settings in ci/")
    sandbox = Sandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    verifier = SandboxVerifier(
        sandbox, pytest_failure(), watched=PYTEST, redact=str,
        failing_test_files=("tests/test_ops.py",), failed_test_names=(FAILED,),
    )  # fmt: skip
    diff = _new_file("fixplug.py", PASS_EVERYTHING) + _edit_file(
        "ci/settings.txt",
        "[pytest]\ntestpaths = tests\n",
        "[pytest]\ntestpaths = tests\naddopts = -p fixplug\n",
    )
    with sandbox:
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    assert verdict.reason == (
        "refused: the patch edits the test runner's settings through a link (pytest.ini)"
    )


def test_a_conftest_behind_a_link_pins_its_target(tmp_path: Path) -> None:
    """Without git (a plain folder): the walk finds the link as well."""
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "hooks.py").write_text("X = 1\n")
    (tmp_path / "conftest.py").symlink_to("qa/hooks.py")
    diff = _edit_file("qa/hooks.py", "X = 1\n", "X = 1\n" + PASS_EVERYTHING)
    verdict = policy_verdict(diff, tmp_path, failing_test_files=["tests/test_ops.py"])
    assert not verdict.allowed
    assert verdict.reason == (
        "the patch edits the test runner's settings through a link (conftest.py)"
    )
