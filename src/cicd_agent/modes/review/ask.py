"""The ask step: the model's what and why of the change when describing (``describe``), then
its review of the diff, packed into at most ``max-model-calls`` calls with :mod:`.prompt`'s
text, as one :class:`~cicd_agent.modes.review.types.ReviewOpinion`.

It is handed what it reads, not the run: the model, the facts and verdict, the run's
:class:`~.types.Rules` (redaction, links, the calls allowed), and where a note goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import ModelError
from cicd_agent.job.pipeline import model_answer
from cicd_agent.modes.review.describe import ask_about
from cicd_agent.modes.review.prompt import prepare_calls
from cicd_agent.modes.review.types import (
    ModelReview,
    ReviewFacts,
    ReviewOpinion,
    ReviewVerdict,
    Rules,
)

if TYPE_CHECKING:
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.model.client import ModelClient
    from cicd_agent.modes.review.answer import ReviewAnswer


def ask(
    model: ModelClient,
    facts: ReviewFacts,
    verdict: ReviewVerdict,
    rules: Rules,
    note: Callable[[str], None],
) -> ReviewOpinion:
    """Both model calls of a review. A review call that fails leaves the description standing,
    as the deterministic result does."""
    description = None
    if verdict.change is not None:
        description = ask_about(
            model, facts, verdict.change, redact=rules.redact, links=rules.links, note=note
        )
    review = model_answer(lambda: _review(model, facts, verdict.findings, rules, note), note)
    return ReviewOpinion(review, description)


def _review(
    model: ModelClient,
    facts: ReviewFacts,
    findings: list[Finding],
    rules: Rules,
    note: Callable[[str], None],
) -> ModelReview | None:
    """Pack the diff into the calls allowed and ask each; None when there is nothing to ask."""
    prompt, packing, users = prepare_calls(
        facts,
        findings,
        counter=model.counter("model"),
        call_budget=model.prompt_budget("model"),
        max_calls=rules.max_model_calls,
        redact=rules.redact,
    )
    if not packing.parts:
        reason = "no file could be reviewed" if packing.over_budget else "no text change to review"
        note(f"Nothing was sent to the model: {reason}.")
        return None
    # The answer's schema is a pydantic model: loaded only when a model is asked.
    from cicd_agent.modes.review.answer import ReviewAnswer

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
            note(
                f"Model call {index + 1} of {len(users)} failed ({exc.message}); its files got "
                "the deterministic checks only."
            )
    if not answers:
        raise ModelError(f"all {len(users)} model calls failed.")
    review = ModelReview(answers, packing, failed)
    if facts.sources is None:
        return review
    return replace(review, texts=facts.sources.texts(sorted(review.shown)))
