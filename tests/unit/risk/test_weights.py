"""The priors' weights: ``saturate`` gives half the points at ``half`` and never more than all
of them, and the weights refuse a field nobody reads (a typo in a fitted file must not pass)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.risk.score import DEFAULT_WEIGHTS, Weights, saturate


def test_saturate_reaches_half_at_half() -> None:
    assert saturate(400.0, 400.0) == pytest.approx(0.5)


def test_saturate_grows_but_stays_below_one() -> None:
    values = [saturate(v, 8.0) for v in (1.0, 8.0, 80.0, 8000.0)]
    assert values == sorted(values)
    assert all(0.0 < v < 1.0 for v in values)


@pytest.mark.parametrize("value", [0.0, -3.0])
def test_saturate_gives_nothing_for_nothing(value: float) -> None:
    assert saturate(value, 8.0) == 0.0


def test_weights_refuse_an_unknown_field() -> None:
    with pytest.raises(TypeError):
        Weights(sizee=1.0)  # type: ignore[call-arg]


def test_weights_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        DEFAULT_WEIGHTS.size = 2.0  # type: ignore[misc]


def test_default_weights_score_migrations_above_config() -> None:
    types = DEFAULT_WEIGHTS.types
    assert types[ChangeType.MIGRATION] > types[ChangeType.CONFIG]
    assert Weights().types is not DEFAULT_WEIGHTS.types
