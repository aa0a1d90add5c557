"""The ask step: the model's what and why of the change when describing (``describe``), then
its review of the diff (:func:`~cicd_agent.modes.review.prompt.ask_model`), as one
:class:`~cicd_agent.modes.review.types.ReviewOpinion`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import model_failure_note
from cicd_agent.modes.review.describe import ask_about
from cicd_agent.modes.review.prompt import ask_model
from cicd_agent.modes.review.types import ReviewFacts, ReviewOpinion, ReviewVerdict
from cicd_agent.runner.errors import ModelError

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
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
        review = ask_model(ctx, facts, verdict.findings, ctx.mode_options.max_model_calls)
    except ModelError as exc:
        ctx.note(model_failure_note(exc))
        review = None
    return ReviewOpinion(review, description)
