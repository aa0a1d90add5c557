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
words pass through :func:`cicd_agent.runner.markdown.neutralise` and the question is bounded.

The reaction that acknowledges a command is the one write before ``publish``: a maintainer sees
at once that the command was taken, before a model call or a review that can take minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.modes import Wiring
from cicd_agent.modes.command import arguments
from cicd_agent.modes.command.options import CommandOptions

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Mode, Told
    from cicd_agent.job.result import ModeResult
    from cicd_agent.modes.command.result import CommandResult
    from cicd_agent.modes.command.types import CommandFacts, CommandOpinion, CommandVerdict
    from cicd_agent.runner.errors import ExitCode


class Command(Wiring):
    name = "command"
    fail_on_choices = arguments.FAIL_ON_CHOICES
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({"command_status": "failed"})

    # ------------------------------------------------------------------------------ collect

    def collect(self, ctx: RunContext[CommandOptions]) -> CommandFacts:
        from cicd_agent.modes.command.collect import collect

        return collect(ctx)

    def analyse(self, told: Told, facts: CommandFacts) -> CommandVerdict:
        """The deterministic answer to ``ask``: what the review's checks know (the floor)."""
        from cicd_agent.modes.command.analyse import analyse

        return analyse(facts)

    def ask(
        self, ctx: RunContext[CommandOptions], facts: CommandFacts, verdict: CommandVerdict
    ) -> CommandOpinion | None:
        from cicd_agent.modes.command.ask import ask

        return ask(ctx, facts)

    def decide(
        self, told: Told, verdict: CommandVerdict, opinion: CommandOpinion | None
    ) -> CommandResult:
        from cicd_agent.modes.command.decide import decide

        return decide(
            verdict, opinion, redact=told.redact, own_links=told.own_links, offline=told.offline
        )

    def publish(
        self,
        ctx: RunContext[CommandOptions],
        facts: CommandFacts,
        verdict: CommandVerdict,
        result: CommandResult,
    ) -> None:
        from cicd_agent.modes.command.publish import publish

        publish(ctx, facts, result)

    def run(self, ctx: RunContext[CommandOptions]) -> tuple[ModeResult, ExitCode]:
        from cicd_agent.job.pipeline import run_mode

        return run_mode(self, ctx)


MODE: Mode = Command()
