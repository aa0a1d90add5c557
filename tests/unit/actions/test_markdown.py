"""The one neutraliser for text we do not control: what a model writes is shown, never acted on."""

from __future__ import annotations

import html as html_text
import random
import re

import cmarkgfm
import pytest

from cicd_agent.actions.code_regions import _CODE_MARKS, _parser, code_regions, open_fence_closer
from cicd_agent.actions.markdown import (
    NEUTRALISE_LIMIT,
    ZWSP,
    Reference,
    code_block,
    code_fence,
    code_span,
    neutralise,
    posted,
    prose,
)
from cicd_agent.actions.rendered import live_on_github
from cicd_agent.github.limits import fit
from tests.unit.actions.test_markdown_rendered import live

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


# ----------------------------------------- Attacks: code GitHub's Markdown does not see as code
# Red team (model text made inert): :func:`neutralise` keeps code verbatim, so where it thinks
# code lies must be where GitHub's Markdown thinks so too. It did not:
#
# - a fence closes on a longer run of the same character (`````` ```` `````` closes `````` ``` ``````);
# - a backtick fence's info string may not hold a backtick (`````` ```x`y `````` opens nothing;
#   left as a strict xfail below);
# - a fence indented four spaces is no fence (an indented code block; strict xfail below);
# - an inline code span never crosses a blank line (a paragraph break).
#
# In each, the line after the "code" was shown raw: a live team mention, an image from any host
# and a link, in a review comment or an ``ask`` answer posted on the pull request.


HOSTILE = "@octo-org/admins <img src=https://evil.example/p.png> [x](https://evil.example)"


@pytest.mark.parametrize(
    "text",
    [
        f"```\ncode\n````\n{HOSTILE}\n```\n",
        f"~~~\ncode\n~~~~\n{HOSTILE}\n~~~\n",
        f"a `b\n\n{HOSTILE}\n\nc` d",
    ],
    ids=["longer-closing-fence", "longer-tilde-fence", "span"],
)
def test_what_github_shows_as_prose_is_made_inert(text: str) -> None:
    shown = neutralise(text)
    assert "@octo-org" not in shown
    assert "<img" not in shown
    assert "https://evil.example" not in shown


def test_code_that_github_shows_as_code_is_still_verbatim() -> None:
    text = f"````\n{HOSTILE}\n```\nstill code\n````\nafter `{HOSTILE}` @team"
    shown = neutralise(text)
    assert shown.count(HOSTILE) == 2  # in the block and in the span: GitHub renders neither
    assert shown.endswith("@\u200bteam")


@pytest.mark.parametrize(
    "text",
    [f"```x`y\n{HOSTILE}\n```\n", f"    ```\n{HOSTILE}\n    ```\n"],
    ids=["backtick-in-info", "indented-code-block"],
)
def test_a_fence_line_that_opens_nothing_does_not_hide_prose(text: str) -> None:
    assert "@octo-org" not in neutralise(text)


def test_a_fence_closed_inside_a_list_item_does_not_hide_prose() -> None:
    """Held on the old code too (the span pattern closes at the item's fence); kept so a
    change of the patterns cannot lose it."""
    shown = neutralise(f"- ```\n  x\n  ```\n{HOSTILE}\n```\n")
    assert "@octo-org" not in shown


def test_a_reference_to_another_repositorys_issue_is_not_made() -> None:
    """Red team: ``octo-org/other-repo#1`` in a model's words, posted by the workflow's bot,
    becomes a cross-reference: GitHub adds "mentioned this" to that issue's timeline, in any
    repository the token can see. A pull request can steer the model to spam them."""
    for shown in (neutralise("see octo-org/other-repo#12"), prose("see octo-org/other-repo#12")):
        assert "octo-org/other-repo#12" not in shown
        assert "octo-org/other-repo#\u200b12" in shown


def test_a_reference_to_an_issue_of_this_repository_is_not_made() -> None:
    """Red team: the same timeline spam inside the repository the workflow runs in: a pull
    request can steer the model to write ``#1 #2 … GH-40`` into the review."""
    for shown in (posted("see #12 and GH-13"), neutralise("see #12 and GH-13")):
        html = cmarkgfm.github_flavored_markdown_to_html(shown)
        assert re.search(r"(?<![\w&])#\d|\bGH-\d", html) is None, html


