"""The canary phase's analyse and decide steps, both pure: the verdict on the samples (no
network) and the result that renders it.

No model is asked (:mod:`prompt`), so the verdict is the decision: ``decide`` only words the
headline and says when the metric store could not be read (exit 3, outputs still written).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.modes.deploy_gate.canary.judge import blind_judgement, judge_canary
from cicd_agent.modes.deploy_gate.canary.result import CanaryResult
from cicd_agent.modes.deploy_gate.canary.types import CanarySamples, CanaryVerdict

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
    from cicd_agent.modes.deploy_gate.canary.state import CanaryState


def judge_samples(
    samples: CanarySamples, config: CanaryConfig, state: CanaryState | None = None
) -> CanaryVerdict:
    """The verdict on fetched samples, on top of the rollout's evidence so far."""
    if samples.error is not None:
        return blind_judgement(samples.error, config.metrics, state)
    return judge_canary(
        samples.baseline,
        samples.canary,
        config.metrics,
        config.thresholds,
        state=state,
        previous=samples.previous,
        until=samples.end,
        counts=samples.counts,
        spans=samples.spans,
        noise=samples.noise,
    )


def decide(verdict: CanaryVerdict, *, redact: Callable[[str], str]) -> CanaryResult:
    """The result of the verdict; a metric store that could not be read is a service failure.
    Every reason and the store's error are redacted with ``redact`` first: a store's own words
    are quoted there and may echo a credential back."""
    error = verdict.data_source_error
    verdict = replace(
        verdict,
        reasons=tuple(redact(reason) for reason in verdict.reasons),
        data_source_error=redact(error) if error else error,
    )
    return CanaryResult(
        mode="deploy-gate",
        headline=_headline(verdict),
        judgement=verdict,
        service_failure=(
            f"The metric store could not be read: {verdict.data_source_error}"
            if verdict.data_source_error
            else None
        ),
    )


def _headline(judgement: CanaryVerdict) -> str:
    if judgement.verdict == "insufficient":
        return (
            "Canary verdict: insufficient — not enough traffic to judge; nothing is promoted "
            f"({judgement.reasons[0]})"
        )
    if not judgement.healthy:
        return (
            f"Canary verdict: continue — the judge could not see the canary "
            f"({judgement.reasons[0] if judgement.reasons else 'no data'}), so nothing is promoted."
        )
    action = {"promote": "promote it", "continue": "keep watching", "rollback": "roll it back"}
    return (
        f"Canary verdict: {judgement.verdict} (score {judgement.canary_score:.0f}/100) — "
        f"{action[judgement.verdict]}."
    )
