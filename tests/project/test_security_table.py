"""docs/security.md's "What reaches where" table names, for every untrusted input and every place
it reaches, the test that pins the guard there: each named test must exist, or the table
promises a check nobody runs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

SECURITY = REPO_ROOT / "docs" / "security.md"
NAMED = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
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


def _table() -> list[list[str]]:
    text = SECURITY.read_text(encoding="utf-8")
    section = text.split("### What reaches where", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[1:]]


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_row_names_a_guard_and_a_test_that_exists() -> None:
    rows = _table()
    assert len(rows) > 20
    missing = []
    tests: dict[Path, set[str]] = {}  # each file parsed once: many rows name the same files
    for untrusted, reaches, guard, pinned in rows:
        named = NAMED.findall(pinned)
        assert guard and named, f"{untrusted} -> {reaches}: no guard or no test named"
        for file, name in named:
            path = REPO_ROOT / file
            if path.is_file() and path not in tests:
                tests[path] = _tests_in(path)
            if name not in tests.get(path, ()):
                missing.append(f"{file}::{name}")
    assert missing == []


def test_every_untrusted_input_and_every_place_has_a_row() -> None:
    rows = _table()
    inputs = " ; ".join(row[0] for row in rows)
    places = " ; ".join(row[1] for row in rows)
    assert [name for name in INPUTS if name not in inputs] == []
    assert [name for name in PLACES if name not in places] == []


def test_the_check_sees_a_test_that_does_not_exist() -> None:
    """The parser finds names in a cell, and a made-up one is not among a file's tests."""
    [(file, name)] = NAMED.findall("`tests/project/test_security_table.py::test_made_up`")
    assert name not in _tests_in(REPO_ROOT / file)
