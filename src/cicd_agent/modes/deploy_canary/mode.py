"""deploy-gate ``--phase canary``: judge a running canary against its baseline and say promote,
continue or rollback. The action decides; the workflow acts (e.g. ``kubectl rollout undo``).

Statistics live in ``analysis/canary``, metric specs in ``config``, the one network call
in ``fetch``: ``collect`` reads Prometheus, ``analyse`` judges offline, this module renders the
judgement. No model is asked: a Mann–Whitney test over real samples is the better judge, and
nothing here should be talked into a promote.

Never promotes what it cannot see: Prometheus unreachable gives ``continue`` with
``healthy=false`` and exit 3 (outputs written); a canary with no data gives ``continue``,
``healthy=false`` and exit 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cicd_agent.analysis.canary import CanaryJudgement
    from cicd_agent.context import RunContext
    from cicd_agent.modes.deploy_canary.config import CanaryConfig
    from cicd_agent.modes.deploy_canary.fetch import CanarySamples
    from cicd_agent.modes.deploy_canary.result import CanaryResult
    from cicd_agent.result import ModeResult


@dataclass(frozen=True)
class CanaryFacts:
    config: CanaryConfig
    samples: CanarySamples


class CanaryPhase:
    """The steps of the canary phase (a :class:`~cicd_agent.pipeline.Steps`)."""

    name = "deploy-gate --phase canary"
    fail_on_choices: tuple[str, ...] = ("rollback",)

    def collect(self, ctx: RunContext) -> CanaryFacts:
        from cicd_agent.modes.deploy_canary.fetch import fetch_samples
        from cicd_agent.modes.deploy_canary.options import CanaryOptions
        from cicd_agent.prometheus import PrometheusClient

        options = ctx.mode_options(CanaryOptions)
        for secret in (options.prometheus_token, options.prometheus_password):
            ctx.runner.mask(secret)
        client = PrometheusClient(
            options.prometheus_url,
            token=options.prometheus_token,
            username=options.prometheus_username,
            password=options.prometheus_password,
        )
        return CanaryFacts(options.config, fetch_samples(client, options.config, end=options.end))

    def analyse(self, ctx: RunContext, facts: CanaryFacts) -> CanaryJudgement:
        from cicd_agent.modes.deploy_canary.fetch import judge_samples

        return judge_samples(facts.samples, facts.config)

    def ask(self, ctx: RunContext, facts: CanaryFacts, verdict: CanaryJudgement) -> None:
        return None

    def decide(self, ctx: RunContext, verdict: CanaryJudgement, opinion: None) -> CanaryResult:
        from cicd_agent.modes.deploy_canary.result import CanaryResult

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

    def publish(
        self, ctx: RunContext, facts: CanaryFacts, verdict: CanaryJudgement, result: ModeResult
    ) -> None:
        """Nothing to post: the verdict is for the workflow, through the outputs."""

    def failure_outputs(self, ctx: RunContext) -> dict[str, str]:
        """Fail safe: never promote, never roll back on our own failure."""
        return {"verdict": "continue", "rollback": "false", "healthy": "false", "canary_score": "0"}


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


PHASE = CanaryPhase()
