"""What the levels rank a change against: a young history's first fits need more
evidence for a high or critical level, and the recent-risk sentence compares the newest commits
with the past just before them, so a history whose style changed for good stops saying it.
Built on the real fit (:func:`~cicd_agent.risk.model.fit`, the shipped prior) over rows of
past commits whose only difference is their size."""

from __future__ import annotations

import random

import pytest

from cicd_agent.risk import model as risk_model
from cicd_agent.risk.jit import FEATURES
from cicd_agent.risk.prior import load_prior

LINES = FEATURES.index("lines_added")


def _rows(sizes: list[float]) -> list[list[float]]:
    """One past commit per size (log lines added), otherwise alike, with a little noise so
    ranks are not all ties."""
    noise = random.Random(7)
    rows = []
    for size in sizes:
        row = [0.0] * len(FEATURES)
        row[LINES] = size + noise.random() * 0.1
        rows.append(row)
    return rows


def _fit(sizes: list[float]) -> risk_model.FittedModel:
    labels = [index % 25 == 0 for index in range(len(sizes))]
    fitted = risk_model.fit(_rows(sizes), labels, load_prior())
    assert fitted is not None
    return fitted


def _level(model: risk_model.FittedModel, size: float) -> float:
    return model.score(_rows([size])[0])[0]


@pytest.mark.parametrize("commits", [300, 450])
def test_a_young_historys_first_fits_need_more_evidence_for_critical(commits: int) -> None:
    """Above every commit it is ranked against, a change of a 300- or 450-commit history is
    high, not critical (a 1,200-commit history's is critical); the order is unchanged."""
    young = _fit([1.0 + (i % 10) * 0.3 for i in range(commits)])
    old = _fit([1.0 + (i % 10) * 0.3 for i in range(1_200)])
    high, critical = risk_model.LEVEL_PERCENTILES[2][1], risk_model.LEVEL_PERCENTILES[3][1]
    assert young.score(_rows([9.0])[0])[2] == 1.0  # riskier than every ranked commit
    assert high <= _level(young, 9.0) < critical
    assert _level(old, 9.0) >= critical
    sizes = [0.5, 1.5, 2.5, 3.5, 9.0]
    assert [_level(young, s) for s in sizes] == sorted(_level(young, s) for s in sizes)


def test_from_the_young_bound_on_the_share_is_read_as_it_is() -> None:
    assert risk_model.young_share(0.97, 300, risk_model.YOUNG) == 0.97
    assert risk_model.young_share(0.97, 150, 300) < 0.9


def test_a_new_riskier_wave_is_said_and_a_style_kept_for_good_is_not() -> None:
    """Thirty big commits after 1,000 small ones are news (the sentence, ranked against the
    newest 50); the same big commits once they have lasted 260 commits are the new normal:
    no sentence, ranked against the newer half of the past like any history."""
    wave = _fit([1.0] * 1_000 + [6.0] * risk_model.RECENT)
    assert wave.recent_riskier >= risk_model.RECENT_RISKIER
    assert len(wave.past_blend) == risk_model.RECENT_WINDOW
    kept = _fit([1.0] * 1_000 + [6.0] * 260)
    assert kept.recent_riskier == 0
    assert len(kept.past_blend) == risk_model.level_window(1_260) == 630


def test_a_history_too_short_for_its_own_fit_is_ranked_by_the_cross_repository_model() -> None:
    """From 150 past commits the shipped prior ranks a change among them (the hand-set
    priors put 29 % of timber's young commits at high); a fit of its own still needs 300. So
    young, the rank alone lifts no change above medium: only the floors do."""
    assert risk_model.fit(_rows([1.0] * 149), [False] * 149, load_prior()) is None
    short = _fit([1.0 + (i % 10) * 0.3 for i in range(200)])
    assert not short.own and short.prior_coef
    assert _level(short, 9.0) < risk_model.LEVEL_PERCENTILES[2][1]


def test_a_young_history_does_not_call_its_recent_commits_riskier() -> None:
    """Below 600 past commits the 200 the newest 30 are compared with reach back to the
    project's first commits, which had no past of their own (the reason the levels rank
    against the newer half): the same wave is no news there, and the level stays ranked
    against the newer half, read with more evidence (on batch I the sentence showed on 55 %
    of chalk's last 100 commits)."""
    young = _fit([1.0] * 370 + [6.0] * risk_model.RECENT)
    assert young.recent_riskier == 0
    assert len(young.past_blend) == risk_model.level_window(400)
