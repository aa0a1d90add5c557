"""The change's risk sets the canary's strictness: the deploy phase's ``risk_level`` output, given
back to the canary phase as ``risk-level``, picks one row of :data:`RISK_TABLE`.

A riskier change gets a canary that is slower to promote and quicker to call a regression: a
higher confidence before its evidence counts, a smaller allowed change, more windows of passing
evidence before a promote, and a smaller first share of traffic. A value the canary
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
    traffic_share: float


RISK_TABLE: dict[RiskLevel, CanaryProfile] = {
    "low": CanaryProfile(0.95, 1.5, 1, 0.25),
    "medium": CanaryProfile(0.98, 1.0, 2, 0.10),
    "high": CanaryProfile(0.99, 0.75, 3, 0.05),
    "critical": CanaryProfile(0.995, 0.5, 4, 0.01),
}
# Without a risk level the configuration (whose defaults are the medium row) rules alone.
DEFAULT_SHARE = RISK_TABLE["medium"].traffic_share


def apply_risk(config: CanaryConfig, level: RiskLevel | None) -> CanaryConfig:
    """``config`` made as strict as ``level`` asks (unchanged for None)."""
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
        spec.model_copy(update={"allowed_change": spec.allowed_change * row.allowance_factor})
        for spec in config.metrics
    )
    return config.model_copy(update={"thresholds": thresholds, "metrics": metrics})


def traffic_share(level: RiskLevel | None) -> float:
    """The share of traffic the canary should start with."""
    return DEFAULT_SHARE if level is None else RISK_TABLE[level].traffic_share


def config_digest(config: CanaryConfig) -> str:
    """A short digest of the effective configuration: the canary state is bound to it, so
    evidence gathered under other metrics, thresholds or risk never counts here."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
