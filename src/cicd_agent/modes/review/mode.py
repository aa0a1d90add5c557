"""``cicd-agent review``: a pull-request review that lands on the right lines and gates merges.

Wiring only. ``collect`` reads the diff, the risk and what earlier runs left; ``floor`` is the
analyse step (the deterministic findings, the floor); ``ask`` asks the model (``prompt``: what
it is shown and its answers' schemas); ``decide`` merges the answer with the floor under
guardrails (pure, told the run's ``rules`` and the verifier's word on each suggestion, which
the wiring asks :mod:`.suggestions` for through the ``check`` the run hands in with the
rules); ``publish`` writes the SARIF file, the hand-off file or the review, check run and
summary comment; ``result`` renders everything from the one result. The risk level is
deploy-gate's analysis of the same commits, so ``risk_level`` means the same in every mode.

``--publish-from`` runs another phase, the fork hand-off (:mod:`.handoff.mode`), chosen once
in :meth:`Review.run`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.modes.review import arguments
from cicd_agent.modes.review.options import ReviewOptions

if TYPE_CHECKING:
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Mode
    from cicd_agent.job.result import ModeResult
    from cicd_agent.modes.review.describe import DescribeOutcome
    from cicd_agent.modes.review.result import ReviewResult
    from cicd_agent.modes.review.types import ReviewFacts, ReviewOpinion, ReviewVerdict, Rules
    from cicd_agent.runner.errors import ExitCode


class Review:
    """The ``review`` mode, and the steps of a review (a :class:`~cicd_agent.job.pipeline.Steps`)."""

    name = "review"
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # No safe guess exists for a review that could not run: outputs stay empty, so a later
    # job testing ``decision == 'approve'`` can never pass by accident.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({})

    def collect(self, ctx: RunContext[ReviewOptions]) -> ReviewFacts:
        from cicd_agent.modes.review.collect import collect

        return collect(ctx)

    def told(self, ctx: RunContext[ReviewOptions], facts: ReviewFacts) -> Rules:
        from cicd_agent.modes.review.rules import rules
        from cicd_agent.modes.review.suggestions import check_suggestions

        return rules(ctx, facts.plan, check=lambda seen, found: check_suggestions(ctx, seen, found))

    def analyse(self, told: Rules, facts: ReviewFacts) -> ReviewVerdict:
        from cicd_agent.modes.review.analyse import analyse

        return analyse(facts, describe=told.describe)

    def ask(
        self, ctx: RunContext[ReviewOptions], facts: ReviewFacts, verdict: ReviewVerdict
    ) -> ReviewOpinion:
        from cicd_agent.modes.review.ask import ask

        return ask(ctx, facts, verdict)

    def decide(
        self, told: Rules, verdict: ReviewVerdict, opinion: ReviewOpinion | None
    ) -> ReviewResult:
        from cicd_agent.modes.review.decide import decide, proposed

        # The suggestion check is effectful (the verifier's sandbox): the run handed it in with
        # the rules; decide itself stays pure, told each suggestion's verdict.
        checks = told.check(verdict.facts, proposed(verdict, opinion, told)) if told.check else None
        result = decide(verdict, opinion, told, checks)
        result.tools = [*verdict.tools, *result.tools]  # zizmor's, when analyse started it
        return result

    def publish(
        self,
        ctx: RunContext[ReviewOptions],
        facts: ReviewFacts,
        verdict: ReviewVerdict,
        result: ReviewResult,
    ) -> None:
        from cicd_agent.modes.review.publish import publish

        publish(ctx, result, facts.plan)

    # The public entry the command mode reaches through the registry, with ``told``/``analyse``.

    def read_change(self, ctx: RunContext[ReviewOptions]) -> ReviewFacts:
        """The change at ``ctx``'s head, without what earlier reviews left (a question is
        about the diff, not about what was posted before)."""
        from cicd_agent.modes.review.collect import collect

        return collect(ctx, history=False)

    def describe(
        self,
        ctx: RunContext[object],
        pull: PullRequestInfo,
        facts: ReviewFacts,
        run: RunContext[object],
    ) -> DescribeOutcome:
        """Review's describe step for ``pull``, asked in review's ``run``, written by ``ctx``."""
        from cicd_agent.modes.review.describe import describe_pull_request

        return describe_pull_request(ctx, pull, facts, review_run=run)

    def run(self, ctx: RunContext[ReviewOptions]) -> tuple[ModeResult, ExitCode]:
        from cicd_agent.job.pipeline import run_mode

        options = ctx.mode_options  # every option typed and checked before any I/O
        if options.publish_from is not None:
            from cicd_agent.modes.review.handoff.mode import PHASE

            return run_mode(PHASE, ctx)
        return run_mode(self, ctx)

    def failure_outputs(self, ctx: RunContext[ReviewOptions]) -> dict[str, str]:
        return {}


MODE: Mode = Review()
