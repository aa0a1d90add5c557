"""analyse-failure's ask step: the model's diagnosis (:mod:`.prompt` builds what the model sees).
It only asks: the fix claims (the model's patches, its test) are the check step's, which judges
each in the sandbox as it is made (:mod:`.fix`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.modes.analyse_failure.answer import FailureAnswer
from cicd_agent.modes.analyse_failure.prompt import build_prompt
from cicd_agent.modes.analyse_failure.types import FailureOpinion

if TYPE_CHECKING:
    from collections.abc import Callable

    from cicd_agent.model.client import ModelClient
    from cicd_agent.modes.analyse_failure.types import FailureVerdict


def ask(
    model: ModelClient, verdict: FailureVerdict, redact: Callable[[str], str]
) -> FailureOpinion | None:
    """The model's diagnosis of the failed jobs (None: no job failed), what it is
    shown redacted with ``redact`` (the run's). A ModelError is the pipeline's (``ask_model``):
    it becomes a note, the deterministic result stands."""
    analysis = verdict.analysis
    if not analysis.failed_jobs:
        return None
    facts = verdict.facts
    system, user = build_prompt(
        analysis,
        facts.change,
        verdict.evidence,
        redact=redact,
        truncate=model.counter("model").truncate,
        attempt=facts.target.attempt if facts.target else 1,
    )
    answer = model.ask(FailureAnswer, system=system, user=user, tier="model", temperature=0.1)
    return FailureOpinion(answer)
