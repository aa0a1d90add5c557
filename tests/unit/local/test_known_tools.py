"""The tools the fix step knows: each recognised by its failure line and by a command that
runs it, and a checking command rewritten to its fixing form (check-only switches dropped,
fixing switches added once); a test runner or type checker is never rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.local.known_tools import TOOLS, KnownTool, base, find_tool

BY_NAME = {tool.name: tool for tool in TOOLS}


def _tool(name: str) -> KnownTool:
    return BY_NAME[name]


@pytest.mark.parametrize(
    ("name", "words", "fixing"),
    [
        ("ruff check", "ruff check --no-fix src", "ruff check --fix src"),
        ("ruff check", "python -m ruff check --diff .", "python -m ruff check --fix ."),
        ("ruff check", "ruff check --fix .", "ruff check --fix ."),
        ("ruff format", "ruff format --check .", "ruff format ."),
        ("black", "black --check --diff src", "black src"),
        ("isort", "isort -c .", "isort ."),
        ("eslint", "./node_modules/.bin/eslint --fix-dry-run src", "./node_modules/.bin/eslint --fix src"),
        ("prettier", "npx prettier --check=true .", "npx prettier --write ."),
    ],
)  # fmt: skip
def test_a_checking_command_becomes_its_fixing_form(name: str, words: str, fixing: str) -> None:
    assert _tool(name).rewrite(words.split()) == fixing.split()


@pytest.mark.parametrize(
    ("name", "words"),
    [("pytest", "pytest -x tests"), ("mypy", "mypy src"), ("golangci-lint", "golangci-lint run"),
     ("ruff check", "black --check ."), ("ruff check", "ruff format --check .")],
)  # fmt: skip
def test_a_tool_without_a_fixing_form_or_another_command_is_not_rewritten(
    name: str, words: str
) -> None:
    assert _tool(name).rewrite(words.split()) is None


@pytest.mark.parametrize(
    ("name", "line", "command"),
    [
        ("ruff check", "Found 3 errors.", "uv run ruff check ."),
        ("ruff format", "Would reformat: src/app.py", "ruff format --check"),
        ("black", "would reformat src/app.py", "black --check ."),
        ("mypy", "Found 2 errors in 1 file (checked 3 source files)", "mypy src"),
    ],
)
def test_a_tool_is_known_by_its_failure_line_and_its_command(
    name: str, line: str, command: str
) -> None:
    tool = _tool(name)
    assert tool.says.search(line), tool.says.pattern
    assert tool.runs.search(command), tool.runs.pattern


def test_names_are_unique_and_a_fixing_tool_can_be_rewritten() -> None:
    assert len(BY_NAME) == len(TOOLS)
    for tool in TOOLS:
        if tool.fixes:
            words = [tool.executable, *([tool.subcommand] if tool.subcommand else []), "x"]
            assert tool.rewrite(words) is not None, tool.name


def test_a_tool_is_found_on_path_or_where_the_checkouts_ci_installs_it(tmp_path: Path) -> None:
    assert base("./node_modules/.bin/eslint") == "eslint" and base("ruff") == "ruff"
    local = tmp_path / "node_modules" / ".bin" / "eslint-test-only"
    local.parent.mkdir(parents=True)
    local.write_text("#!/bin/sh\n")
    local.chmod(0o755)
    assert find_tool("eslint-test-only", tmp_path, {"PATH": os.defpath}) == str(local)
    assert find_tool("eslint-test-only", tmp_path / "elsewhere", {"PATH": os.defpath}) is None
