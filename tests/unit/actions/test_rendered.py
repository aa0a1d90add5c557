"""GitHub's own parser (cmark-gfm) as the last judge of what :func:`neutralise` posts.

The detector must see each kind of live text GitHub makes, or the fall-back it drives would
never run; then, on shapes drawn from a fixed seed (the CommonMark shapes of
test_markdown_rendered plus what only GFM or cmark reads differently: carriage returns, tabs,
character references, autolinks after ``_``), nothing neutralise writes is live to it, and
ordinary code stays code."""

from __future__ import annotations

import random

import pytest

from cicd_agent.actions.markdown import neutralise
from cicd_agent.actions.rendered import allowed_link, live_on_github
from tests.unit.actions.test_markdown_rendered import PIECES

OWN = ("https://github.com/o/r/",)
GFM_PIECES = [*PIECES, "\r", "\r\n", "\t", "> > > \t", "&#64;octo", "&num;", "other/repo&#35;12",
              "_https://evil.example/p_", "_www.evil.example_", "\\", "\\[", "<!-- cicd-agent:x -->",
              "https://github.com/o/r/../../evil/x"]  # fmt: skip


@pytest.mark.parametrize(
    ("markdown", "kind"),
    [
        ("see @octo-org/admins", "a mention"),
        ("&#64;octo", "a mention"),
        ("other/repo#12", "a reference"),
        ("other/repo&#35;12", "a reference"),
        ("see #12", "a reference"),
        ("gh-12", "a reference"),
        ("a_#12_", "a reference"),
        ("### [x\\](y) | GH-12", "a reference"),
        ("<img src=x>", "raw HTML"),
        ("![i](https://evil.example/p.png)", "an image"),
        ("[x](https://evil.example)", "a link"),
        ("_www.evil.example_", "a link"),
        ("[x](https://github.com/o/r/../../evil)", "a link"),
        ("[x](https://github.com/o/r/%2e%2e/evil)", "a link"),
    ],
)
def test_each_kind_of_live_text_is_seen(markdown: str, kind: str) -> None:
    found = live_on_github(markdown, OWN)
    assert any(item.startswith(kind) for item in found), found


@pytest.mark.parametrize(
    "markdown",
    ["`@octo-org/admins <img src=x>`", "    [x](https://evil.example)", "see @\u200bocto",
     "[our file](https://github.com/o/r/blob/main/a.py)", "a &lt;b&gt; &amp; c", "#\u200b12 GH-\u200b12",
     "[notes](https://github.com/o/r/blob/main/README.md#12-notes)", "`#12`"],
)  # fmt: skip
def test_code_own_links_and_broken_mentions_are_not_live(markdown: str) -> None:
    assert live_on_github(markdown, OWN) == []


def test_a_link_into_the_repository_stays_only_while_it_stays_there() -> None:
    assert allowed_link("https://github.com/o/r/blob/main/a.py", OWN)
    assert not allowed_link("https://github.com/o/r/../../evil", OWN)
    assert not allowed_link("https://github.com/o/r/.%2E/evil", OWN)
    assert not allowed_link("https://github.com/o/r/\\evil", OWN)
    assert not allowed_link("https://github.com/o/rx", OWN)


def _shapes(count: int, seed: int = 20261124) -> list[str]:
    draw = random.Random(seed)
    return ["".join(draw.choices(GFM_PIECES, k=draw.randint(3, 14))) for _ in range(count)]


@pytest.mark.parametrize("text", _shapes(600))
def test_nothing_neutralise_writes_is_live_on_github(text: str) -> None:
    shown = neutralise(text, allowed_links=OWN)
    assert live_on_github(shown, OWN) == []
    assert "<!-- cicd-agent" not in shown


def test_code_the_parsers_agree_on_is_kept_verbatim() -> None:
    text = "Use `x < y` here:\n\n```python\nif a <b>: print('@me')\n```\n"
    assert neutralise(text) == text


def test_where_the_parsers_disagree_the_text_is_escaped_not_kept() -> None:
    """markdown-it reads ``> > > \\t…`` as indented code, cmark-gfm as a paragraph."""
    shown = neutralise("> > > \t@octo-org/admins <img src=x>")
    assert "@\u200bocto-org" in shown and "&lt;img" in shown


def test_only_our_own_references_may_be_live() -> None:
    assert live_on_github("| PR | #12 |\n|---|---|\n", own=(12,)) == []
    for other in ("#13", "GH-12", "o/r#12", "x_#12"):
        assert live_on_github(other, own=(12,)), other