@pytest.mark.parametrize(
    "text",
    [f"| `a | {HOSTILE} | b` |\n|---|---|---|\n", f"\\`{HOSTILE}`"],
    ids=["backticks-across-table-cells", "escaped-backtick"],
)
def test_backticks_that_github_does_not_pair_do_not_hide_prose(text: str) -> None:
    """A ``|`` cuts a table cell even between backticks, and ``\\``` is a literal backtick:
    GitHub shows no code span in either, so the line's mention, image and link are live."""
    shown = neutralise(text)
    assert "@octo-org" not in shown
    assert "<img" not in shown


def test_an_indented_code_block_is_code() -> None:
    """GitHub renders nothing inside an indented code block: kept verbatim, as a fence is."""
    assert neutralise("para\n\n    a[1] <b> @x\n") == "para\n\n    a[1] <b> @x\n"


# ----------------------------------------------- Attacks: text neutralise left live (cmark-gfm)
# Red team, round three: model text that :func:`neutralise` leaves live on GitHub.
#
# GitHub renders with cmark-gfm: GFM's extended autolinks, CommonMark's line endings (``\r``
# ends a line as ``\n`` does) and cmark's own backtick scanner. Each text below was rendered
# from ``neutralise``'s output with cmark-gfm's Python binding (``cmarkgfm``, GitHub's fork of
# cmark) while attacking; the tests check the same with the project's CommonMark renderer where
# it sees the shape, and on the output text where only GFM does. Each failed before neutralise
# read its output again with cmark-gfm itself (``actions/rendered.py``) and prose escaped
# backslashes, backticks and character references.


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


def _references_on_github(markdown: str) -> list[str]:
    """Each ``#12``/``GH-12`` GitHub would read in ``markdown``: cmark-gfm's HTML, its code and
    links (where GitHub makes no reference) taken out, the rest as text, whatever precedes it
    (emphasis or a table cell ends the word before it in GitHub's text)."""
    html = cmarkgfm.github_flavored_markdown_to_html(markdown)
    html = re.sub(r"(?s)<(code|pre|a)\b.*?</\1>", "", html)
    text = html_text.unescape(re.sub(r"<[^>]*>", " ", html))
    return re.findall(r"(?i)#\d+|gh-\d+", text)


@pytest.mark.parametrize(
    "text",
    [
        "see #12",
        "GH-13 and gh-14",
        "_#15_ a*#16* **GH-17**",
        "### #18\n\n#19 heading",
        "| a | b |\n|---|---|\n|#20|x GH-21|\n",
        f"[see #22]({REPO}pull/22)",
        "\\#23 &#35;24 &num;25",
        "other/repo#26 C#27",
        "https://evil.example/#28",
        "- #29\n  - > GH-30",
    ],
)
def test_no_reference_is_made_from_untrusted_text_in_any_shape(text: str) -> None:
    """Red team: each shape makes a reference on GitHub (a "mentioned this" in that issue's
    timeline) when posted as written; a link's text or address (no reference while it is a
    link) must not make one once it is shown as text."""
    assert _references_on_github(text) or "](" in text or "://" in text
    for shown in (
        neutralise(text, allowed_links=(REPO,)),
        posted(text, allowed_links=(REPO,)),
        prose(text),
    ):
        assert _references_on_github(shown) == [], shown


def test_our_own_reference_stays_a_reference_through_the_seam_and_a_cut() -> None:
    """Our own ``#12`` (the pull request a command answers) is made from the number alone and
    kept; the same text's other numbers are broken. A cut keeps ours (``fit`` posts again)."""
    ours = Reference(12)
    text = f"| | |\n|---|---|\n| Pull request | {ours} |\n\nThe model says: see #13 and GH-14."
    shown = posted(text, allowed_links=(REPO,), references=(ours,))
    assert _references_on_github(shown) == ["#12"]
    assert "<td>#12</td>" in cmarkgfm.github_flavored_markdown_to_html(shown)
    cut = fit(posted(text + " padding" * 40, references=(ours,)), 200)
    assert "truncated" in cut and _references_on_github(cut) == ["#12"]
    assert _references_on_github(posted(text)) == []  # not handed the reference: broken too


