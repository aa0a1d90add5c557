"""The API's risk facet: the risk of a change, read from its commits and the repository's
history, for a mode that reports it (review, deploy-gate): :func:`assess_risk` and the types
its signature names (:class:`RiskAssessment`, :class:`HistoryFeatures`, :class:`Identity`).
Loaded only by a mode that imports it: the risk model costs a tenth of a second to import."""

from __future__ import annotations

from cicd_agent.risk.assessment import RiskAssessment
from cicd_agent.risk.checkout import assess_risk, read_history
from cicd_agent.risk.deepen import Origin, deepen_history
from cicd_agent.risk.fit import pull_author
from cicd_agent.risk.floors import Identity
from cicd_agent.risk.records import HistoryFeatures
from cicd_agent.risk.store import default_cache_dir

__all__ = [
    "HistoryFeatures",
    "Identity",
    "Origin",
    "RiskAssessment",
    "assess_risk",
    "deepen_history",
    "default_cache_dir",
    "pull_author",
    "read_history",
]
