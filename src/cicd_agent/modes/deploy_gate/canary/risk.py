"""The change's risk sets the canary's strictness: the deploy phase's ``risk_level`` output, given
back to the canary phase as ``risk-level``, picks one row of :data:`RISK_TABLE`.

A riskier change gets a canary that is slower to promote and quicker to call a regression: a
higher confidence before its evidence counts, a smaller allowed change, more windows of passing
evidence before a promote. (The first share of traffic is the deploy phase's
``canary_percentage``, set from the same risk level by its policy.) A value the canary
configuration sets explicitly (``thresholds.confidence``, ``thresholds.windows_to_promote``)
stands; the row fills the rest, and scales every metric's ``allowed_change``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig

RiskLevel = Literal["low", "medium", "high", "critical"]
RISK_LEVELS: tuple[RiskLevel, ...] = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class CanaryProfile:
    """One row of the table."""

    confidence: float
    allowance_factor: float
    windows_to_promote: int


RISK_TABLE: dict[RiskLevel, CanaryProfile] = {
    "low": CanaryProfile(0.95, 1.5, 1),
    "medium": CanaryProfile(0.98, 1.0, 2),
    "high": CanaryProfile(0.99, 0.75, 3),
    "critical": CanaryProfile(0.995, 0.5, 4),
}


def apply_risk(config: CanaryConfig, level: RiskLevel | None) -> CanaryConfig:
    """``config`` made as strict as ``level`` asks (unchanged for None: the configuration's
    own defaults are the medium row)."""
    if level is None:
        return config
    row = RISK_TABLE[level]
    explicit = config.thresholds.model_fields_set
    thresholds = config.thresholds.model_copy(
        update={
            key: value
            for key, value in (
                ("confidence", row.confidence),
                ("windows_to_promote", row.windows_to_promote),
            )
            if key not in explicit
        }
    )
    metrics = tuple(
        spec.model_copy(
            update={
                "allowed_change": spec.allowed_change * row.allowance_factor,
                "unacceptable_change": spec.unacceptable_change * row.allowance_factor,
            }
        )
        for spec in config.metrics
    )
    return config.model_copy(update={"thresholds": thresholds, "metrics": metrics})


def config_digest(config: CanaryConfig) -> str:
    """A short digest of the effective configuration: the canary state is bound to it, so
    evidence gathered under other metrics, thresholds or risk never counts here."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
