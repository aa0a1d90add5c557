"""``cicd-agent review``: a pull-request review that lands on the right lines and gates merges.

:func:`run` is the whole review, read top to bottom: ``collect`` reads the diff, the risk and
what earlier runs left; ``rules`` is what the run hands the pure steps (options, redaction,
links, and the verifier's ``check`` of each suggestion); ``analyse`` makes the deterministic
findings, the deterministic verdict; the model is asked (``ask``; ``prompt`` holds what it is
shown and its answers' schemas); ``decide`` merges its answer with the deterministic verdict
under guardrails (pure, handed each suggestion's verdict); ``publish`` writes the SARIF file,
the hand-off file or the review, check run and summary comment; ``result`` renders everything
from the one result. The risk level is deploy-gate's analysis of the same commits, so
``risk_level`` means the same in every mode.

``--publish-from`` runs another phase, the fork hand-off (:mod:`.handoff.mode`), chosen once at
the top of :func:`run`.

This module is imported only when review runs (the registry loads it then; ``--help`` reads
``arguments`` alone), so it imports its steps at the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.api import ChangeReading, analysing, ask_model, begin, finish
from cicd_agent.modes.review import arguments
from cicd_agent.modes.review.analyse import analyse
from cicd_agent.modes.review.ask import ask
from cicd_agent.modes.review.collect import collect
from cicd_agent.modes.review.decide import decide, proposed
from cicd_agent.modes.review.describe import describe_pull_request
from cicd_agent.modes.review.options import ReviewOptions
from cicd_agent.modes.review.publish import publish
from cicd_agent.modes.review.result import ReviewResult
from cicd_agent.modes.review.rules import rules
from cicd_agent.modes.review.suggestions import check_suggestions
from cicd_agent.modes.review.types import ReviewFacts, Rules

if TYPE_CHECKING:
    from cicd_agent.api import (
        DescribeOutcome,
        ExitCode,
        Mode,
        ModeResult,
        PullRequestInfo,
        RunContext,
    )


def run(ctx: RunContext[ReviewOptions]) -> tuple[ReviewResult, ExitCode]:
    """Review the change at ``ctx``'s head and return the result with the exit code it earns."""
    if ctx.mode_options.publish_from is not None:
        # Imported only here: a review that publishes its own result never loads the hand-off.
        from cicd_agent.modes.review.handoff import mode as handoff

        return handoff.run(ctx)
    begin(ctx, MODE.name, MODE.fail_on_choices)
    facts = collect(ctx)
    analysing(ctx)
    run_rules = rules_of(ctx, facts)
    verdict = analyse(facts, describe=run_rules.describe)
    opinion = ask_model(ctx, lambda: ask(ctx, facts, verdict))
    # The suggestion check is effectful (the verifier's sandbox): the run handed it in with the
    # rules; decide itself stays pure, handed each suggestion's verdict.
    checks = None
    if run_rules.check:
        checks = run_rules.check(verdict.facts, proposed(verdict, opinion, run_rules))
    result = decide(verdict, opinion, run_rules, checks)
    result.tools = [*verdict.tools, *result.tools]  # zizmor's, when analyse started it
    return finish(ctx, result, lambda decided: publish(ctx, decided, facts.plan))


def rules_of(ctx: RunContext[ReviewOptions], facts: ReviewFacts) -> Rules:
    """What review's pure steps are handed from the run ``ctx``: its rules, with the check of each
    suggestion the verifier runs in the sandbox."""
    return rules(ctx, facts.plan, check=lambda seen, found: check_suggestions(ctx, seen, found))


class Review:
    """The ``review`` mode as the registry sees it (a :class:`~cicd_agent.api.Mode`), and its
    reading of a change, offered to other modes (a :class:`~cicd_agent.api.ReadsChanges`)."""

    name = "review"
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # No safe guess exists for a review that could not run: outputs stay empty, so a later
    # job testing ``decision == 'approve'`` can never pass by accident.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({})

    def run(self, ctx: RunContext[ReviewOptions]) -> tuple[ModeResult, ExitCode]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[ReviewOptions]) -> dict[str, str]:
        return {}

    def read_change(self, run: RunContext[ReviewOptions]) -> ChangeReading:
        """The change at ``run``'s head and the deterministic findings on it, without what
        earlier reviews left (a question is about the diff, not about what was posted
        before)."""
        facts = collect(run, history=False)
        verdict = analyse(facts, describe=rules_of(run, facts).describe)
        return ChangeReading(
            diff=facts.diff,
            shown_diff=facts.review_diff,
            title=facts.title,
            body=facts.body,
            risk_level=facts.risk_level,
            risk_reasons=tuple(facts.risk_reasons),
            findings=tuple(verdict.findings),
        )

    def describe_change(
        self, ctx: RunContext[object], pull: PullRequestInfo, run: RunContext[ReviewOptions]
    ) -> DescribeOutcome:
        """Review's describe step for ``pull``, asked in review's ``run``, written by ``ctx``."""
        facts = collect(run, history=False)
        return describe_pull_request(ctx, pull, facts, review_run=run)


MODE: Mode = Review()
