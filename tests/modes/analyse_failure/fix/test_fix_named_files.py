"""What the failed step names as its judge, and the build runners' files: refused to a fix.

Each case is a patch that moves the judge through a file the step names (a plugin module, a
settings file, the script it runs), or through a build runner's file; the counter-cases are
the fixes to code that must stay allowed (a linter's input file, ``calc/ops.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand
from cicd_agent.modes.analyse_failure.fix.judge.policy import policy_verdict
from cicd_agent.modes.analyse_failure.fix.judge.runner_settings import settings_change
from cicd_agent.modes.analyse_failure.fix.judge.step_files import named_files


def _edit(path: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-old\n+new\n"


def _step(script: str, **env: str) -> FailingCommand:
    return FailingCommand(
        job="test", step="Run", script=script, failing=script, env=tuple(env.items())
    )


def _reason(path: str, failing: FailingCommand, checkout: Path) -> str:
    verdict = policy_verdict(_edit(path), checkout, named=named_files(failing, checkout))
    return "" if verdict.allowed else verdict.reason


@pytest.mark.parametrize(
    ("step", "path", "reason"),
    [
        (
            _step("pytest", PYTEST_PLUGINS="qa.hooks, other"),
            "qa/hooks.py",
            "the patch edits qa/hooks.py, a module the step's env loads as a pytest plugin "
            "(PYTEST_PLUGINS=qa.hooks)",
        ),
        (
            _step("pytest", PYTEST_PLUGINS="qa.hooks"),
            "backend/qa/hooks/__init__.py",
            "the patch edits backend/qa/hooks/__init__.py, a module the step's env loads as a "
            "pytest plugin (PYTEST_PLUGINS=qa.hooks)",
        ),
        (
            _step("python -m pytest -q -p qa.hooks"),
            "qa/hooks.py",
            "the patch edits qa/hooks.py, a module the failing command loads as a pytest plugin "
            "(-p qa.hooks)",
        ),
        (
            _step("pytest -pqa.hooks"),
            "qa/hooks.py",
            "the patch edits qa/hooks.py, a module the failing command loads as a pytest plugin "
            "(-p qa.hooks)",
        ),
        (
            _step("pytest", PYTEST_ADDOPTS="-q -p qa.hooks"),
            "qa/hooks.py",
            "the patch edits qa/hooks.py, a module the failing command loads as a pytest plugin "
            "(-p qa.hooks)",
        ),
        (
            _step("export PYTEST_PLUGINS=qa.hooks\npytest"),
            "qa/hooks.py",
            "the patch edits qa/hooks.py, a module the step's script loads as a pytest plugin "
            "(PYTEST_PLUGINS=qa.hooks)",
        ),
        (
            _step("bash -e scripts/run-tests"),
            "scripts/run-tests",
            "the patch edits scripts/run-tests, the script the failing command runs",
        ),
        (
            _step("cd backend && ./ci/test"),
            "backend/ci/test",
            "the patch edits backend/ci/test, the script the failing command runs",
        ),
        (
            _step("python -m pytest -c pytest-ci.ini"),
            "pytest-ci.ini",
            "the patch edits pytest-ci.ini, a file the failing command names (its settings or "
            "a script it runs)",
        ),
        (
            _step("pytest --config-file=ci/pytest.cfg"),
            "ci/pytest.cfg",
            "the patch edits ci/pytest.cfg, a file the failing command names (its settings or "
            "a script it runs)",
        ),
        (
            _step("python tools/run_suite.py --fast"),
            "tools/run_suite.py",
            "the patch edits tools/run_suite.py, the script the failing command runs",
        ),
    ],
)
def test_a_file_the_step_names_as_its_judge_is_refused(
    tmp_path: Path, step: FailingCommand, path: str, reason: str
) -> None:
    assert _reason(path, step, tmp_path) == reason


@pytest.mark.parametrize(
    ("step", "path"),
    [
        (_step("ruff check src/calc/ops.py"), "src/calc/ops.py"),  # a linter's input
        (_step("mypy --strict calc/ops.py"), "calc/ops.py"),
        (_step("python -m calc.cli --check"), "calc/cli.py"),  # -m: no file runs
        # (a pytest.py is refused whatever the step: it would run in pytest's place)
        (_step("pytest -p no:qa.hooks"), "qa/hooks.py"),  # a plugin turned off
        (_step("mkdir -p build && make -C sub all"), "build/__init__.py"),  # no pytest's -p
        (_step("pytest", PYTEST_PLUGINS="qa.hooks"), "calc/ops.py"),
    ],
)
def test_code_the_step_does_not_name_as_its_judge_stays_a_fixs(
    tmp_path: Path, step: FailingCommand, path: str
) -> None:
    assert _reason(path, step, tmp_path) == ""


@pytest.mark.parametrize(
    "path",
    ["Makefile", "sub/GNUmakefile", "makefile", "ci/rules.mk", "justfile", "noxfile.py",
     "Taskfile.yml", "taskfile.yaml"],
)  # fmt: skip
def test_a_build_runners_command_file_is_refused_by_name(tmp_path: Path, path: str) -> None:
    """Whatever the failing command: a script may run ``make`` too."""
    verdict = policy_verdict(_edit(path), tmp_path)
    assert verdict.reason == (
        f"the patch edits a build runner's file, which defines what CI runs ({path})"
    )


def test_a_build_runners_file_behind_a_link_pins_its_target(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "rules.txt").write_text("old\n")
    (tmp_path / "Makefile").symlink_to("ci/rules.txt")
    verdict = policy_verdict(_edit("ci/rules.txt"), tmp_path)
    assert verdict.reason == "the patch edits the test runner's settings through a link (Makefile)"


PACKAGE = '{"name": "app", "version": "1.0.0", "scripts": {"test": "jest"}}'


def test_package_json_scripts_are_the_commands_ci_runs() -> None:
    """``npm test`` runs ``scripts.test``; the rest (version, dependencies) may change."""
    loosened = PACKAGE.replace('"jest"', '"jest --passWithNoTests || true"')
    assert settings_change("package.json", PACKAGE, loosened) == (
        "the patch edits the commands CI runs (package.json: scripts)"
    )
    assert settings_change("web/package.json", PACKAGE, "{not json") != ""
    assert settings_change("package.json", PACKAGE, PACKAGE.replace("1.0.0", "1.0.1")) == ""


@pytest.mark.parametrize(
    "path", ["tests/__init__.py", "test/helpers.py", "testing/util.py", "pkg/test_x.py",
             "pkg/x_test.py", "Tests/Helpers.py", "pkg/TEST_X.py"],
)  # fmt: skip
def test_every_test_module_is_refused_even_when_the_failing_test_is_known(
    tmp_path: Path, path: str
) -> None:
    verdict = policy_verdict(_edit(path), tmp_path, failing_test_files=["tests/test_ops.py"])
    assert verdict.reason == (
        f"the patch edits a test file ({path}): tests judge the fix, and any test module "
        "pytest imports can replace the code under test"
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\naddopts = -q -p qa.hooks\n"),
        ("tox.ini", "[pytest]\naddopts = -pqa.hooks\n"),
        ("setup.cfg", "[tool:pytest]\naddopts = -p qa.hooks\n"),
        ("pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-p qa.hooks"\n'),
        ("pyproject.toml", '[tool.pytest]\naddopts = ["-p", "qa.hooks"]\n'),
        ("pytest.toml", '[pytest]\naddopts = ["-p", "qa.hooks"]\n'),
    ],
)
def test_a_plugin_the_projects_own_settings_load_is_refused(
    tmp_path: Path, name: str, text: str
) -> None:
    """The settings file stays as it is (the policy refuses changes to it); the plugin module
    it loads by name is as much the judge, and must stay too."""
    (tmp_path / name).write_text(text)
    step = _step("python -m pytest -q")
    assert _reason("qa/hooks.py", step, tmp_path) == (
        f"the patch edits qa/hooks.py, a module the project's {name} loads as a pytest plugin "
        "(-p qa.hooks)"
    )
    assert _reason("calc/ops.py", step, tmp_path) == ""


MYPY_PROJECT = {
    "app/__init__.py": "",
    "app/main.py": "def f() -> int:\n    return 'x'\n",
    "tools/__init__.py": "",
    "tools/typing_plugin.py": (
        "from mypy.plugin import Plugin\n\n\ndef plugin(version: str) -> type[Plugin]:\n"
        "    return Plugin\n"
    ),
}


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"mypy.ini": "[mypy]\nplugins = tools/typing_plugin.py\n"}, "tools/typing_plugin.py"),
        ({"setup.cfg": "[mypy]\nplugins = other, tools.typing_plugin\n"}, "tools/typing_plugin.py"),
        (
            {"pyproject.toml": "[tool.mypy]\nplugins = ['tools/typing_plugin.py:plugin']\n"},
            "tools/typing_plugin.py",
        ),
    ],
    ids=["mypy-ini-path", "setup-cfg-module", "pyproject-path-entry"],
)
def test_a_mypy_plugin_the_settings_load_is_the_judge(
    tmp_path: Path, settings: dict[str, str], path: str
) -> None:
    for name, text in {**MYPY_PROJECT, **settings}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    reason = _reason(path, _step("mypy app"), tmp_path)
    assert reason.startswith(f"the patch edits {path}, a plugin the project's"), reason
    assert _reason("app/main.py", _step("mypy app"), tmp_path) == ""
