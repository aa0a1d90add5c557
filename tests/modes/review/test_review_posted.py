"""What publishing learns comes back on a copy: the decided result is left as decide made it
(review's and command's publish steps hand back ``as_posted`` copies, never write into it)."""

from __future__ import annotations

from cicd_agent.analysis.workflows import HonouredIgnore
from cicd_agent.modes.command.result import CommandResult
from cicd_agent.modes.command.result import Posted as CommandPosted
from cicd_agent.modes.review.items import InlineNote, ignored_line
from cicd_agent.modes.review.result import Posted, ReviewResult


def _decided() -> ReviewResult:
    return ReviewResult(
        mode="review",
        headline="Review decision: approve",
        decision="approve",
        risk_level="low",
        summary="Fine.",
        report_on="low",
        comments=[
            InlineNote(path="a.py", line=1, body="one"),
            InlineNote(path="a.py", line=2, body="two"),
        ],
        body_items=["- earlier item"],
        posted_fingerprints=["f1"],
        description="What and why.",
        description_in="body",
        notes=["decided note"],
    )


def test_a_refused_approval_and_moved_comments_show_on_the_copy_only() -> None:
    decided = _decided()
    before = decided.model_dump()
    posting = Posted(
        review_url="https://github.com/o/r/pull/1#pullrequestreview-9",
        summary_url="https://github.com/o/r/pull/1#issuecomment-3",
        decision="comment",
        kept=[decided.comments[0]],
        moved=["- `a.py` line 2: two"],
        description_in="comment",
    )
    shown = decided.as_posted(posting, ["while posting"])
    assert decided.model_dump() == before
    assert shown.decision == "comment"
    assert shown.review_url.endswith("pullrequestreview-9")
    assert [c.line for c in shown.comments] == [1]
    assert shown.rejected_comments == 1
    assert shown.body_items == ["- earlier item", "- `a.py` line 2: two"]
    assert shown.description_in == "comment"
    assert shown.notes == ["decided note", "while posting"]
    assert shown.mode_outputs()["decision"] == "comment"
    assert decided.mode_outputs()["decision"] == "approve"


def test_a_review_not_posted_records_no_finding_as_posted() -> None:
    decided = _decided()
    shown = decided.as_posted(Posted(unposted=True), ())
    assert shown.posted_fingerprints == []
    assert decided.posted_fingerprints == ["f1"]


def test_what_a_command_ran_shows_on_the_copy_only() -> None:
    decided = CommandResult(mode="command", headline="Ran", command="review", status="ran")
    before = decided.model_dump()
    done = CommandPosted(
        status="failed",
        reply="`review` could not finish",
        ran_mode="review",
        ran_exit_code=3,
        ran_outputs={"decision": "comment"},
        details=["Workflow run 7"],
        reply_url="https://github.com/o/r/pull/1#issuecomment-5",
    )
    shown = decided.as_posted(done)
    assert decided.model_dump() == before
    assert shown.status == "failed" and shown.ran_exit_code == 3
    assert shown.mode_outputs()["reply_url"].endswith("issuecomment-5")
    assert shown.mode_outputs()["decision"] == "comment"
    assert "decision" not in decided.mode_outputs()


def test_an_honoured_ignore_names_its_comment_and_why() -> None:
    honoured = HonouredIgnore(
        path=".github/workflows/ci.yml",
        comment_line=4,
        audit="unpinned-uses",
        finding_line=5,
        severity="medium",
        title="unpinned action",
        why="the comment is in the base version",
    )
    line = ignored_line(honoured)
    assert "`# zizmor: ignore[unpinned-uses]` on line 4" in line
    assert line.endswith("honoured because the comment is in the base version.")
