"""A test runner's knowledge is its folder's (docs/plugins.md): the log reader holds no rule of
one runner's report. Go's were in it (its ``=== RUN``/``--- PASS`` spans, its ``-json``
events' ``Output``); they are go's log shape's fields now, which any runner may fill.
Docstrings may name a runner as an example; code may not."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cicd_agent"
READERS = sorted((SRC / "logs").glob("*.py"))
GO_RULES = re.compile(r"=== \(\?:RUN|--- \(\?:PASS|_test\.go|\"Output\"")


def _code_strings(path: Path) -> list[str]:
    """The string constants of ``path`` that are no docstring."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}  # fmt: skip
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings]  # fmt: skip


def test_the_log_reader_holds_no_rule_of_go_s_report() -> None:
    found = {path.name: hits for path in READERS
             if (hits := [s for s in _code_strings(path) if GO_RULES.search(s)])}  # fmt: skip
    assert not found, found
