"""The canary phase's one write: the verdict and its evidence in the decision record, when the
workflow configured one (``audit-database-url``). Nothing is posted: the verdict is for the
workflow (or Argo Rollouts, Flagger) through the outputs."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from cicd_agent.job.decisions import record_decision
from cicd_agent.job.pipeline import as_json
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.deploy_gate.canary.result import CanaryResult
    from cicd_agent.modes.deploy_gate.canary.types import CanaryVerdict


def canary_record(judgement: CanaryVerdict) -> dict[str, object]:
    """One call's evidence as the record keeps it: the verdict, how many calls the rollout had
    made, and per metric its kind, the test that judged it, its interval and reason, so a
    rollback can be explained after the fact (docs/audit.md has the query)."""
    kept = {"verdict", "healthy", "rollback", "canary_score", "reasons", "metrics"}
    record = {
        item.name: as_json(getattr(judgement, item.name))
        for item in fields(judgement)
        if item.name in kept
    }
    return {**record, "calls": judgement.state.calls}


def publish(ctx: RunContext[CanaryOptions], result: CanaryResult) -> None:
    """Record the verdict with the per-metric evidence; a database that is down is a note.
    Nothing is posted, so nothing is learnt that the result does not hold."""
    judgement = result.judgement
    options = ctx.mode_options
    record_decision(
        ctx,
        options.audit_database_url,
        phase="canary",
        decision=judgement.verdict,
        record=canary_record(judgement),
        risk_level=options.risk_level,
        environment=options.environment,
    )
