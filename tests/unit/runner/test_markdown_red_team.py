"""Red team (model text made inert): :func:`neutralise` keeps code verbatim, so where it thinks
code lies must be where GitHub's Markdown thinks so too. It did not:

- a fence closes on a longer run of the same character (`````` ```` `````` closes `````` ``` ``````);
- a backtick fence's info string may not hold a backtick (`````` ```x`y `````` opens nothing;
  left as a strict xfail below);
- a fence indented four spaces is no fence (an indented code block; strict xfail below);
- an inline code span never crosses a blank line (a paragraph break).

In each, the line after the "code" was shown raw: a live team mention, an image from any host
and a link, in a review comment or an ``ask`` answer posted on the pull request."""

from __future__ import annotations

import re

import cmarkgfm
import pytest

from cicd_agent.runner.markdown import neutralise, posted, prose

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


@pytest.mark.xfail(
    strict=True,
    reason="red team: #12 and GH-12 in a model's words are still references into this "
    "repository (a 'mentioned this' in each issue's timeline); breaking them in posted text "
    "would break our own references too, a decision for the posting seam's owner",
)
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
