"""What to do with a comment, and the words of the reply: pure functions, no I/O.

A comment is a command only when it starts with ``/cicd-agent`` followed by a word (quoted lines,
``> /cicd-agent …``, and mentions inside prose are not): maintainers quote each other and talk
about the bot, and none of that may start a run. It is the same test a workflow's ``if:`` can
make (``startsWith(github.event.comment.body, '/cicd-agent')``), so the job that starts and the
mode that runs agree on what is a command. Everything after the word is the argument (``ask``'s
question may span lines).

The order of the checks is the security story: an edited or deleted comment, a bot's comment
(our own replies included, so we never answer ourselves) and a comment on a plain issue do
nothing; then only a command, or a reply in the thread of one of our own inline comments, is
considered; then the writer must have write access or gets one polite line and nothing runs.

Write access is checked twice. Here, purely, ``author_association`` must be OWNER, MEMBER or
COLLABORATOR: nobody else can have it, so nobody else costs an API call. That is not enough
(GitHub gives MEMBER to every organisation member and COLLABORATOR to read-only
collaborators), so the mode then asks the API for the writer's permission
(:func:`cicd_agent.github.permissions.can_write`) before any reaction, read or model call, and
:func:`without_write_access` turns the plan into the polite line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cicd_agent.github.limits import COMMENT_BODY_MAX
from cicd_agent.modes.command.arguments import COMMANDS

PREFIX = "/cicd-agent"
MAX_QUESTION_CHARS = 2_000
"""Longest ``ask`` question taken: a question is a paragraph, not a pasted file."""
_COMMAND_LINE = re.compile(
    rf"{re.escape(PREFIX)}(?=\s|\Z)[ \t]*(?P<word>[A-Za-z][\w-]*)?(?P<rest>.*)\Z", re.S
)
MAY_WRITE = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
"""Associations of everyone who can push to the repository (and of many who cannot)."""

Action = Literal["ignore", "refuse", "reply", "run"]

REFUSAL = (
    "Sorry, cicd-agent commands can only be run by people with write access to this "
    "repository; nothing was run."
)


@dataclass(frozen=True)
class Command:
    """``word`` as written, lower-cased (it may be an unknown one), and its argument."""

    word: str
    argument: str = ""


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


@dataclass(frozen=True)
class Incoming:
    """The facts about one comment that decide what happens to it."""

    action: str | None
    on_pull_request: bool
    by_bot: bool
    association: str
    command: Command | None
    in_thread_reply: bool
    """A reply in a review thread (whether the thread is ours is checked later, by the API)."""
    body: str = ""


@dataclass(frozen=True)
class Plan:
    """``run`` the command, ``reply`` with ``text`` only, ``refuse`` politely, or ``ignore``."""

    action: Action
    command: str = ""
    argument: str = ""
    text: str = ""
    reason: str = ""
    thread_question: bool = False
    """A plain reply in a review thread, taken as a question only if the thread is ours."""


def plan(incoming: Incoming, enabled: frozenset[str]) -> Plan:
    """What to do with the comment; ``enabled`` is the commands this step honours."""
    if incoming.action != "created":
        return Plan("ignore", reason=f"the comment was {incoming.action or 'not created'}")
    if incoming.by_bot:
        return Plan("ignore", reason="the comment was written by a bot")
    if not incoming.on_pull_request:
        return Plan("ignore", reason="the comment is on an issue, not a pull request")
    command = incoming.command
    if command is None and not incoming.in_thread_reply:
        return Plan("ignore", reason="the comment holds no command")
    authorized = incoming.association in MAY_WRITE
    if command is None:
        if not authorized:  # a contributor answering our comment is not asking us anything
            return Plan("ignore", reason="a reply in a thread by someone without write access")
        command = Command("ask", incoming.body.strip())
        return _checked(command, enabled, thread_question=True)
    if not authorized:
        return Plan("refuse", command=command.word, text=REFUSAL, reason="no write access")
    if command.word not in COMMANDS or command.word == "help":
        unknown = "" if command.word == "help" else f"`{command.word[:40]}` is not a command. "
        return Plan("reply", command="help", text=unknown + help_text(), reason="help")
    return _checked(command, enabled, thread_question=False)


def without_write_access(planned: Plan) -> Plan:
    """The plan for a writer the API says cannot write: a thread reply is not a question to
    us, and a command gets the polite line."""
    if planned.thread_question:
        return Plan("ignore", reason="a reply in a thread by someone without write access")
    return Plan("refuse", command=planned.command, text=REFUSAL, reason="no write access")


def _checked(command: Command, enabled: frozenset[str], *, thread_question: bool) -> Plan:
    """Run ``command``, unless it is disabled here or its question is missing or too long."""
    if command.word not in enabled:
        if thread_question:
            return Plan("ignore", reason="ask is not enabled in this workflow")
        return Plan(
            "reply",
            command=command.word,
            text=f"`{command.word}` is not run by this workflow job. " + help_text(),
            reason="not enabled",
        )
    if command.word == "ask":
        if not command.argument:
            return Plan("reply", command="ask", text=f"Ask a question: `{PREFIX} ask <question>`.")
        if len(command.argument) > MAX_QUESTION_CHARS:
            return Plan(
                "reply",
                command="ask",
                text=(
                    f"That question is {len(command.argument):,} characters long; questions of "
                    f"at most {MAX_QUESTION_CHARS:,} characters are answered. Nothing was run."
                ),
                reason="question too long",
                thread_question=thread_question,
            )
    return Plan(
        "run", command=command.word, argument=command.argument, thread_question=thread_question
    )


def help_text() -> str:
    """Every command, one line each (one job of a workflow may run only some of them: the
    example gives each command the job with the permissions it needs)."""
    words = {
        "review": "review the pull request at its current head",
        "describe": "write a description of the change into the pull request",
        "ask": "answer a question about the pull request's diff (`ask <question>`)",
        "gen-tests": (
            "write tests for the change's uncovered lines (`gen-tests <sha>`: at that head)"
        ),
        "explain-failure": "explain the latest failed workflow run of the head commit",
    }
    lines = [f"- `{PREFIX} {c}`: {words[c]}" for c in COMMANDS if c in words]
    return "Commands (for people with write access):\n\n" + "\n".join(lines)
