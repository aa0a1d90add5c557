"""Bidirectional controls in text we post: GitHub renders code verbatim, and an override in a
quoted log line turns the rest of that line around as a reader sees it. The neutraliser shows
each one as its code point, in code and prose alike, for every text a poster takes."""

from __future__ import annotations

import pytest

from cicd_agent.actions.markdown import code_block, code_span, neutralise, posted, unreferenced
from cicd_agent.actions.notify import slack_text
from cicd_agent.actions.rendered import shown_text

CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE = "assert user == \u202eadmin\u202c # \u2067reviewed\u2069"


@pytest.mark.parametrize(
    "text",
    [code_block(LINE), code_span(LINE), f"A log line: {LINE}", f"- item\n\n      {LINE}\n"],
    ids=["block", "span", "prose", "indented"],
)
def test_a_bidi_control_is_shown_as_its_code_point_wherever_it_stands(text: str) -> None:
    for shown in (posted(text), neutralise(text)):
        seen = shown_text(shown)  # as GitHub shows it
        assert not set(CONTROLS) & set(shown), shown
        assert "<U+202E>admin<U+202C> # <U+2067>reviewed<U+2069>" in seen, (shown, seen)


def test_every_bidi_control_is_escaped_and_nothing_else_is() -> None:
    shown = posted(code_block(f"x{CONTROLS}y\u200d\u05d0\u0627"))
    escaped = "".join(f"<U+{ord(c):04X}>" for c in CONTROLS)
    assert f"x{escaped}y\u200d\u05d0\u0627" in shown  # a joiner, Hebrew and Arabic kept


def test_a_commit_message_and_a_chat_message_show_the_control_too() -> None:
    """Neither is Markdown, but GitHub shows a commit message and Slack a message as they are."""
    assert unreferenced(LINE) == "assert user == <U+202E>admin<U+202C> # <U+2067>reviewed<U+2069>"
    assert str(slack_text(LINE)) == (
        "assert user == &lt;U+202E&gt;admin&lt;U+202C&gt; # &lt;U+2067&gt;reviewed&lt;U+2069&gt;"
    )
