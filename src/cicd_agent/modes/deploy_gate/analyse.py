"""deploy-gate's analyse step, pure: the signals weighed into a safety score and the policy
applied to the risk the collect step scored (:class:`DeployVerdict`, the deterministic verdict)."""

from __future__ import annotations

from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.modes.deploy_gate import policy as policies
from cicd_agent.modes.deploy_gate import safety
from cicd_agent.modes.deploy_gate.types import DeployFacts, DeployOpinion, DeployVerdict


def analyse(facts: DeployFacts) -> DeployVerdict:
    """The verdict at the risk collect scored, with no model opinion."""
    return weigh(facts, facts.assessment.risk_level, None)


def weigh(facts: DeployFacts, level: RiskLevel, opinion: DeployOpinion | None) -> DeployVerdict:
    """The policy at ``level``, the signals weighed with the model's, if it gave one."""
    listed = [
        safety.pass_rate_signal(facts.tests),
        safety.coverage_signal(facts.coverage_head, facts.coverage_base, facts.coverage_reason),
        safety.review_signal(facts.pulls, facts.pulls_reason),
        safety.failure_rate_signal(
            facts.conclusions, facts.options.failure_window_days, facts.conclusions_reason
        ),
        safety.model_signal(
            opinion.risk_level if opinion else None, opinion.confidence if opinion else None
        ),
    ]
    score, weighted = safety.safety_score(listed, facts.options.weights)
    failed = (facts.tests.failed + facts.tests.errors) if facts.tests else 0
    evidence = policies.Evidence(
        change_types=frozenset(facts.assessment.change_types),
        safety_score=score,
        failed_tests=failed,
        changes_requested=any(p.verdict == "changes_requested" for p in facts.pulls or []),
        any_signal=any(not s.missing for s in weighted if s.name != safety.SignalName.MODEL),
        window=facts.window,
        model_confidence=opinion.confidence if opinion else None,
        blocking=tuple(facts.assessment.hold_reasons),
    )
    decision = policies.decide(
        level, evidence, facts.options.policy, approval_confidence=facts.options.approval_confidence
    )
    return DeployVerdict(facts, decision, score, weighted)
