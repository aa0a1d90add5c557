"""Collect: the comment, what to do with it, and what doing it needs read from GitHub.

The plan comes from :mod:`decide` (pure); this step checks the writer's permission with the
API, reads the review thread a reply is in and the pinned pull request, and, for ``ask``,
review's facts of the change at that head (:func:`review_facts`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.markdown import Reference
from cicd_agent.analysis.finding_text import reads_as_finding
from cicd_agent.job.events import require
from cicd_agent.modes.command.dispatch import review_change
from cicd_agent.modes.command.options import CommandOptions
from cicd_agent.modes.command.plan import (
    Incoming,
    Plan,
    parse_command,
    plan,
    without_write_access,
)
from cicd_agent.modes.command.types import CommandFacts

if TYPE_CHECKING:
    from cicd_agent.github.threads import CommentKind
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.events import Event

COMMENT_EVENTS = ("issue_comment", "pull_request_review_comment")


def collect(ctx: RunContext[CommandOptions]) -> CommandFacts:
    """The comment, its plan, and what the plan needs read: the writer's permission, the
    thread it replies to, the pinned pull request, review's facts for ``ask``. The reaction
    that acknowledges a command is the one write here: a maintainer sees at once that the
    command was taken, before a model call or a review that can take minutes."""
    require(ctx.event, COMMENT_EVENTS, "command", hint=_EVENT_HINT)
    event = ctx.event
    assert event.comment is not None
    kind: CommentKind = "review" if event.name == "pull_request_review_comment" else "issue"
    number = event.pull_request.number if event.pull_request else None
    if number is None and event.issue is not None:
        number = event.issue.number
    enabled = ctx.mode_options.commands
    facts = CommandFacts(
        plan(_incoming(event, kind), enabled),
        kind,
        number,
        event.comment,
        # a line comment's own commit is the code its writer read; the event's head may be
        # a later push
        written_head=event.comment.written_on
        or (event.pull_request.head.sha if event.pull_request else None),
    )
    client = ctx.github if facts.plan.action != "ignore" and number is not None else None
    if client is None or number is None:
        if facts.plan.action == "run" and number is not None:
            # Without a token there is no head to pin, no mode to run, nowhere to reply.
            raise UsageError(
                f"`/cicd-agent {facts.plan.command}` needs a GitHub token to read pull "
                f"request #{number} and answer; nothing was run.",
                hint="Pass the github-token input (or set GITHUB_TOKEN) on this step.",
            )
        return facts
    # the API must give the writer admin, maintain or write permission
    login = event.comment.user.login if event.comment.user is not None else ""
    if facts.plan.action in ("reply", "run") and not (login and client.can_write(login)):
        facts = replace(facts, plan=without_write_access(facts.plan))
        if facts.plan.action == "ignore":
            return facts
    thread = event.comment.in_reply_to_id if kind == "review" else None
    if thread is not None and facts.plan.action != "refuse":
        # A thread we started with a finding: we wrote it (never the marker alone: anyone can
        # paste one) and it reads as one of our findings (the GitHub Actions bot writes for
        # every workflow of the repository, not only ours).
        start = client.thread_start(number, thread)
        ours = start.ours and reads_as_finding(start.body)
        facts = replace(facts, thread=start if ours else None)
        if facts.thread is None and facts.plan.thread_question:
            return replace(
                facts, plan=Plan("ignore", reason="a reply in a thread that is not ours")
            )
    if facts.plan.action in ("reply", "run"):
        reaction = client.react(kind, facts.comment.id, "eyes")
        facts = replace(facts, reacted=reaction.done)
        if reaction.status == "skipped":
            ctx.note(f"Skipped {reaction.what}: {reaction.reason}")
    if facts.plan.action != "run":
        return facts
    pull = client.get_pull_request(number)
    facts = replace(facts, pull=pull)
    if pull.state != "open":
        return replace(
            facts,
            plan=Plan(
                "reply",
                command=facts.plan.command,
                text=(
                    f"{Reference(number)} is {'merged' if pull.merged else 'closed'}; "
                    "nothing was run."
                ),
                reason="the pull request is not open",
            ),
        )
    if facts.plan.command == "ask":
        # The change and the deterministic findings at the pinned head, as review sees them
        # (its settings from the base commit). Nothing of earlier reviews is read: an answer
        # is about the diff, not about what was posted before.
        run, review = review_change(ctx, pull)
        return replace(
            facts, review=review, findings=review.findings, review_offline=run.model is None
        )
    if facts.plan.command == "gen-tests":
        try:
            checkout_head: str | None = ctx.checkout.resolve("HEAD")
        except UsageError:
            checkout_head = None
        return replace(facts, checkout_head=checkout_head)
    return facts


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
