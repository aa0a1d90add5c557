"""Reading a command out of a comment: pure, and strict about what counts as one.

A comment is a command only when it starts with ``/cicd-agent`` followed by a word (quoted lines,
``> /cicd-agent …``, and mentions inside prose are not): maintainers quote each other and talk
about the bot, and none of that may start a run. It is the same test a workflow's ``if:`` can
make (``startsWith(github.event.comment.body, '/cicd-agent')``), so the job that starts and the
mode that runs agree on what is a command. Everything after the word is the argument (``ask``'s
question may span lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cicd_agent.github.limits import COMMENT_BODY_MAX
from cicd_agent.modes.command.arguments import COMMANDS

PREFIX = "/cicd-agent"
MAX_QUESTION_CHARS = 2_000
"""Longest ``ask`` question taken: a question is a paragraph, not a pasted file."""

_COMMAND_LINE = re.compile(
    rf"{re.escape(PREFIX)}(?=\s|\Z)[ \t]*(?P<word>[A-Za-z][\w-]*)?(?P<rest>.*)\Z", re.S
)


@dataclass(frozen=True)
class Command:
    """``word`` as written, lower-cased (it may be an unknown one), and its argument."""

    word: str
    argument: str = ""

    @property
    def known(self) -> bool:
        return self.word in COMMANDS


def parse_command(body: str | None) -> Command | None:
    """The command a comment holds, or None when it holds none."""
    if not body:
        return None
    text = body[:COMMENT_BODY_MAX].replace("\r\n", "\n")  # longer did not come from GitHub
    if not text.startswith(PREFIX):
        return None
    match = _COMMAND_LINE.match(text)
    if match is None:  # "/cicd-agentX": another word, not our prefix
        return None
    word = (match.group("word") or "help").lower()
    rest = match.group("rest").lstrip(",.:;!")  # "/cicd-agent review, please" is "review"
    return Command(word=word, argument=rest.strip())
