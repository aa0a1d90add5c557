"""deploy-gate's decide step, pure (no context, no I/O: what it needs comes in as arguments).

``decide`` merges the model's opinion under the
guardrails: the model may raise the risk, never lower the deterministic verdict, and its pass may
only add caution (holds and approvals of both passes are kept, the more cautious strategy wins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from cicd_agent.analysis.scale import RiskLevel, higher
from cicd_agent.modes.deploy_gate.analyse import weigh
from cicd_agent.modes.deploy_gate.policy import Decision, Recommendation
from cicd_agent.modes.deploy_gate.result import DeployResult, headline_for
from cicd_agent.modes.deploy_gate.types import DeployOpinion, DeployVerdict
from cicd_agent.risk.assessment import Reason


def decide(
    verdict: DeployVerdict,
    opinion: DeployOpinion | None,
    *,
    redact: Callable[[str], str],
) -> DeployResult:
    """The final result: the deterministic verdict, raised (never lowered) by the model's opinion.
    Pure: what it words is redacted with ``redact``; its notes are its own (the run's come
    first)."""
    facts = verdict.facts
    deterministic_level = facts.assessment.risk_level
    level, score = deterministic_level, facts.assessment.risk_score
    reasons = list(facts.assessment.reasons)
    said: list[str] = []
    final = verdict
    if opinion is not None:
        model_level = RiskLevel(opinion.risk_level)
        level = higher(deterministic_level, model_level)
        if level is not deterministic_level:
            score = max(score, level.lower_bound)
            reasons.append(
                Reason(
                    signal="model",
                    message=f"The model raised the risk from {deterministic_level.value} to "
                    f"{level.value} ({score:.2f}, the lowest {level.value} score).",
                    evidence=opinion.risk_factors[:5],
                )
            )
        elif model_level.rank < deterministic_level.rank:
            said.append(
                f"The model rated the risk {model_level.value}; the deterministic verdict "
                f"{deterministic_level.value} stands."
            )
        final = weigh(facts, level, opinion)
    decision = _merge_decisions(verdict.decision, final.decision)
    safe_reasons = [
        replace(r, message=redact(r.message), evidence=[redact(item) for item in r.evidence])
        for r in reasons
    ]
    holds = [redact(h) for h in decision.hold_reasons]
    window = facts.window
    window_text = window.local_time + (
        f", freeze {window.freeze}"
        if window.freeze
        else (" (weekend)" if window.weekend else " (off-hours)" if window.off_hours else "")
    )
    return DeployResult(
        mode="deploy-gate",
        headline=headline_for(decision, level, score, holds),
        notes=said,
        base=facts.change.base,
        head=facts.change.head,
        range_note=facts.change.base_note,
        environment=facts.options.environment,
        risk_level=level,
        risk_score=round(score, 4),
        risk_quantile=facts.assessment.risk_quantile,
        risk_identity=facts.assessment.identity,
        risk_arithmetic=facts.assessment.arithmetic,
        deterministic_level=facts.assessment.risk_level,
        **(vars(decision) | {"hold_reasons": holds}),  # its holds are redacted
        safety_score=final.safety,
        signals=final.signals,
        **vars(facts.routing),  # which tests and build, with their reasons
        change_types=facts.assessment.change_types,
        reasons=safe_reasons,
        features=facts.assessment.features,
        files_changed=len(facts.change.files),
        change_window=window_text,
        advice=opinion,
        four_keys=facts.four_keys,
    )


def _merge_decisions(deterministic_decision: Decision, final: Decision) -> Decision:
    """The model's pass may only add caution: holds and approvals are kept from both passes
    and the more cautious strategy wins."""
    holds = list(dict.fromkeys([*deterministic_decision.hold_reasons, *final.hold_reasons]))
    approvals = list(
        dict.fromkeys([*deterministic_decision.approval_reasons, *final.approval_reasons])
    )
    strategy = max(deterministic_decision.strategy, final.strategy, key=lambda s: s.rank)
    percentage = min(deterministic_decision.canary_percentage, final.canary_percentage)
    return replace(
        final,
        recommendation=Recommendation.HOLD if holds else Recommendation.PROCEED,
        hold_reasons=holds,
        approval_reasons=approvals,
        requires_approval=bool(approvals),
        strategy=strategy,
        canary_percentage=percentage if strategy.value == "canary" else 100,
    )
