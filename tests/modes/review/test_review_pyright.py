"""pyright where the project declares it (``pyrightconfig.json``, ``[tool.pyright]``): real
pyright from the corpus toolbox (tests/harness/setup.sh installs it), in the sandbox, its
``--outputjson`` read as mypy's output is: an error a changed line causes is high there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report
from tests.corpus.tools import TOOLS_DIR, Toolbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox


def _pyright_path() -> str:
    """The ``PATH`` of a review that finds pyright: skipped where it could not be installed,
    never on CI (a skipped check is not a pass)."""
    if not Toolbox(TOOLS_DIR).prepare(("pyright",)):
        if os.environ.get("CI"):
            pytest.fail(f"pyright could not be installed into the corpus toolbox ({TOOLS_DIR})")
        pytest.skip(f"pyright is not in the corpus toolbox ({TOOLS_DIR})")
    return os.pathsep.join([path_env(), str(TOOLS_DIR / "pyright" / "node_modules" / ".bin")])


LIMIT = "def limit(value: int) -> int:\n    return max(0, value)\n"
CALLER = "from app.limit import limit\n\nCAP: int = limit(3)\n"


@needs_sandbox
@pytest.mark.parametrize("settings", [
    {"pyproject.toml": '[project]\nname = "app"\n\n[tool.pyright]\n'},
    {"pyrightconfig.json": "{}\n"},
], ids=["pyproject.toml", "pyrightconfig.json"])  # fmt: skip
def test_a_signature_change_that_breaks_a_caller_is_high_on_the_signature(
    tmp_path: Path, settings: dict[str, str]
) -> None:
    """The change makes ``limit`` return a str; pyright reports the unchanged caller's
    assignment, and review places it on the signature the change wrote."""
    where = _pyright_path()
    repo = GitRepoBuilder(tmp_path / "repo")
    files = {**settings, "app/__init__.py": "", "app/limit.py": LIMIT, "app/caller.py": CALLER}
    base = repo.commit("start", files)
    head = repo.commit("str", {"app/limit.py": LIMIT.replace(
        "-> int:\n    return max(0, value)", "-> str:\n    return str(max(0, value))")})  # fmt: skip
    argv = ["review", "--provider", "none", "--json", "--fail-on", "high",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    tools = done.document["tools"]
    assert {"tool": "pyright", "could_not_run": ""} in tools, tools
    found = [(f["rule"], f["path"], f["line"], f["severity"]) for f in done.document["findings"]]
    assert ("pyright/reportAssignmentType", "app/limit.py", 1, "high") in found, found
    placed = next(f for f in done.document["findings"] if f["rule"].startswith("pyright/"))
    assert "app/caller.py:3" in placed["body"]
    assert done.code == 1
    # mypy is not configured: no note says the change went without a type check
    assert not any("No type checker ran" in n for n in done.document["notes"])


def test_pyrights_report_is_read_with_lines_from_one() -> None:
    """Its lines count from 0; an information is no hit; a run that analysed no file (its
    settings left the named files out) did not check the code."""
    report = """{"version": "1.1.414", "generalDiagnostics": [
      {"file": "/w/app/a.py", "severity": "error", "message": "Type \\"str\\" is not assignable",
       "range": {"start": {"line": 2, "character": 9}}, "rule": "reportAssignmentType"},
      {"file": "/w/app/a.py", "severity": "warning", "message": "unused",
       "range": {"start": {"line": 4, "character": 0}}},
      {"file": "/w/app/a.py", "severity": "information", "message": "fyi",
       "range": {"start": {"line": 5, "character": 0}}}],
     "summary": {"filesAnalyzed": 1, "errorCount": 1}}"""
    first, second = read_report("pyright", report, "/w")
    assert (first.path, first.line, first.code, first.compiles) == (
        "app/a.py", 3, "reportAssignmentType", True)  # fmt: skip
    assert (second.line, second.code, second.error, second.compiles) == (5, "error", False, False)
    empty = '{"generalDiagnostics": [], "summary": {"filesAnalyzed": 0}}'
    with pytest.raises(UnreadableReport, match="pyright analysed no file"):
        read_report("pyright", empty, "/w")
