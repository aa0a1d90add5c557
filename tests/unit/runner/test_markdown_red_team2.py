"""Red team, round three: model text that :func:`neutralise` leaves live on GitHub.

GitHub renders with cmark-gfm: GFM's extended autolinks, CommonMark's line endings (``\\r``
ends a line as ``\\n`` does) and cmark's own backtick scanner. Each text below was rendered
from ``neutralise``'s output with cmark-gfm's Python binding (``cmarkgfm``, GitHub's fork of
cmark) while attacking; the tests check the same with the project's CommonMark renderer where
it sees the shape, and on the output text where only GFM does. Each failed before neutralise
read its output again with cmark-gfm itself (``runner/rendered.py``) and prose escaped
backslashes, backticks and character references.
"""

from __future__ import annotations

import pytest

from cicd_agent.modes.analyse_failure.fix.render import fix_section
from cicd_agent.modes.analyse_failure.fix.report import FixOutcome
from cicd_agent.runner.markdown import neutralise, prose
from cicd_agent.runner.rendered import live_on_github
from tests.unit.runner.test_markdown_rendered import live

HOSTILE = "@octo-org/admins <img src=https://evil.example/p.png> [x](https://evil.example)"


def test_a_carriage_return_ends_the_code_block_for_github_too() -> None:
    """``    code\\r`` is a one-line code block to GitHub; everything after the ``\\r`` is
    prose there, and was kept verbatim: a live team mention, image and link."""
    shown = live(neutralise(f"    code\r{HOSTILE}"))
    assert "<img" not in shown
    assert "<a " not in shown
    assert "@octo-org" not in shown


def test_a_fence_with_carriage_returns_does_not_crash_neutralise() -> None:
    """The fence is a fence to GitHub (``\\r`` ends its lines): the mention after it is code."""
    shown = neutralise("a\r```\rx\r@octo")
    assert shown == "a\n```\nx\n@octo\n```"
    assert live_on_github(shown) == []


@pytest.mark.parametrize(
    "text",
    ["_https://evil.example/p_", "x_https://evil.example", "_www.evil.example/p_"],
)
def test_a_url_after_an_underscore_is_no_link(text: str) -> None:
    """cmark-gfm: ``_https://evil.example/p_`` renders
    ``<em><a href="https://evil.example/p">``; ``_www.evil.example/p_`` a link to
    ``http://www.evil.example/p``."""
    for shown in (neutralise(text), prose(text)):
        assert "https://evil" not in shown
        assert "www.evil" not in shown


@pytest.mark.parametrize(
    ("text", "live_text"),
    [
        ("&#64;octo-org/admins", "@octo-org"),
        ("&commat;octo-org/admins", "@octo-org"),
        ("&#x40;octo-org/admins", "@octo-org"),
        ("other/repo&#35;12", "repo#12"),
        ("other/repo&num;12", "repo#12"),
    ],
)
def test_a_character_reference_cannot_spell_a_mention_or_a_cross_reference(
    text: str, live_text: str
) -> None:
    """GitHub finds mentions and references in the rendered text, where ``&#64;`` is ``@``."""
    assert live_text not in live(neutralise(text))


@pytest.mark.parametrize(
    "text",
    [f"` ``x`` ``{HOSTILE}``", f"see ` here, ``a`` and ``{HOSTILE}`` too"],
)
def test_a_span_cmark_does_not_open_is_not_kept_verbatim(text: str) -> None:
    """cmark-gfm renders ``` ` ``x`` ``@octo-org/admins <img …>`` ``` as
    ``<p>` <code>x</code> ``@octo-org/admins <img src=…>``</p>``: the second span is no code
    on GitHub, and neutralise kept it as written."""
    out = neutralise(text)
    assert "<img" not in out
    assert "@octo-org" not in out


def test_a_backtick_in_the_models_summary_cannot_open_the_logs_command() -> None:
    """The failed step's command (the pull request's workflow) is shown as code:
    ``echo `@octo-org/admins <img …>` `` in a fence of two backticks. The model's summary,
    as prose before it, says "fixed the ` in ops": its backtick opens a span that the
    command's first backtick closes, and what follows is live on GitHub (cmark-gfm renders
    the mention and the image; so does the CommonMark renderer here)."""
    outcome = FixOutcome(
        requested="suggest",
        status="verified",
        reason="",
        command=f"echo `{HOSTILE}`",
        source="model",
        summary="fixed the ` in ops",
        patch="--- a/x\n+++ b/x\n",
        files=["calc/ops.py"],
    )
    shown = live(fix_section(outcome, comment=True))
    assert "@octo-org" not in shown
    assert "<img" not in shown


def test_a_backslash_before_a_bracket_does_not_make_prose_a_link() -> None:
    """cmark-gfm renders ``prose(r"\\[the logs\\](//evil.example/login)")`` as
    ``\\<a href="//evil.example/login">the logs\\</a>``: a protocol-relative link off the
    repository, from the model's explanation of a failure (``result.py``: ``prose(self.explanation)``)."""
    assert "<a " not in live(prose(r"\[the logs\](//evil.example/login)"))


def test_a_character_reference_cannot_spell_a_mention_in_prose() -> None:
    assert "@octo-org" not in live(prose("&#64;octo-org/admins"))


@pytest.mark.parametrize(
    "text",
    [
        f"> > > \t{HOSTILE}",
        f"> > > \t```x`y {HOSTILE}",
        f">> - \tx {HOSTILE}",
        f"- \n\t\n\tx {HOSTILE}",
    ],
)
def test_a_tab_after_nested_quote_markers_is_read_as_github_reads_it(text: str) -> None:
    """cmark-gfm: ``<blockquote><blockquote><blockquote><p>@octo-org/admins <img …>``. An
    enumeration of container prefixes (``>``, space, tab, ``- ``, ``1. ``, line breaks, up to six
    pieces) before ``x`` and the hostile text found 157 such prefixes, all with a tab."""
    out = neutralise(text)
    assert "<img" not in out
    assert "@octo-org" not in out


@pytest.mark.parametrize(
    "text", [f"- \n    \n    {HOSTILE}", f"1. \n  \n    {HOSTILE}", f" - \n    \n    x {HOSTILE}"]
)
def test_a_line_of_spaces_after_an_empty_list_item_is_read_as_github_reads_it(text: str) -> None:
    """cmark-gfm renders ``- \\n    \\n    @octo-org/admins <img …>`` as
    ``<ul><li>@octo-org/admins <img …></li></ul>``; found by enumerating container prefixes
    without tabs (55 of 137,256 shapes). GitHub's parser is the judge: where it reads the
    indented line as code (``1. \\n  \\n    …``), keeping it verbatim is right."""
    assert live_on_github(neutralise(text)) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/owner/repo/../../attacker/phish",
        "https://github.com/owner/repo/%2e%2e/%2E%2e/attacker/phish",
        "https://github.com/owner/repo/./../../attacker",
    ],
)
def test_a_dot_segment_cannot_walk_a_link_out_of_the_repository(url: str) -> None:
    """cmark-gfm autolinks the whole URL: ``<a href="https://github.com/owner/repo/../../
    attacker/phish">``."""
    out = neutralise(f"see {url} for the fix", allowed_links=("https://github.com/owner/repo/",))
    assert url not in out
