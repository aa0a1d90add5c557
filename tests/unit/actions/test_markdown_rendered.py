"""What GitHub would render from :func:`neutralise`'s output, checked by rendering it.

The other tests compare strings; these render the output with a CommonMark renderer (GFM
tables on, as on GitHub) and look at what is live outside ``<code>`` and ``<pre>``: no image,
no link, no mention, whatever shape of fences, spans, quotes, lists and tables the text took.
The shapes are drawn from a fixed seed, so a failure names the text that broke."""

from __future__ import annotations

import random
import re

import pytest
from markdown_it import MarkdownIt

from cicd_agent.actions.markdown import neutralise

HOSTILE = "@octo-org/admins <img src=https://evil.example/p.png> [x](https://evil.example)"
PIECES = [
    "```", "````", "~~~", "```x`y", "    ```", "`", "``", "\\`", "> ", "- ", "1. ", "  ",
    "| a | b |", "|---|---|", "|", "\n", "\n\n", "text", "<pre>", "# ", HOSTILE,
]  # fmt: skip
_CODE = re.compile(r"(?s)<code[^>]*>.*?</code>|<pre>.*?</pre>")


def live(markdown: str) -> str:
    """The rendered HTML of ``markdown`` with code spans and blocks taken out."""
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    return _CODE.sub("", html)


def shapes(count: int, seed: int = 20261124) -> list[str]:
    draw = random.Random(seed)
    return ["".join(draw.choices(PIECES, k=draw.randint(3, 14))) for _ in range(count)]


@pytest.mark.parametrize("text", shapes(400))
def test_nothing_outside_code_is_live(text: str) -> None:
    shown = live(neutralise(text))
    assert "<img" not in shown
    assert "<a " not in shown
    assert "@octo-org" not in shown
    assert "https://evil" not in shown


@pytest.mark.parametrize("text", shapes(400))
def test_what_follows_a_blank_line_after_it_is_never_code(text: str) -> None:
    """A block the model left open is closed: our own text after it renders as text."""
    assert live(neutralise(text) + "\n\nour-own-marker").endswith("<p>our-own-marker</p>\n")


def test_an_html_block_made_text_does_not_pair_the_backticks_anew() -> None:
    """On its own line ``<a title='`'>`` is an HTML block, so its backtick opens nothing; once
    escaped it is text, and that backtick pairs with the next: what was a code span (kept
    verbatim) became prose on GitHub, a live tag. Found by the shapes above on a wider seed."""
    text = "1. <a title='`'>\n`y<a title='`'>\n"
    shown = live(neutralise(text))
    assert "<a " not in shown
    assert neutralise(neutralise(text)) == neutralise(text)
