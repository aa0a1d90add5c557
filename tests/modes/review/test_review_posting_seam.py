"""Nothing a pull request or a model wrote is live in what review posts: each posting path as its
publish step builds it (the seam itself and the shapes: tests/unit/actions/test_posting_seam.py)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from cicd_agent.actions.markdown import neutralise, posted
from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.finding_text import body_item
from cicd_agent.modes.review.answer import (
    DescriptionAnswer,
    GroupSummary,
    ModelFinding,
    ReviewAnswer,
)
from cicd_agent.modes.review.decide import merged_summary, model_findings
from cicd_agent.modes.review.describe import model_text
from cicd_agent.modes.review.diff_description import describe_diff, render
from cicd_agent.modes.review.handoff.collect import _text, vet_claims
from cicd_agent.modes.review.handoff.file import HandedFinding, HandedResult
from cicd_agent.modes.review.ledger import Ledger
from cicd_agent.modes.review.placement import comment_body, place
from cicd_agent.modes.review.publish import _comment
from cicd_agent.modes.review.result import InlineNote, ReviewResult
from tests.unit.actions.test_posting_seam import (
    _DIFF,
    LIVE,
    OWN,
    _in_a_run,
    _raw_outside_code,
    inert,
    shapes,
)

__all__ = ["_in_a_run"]  # autouse: each test runs as in a run


@pytest.mark.parametrize("text", shapes(60, seed=42))
def test_every_review_posting_path_is_inert(text: str) -> None:
    """The model's summary and findings, and the hand-off's, through placement into what
    review's publish step hands each poster."""
    model = ModelFinding(
        path="src/app.py", line=2, start_line=None, severity="high", category="security",
        title=text, body=text, replacement=None, confidence=0.9,
    )  # fmt: skip
    far = model.model_copy(update={"line": 40, "title": f"far {text}"})
    answer = ReviewAnswer(summary=text, verdict="comment", findings=[model, far])
    findings, _ = model_findings([answer], {"src/app.py"}, str, links=OWN)
    handed = HandedResult(
        format="cicd-agent/review-result", version=1, pull_request=2, head_sha="a" * 40,
        base_sha=None, decision="comment", risk_level="low", risk_reasons=[], summary=text,
        omitted_findings=0,
        findings=[HandedFinding(
            rule="model-security", severity="high", category="security", path="src/app.py",
            line=2, start_line=None, title=text, body=text, suggestion=None, confidence=0.9,
            source="model",
        )],
    )  # fmt: skip
    claims, _ = vet_claims(handed, {"src/app.py"}, str)
    for summary, found in (
        (merged_summary([answer], str, links=OWN), findings),
        (_text(text, 1200, str, one_line=True), claims),
    ):
        result = _result(summary, found)
        inert(posted(result.review_body(), allowed_links=OWN))
        inert(posted(result.make_headline(), allowed_links=OWN))
        inert(posted(result.summary_body(), allowed_links=OWN))
        inert(posted(result.summary_markdown(), allowed_links=OWN))
        inert(result.summary_comment(Ledger(heads=("b" * 40,)), OWN))
        for note in result.comments:
            inert(_comment(note, OWN).body)


def _result(summary: str, findings: list[Finding]) -> ReviewResult:
    placement = place(findings, parse_diff(_DIFF), lambda path, line: f"{OWN[0]}blob/x/{path}")
    return ReviewResult(
        mode="review", headline="", decision="comment", risk_level="low", summary=summary,
        report_on="low", findings=findings,
        comments=list(placement.inline),
        body_items=[item.text for item in placement.body],
        risk_reasons=[summary],
    )  # fmt: skip


@pytest.mark.parametrize("text", shapes(60, seed=7))
def test_describe_and_a_command_reply_are_inert(text: str) -> None:
    facts = describe_diff(parse_diff(_DIFF))
    groups = [GroupSummary(group=name, summary=text) for name in ("source", "Source")]
    words = model_text(DescriptionAnswer(what=text, why=text, groups=groups), ["source"], str)
    inert(
        posted(render(facts, risk_level="low", risk_reasons=[text], model=words), allowed_links=OWN)
    )
    reply = f"{neutralise(text, allowed_links=OWN)}\n\n<sub>In reply to [this comment]({OWN[0]}pull/2).</sub>"
    inert(posted(reply, allowed_links=OWN))


def test_a_suggestion_moved_into_the_review_body_cannot_leave_its_block() -> None:
    """Review's path for an inline comment GitHub refused: it becomes a list item of the body.
    A lone carriage return in the model's replacement ends a line for GitHub but not for the
    indentation, so the rest of the suggestion left the list item, a ``<details>`` line
    opened an HTML block there and the model's code went raw into the review body."""
    model = ModelFinding(
        path="src/app.py", line=2, start_line=None, severity="high", category="security",
        title="t", body="b", confidence=0.9,
        replacement="b = 2\r<details>\r`@acme/security-team` `<h1>Approved by security</h1>`",
    )  # fmt: skip
    answer = ReviewAnswer(summary="s", verdict="comment", findings=[model])
    findings, _ = model_findings([answer], {"src/app.py"}, str, links=OWN)
    moved = body_item(comment_body(findings[0], suggestion=True), "src/app.py", 2)
    result = replace(_result("s", findings), comments=[], body_items=[moved])
    shown = posted(result.review_body(), allowed_links=OWN)
    inert(shown)
    raw = _raw_outside_code(shown)
    assert not re.search(r"(?<!\w)@acme", raw) and "<h1" not in raw, raw


def test_attack_a_checked_suggestion_block_cannot_leave_its_fence() -> None:
    """A checked suggestion (a linter's fix of the pull request's own text, or the
    model's) holding a closing fence, HTML and mentions, with the line that says what it was
    checked against, posts nothing live outside its block."""
    hostile = f"x = 1\n```\n</details><h1>Approved</h1>\n{LIVE}\n````\n"
    checked = "Checked in the sandbox with this change applied: ruff still pass."
    finding = Finding(rule="ruff/F401", severity="medium", category="lint", path="src/app.py",
                      line=2, title="t", body="b", suggestion=hostile, checked=checked)  # fmt: skip
    body = comment_body(finding, suggestion=True)
    shown = _comment(InlineNote(path="src/app.py", line=2, body=body), OWN).body
    inert(shown)
    raw = _raw_outside_code(shown)
    assert not re.search(r"(?<!\w)@acme", raw) and "<h1" not in raw, raw
    assert raw.strip().endswith("ruff still pass.</em></p>")  # under the block, outside it


def test_attack_a_checked_suggestion_too_long_to_post_whole_is_never_posted_cut() -> None:
    """A suggestion block is applied as posted: one cut to fit a comment would apply other
    code than the verifier checked (the cut ends a function halfway). A checked suggestion
    over a comment's length is posted whole or not as a block at all."""
    long = "".join(f"    total += {n}\n" for n in range(6_000))  # about 100,000 characters
    checked = "Checked in the sandbox with this change applied: ruff still pass."
    finding = Finding(rule="model-bug", severity="medium", category="bug", path="src/app.py",
                      line=2, title="t", body="b", suggestion=long, checked=checked)  # fmt: skip
    body = comment_body(finding, suggestion=True)
    shown = _comment(InlineNote(path="src/app.py", line=2, body=body), OWN).body
    if "```suggestion" in shown:
        block = shown.split("```suggestion\n", 1)[1].split("\n```", 1)[0]
        assert block + "\n" == long
    else:
        assert "Suggested code:" in shown and checked not in shown  # shown, not applicable
