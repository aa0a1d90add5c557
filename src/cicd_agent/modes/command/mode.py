"""``cicd-agent command``: answer ``/cicd-agent …`` in a pull request's comments.

Runs on ``issue_comment`` (a comment in a pull request's conversation) and
``pull_request_review_comment`` (a comment on a line, or a reply in a review thread). Why a mode
of its own and not a branch inside review: a comment event has its own trust story (who wrote
it, whether it is a command at all, whether a thread is ours) and its own permissions, and a
workflow for it grants each command's job exactly what that command needs.

``review``, ``gen-tests`` and ``explain-failure`` run those modes on the pull request at one
pinned head commit (``dispatch``); ``ask`` answers from the review's own facts with one model
call, or, offline, says what the deterministic review knows; ``describe`` writes the change's
description. Everything in the comment and the pull request is attacker input: the model's
words pass through :func:`cicd_agent.markdown.neutralise` and the question is bounded.

The reaction that acknowledges a command is the one write before ``publish``: a maintainer sees
at once that the command was taken, before a model call or a review that can take minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.modes.command import arguments
from cicd_agent.modes.command.decide import Incoming, Plan, plan, without_write_access
from cicd_agent.modes.command.options import CommandOptions
from cicd_agent.modes.command.parse import parse_command

if TYPE_CHECKING:
    from cicd_agent.analysis.findings import Finding
    from cicd_agent.context import RunContext
    from cicd_agent.errors import ExitCode
    from cicd_agent.events import Comment, Event
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.github.threads import CommentKind, ThreadStart
    from cicd_agent.modes.command.prompt import AskAnswer
    from cicd_agent.modes.command.result import CommandResult
    from cicd_agent.modes.review.collect import ReviewFacts
    from cicd_agent.result import ModeResult

COMMENT_EVENTS = ("issue_comment", "pull_request_review_comment")
RUNS_A_MODE = {"review": "review", "gen-tests": "gen-tests", "explain-failure": "analyse-failure"}


@dataclass
class CommandFacts:
    """The comment, what to do with it, and what was read to do it."""

    plan: Plan
    kind: CommentKind
    number: int | None
    comment: Comment
    thread: ThreadStart | None = None
    pull: PullRequestInfo | None = None
    reacted: bool = False
    review: ReviewFacts | None = None
    findings: list[Finding] = field(default_factory=list)
    floor_answer: str = ""
    """``ask`` without a model: what the deterministic review knows."""


class Command:
    name = "command"
    help = "Answer /cicd-agent commands in pull request comments (members only)."
    fail_on_choices = arguments.FAIL_ON_CHOICES
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({"command_status": "failed"})

    # ------------------------------------------------------------------------------ collect

    def collect(self, ctx: RunContext) -> CommandFacts:
        from cicd_agent.events import require

        require(ctx.event, COMMENT_EVENTS, self.name, hint=_EVENT_HINT)
        event = ctx.event
        assert event.comment is not None
        kind: CommentKind = "review" if event.name == "pull_request_review_comment" else "issue"
        number = event.pull_request.number if event.pull_request else None
        if number is None and event.issue is not None:
            number = event.issue.number
        enabled = ctx.mode_options(CommandOptions).commands
        facts = CommandFacts(plan(_incoming(event, kind), enabled), kind, number, event.comment)
        client = ctx.github if facts.plan.action != "ignore" and number is not None else None
        if client is None or number is None:
            if facts.plan.action == "run" and number is not None:
                # Without a token there is no head to pin, no mode to run, nowhere to reply.
                from cicd_agent.errors import UsageError

                raise UsageError(
                    f"`/cicd-agent {facts.plan.command}` needs a GitHub token to read pull "
                    f"request #{number} and answer; nothing was run.",
                    hint="Pass the github-token input (or set GITHUB_TOKEN) on this step.",
                )
            return facts
        if facts.plan.action in ("reply", "run") and not _writer_can_write(client, event.comment):
            facts.plan = without_write_access(facts.plan)
            if facts.plan.action == "ignore":
                return facts
        thread = event.comment.in_reply_to_id if kind == "review" else None
        if thread is not None and facts.plan.action != "refuse":
            from cicd_agent.github.threads import thread_start

            start = thread_start(client, number, thread)
            facts.thread = start if _our_finding(start) else None
            if facts.thread is None and facts.plan.thread_question:
                facts.plan = Plan("ignore", reason="a reply in a thread that is not ours")
                return facts
        if facts.plan.action in ("reply", "run"):
            from cicd_agent.github.reactions import react

            reaction = react(client, kind, facts.comment.id, "eyes")
            facts.reacted = reaction.done
            if reaction.status == "skipped":
                ctx.note(f"Skipped {reaction.what}: {reaction.reason}")
        if facts.plan.action != "run":
            return facts
        from cicd_agent.github.pulls import get_pull_request

        facts.pull = get_pull_request(client, number)
        if facts.pull.state != "open":
            facts.plan = Plan(
                "reply",
                command=facts.plan.command,
                text=f"#{number} is {'merged' if facts.pull.merged else 'closed'}; nothing was run.",
                reason="the pull request is not open",
            )
            return facts
        if facts.plan.command == "ask":
            from cicd_agent.modes.command.ask import review_facts

            review_facts(ctx, facts)
        return facts

    def analyse(self, ctx: RunContext, facts: CommandFacts) -> CommandFacts:
        """The deterministic answer to ``ask``: what the review's checks know (the floor)."""
        from cicd_agent.modes.command.ask import floor_answer

        if facts.review is not None:
            facts.floor_answer = floor_answer(facts)
        return facts

    def ask(self, ctx: RunContext, facts: CommandFacts, verdict: CommandFacts) -> AskAnswer | None:
        from cicd_agent.modes.command.ask import ask_model

        return ask_model(ctx, facts)

    def decide(
        self, ctx: RunContext, verdict: CommandFacts, opinion: AskAnswer | None
    ) -> CommandResult:
        from cicd_agent.modes.command.result import CommandResult

        facts = verdict
        chosen = facts.plan
        result = CommandResult(
            mode=self.name,
            headline="",
            command=chosen.command,
            reason=chosen.reason,
            pull_request=facts.number,
            head_sha=facts.pull.head_sha if facts.pull else "",
            reacted=facts.reacted,
            thread=_thread_id(facts),
        )
        if chosen.action == "ignore":
            result.status = "ignored"
            result.headline = f"Nothing to do: {chosen.reason}."
        elif chosen.action == "refuse":
            result.status, result.reply = "refused", chosen.text
            result.headline = f"Refused `{chosen.command}`: its writer has no write access."
        elif chosen.action == "reply":
            result.status, result.reply = "answered", chosen.text
            result.headline = f"Answered `{chosen.command}` without running anything."
        elif chosen.command == "ask":
            result.status = "answered"
            from cicd_agent.modes.command.ask import reply_text

            result.reply = reply_text(ctx, facts, opinion)
            result.headline = (
                f"Answered a question about #{facts.number} at {result.head_sha[:12]}."
            )
        else:
            result.status = "ran"
            result.headline = (
                f"Running `{chosen.command}` on #{facts.number} at {result.head_sha[:12]}."
            )
        result._facts = facts
        return result

    def publish(
        self, ctx: RunContext, facts: CommandFacts, verdict: CommandFacts, result: CommandResult
    ) -> None:
        from cicd_agent.modes.command.publish import publish

        publish(ctx, result)

    def run(self, ctx: RunContext) -> tuple[ModeResult, ExitCode]:
        from cicd_agent.pipeline import run_mode

        ctx.mode_options(CommandOptions)
        return run_mode(self, ctx)

    def failure_outputs(self, ctx: RunContext) -> dict[str, str]:
        return {}


