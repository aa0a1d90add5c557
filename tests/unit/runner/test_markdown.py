"""The one neutraliser for text we do not control: what a model writes is shown, never acted on."""

from __future__ import annotations

import pytest

from cicd_agent.runner.code_regions import code_regions
from cicd_agent.runner.markdown import (
    NEUTRALISE_LIMIT,
    ZWSP,
    code_block,
    code_fence,
    code_span,
    neutralise,
    prose,
)

REPO = "https://github.com/octocat/Hello-World/"


@pytest.mark.parametrize(
    ("hostile", "inert"),
    [
        ("ping @octo-org/admins", f"ping @{ZWSP}octo-org/admins"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>"),
        ("<details><summary>x</summary>", "&lt;details>&lt;summary>x&lt;/summary>"),
        ("[docs](https://evil.example.com)", f"[docs\\](https:{ZWSP}//evil.example.com)"),
        ("![p](https://evil.example.com/p.png)", f"![p\\](https:{ZWSP}//evil.example.com/p.png)"),
        ("see https://evil.example.com/x", f"see https:{ZWSP}//evil.example.com/x"),
        ("www.evil.example.com", f"www{ZWSP}.evil.example.com"),
        ("[x]: https://evil.example.com", f"[x\\]: https:{ZWSP}//evil.example.com"),
        ("<!-- cicd-agent:review-summary -->", f"&lt;!{ZWSP}-- cicd-agent:review-summary -->"),
    ],
)
def test_model_text_is_shown_as_text(hostile: str, inert: str) -> None:
    assert neutralise(hostile, allowed_links=(REPO,)) == inert


def test_links_into_the_repository_and_plain_brackets_survive() -> None:
    text = f"see {REPO}blob/abc/src/app.py#L3 and [REDACTED:GitHub token]"
    assert neutralise(text, allowed_links=(REPO,)) == text


def test_code_is_kept_verbatim_but_cannot_hide_a_marker_or_stay_open() -> None:
    text = "use `List[int]` here\n```python\nx = a[1] @decorator <b>\n"
    assert neutralise(text) == "use `List[int]` here\n```python\nx = a[1] @decorator <b>\n```"
    assert "<!-- cicd-agent" not in neutralise("`<!-- cicd-agent:x -->`")


def test_prose_is_one_line_with_table_breaks_escaped() -> None:
    assert prose("a | b\n<c> @d https://e.example") == (
        f"a \\| b &lt;c&gt; @{ZWSP}d https:{ZWSP}//e.example"
    )


def test_a_code_block_cannot_be_closed_from_inside() -> None:
    assert code_block("```\nx") == "````text\n```\nx\n````"


@pytest.mark.parametrize(
    ("text", "fence", "span"),
    [
        ("plain", "```", "`plain`"),
        ("a `b` c", "```", "``a `b` c``"),
        ("x ``` y `````z", "``````", "``````x ``` y `````z``````"),
    ],
)
def test_one_fence_is_longer_than_any_backtick_run_inside(text: str, fence: str, span: str) -> None:
    assert code_fence(text) == fence
    assert code_span(text) == span


@pytest.mark.parametrize(
    "unit",
    ["| `x` | <b>y</b> @u |\n", "*_", "<div>\n`x\n", "```\n@team\n"],
    ids=["table", "emphasis", "html-blocks", "open-fences"],
)
def test_a_reply_of_megabytes_is_cut_where_the_parser_stays_cheap(unit: str) -> None:
    """The CommonMark parse is tens of microseconds a character on these shapes: 8 MiB of them
    from a model server would stall a mode for minutes. The cut is said, and what is kept is
    still inert (a fence the cut left open is closed before the note)."""
    hostile = unit * (8 * 2**20 // len(unit))
    shown = neutralise(hostile)
    assert len(shown) < 3 * NEUTRALISE_LIMIT
    assert shown.endswith(f"… ({len(hostile) - NEUTRALISE_LIMIT:,} more characters cut)")
    assert "@u " not in shown and "<b>" not in shown
    note = shown.rindex("… (")
    assert all(end <= note for _, end in code_regions(shown))


def test_text_at_the_limit_is_not_cut() -> None:
    text = "a" * NEUTRALISE_LIMIT
    assert neutralise(text) == text
