"""Ordered string enums, declared least to most severe or cautious, so "raise, never lower" is
one comparison of ``rank`` wherever a floor is enforced."""

from __future__ import annotations

from enum import StrEnum


class OrderedStrEnum(StrEnum):
    """A string enum whose declaration order is its order."""

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)


class RiskLevel(OrderedStrEnum):
    """The one risk scale every mode shares (review's ``risk_level`` means the same)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def lower_bound(self) -> float:
        return LEVEL_BOUNDS[self]


LEVEL_BOUNDS: dict[RiskLevel, float] = {
    RiskLevel.LOW: 0.0,
    RiskLevel.MEDIUM: 0.30,
    RiskLevel.HIGH: 0.60,
    RiskLevel.CRITICAL: 0.85,
}


def level_for(score: float) -> RiskLevel:
    level = RiskLevel.LOW
    for candidate, bound in LEVEL_BOUNDS.items():
        if score >= bound:
            level = candidate
    return level


def higher(first: RiskLevel, second: RiskLevel) -> RiskLevel:
    return first if first.rank >= second.rank else second
