"""Every comment is placed where GitHub accepts it, or written into the body with a link."""

from __future__ import annotations

from cicd_agent.analysis.diff import Diff, FileDiff, parse_diff
from cicd_agent.analysis.finding import Finding
from cicd_agent.modes.review.placement import MAX_MOVE, comment_body, place

# Two hunks of src/app.py: new lines 10-14 and 40-44.
DIFF = parse_diff(
    "diff --git a/src/app.py b/src/app.py\nindex 1..2 100644\n--- a/src/app.py\n+++ b/src/app.py\n"
    "@@ -10,5 +10,5 @@ def one():\n a\n b\n-c\n+C\n d\n e\n"
    "@@ -40,5 +40,5 @@ def two():\n f\n g\n-h\n+H\n i\n j\n"
    "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\nindex 1..0\n--- a/gone.py\n+++ /dev/null\n"
    "@@ -1,1 +0,0 @@\n-x = 1\n"
)


def link(path: str, line: int | None) -> str:
    return f"https://github.com/o/r/blob/abc/{path}" + (f"#L{line}" if line else "")


def finding(path: str = "src/app.py", line: int | None = 12, **extra: object) -> Finding:
    values: dict[str, object] = {
        "rule": "model-correctness",
        "severity": "high",
        "category": "correctness",
        "path": path,
        "line": line,
        "title": "Off by one",
        "body": "The loop stops one early.",
        "source": "model",
    }
    values.update(extra)
    return Finding(**values)  # type: ignore[arg-type]


def test_comment_on_a_changed_line_stays_there() -> None:
    placed = place([finding(line=12)], DIFF, link)
    [comment] = placed.inline
    assert (comment.path, comment.line, comment.moved_from) == ("src/app.py", 12, None)
    assert comment.body.startswith("**high** (model) · Off by one")


def test_context_lines_of_a_hunk_are_commentable() -> None:
    assert place([finding(line=10)], DIFF, link).inline[0].line == 10


def test_out_of_diff_line_close_by_is_moved_and_says_so() -> None:
    placed = place([finding(line=16)], DIFF, link)
    [comment] = placed.inline
    assert (comment.line, comment.moved_from) == (14, 16)
    assert "line 16, which is outside the diff" in comment.body
    assert placed.moved == 1


def test_out_of_diff_line_far_away_goes_to_the_body_with_a_link() -> None:
    far = 14 + MAX_MOVE + 5
    placed = place([finding(line=far)], DIFF, link)
    assert placed.inline == ()
    [item] = placed.body
    assert f"[`src/app.py:{far}`](https://github.com/o/r/blob/abc/src/app.py#L{far})" in item.text
    assert "outside the diff" in item.reason


def test_deleted_unknown_and_whole_file_findings_go_to_the_body() -> None:
    placed = place(
        [finding(path="gone.py", line=1), finding(path="other.py", line=3), finding(line=None)],
        DIFF,
        link,
    )
    assert placed.inline == ()
    assert [item.reason for item in placed.body] == [
        "the file is deleted and has no lines to comment on",
        "the file is not part of this pull request's diff",
        "it is about the whole file",
    ]


def test_binary_file_finding_goes_to_the_body() -> None:
    diff = Diff((FileDiff(path="logo.png", status="added", is_binary=True, size=5_000_000),))
    [item] = place([finding(path="logo.png", line=None)], diff, link).body
    assert "[`logo.png`](https://github.com/o/r/blob/abc/logo.png)" in item.text


def test_suggestion_only_when_the_whole_range_lies_in_one_hunk() -> None:
    inside = place([finding(line=13, start_line=11, suggestion="B\nC2\nD\n")], DIFF, link)
    [comment] = inside.inline
    assert comment.start_line == 11
    assert "```suggestion\nB\nC2\nD\n```" in comment.body

    across = place([finding(line=41, start_line=12, suggestion="x\n")], DIFF, link)
    [comment] = across.inline
    assert comment.start_line is None, "a range over two hunks is not accepted by GitHub"
    assert "```suggestion" not in comment.body and "Suggested code:" in comment.body

    moved = place([finding(line=15, suggestion="y\n")], DIFF, link)
    assert "```suggestion" not in moved.inline[0].body


def test_suggestion_fence_cannot_be_closed_by_the_code() -> None:
    body = comment_body(finding(suggestion='s = """```"""\n'), suggestion=True)
    assert '````suggestion\ns = """```"""\n````' in body
