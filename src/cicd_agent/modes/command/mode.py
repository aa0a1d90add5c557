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
words pass through :func:`cicd_agent.actions.markdown.neutralise` and the question is bounded.

The reaction that acknowledges a command is the one write before ``publish``: a maintainer sees
at once that the command was taken, before a model call or a review that can take minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import announce_analyse, ask_model, begin, finish
from cicd_agent.modes.command.analyse import analyse
from cicd_agent.modes.command.ask import ask
from cicd_agent.modes.command.collect import collect
from cicd_agent.modes.command.decide import decide
from cicd_agent.modes.command.options import CommandOptions
from cicd_agent.modes.command.publish import publish
from cicd_agent.modes.command.result import CommandResult

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Finished, Mode


def run(ctx: RunContext[CommandOptions]) -> Finished[CommandResult]:
    """Answer the command in ``ctx``'s comment; the result with the exit code it earns."""
    begin(ctx)
    facts = collect(ctx)
    announce_analyse(ctx)
    verdict = analyse(facts)  # the deterministic answer to ``ask``: what review's checks know
    opinion = ask_model(ctx, lambda model: ask(model, facts, ctx.redactor.redact, ctx.note))
    result = decide(
        verdict,
        opinion,
        redact=ctx.redactor.redact,
        own_links=ctx.own_links,
        offline=ctx.model is None,
    )
    return finish(ctx, result, lambda decided: publish(ctx, facts, decided))


class Command:
    """The command mode as the registry sees it (a :class:`~cicd_agent.job.pipeline.Mode`)."""

    name = "command"
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({"command_status": "failed"})

    def run(self, ctx: RunContext[CommandOptions]) -> Finished[CommandResult]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[CommandOptions]) -> dict[str, str]:
        return {}


MODE: Mode = Command()
