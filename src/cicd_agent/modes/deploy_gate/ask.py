"""deploy-gate's ask step: the model's opinion of the change (:mod:`.prompt` builds what it
is shown), cleaned before anyone sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import neutralise
from cicd_agent.modes.deploy_gate.prompt import build_prompt
from cicd_agent.modes.deploy_gate.types import DeployFacts, DeployOpinion, DeployVerdict

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.model.client import ModelClient
    from cicd_agent.modes.deploy_gate.options import DeployOptions


def ask(
    ctx: RunContext[DeployOptions], model: ModelClient, facts: DeployFacts, verdict: DeployVerdict
) -> DeployOpinion:
    """The model's opinion of the change, cleaned (:func:`clean_opinion`)."""
    system, user = build_prompt(ctx, facts, verdict, model)
    answer = model.ask(DeployOpinion, system=system, user=user, tier="model", temperature=0)
    return clean_opinion(ctx, answer)


def clean_opinion(ctx: RunContext[DeployOptions], opinion: DeployOpinion) -> DeployOpinion:
    """Model text is shaped by untrusted input: redact, bound and neutralise it (no mentions,
    HTML or links) before anyone sees it."""

    def clean(items: list[str]) -> list[str]:
        return [
            neutralise(ctx.redactor.redact(item.strip())[:300])
            for item in items[:8]
            if item.strip()
        ]

    return DeployOpinion(
        risk_factors=clean(opinion.risk_factors),
        risk_level=opinion.risk_level,
        pre_deploy_checks=clean(opinion.pre_deploy_checks),
        monitoring_focus=clean(opinion.monitoring_focus),
        confidence=min(1.0, max(0.0, float(opinion.confidence))),
    )
