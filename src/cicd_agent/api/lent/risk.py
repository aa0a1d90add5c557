"""Lent to deploy-gate and review, and may change with them: the risk model's parts beyond the
promised reading (:mod:`cicd_agent.api.risk`). An assessment, its reasons and features
(deploy-gate); a diff already at hand and the change's score (review). Loaded only by a mode
that imports it: the risk model costs a tenth of a second to import."""

from __future__ import annotations

from cicd_agent.risk.assessment import Reason, RiskAssessment, RiskFeatures
from cicd_agent.risk.evidence import DiffAtHand
from cicd_agent.risk.records import HistoryFeatures
from cicd_agent.risk.score import assess_change

__all__ = [
    "DiffAtHand",
    "HistoryFeatures",
    "Reason",
    "RiskAssessment",
    "RiskFeatures",
    "assess_change",
]
