"""``cicd-agent review``: a pull-request review that lands on the right lines and gates merges.

:func:`run` is the whole review, read top to bottom; each step's module says what it does.
Three steps start processes on the change: collect reads it with git, the checkers
(:func:`.checkers.lint`) run the linters and zizmor's workflow audit, and the risk
(:func:`.risk.assess`) reads the commits' history, its security floor taking that same zizmor
run. analyse takes only what lint returns, so it cannot run before them. analyse and decide
are pure (:mod:`.decide`): handed values and the run's :class:`~.types.Rules`, never the run.
The model's answer is advice that decide merges under guardrails, and a suggestion is posted only
once the sandbox has judged it (:mod:`.suggestions`).
The risk level starts as the core's change risk (:mod:`cicd_agent.risk.service`), the one
deploy-gate gives the same commits; decide raises it to high when the change does not build.
What review offers other modes (the change read, its description) is in :mod:`.describe`,
which review's plugin names.

``--publish-from`` runs the fork hand-off instead (:func:`publish_handoff`), chosen once at the
top of :func:`run`.

This module is imported only when review runs (the registry loads it then; ``--help`` reads
``arguments`` alone), so it imports its steps at the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import announce_analyse, ask_model, begin, finish
from cicd_agent.modes.review.ask import ask
from cicd_agent.modes.review.checkers import lint
from cicd_agent.modes.review.collect import collect
from cicd_agent.modes.review.decide import (
    analyse,
    analyse_handoff,
    decide,
    proposed,
    with_model_findings,
)
from cicd_agent.modes.review.publish import publish
from cicd_agent.modes.review.risk import assess
from cicd_agent.modes.review.suggestions import check
from cicd_agent.modes.review.types import rules as rules_of

if TYPE_CHECKING:
    from pathlib import Path

    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Finished, Mode
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.modes.review.result import ReviewResult


def run(ctx: RunContext[ReviewOptions]) -> Finished[ReviewResult]:
    """Review the change at ``ctx``'s head and return the result with the exit code it earns."""
    if ctx.mode_options.publish_from is not None:
        return publish_handoff(ctx, ctx.mode_options.publish_from)
    begin(ctx)
    linted = assess(ctx, lint(ctx, collect(ctx)))
    facts = linted.facts
    rules = rules_of(ctx, facts.plan)
    announce_analyse(ctx)
    verdict = analyse(linted, describe=rules.describe)
    opinion = ask_model(ctx, lambda model: ask(model, facts, verdict, rules, ctx.note))
    merged = with_model_findings(verdict, opinion, rules)
    checks = check(ctx, verdict, proposed(merged, rules))
    result = decide(verdict, opinion, rules, merged, checks)
    return finish(ctx, result, lambda decided: publish(ctx, decided, facts.plan))


def publish_handoff(ctx: RunContext[ReviewOptions], path: Path) -> Finished[ReviewResult]:
    """``--publish-from``: the hand-off phase, step 2 of the fork-safe pattern. Its collect
    reads the result file ``path`` the pull request's own run wrote and believes none of it
    until checked against the event and the pull request's diff from the API;
    ``analyse_handoff`` runs the deterministic checks again on that diff, and the file's claims
    join them; the model is not asked and no suggestion is checked (none keeps its block);
    decide and publish are review's own, so the result posts as any review does."""
    # Imported only here: a review that publishes its own result never loads the hand-off.
    from cicd_agent.modes.review.handoff.collect import collect_handoff

    begin(ctx)
    facts, rules = collect_handoff(ctx, path)
    announce_analyse(ctx)
    verdict = analyse_handoff(facts)
    if ctx.model is not None:
        ctx.note(NOT_ASKED)
    result = decide(verdict, None, rules, with_model_findings(verdict, None, rules))
    return finish(ctx, result, lambda decided: publish(ctx, decided, facts.review.plan))


NOT_ASKED = "publish-from posts the review run's result; the model was not asked."
"""The note a run with a model configured gets: the hand-off posts what the review run found."""


class Review:
    """The ``review`` mode as the registry sees it (a :class:`~cicd_agent.job.pipeline.Mode`)."""

    name = "review"
    # No safe guess exists for a review that could not run: outputs stay empty, so a later
    # job testing ``decision == 'approve'`` can never pass by accident.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({})

    def run(self, ctx: RunContext[ReviewOptions]) -> Finished[ReviewResult]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[ReviewOptions]) -> dict[str, str]:
        return {}


MODE: Mode = Review()
