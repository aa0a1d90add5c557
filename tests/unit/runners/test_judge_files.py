"""What a failed step loads into a runner by name (``runners/judge_files``): pytest's plugins
are its folder's word (``runners/pytest/plugins``), every other runner loads none, and the
readers they share split a command as a shell does and read a root settings file."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.runners.judge_files import Loading, NamedFile, modules, settings, shell_words
from cicd_agent.runners.pytest import plugins
from cicd_agent.runners.table import TABLE

WHY = "a module the failing command loads as a pytest plugin (-p qa.hooks)"


def test_pytest_s_plugin_options_are_named_by_their_word() -> None:
    words = shell_words("PYTEST_ADDOPTS='-p a.b' python -m pytest -p qa.hooks -pno:cov -q")
    found = plugins.loads_in(words)
    assert found == {
        0: Loading(command=("pytest", "-p", "a.b")),
        5: Loading(tuple(modules("qa.hooks", WHY))),
    }


def test_a_p_option_of_another_command_loads_nothing() -> None:
    assert plugins.loads_in(shell_words("mkdir -p build")) == {}


def test_the_step_s_environment_loads_its_plugins_and_options() -> None:
    loading = plugins.loads_from({"PYTEST_PLUGINS": "qa.hooks, bad-name", "PYTEST_ADDOPTS": "-x"})
    assert [file.path for file in loading.files] == ["qa/hooks.py", "qa/hooks/__init__.py"]
    assert loading.command == ("pytest", "-x")


def test_the_root_s_settings_load_their_plugins(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -q -p qa.hooks\n")
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = ["-pother"]\n')
    found = plugins.loads_settings(tmp_path)
    assert NamedFile("qa/hooks.py", "a module the project's pytest.ini loads as a pytest plugin "
                     "(-p qa.hooks)") in found  # fmt: skip
    assert "other/__init__.py" in {file.path for file in found}
    assert settings(tmp_path, "pytest.ini", "addopts", ("pytest",)) == ["-q -p qa.hooks"]


def test_no_other_runner_loads_a_plugin_by_name() -> None:
    assert [row.name for row in TABLE if row.loads is not None] == ["pytest"]


def test_an_unclosed_quote_splits_on_spaces() -> None:
    assert shell_words("pytest -p 'a b") == ["pytest", "-p", "'a", "b"]
