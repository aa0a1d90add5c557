"""The pooled cross-repository fit (issue 17): how much each repository's history counts.

A history with few reverts says little about what gets reverted, so it must not pull the
shared weights as hard as one with many; a history with none must not pull them at all."""

from __future__ import annotations

import numpy as np
import pytest

from cicd_agent.risk.prior import (
    FULL_WEIGHT_REVERTS,
    MIN_WORD_HISTORIES,
    History,
    Ranks,
    fit_prior,
    subject_words,
)

pytest.importorskip("sklearn")

Rows = list[list[float]]


def history(signal: int, reverts: int, seed: int, size: int = 600) -> History:
    """``size`` commits with two features; the ``reverts`` commits with the highest value of
    column ``signal`` are the reverted ones (so that column predicts reverts there). Every
    subject is "change"."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(size, 2))
    labels = np.zeros(size, dtype=bool)
    if reverts:
        labels[np.argsort(rows[:, signal])[-reverts:]] = True
    return History(rows.tolist(), labels.tolist(), ["change"] * size)


def test_a_history_without_reverts_leaves_the_pooled_weights_unchanged() -> None:
    teaching = [history(0, 40, seed=1), history(0, 40, seed=2)]
    alone = fit_prior(teaching).coef
    with_quiet = fit_prior([*teaching, history(1, 0, seed=3, size=5_000)]).coef
    assert with_quiet == pytest.approx(alone, abs=1e-6)


def test_a_history_with_few_reverts_pulls_the_weights_less_than_one_with_many() -> None:
    teaching = [history(0, 40, seed=1), history(0, 40, seed=2)]
    few = fit_prior([*teaching, history(1, 10, seed=3)]).coef
    many = fit_prior([*teaching, history(1, FULL_WEIGHT_REVERTS, seed=3)]).coef
    # Column 1 predicts reverts only in the third history: its weight grows with that
    # history's say, and the say grows with its reverts.
    assert 0 < few[1] < many[1]
    assert few[0] > many[0]


def test_histories_without_any_revert_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="no history has a reverted commit"):
        fit_prior([history(0, 0, seed=1), history(1, 0, seed=2)])


def worded(seed: int, word: str, size: int = 400) -> History:
    """A history whose reverted commits (one in ten) are the ones whose subject says
    ``word``; the features say nothing."""
    rng = np.random.default_rng(seed)
    labels = rng.random(size) < 0.1
    subjects = [f"{word} the cache" if label else "update the cache" for label in labels]
    return History(rng.normal(size=(size, 2)).tolist(), labels.tolist(), subjects)


def test_a_subject_word_many_histories_share_is_learnt_and_a_projects_own_is_not() -> None:
    shared = [worded(seed, "disable") for seed in range(MIN_WORD_HISTORIES)]
    prior = fit_prior([*shared, worded(99, "reactivity")])
    assert prior.words["disable"] > 0.1
    assert "reactivity" not in prior.words  # one history's word says nothing of another's
    # "update" marks the commits that were *not* reverted: a word that would lower the risk is
    # dropped, so no subject can talk a change down.
    assert "update" not in prior.words and min(prior.words.values()) > 0
    assert prior.word_logit("Disable the cache (#12)") > prior.word_logit("Update the cache")
    assert prior.word_logit("Reactivity: the cache") == prior.word_logit("the cache")


def test_subject_words_are_plain_lowercase_content_words() -> None:
    assert subject_words("Revert \"Bump `lodash` to 4.17.21 (#812)\"") == {
        "revert", "bump", "lodash",
    }  # fmt: skip


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
