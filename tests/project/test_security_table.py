"""The threat table (``docs/threats.toml``, rendered into ``docs/threats.md``) names, for every
untrusted input and every place it reaches, the tests that pin the guard there: each named test
must exist, or the table promises a check nobody runs; and the page a person reads must be the
render of that data, or it says something the checked data does not."""

from __future__ import annotations

import ast
from pathlib import Path

from tools.render_threats import DATA, PAGE, load, render

from tests.harness.payloads import REPO_ROOT

INPUTS = (
    "pull request files",
    "pull request symlinks",
    "file names",
    "PR title and body",
    "commit messages",
    "logs",
    "comments",
    "repository settings file",
    "`AGENTS.md`-type guidance",
    "model output",
    "caches on disk",
    "event payload",
)
PLACES = (
    "prompt",
    "summary",
    "PR comment",
    "check run",
    "SARIF",
    "step outputs",
    "sandbox",
    "host process",
    "git",
)


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def missing_tests(named: list[str]) -> list[str]:
    """The node ids of ``named`` that are no test: a file under tests/ that does not exist or
    holds no test, or a ``file::test_name`` whose file defines no such function."""
    seen: dict[Path, set[str]] = {}  # each file parsed once: many rows name the same files
    missing = []
    for node in named:
        file, _, name = node.partition("::")
        path = REPO_ROOT / file
        if file.startswith("tests/") and path.is_file() and path not in seen:
            seen[path] = _tests_in(path)
        found = seen.get(path, set())
        if not (name in found if name else found):
            missing.append(node)
    return missing


def test_the_page_is_the_render_of_the_data() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(load()), (
        "docs/threats.md is stale: run python tools/render_threats.py"
    )


def test_every_row_names_a_guard_and_tests_that_exist() -> None:
    rows = load()
    assert len(rows) > 20
    assert [row["controls"] for row in rows if not (row["guard"] and row["tests"])] == []
    assert missing_tests([test for row in rows for test in row["tests"]]) == []


def test_every_untrusted_input_and_every_place_has_a_row() -> None:
    rows = load()
    inputs = " ; ".join(row["controls"] for row in rows)
    places = " ; ".join(row["reaches"] for row in rows)
    assert [name for name in INPUTS if name not in inputs] == []
    assert [name for name in PLACES if name not in places] == []


def test_the_check_sees_a_test_that_does_not_exist(tmp_path: Path) -> None:
    """A made-up name, a missing file and a file outside tests/ are caught; a real one is not."""
    this = "tests/project/test_security_table.py"
    assert missing_tests([f"{this}::test_made_up", "tests/nowhere.py", "README.md", this]) == [
        f"{this}::test_made_up",
        "tests/nowhere.py",
        "README.md",
    ]
    assert missing_tests([f"{this}::test_the_page_is_the_render_of_the_data"]) == []


def test_the_render_check_sees_a_changed_row(tmp_path: Path) -> None:
    data = tmp_path / "threats.toml"
    data.write_text(DATA.read_text(encoding="utf-8").replace("prompt", "promptly", 1))
    assert render(load(data)) != PAGE.read_text(encoding="utf-8")
