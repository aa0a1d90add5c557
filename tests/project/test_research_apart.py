"""research/ measures the product; the suite never depends on it. A study may borrow a helper
from tests/, never the other way round, so removing or rewriting a study cannot break a test."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.payloads import REPO_ROOT


def research_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    ] + [
        node.module or "" for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and not node.level
    ]  # fmt: skip
    return [name for name in names if name == "research" or name.startswith("research.")]


def test_no_test_imports_research() -> None:
    found = {
        str(path.relative_to(REPO_ROOT)): research_imports(path)
        for path in sorted((REPO_ROOT / "tests").rglob("*.py"))
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_the_check_sees_both_spellings(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import research.risk\nfrom research.deploy import x\nfrom bench import y\n")
    assert research_imports(module) == ["research.risk", "research.deploy"]
