"""The pooled cross-repository fit (issue 17): how much each repository's history counts.

A history with few reverts says little about what gets reverted, so it must not pull the
shared weights as hard as one with many; a history with none must not pull them at all."""

from __future__ import annotations

import numpy as np
import pytest

from cicd_agent.analysis.risk_prior import FULL_WEIGHT_REVERTS, fit_prior

pytest.importorskip("sklearn")

Rows = list[list[float]]


def history(signal: int, reverts: int, seed: int, size: int = 600) -> tuple[Rows, list[bool]]:
    """``size`` commits with two features; the ``reverts`` commits with the highest value of
    column ``signal`` are the reverted ones (so that column predicts reverts there)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(size, 2))
    labels = np.zeros(size, dtype=bool)
    if reverts:
        labels[np.argsort(rows[:, signal])[-reverts:]] = True
    return rows.tolist(), labels.tolist()


def test_a_history_without_reverts_leaves_the_pooled_weights_unchanged() -> None:
    teaching = [history(0, 40, seed=1), history(0, 40, seed=2)]
    alone, _ = fit_prior(teaching)
    with_quiet, _ = fit_prior([*teaching, history(1, 0, seed=3, size=5_000)])
    assert with_quiet == pytest.approx(alone, abs=1e-6)


def test_a_history_with_few_reverts_pulls_the_weights_less_than_one_with_many() -> None:
    teaching = [history(0, 40, seed=1), history(0, 40, seed=2)]
    few, _ = fit_prior([*teaching, history(1, 3, seed=3)])
    many, _ = fit_prior([*teaching, history(1, FULL_WEIGHT_REVERTS, seed=3)])
    # Column 1 predicts reverts only in the third history: its weight grows with that
    # history's say, and the say grows with its reverts.
    assert 0 < few[1] < many[1]
    assert few[0] > many[0]
