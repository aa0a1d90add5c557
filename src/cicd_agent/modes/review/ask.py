"""The ask step: the model's what and why of the change when describing (``describe``), then
its review of the diff, packed into at most ``max-model-calls`` calls with :mod:`.prompt`'s
text, as one :class:`~cicd_agent.modes.review.types.ReviewOpinion`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.api import ModelError, model_failure_note
from cicd_agent.modes.review.answer import ReviewAnswer
from cicd_agent.modes.review.describe import ask_about
from cicd_agent.modes.review.prompt import prepare_calls
from cicd_agent.modes.review.types import ModelReview, ReviewFacts, ReviewOpinion, ReviewVerdict

if TYPE_CHECKING:
    from cicd_agent.api import Finding, RunContext
    from cicd_agent.modes.review.options import ReviewOptions


def ask(
    ctx: RunContext[ReviewOptions], facts: ReviewFacts, verdict: ReviewVerdict
) -> ReviewOpinion:
    """Both model calls of a review. A review call that fails leaves the description
    standing, as the deterministic result does."""
    description = None
    if verdict.change is not None:
        description = ask_about(ctx, facts, verdict.change)
    try:
        review = _review(ctx, facts, verdict.findings)
    except ModelError as exc:
        ctx.note(model_failure_note(exc))
        review = None
    return ReviewOpinion(review, description)


def _review(
    ctx: RunContext[ReviewOptions], facts: ReviewFacts, findings: list[Finding]
) -> ModelReview | None:
    """Pack the diff into the calls allowed and ask each; None when there is nothing to ask."""
    model = ctx.model
    assert model is not None
    prompt, packing, users = prepare_calls(
        facts,
        findings,
        counter=model.counter("model"),
        call_budget=model.prompt_budget("model"),
        max_calls=ctx.mode_options.max_model_calls,
        redact=ctx.redactor.redact,
    )
    if not packing.parts:
        reason = "no file could be reviewed" if packing.over_budget else "no text change to review"
        ctx.note(f"Nothing was sent to the model: {reason}.")
        return None
    answers: list[ReviewAnswer] = []
    failed: list[int] = []
    for index, user in enumerate(users):
        try:
            answers.append(
                model.ask(
                    ReviewAnswer, system=prompt.system, user=user, tier="model", temperature=0.1
                )
            )
        except ModelError as exc:
            if len(users) == 1:
                raise
            failed.append(index)
            ctx.note(
                f"Model call {index + 1} of {len(users)} failed ({exc.message}); its files got "
                "the deterministic checks only."
            )
    if not answers:
        raise ModelError(f"all {len(users)} model calls failed.")
    review = ModelReview(answers, packing, failed)
    if facts.sources is None:
        return review
    return replace(review, texts=facts.sources.texts(sorted(review.shown)))
