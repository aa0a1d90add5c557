"""Attacks on the reading of pyright's ``--outputjson``: what it says comes from a run on the
pull request's code (and the pyright a project's ``npm ci`` installs is the pull request's
program), so its report is read as data: bounded, its paths kept inside the checkout, and a
run that analysed nothing, or says so in a form not pyright's, never read as a clean check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_agent.modes.review.lint.compile_errors import MAX_MESSAGE
from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.sandbox import needs_sandbox
from tests.modes.review.test_review_pyright import _pyright_path

PYPROJECT = '[project]\nname = "app"\n\n[tool.pyright]\n'


def _report(diagnostics: list[object], summary: object) -> str:
    return json.dumps({"generalDiagnostics": diagnostics, "summary": summary})


def _error(file: str, message: str, line: int = 0) -> dict[str, object]:
    return {"file": file, "severity": "error", "message": message, "rule": "reportX",
            "range": {"start": {"line": line, "character": 0}}}  # fmt: skip


@pytest.mark.parametrize(
    "analysed",
    ["many", 1e308 * 10, None, [1], {"n": 1}, "0x10"],
    ids=["a word", "infinite", "null", "a list", "an object", "hex text"],
)
def test_attack_a_summary_not_pyrights_is_an_unreadable_report(analysed: object) -> None:
    """ATTACK: ``filesAnalyzed`` is not a count: the run is not read as clean, and the review
    does not stop on it (a ValueError out of the reader ended the whole review)."""
    text = _report([], {"filesAnalyzed": analysed}).replace("Infinity", "1e999")
    with pytest.raises(UnreadableReport):
        read_report("pyright", text, "/w")


def test_attack_a_run_that_analysed_no_file_is_never_clean() -> None:
    """ATTACK: a report with no summary, or one that analysed nothing, is not a clean run."""
    for summary in ({}, {"filesAnalyzed": 0}, {"filesAnalyzed": -3}, "none"):
        with pytest.raises(UnreadableReport, match="analysed no file"):
            read_report("pyright", _report([], summary), "/w")
    with pytest.raises(UnreadableReport):
        read_report("pyright", "[]", "/w")


def test_attack_paths_outside_the_checkout_are_placed_nowhere() -> None:
    """ATTACK: diagnostics on host files (absolute, or climbing with ``..``) name no file of
    the change: their path is empty, never a path outside the checkout."""
    diagnostics = [_error("/etc/passwd", "x"), _error("/w/../etc/shadow", "y"),
                   _error("../../root/.ssh/id_rsa", "z"), _error("/w/app/a.py", "ok", 2)]  # fmt: skip
    hits = read_report("pyright", _report(diagnostics, {"filesAnalyzed": 1}), "/w")
    assert [(h.path, h.line) for h in hits] == [("", 1), ("", 1), ("", 1), ("app/a.py", 3)]


def test_attack_a_huge_message_is_bounded() -> None:
    """ATTACK: a message of 5 MB (a type of 100,000 members, spelt out) is cut to the bound."""
    huge = "@admin **bold** <img src=x onerror=alert(1)>\n" * 120_000
    hits = read_report("pyright", _report([_error("/w/a.py", huge)], {"filesAnalyzed": 1}), "/w")
    assert len(hits) == 1 and len(hits[0].message) <= MAX_MESSAGE


def test_attack_a_diagnostic_of_the_wrong_shape_is_an_unreadable_report() -> None:
    """ATTACK: a diagnostic whose line is text, or that is no object at all."""
    bad = _error("/w/a.py", "x")
    bad["range"] = {"start": {"line": "two"}}
    for diagnostics in ([bad], ["text"], [{"severity": "error"}]):
        with pytest.raises(UnreadableReport, match="not its JSON report"):
            read_report("pyright", _report(diagnostics, {"filesAnalyzed": 1}), "/w")


LIMIT = "def limit(value: int) -> int:\n    return max(0, value)\n"
STR = "def limit(value: int) -> str:\n    return str(max(0, value))\n"
CALLER = "from app.limit import limit\n\nCAP: int = limit(3)\n"


@needs_sandbox
@pytest.mark.parametrize(
    "quiet",
    [
        {"app/pyrightconfig.json": '{"typeCheckingMode": "off"}\n'},
        {"pyrightconfig.json": '{"typeCheckingMode": "off", "exclude": ["app"]}\n'},
        {"pyproject.toml": PYPROJECT + 'typeCheckingMode = "off"\nexclude = ["app"]\n'},
    ],
    ids=["nested pyrightconfig.json", "pyrightconfig.json added", "[tool.pyright] exclude"],
)
def test_attack_pyrights_settings_from_the_pull_request_do_not_quiet_it(
    tmp_path: Path, quiet: dict[str, str]
) -> None:
    """ATTACK: the base declares pyright in pyproject.toml; the head turns its checking off,
    or excludes the changed folder, in a nested pyrightconfig.json, a root one (which pyright
    reads before pyproject.toml) or pyproject's own table, with a change that breaks a
    caller's type."""
    where = _pyright_path()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/__init__.py": "",
                                 "app/limit.py": LIMIT, "app/caller.py": CALLER})  # fmt: skip
    head = repo.commit("quiet", {**quiet, "app/limit.py": STR})
    argv = ["review", "--provider", "none", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    assert {"tool": "pyright", "could_not_run": ""} in done.document["tools"], done.document
    found = [(f["rule"], f["path"], f["line"]) for f in done.document["findings"]]
    assert ("pyright/reportAssignmentType", "app/limit.py", 1) in found, found
