"""A commit message we make from the repository's text (a test's name, a failure's reason):
read by git and GitHub for trailers, its first line the commit's title. Checked with git's own
trailer parser."""

from __future__ import annotations

import re
import subprocess

import pytest

from cicd_agent.actions.markdown import commit_message

FORGED = "Signed-off-by: Eve <eve@example.com>\nCo-authored-by: Eve <eve@example.com>"


def _trailers(message: str) -> str:
    """What git reads as the message's trailers (``git interpret-trailers --parse``)."""
    return subprocess.run(
        ["git", "-c", "trailer.ifexists=addIfDifferent", "interpret-trailers", "--parse"],
        input=message, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize(("subject", "body"), [
    (f"Fix the order-dependent test t[x]\n\n{FORGED}", ""),  # a test's name in the title
    ("Fix the failure of run 7", f"It timed out.\n\n{FORGED}\nsee above"),  # a reason
    ("Fix the failure of run 7", f"It timed out.\r\n\r\n{FORGED.replace(chr(10), chr(13))}"),
    ("Fix the failure of run 7", f"x\u2028\u2028{FORGED.replace(chr(10), chr(0x2029))}"),
    ("Fix the failure of run 7", f"x\n\n{FORGED.replace(': ', ' : ')}"),
])  # fmt: skip
def test_attack_text_from_the_repository_forges_no_trailer_and_one_title_line(
    subject: str, body: str
) -> None:
    """A name or a reason holding ``Signed-off-by:`` or ``Co-authored-by:`` lines made them
    our commit's trailers (a sign-off nobody gave; a co-author GitHub shows), and a name with a
    line break ended the title where it chose. No line of theirs is a trailer line, the last
    paragraph is ours, and the title is one line."""
    message = commit_message(subject, body)
    assert _trailers(message) == "", message
    for line in message.splitlines():
        assert not re.match(r"(?i)\s*(signed-off-by|co-authored-by)\s*:", line), line
    title = message.split("\n", 1)[0]
    assert title.startswith(subject.split("\n", 1)[0]), title
    assert ("Signed" in title) == (FORGED in subject), title  # the name whole, on the title
    assert message.endswith("\n\nMade by cicd-agent.")


def test_a_title_past_its_length_is_cut_and_the_text_is_otherwise_itself() -> None:
    message = commit_message("Fix the order-dependent test " + "t" * 500, "It timed out: x<y.")
    title, _, rest = message.partition("\n\n")
    assert len(title) <= 120 and title.endswith("…")
    assert "It timed out" in rest and "x<y." in rest  # no Markdown escape: a message is text
