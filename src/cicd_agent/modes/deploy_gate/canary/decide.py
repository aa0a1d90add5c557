"""The canary phase's analyse and decide steps: the judgement of the samples (pure, no network)
and the result that renders it.

No model is asked (:mod:`prompt`), so the judgement is the decision: ``decide`` only words the
headline and says when Prometheus could not be read (exit 3, outputs still written).
"""

from __future__ import annotations

from cicd_agent.analysis.canary import CanaryJudgement, blind_judgement, judge_canary
from cicd_agent.analysis.canary_state import CanaryState
from cicd_agent.job.context import RunContext
from cicd_agent.modes.deploy_gate.canary.collect import CanarySamples, fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions
from cicd_agent.modes.deploy_gate.canary.result import CanaryResult
from cicd_agent.prometheus import PrometheusClient


def judge_samples(
    samples: CanarySamples, config: CanaryConfig, state: CanaryState | None = None
) -> CanaryJudgement:
    """The judgement of fetched samples, on top of the rollout's evidence so far: pure."""
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
    )


def assess_canary(
    client: PrometheusClient,
    config: CanaryConfig,
    *,
    end: float | None = None,
    state: CanaryState | None = None,
) -> CanaryJudgement:
    """Fetch and judge in one call (benchmarks and tests of the read path)."""
    since = state.until if state is not None else None
    return judge_samples(fetch_samples(client, config, end=end, since=since), config, state)


def decide(ctx: RunContext[CanaryOptions], verdict: CanaryJudgement) -> CanaryResult:
    """The result of the judgement; a Prometheus that could not be read is a service failure."""
    return CanaryResult(
        mode="deploy-gate",
        headline=_headline(verdict),
        judgement=verdict,
        service_failure=(
            f"Prometheus could not be read: {ctx.redactor.redact(verdict.data_source_error)}"
            if verdict.data_source_error
            else None
        ),
    )


def _headline(judgement: CanaryJudgement) -> str:
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