def test_an_own_reference_is_made_only_from_a_number() -> None:
    for wrong in (True, 0, -3, "12", 12.0):
        with pytest.raises(ValueError, match="issue or pull request number"):
            Reference(wrong)  # type: ignore[arg-type]
    assert str(Reference(7)) == "#7" and f"{Reference(7)}" == "#7"


# --------------------------------------------- Attacks, round four: GitHub's footnotes (posting)
# GitHub renders with cmark-gfm's footnotes on (``[^1]`` and ``[^1]: text``); the check in
# ``actions/rendered.py`` rendered without them, so a footnote definition read as the text of a
# code span there, and as prose in a footnote on GitHub.


def _live_with_footnotes(markdown: str) -> str:
    """What GitHub shows outside code of ``markdown``, rendered as GitHub renders it (cmark-gfm
    with footnotes on), as text: tags out, character references decoded."""
    options = cmarkgfm.cmark.Options.CMARK_OPT_FOOTNOTES
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=options)
    html = re.sub(r"(?s)<(code|pre)\b.*?</\1>", "", html)
    return html_text.unescape(re.sub(r"<(?!img|a )[^>]*>", " ", html))


@pytest.mark.parametrize(
    "text",
    [
        f"b[^1] `a\n[^1]: {HOSTILE} see #12 `\n",
        f"b[^1]\n\n`a\n[^1]: {HOSTILE} GH-12 `\n",
        f"- b[^x] `a\n  [^x]: {HOSTILE} o/r#12 `\n",
    ],
    ids=["code-span", "code-span-own-paragraph", "list-item"],
)
def test_a_footnote_cannot_make_a_code_span_live(text: str) -> None:
    """Red team, round four: a footnote definition may interrupt a paragraph, so the second
    line of a code span spread over two lines is a footnote's text on GitHub, with its team
    mention, image, link and reference live; neutralise kept it as code, and its check (no
    footnotes) agreed."""
    for shown in (neutralise(text), posted(text)):
        live_text = _live_with_footnotes(shown)
        assert "@octo-org" not in live_text, live_text
        assert "<img" not in live_text and "<a " not in live_text, live_text
        assert re.search(r"(?i)#\d|gh-\d", live_text) is None, live_text


_NO_MARK_SHAPES = [
    "> > - 1. quoted list\n>   > lazy\n\n   three spaces\n",
    "-   item\n\n   spaced\n\n1.  one\n   \n   x",
    "| a | b |\n| - | - |\n| ~~ | ~ |",
    "<pre>\n   x\n</pre>\n\n<!-- c -->",
    "Title\n===\n   ---\n   * * *",
    "[x]: <y>\n   ~~ ~~\n\\~~\\~",
]


def test_a_text_without_a_code_mark_holds_no_code_by_the_parser_either() -> None:
    """The parser is skipped for a text without a backtick, ``~~~``, a tab or four spaces in a
    row; here it reads shapes near each (nested containers, three-space indents, lone tildes,
    tables, HTML) and finds no code in any, nor a fence left open."""
    alphabet = ["> ", "- ", "1. ", "   ", "  ", " ", "\n", "\n\n", "~", "~~", "|", "<pre>", "#",
                "=", "*", "[", "](", "\\", "x", "<!--", "-->"]  # fmt: skip
    rnd = random.Random(7)
    texts = [*_NO_MARK_SHAPES]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 40))) for _ in range(800)]
    for text in (text for text in texts if not any(mark in text for mark in _CODE_MARKS)):
        for read in (text, f"{text}\n\ncicd-agent-probe\n"):  # as each function reads it
            tokens = _parser().parse(read)
            found = [*tokens, *(child for token in tokens for child in token.children or ())]
            assert not [t.type for t in found if t.type in ("fence", "code_block", "code_inline")]
        assert code_regions(text) == [] and open_fence_closer(text) is None
