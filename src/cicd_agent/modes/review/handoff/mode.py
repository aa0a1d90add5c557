"""``review --publish-from``: the hand-off phase, step 2 of the fork-safe pattern.

Wiring only. ``collect`` reads the result file the pull request's own run wrote and believes
none of it until checked against the event and the pull request's diff from the API; the
analyse step runs the deterministic checks again on that diff, and the file's claims join
them; the model is not asked; decide and publish are review's own, so the result posts as any
review does.

Chosen once, by :meth:`cicd_agent.modes.review.mode.Review.run`, and imported only then: a
review that publishes its own result never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.modes.review import arguments
from cicd_agent.modes.review.options import ReviewOptions

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.review.result import ReviewResult
    from cicd_agent.modes.review.types import HandoffFacts, ReviewVerdict, Rules


class HandoffPhase:
    """The steps of the hand-off phase (a :class:`~cicd_agent.job.pipeline.Steps`)."""

    name = "review"
    fail_on_choices = arguments.FAIL_ON_CHOICES

    def collect(self, ctx: RunContext[ReviewOptions]) -> HandoffFacts:
        from cicd_agent.modes.review.handoff.collect import collect_handoff

        path = ctx.mode_options.publish_from
        assert path is not None  # the phase runs only with --publish-from
        return collect_handoff(ctx, path)

    def told(self, ctx: RunContext[ReviewOptions], facts: HandoffFacts) -> Rules:
        from cicd_agent.modes.review.rules import rules

        return rules(ctx, facts.review.plan, summary=facts.summary)

    def analyse(self, told: Rules, facts: HandoffFacts) -> ReviewVerdict:
        from cicd_agent.modes.review.analyse import audit
        from cicd_agent.modes.review.types import ReviewVerdict

        found, _ = audit(facts.review)
        return ReviewVerdict(facts.review, facts.with_claims(found))

    def ask(
        self, ctx: RunContext[ReviewOptions], facts: HandoffFacts, verdict: ReviewVerdict
    ) -> None:
        ctx.note("publish-from posts the review run's result; the model was not asked.")

    def decide(self, told: Rules, verdict: ReviewVerdict, opinion: None) -> ReviewResult:
        from cicd_agent.modes.review.decide import decide

        return decide(verdict, None, told)

    def publish(
        self,
        ctx: RunContext[ReviewOptions],
        facts: HandoffFacts,
        verdict: ReviewVerdict,
        result: ReviewResult,
    ) -> None:
        from cicd_agent.modes.review.publish import publish

        publish(ctx, result, facts.review.plan)


PHASE = HandoffPhase()
