"""deploy-gate's headline: one sentence that says hold or proceed, how, and why, and the model's
advice refuses a field it was not asked for."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.modes.deploy_gate.policy import Decision, Recommendation, Strategy
from cicd_agent.modes.deploy_gate.result import headline_for
from cicd_agent.modes.deploy_gate.types import DeployOpinion


def _decision(
    recommendation: Recommendation = Recommendation.PROCEED,
    strategy: Strategy = Strategy.DIRECT,
    *,
    approval: bool = False,
) -> Decision:
    return Decision(
        recommendation=recommendation, strategy=strategy, canary_percentage=10,
        requires_approval=approval, approval_reasons=[], hold_reasons=[],
    )  # fmt: skip


def test_hold_names_every_reason() -> None:
    headline = headline_for(
        _decision(Recommendation.HOLD), RiskLevel.HIGH, 0.81, ["tests failed", "frozen window"]
    )
    assert headline == "Hold: tests failed; frozen window. Change is high risk (0.81)."


@pytest.mark.parametrize(
    ("strategy", "how"),
    [
        (Strategy.DIRECT, "directly"),
        (Strategy.ROLLING, "as a rolling update"),
        (Strategy.CANARY, "as a canary starting at 10%"),
        (Strategy.BLUE_GREEN, "blue/green"),
    ],
)
def test_proceed_says_how(strategy: Strategy, how: str) -> None:
    assert headline_for(_decision(strategy=strategy), RiskLevel.LOW, 0.1, []) == (
        f"Proceed {how}: low risk (0.10)."
    )


def test_proceed_with_approval_asks_for_a_human() -> None:
    headline = headline_for(_decision(approval=True), RiskLevel.MEDIUM, 0.5, [])
    assert headline.endswith("medium risk (0.50); a human must approve first.")


def test_model_advice_refuses_an_unasked_field() -> None:
    """The result shows the model's answer as it is (:class:`DeployOpinion`): a field the
    schema has not got is refused, not carried into the result."""
    asked = {"risk_level": "low", "confidence": 0.9, "risk_factors": [],
             "pre_deploy_checks": [], "monitoring_focus": []}  # fmt: skip
    DeployOpinion.model_validate(asked)
    with pytest.raises(ValidationError, match="recommendation"):
        DeployOpinion.model_validate({**asked, "recommendation": "proceed"})
