"""The check run's annotations are the step's own (``ReviewResult.annotations``), as the Checks
API takes them: a line always (1 for a whole file), ``failure`` for ``error``, and the same
title, message and file, made safe once."""

from __future__ import annotations

from dataclasses import replace

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.review.publish import check_annotations
from cicd_agent.modes.review.result import ReviewResult


def _finding(path: str, severity: Severity, line: int | None, start: int | None = None) -> Finding:
    return Finding(rule="r", severity=severity, category="c", path=path, line=line,
                   start_line=start, title=f"Title\nof {path}", body=f"Body \x1b[31m{path}")  # fmt: skip


def test_the_check_runs_annotations_are_the_steps_with_the_lines_the_api_needs() -> None:
    result = ReviewResult(
        mode="review", headline="", decision="comment", risk_level="low", summary="s",
        report_on="low",
        findings=[_finding("a.py", Severity.HIGH, 3), _finding("b.py", Severity.MEDIUM, 9, 7),
                  _finding("c.bin", Severity.LOW, None), _finding("d.py", Severity.CRITICAL, 2)],
    )  # fmt: skip
    sent = [annotation.payload() for annotation in check_annotations(result)]
    assert [(a["path"], a["start_line"], a["end_line"], a["annotation_level"]) for a in sent] == [
        ("a.py", 3, 3, "failure"), ("b.py", 7, 9, "warning"), ("c.bin", 1, 1, "notice"),
        ("d.py", 2, 2, "failure"),
    ]  # fmt: skip
    shown = result.annotations()
    assert [a["title"] for a in sent] == [a.title for a in shown]
    assert [a["message"] for a in sent] == [a.message for a in shown]
    assert sent[0]["title"] == "high: Title of a.py" and "\x1b" not in sent[0]["message"]


def test_a_text_cut_to_the_apis_limit_is_not_cut_again() -> None:
    """Made safe twice (once for the step, once for the check run), a cut text is the same."""
    long = replace(_finding("a.py", Severity.HIGH, 1), title="T" * 300, body="é" * 40_000)
    result = ReviewResult(
        mode="review", headline="", decision="comment", risk_level="low", summary="s",
        report_on="low", findings=[long],
    )  # fmt: skip
    [sent] = [annotation.payload() for annotation in check_annotations(result)]
    [shown] = result.annotations()
    assert (sent["title"], sent["message"]) == (shown.title, shown.message)
    assert sent["title"].endswith("…") and sent["message"].endswith("…")


def test_a_finding_below_report_on_is_not_annotated() -> None:
    result = ReviewResult(
        mode="review", headline="", decision="comment", risk_level="low", summary="s",
        report_on="high", findings=[_finding("a.py", Severity.MEDIUM, 1)],
    )  # fmt: skip
    assert check_annotations(result) == [] == result.annotations()
