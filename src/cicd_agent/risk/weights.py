"""The priors' weights: points per feature at saturation, and the value at which half of them
are reached (``saturate``: the first lines matter more than the thousandth)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.analysis.change_types import ChangeType


class Weights(BaseModel):
    """Points per feature at saturation, and the value at which half of them are reached."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: float = 0.8
    size_half: float = 400.0
    files: float = 0.3
    files_half: float = 8.0
    subsystems: float = 0.25
    subsystems_half: float = 2.0
    entropy: float = 0.15
    past_changes: float = 0.2
    past_changes_half: float = 50.0
    developers: float = 0.2
    developers_half: float = 8.0
    past_fixes: float = 0.15
    past_fixes_half: float = 10.0
    past_reverts: float = 0.35
    past_reverts_half: float = 2.0
    types: dict[ChangeType, float] = Field(
        default_factory=lambda: {
            ChangeType.MIGRATION: 0.5,
            ChangeType.SECURITY: 0.45,
            ChangeType.INFRASTRUCTURE: 0.4,
            ChangeType.API_CONTRACT: 0.35,
            ChangeType.DEPENDENCIES: 0.3,
            ChangeType.CI: 0.3,
            ChangeType.BUILD: 0.2,
            ChangeType.LOCKFILE: 0.15,
            ChangeType.CONFIG: 0.15,
        }
    )
    submodule: float = 0.2
    binary: float = 0.05
    docs_only_factor: float = 0.25
    tests_only_factor: float = 0.4


DEFAULT_WEIGHTS = Weights()


def saturate(value: float, half: float) -> float:
    return value / (value + half) if value > 0 else 0.0
