"""deploy-gate's labels never contradict each other, checked at a glance over every
level and change type: a change risky enough to need a person (high or critical, or any
approval) is never rolled out ``direct`` (seen: "Unpin CI miri" critical + direct; a CI change
high with approval and direct)."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.modes.deploy_gate import policy as policies
from cicd_agent.modes.deploy_gate.policy import Strategy
from cicd_agent.modes.deploy_gate.windows import ChangeWindow

NOON = ChangeWindow("Wed 12:00 UTC", weekend=False, off_hours=False, freeze=None)


@pytest.mark.parametrize("kind", list(ChangeType))
@pytest.mark.parametrize("level", list(RiskLevel))
@pytest.mark.parametrize("signal", [True, False])
def test_a_change_that_needs_a_person_is_never_rolled_out_direct(
    kind: ChangeType, level: RiskLevel, signal: bool
) -> None:
    evidence = policies.Evidence(
        change_types=frozenset({kind}), safety_score=90.0, failed_tests=0,
        changes_requested=False, any_signal=signal, window=NOON,
    )  # fmt: skip
    decision = policies.decide(level, evidence, policies.Policy(), approval_confidence=0.7)
    if decision.requires_approval or level.rank >= RiskLevel.HIGH.rank:
        assert decision.strategy is not Strategy.DIRECT, (kind, level, decision)


def test_a_docs_only_change_at_low_risk_has_nothing_to_roll_out() -> None:
    evidence = policies.Evidence(
        change_types=frozenset({ChangeType.DOCS}), safety_score=90.0, failed_tests=0,
        changes_requested=False, any_signal=True, window=NOON,
    )  # fmt: skip
    decision = policies.decide(RiskLevel.LOW, evidence, policies.Policy(), approval_confidence=0.7)
    assert decision.strategy is Strategy.NONE  # nothing deploys
