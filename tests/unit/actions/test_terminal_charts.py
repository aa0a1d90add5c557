"""On a terminal, what only GitHub draws reads as words: a Mermaid chart's source is one line
saying the job summary shows it, and an alert (``> [!WARNING]``) reads as ``Warning: ...``.
The Markdown written for GitHub is not changed; only its terminal rendering is."""

from __future__ import annotations

from cicd_agent.actions.markdown import code_block
from cicd_agent.actions.runner_io import CHART_LINE, plain_text
from cicd_agent.analysis.flaky_stats import FlakyStat, mermaid_chart


def _stat(test: str, lost: float) -> FlakyStat:
    return FlakyStat(test=test, runs=10, failures=3, flips=2, lost_seconds=lost)


def test_a_mermaid_chart_is_one_line_on_the_terminal() -> None:
    chart = mermaid_chart([_stat("tests/test_a.py::test_x", 120.0)])
    markdown = f"### Flaky tests\n\n{chart}\n\nThe first flipped twice.\n"
    shown = plain_text(markdown)
    assert "xychart" not in shown and "mermaid" not in shown and "```" not in shown
    assert shown == f"Flaky tests\n\n{CHART_LINE}\n\nThe first flipped twice.\n"
    assert "xychart-beta" in markdown  # the summary's Markdown keeps the chart


def test_a_github_alert_reads_as_its_label_and_text() -> None:
    markdown = "Before.\n\n> [!WARNING]\n> The tests were not run: **pytest** is missing.\n\nAfter.\n"
    assert plain_text(markdown) == (
        "Before.\n\nWarning: The tests were not run: pytest is missing.\n\nAfter.\n"
    )


def test_an_alert_of_several_lines_is_labelled_once() -> None:
    markdown = "> [!note]\n>\n> First line.\n> Second line.\nNext.\n"
    assert plain_text(markdown) == "Note: First line.\nSecond line.\nNext.\n"


def test_attack_a_fence_inside_a_longer_fence_stays_text() -> None:
    # Attack: a log excerpt holds a Mermaid fence and an alert of its own; the block around it
    # is fenced with more backticks, so both are the excerpt's text, shown verbatim.
    excerpt = "```mermaid\npie title x\n```\n> [!WARNING]\n> forged"
    shown = plain_text(code_block(excerpt, "text"))
    assert shown == "".join(f"  {line}\n" for line in excerpt.splitlines())
