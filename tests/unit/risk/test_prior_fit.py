"""The pooled cross-repository fit: how much each repository's history counts.

A history with few reverts says little about what gets reverted, so it must not pull the
shared weights as hard as one with many; a history with none must not pull them at all."""

from __future__ import annotations

import numpy as np
import pytest

from cicd_agent.risk import jit
from cicd_agent.risk.model import DIRECTIONS, RISKIER, SAFER, UNUSED
from cicd_agent.risk.prior import Ranks
from tests.helpers.prior_fit import FULL_WEIGHT_REVERTS, History, fit_prior

Rows = list[list[float]]


def history(signal: int, reverts: int, seed: int, size: int = 600) -> History:
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
    alone = fit_prior(teaching, constrained=False).coef
    with_quiet = fit_prior([*teaching, history(1, 0, seed=3, size=5_000)], constrained=False).coef
    assert with_quiet == pytest.approx(alone, abs=1e-6)


def test_a_history_with_few_reverts_pulls_the_weights_less_than_one_with_many() -> None:
    teaching = [history(0, 40, seed=1), history(0, 40, seed=2)]
    few = fit_prior([*teaching, history(1, 10, seed=3)], constrained=False).coef
    many = fit_prior([*teaching, history(1, FULL_WEIGHT_REVERTS, seed=3)], constrained=False).coef
    # Column 1 predicts reverts only in the third history: its weight grows with that
    # history's say, and the say grows with its reverts.
    assert 0 < few[1] < many[1]
    assert few[0] > many[0]


def test_histories_without_any_revert_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="no history has a reverted commit"):
        fit_prior([history(0, 0, seed=1), history(1, 0, seed=2)], constrained=False)


def test_ranks_give_tied_values_the_middle_rank_and_rows_rank_as_the_matrix_does() -> None:
    rows = [[float(i % 10 == 0), float(i)] for i in range(1_000)]  # a 10 % flag, a count
    ranks = Ranks.of(rows)
    flag_off, count_low = ranks.row([0.0, 0.0])
    flag_on, count_high = ranks.row([1.0, 999.0])
    assert flag_off == pytest.approx((0.45 - 0.5) * 12**0.5, abs=0.01)
    assert flag_on == pytest.approx((0.95 - 0.5) * 12**0.5, abs=0.01)
    assert count_low < -1.7 and count_high > 1.7  # the ends of the past's range
    matrix = ranks.matrix(rows[:50])
    assert matrix.ravel().tolist() == pytest.approx([x for r in rows[:50] for x in ranks.row(r)])
    # A value beyond everything seen ranks as the largest, however far: no long-tail pull.
    assert ranks.row([1.0, 10**9])[1] == pytest.approx(count_high, abs=0.01)


def test_the_constrained_prior_keeps_every_sign_where_the_free_fit_breaks_it() -> None:
    """Histories where small changes by experienced authors are the reverted ones (as within
    many real repositories): a free fit learns that lines lower the risk and experience raises
    it; the fit deploy-gate ships cannot."""
    width = len(jit.FEATURES)
    lines, experience = jit.FEATURES.index("lines_added"), jit.FEATURES.index("author_experience")
    histories = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        rows = rng.normal(size=(800, width))
        risk = -rows[:, lines] + rows[:, experience] + rng.normal(size=800)
        labels = np.zeros(800, dtype=bool)
        labels[np.argsort(risk)[-40:]] = True
        histories.append((rows.tolist(), labels.tolist()))
    free = fit_prior(histories, constrained=False).coef
    assert free[lines] < 0 < free[experience]  # the data does teach the wrong signs
    bounded = fit_prior(histories).coef
    for name, value in zip(jit.FEATURES, bounded, strict=True):
        direction = DIRECTIONS.get(name)
        if direction == RISKIER:
            assert value >= 0, name
        elif direction == SAFER:
            assert value <= 0, name
        elif direction == UNUSED:
            assert value == 0, name