_EVENT_HINT = (
    "Run it from a workflow triggered by issue_comment or pull_request_review_comment "
    "(examples/workflows/pr-commands.yml)."
)


def _incoming(event: Event, kind: CommentKind) -> Incoming:
    """What decides the plan, read from the comment event."""
    comment = event.comment
    assert comment is not None
    return Incoming(
        action=event.action,
        on_pull_request=kind == "review" or bool(event.issue and event.issue.is_pull_request),
        by_bot=comment.user is not None and comment.user.type == "Bot",
        association=comment.author_association,
        command=parse_command(comment.body),
        in_thread_reply=kind == "review" and comment.in_reply_to_id is not None,
        body=comment.body or "",
    )


def _writer_can_write(client: GitHubClient, comment: Comment) -> bool:
    """Whether the API gives the comment's writer admin, maintain or write permission."""
    from cicd_agent.github.permissions import can_write

    login = comment.user.login if comment.user is not None else ""
    return bool(login) and can_write(client, login)


def _our_finding(thread: ThreadStart) -> bool:
    """A thread we started with a finding: we wrote it (never the marker alone: anyone can
    paste one) and it reads as one of our findings (the GitHub Actions bot writes for every
    workflow of the repository, not only ours)."""
    import re

    heading = re.match(r"\*\*(critical|high|medium|low)\*\*", thread.body)
    return thread.ours and ("<!-- cicd-agent" in thread.body or heading is not None)


def _thread_id(facts: CommandFacts) -> int | None:
    """The review thread a reply goes to: the thread's first comment (GitHub refuses a reply
    to a reply), else the line comment itself; None in the conversation."""
    if facts.kind != "review":
        return None
    return facts.comment.in_reply_to_id or facts.comment.id


MODE = Command()
