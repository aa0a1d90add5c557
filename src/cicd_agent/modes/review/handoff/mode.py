"""``review --publish-from``: the hand-off phase, step 2 of the fork-safe pattern.

:func:`run` is the phase, read top to bottom: ``collect`` reads the result file the pull
request's own run wrote and believes none of it until checked against the event and the pull
request's diff from the API; ``analyse_handoff`` runs the deterministic checks again on that
diff, and the file's claims join them; the model is not asked; decide and publish are review's own,
so the result posts as any review does.

Chosen once, by :func:`cicd_agent.modes.review.mode.run`, and imported only then: a review that
publishes its own result never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.api import analysing, ask_model, begin, finish
from cicd_agent.modes.review.decide import analyse_handoff, decide
from cicd_agent.modes.review.handoff.collect import collect_handoff
from cicd_agent.modes.review.options import ReviewOptions
from cicd_agent.modes.review.publish import publish
from cicd_agent.modes.review.result import ReviewResult
from cicd_agent.modes.review.types import rules

if TYPE_CHECKING:
    from cicd_agent.api import Finished, RunContext


def run(ctx: RunContext[ReviewOptions]) -> Finished[ReviewResult]:
    """Post the result file ``--publish-from`` names, once checked; the result with the exit
    code it earns."""
    begin(ctx)
    path = ctx.mode_options.publish_from
    assert path is not None  # the phase runs only with --publish-from
    facts = collect_handoff(ctx, path)
    analysing(ctx)
    run_rules = rules(ctx, facts.review.plan, summary=facts.summary)
    verdict = analyse_handoff(facts)
    ask_model(ctx, lambda: ctx.note(NOT_ASKED))
    result = decide(verdict, None, run_rules)
    return finish(ctx, result, lambda decided: publish(ctx, decided, facts.review.plan))


NOT_ASKED = "publish-from posts the review run's result; the model was not asked."
"""The note a run with a model configured gets: the hand-off posts what the review run found."""
