"""A Python syntax error is one finding, on the line the change broke: a new user's parse.py
change (``def percentage(string, match:``) gave two high mypy findings, the parser's second
error (line 114, "Expected an expression") on the whole file with the false sentence that no
line the change wrote names it. The parser's later syntax errors in a file follow from its
first: they join the first's finding. Real mypy, in the sandbox."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

PYPROJECT = '[project]\nname = "parse"\n\n[tool.mypy]\nfiles = ["parse.py"]\n'
BEFORE = '''"""Parsing."""


def percentage(string, match):
    return float(string[:-1]) / 100.0


def permille(string, match):
    return float(string[:-1]) / 1000.0
'''


@needs_sandbox
def test_a_syntax_error_is_one_finding_on_the_broken_line(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "parse.py": BEFORE})
    broken = BEFORE.replace("def percentage(string, match):", "def percentage(string, match:")
    head = repo.commit("break it", {"parse.py": broken})
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"HOME": str(tmp_path / "home"), "PATH": path_env()})
    assert done.document is not None, done.stderr
    high = [f for f in done.document["findings"] if f["severity"] == "high"]
    assert [(f["path"], f["line"]) for f in high] == [("parse.py", 4)], high
    assert "no line the change wrote or deleted" not in high[0]["body"], high[0]["body"]
    assert done.code == 1


def test_the_parsers_later_syntax_errors_join_its_first() -> None:
    """mypy's two errors on the user's change, as it printed them."""
    errors = [
        BuildError("parse.py", 113, "syntax", "Expected ), found newline"),
        BuildError("parse.py", 114, "syntax", "Expected an expression"),
    ]
    added = {"parse.py": {113: "def percentage(string, match:"}}
    removed = {"parse.py": {113: "def percentage(string, match):"}}
    [found], unexplained, _ = build_findings("mypy", errors, added, str, removed=removed)
    assert (found.path, found.line, unexplained) == ("parse.py", 113, 0)
    assert "`parse.py:114`" in found.body, found.body


def test_a_type_error_beside_a_syntax_error_elsewhere_keeps_its_own_finding() -> None:
    """Only the parser's own errors join: a type error in another file is its own finding."""
    errors = [
        BuildError("parse.py", 113, "syntax", "Expected ), found newline"),
        BuildError("other.py", 9, "arg-type", 'Argument 1 to "f" has incompatible type "str"'),
        BuildError("other.py", 20, "syntax", "Expected an expression"),
    ]
    added = {"parse.py": {113: "def percentage(string, match:"}, "other.py": {9: "f('x')"}}
    found, _, _ = build_findings("mypy", errors, added, str, removed={})
    places = {(f.path, f.line) for f in found}
    assert places == {("other.py", 9), ("other.py", None), ("parse.py", 113)}, places
