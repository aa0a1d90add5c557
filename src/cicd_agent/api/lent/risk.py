"""Lent to deploy-gate and review, and may change with them: the risk model's parts beyond the
promised reading (:mod:`cicd_agent.api.risk`). An assessment's reasons and features
(deploy-gate); a diff already at hand and the change's score (review). Loaded only by a mode
that imports it: the risk model costs a tenth of a second to import."""

from __future__ import annotations

from cicd_agent.risk.assessment import Reason, RiskFeatures
from cicd_agent.risk.evidence import DiffAtHand
from cicd_agent.risk.score import assess_change

__all__ = [
    "DiffAtHand",
    "Reason",
    "RiskFeatures",
    "assess_change",
]
