"""The within-repository AUCs of ``tests/helpers/risk_measures.py``, which research/risk reports
(a deploy gate ranks a change against its own repository, so risk is judged by the AUC within
each repository).

Each case is small enough to count its pairs by hand; the answer is written out in the test.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import risk_measures as risk_eval


def _arrays(
    *repositories: tuple[str, list[float], list[int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores = np.concatenate([np.asarray(s, dtype=float) for _, s, _ in repositories])
    labels = np.concatenate([np.asarray(x, dtype=bool) for _, _, x in repositories])
    groups = np.concatenate([np.full(len(s), name) for name, s, _ in repositories])
    return scores, labels, groups


# Repository a reverts more and scores everything 1.0; b scores everything 0.0. Neither ranks
# its own commits at all (every own pair is a tie: 0.5), but across repositories a's reverted
# commits beat b's kept ones. Pairs: 3 reverted x 4 kept = 12; a-reverted vs a-kept 2 ties
# (1.0), a-reverted vs b-kept 6 wins, b-reverted vs a-kept 1 loss, b-reverted vs b-kept 3 ties
# (1.5): 8.5 / 12.
RATE_ONLY = _arrays(("a", [1, 1, 1], [1, 1, 0]), ("b", [0, 0, 0, 0], [1, 0, 0, 0]))


def test_the_pooled_auc_rewards_which_repository_reverts_more_and_within_does_not() -> None:
    scores, labels, groups = RATE_ONLY
    assert risk_eval.auc(scores, labels) == pytest.approx(8.5 / 12)
    assert risk_eval.within_auc(scores, labels, groups) == pytest.approx(0.5)
    assert risk_eval.mean_auc(scores, labels, groups) == (pytest.approx(0.5), 2)


def test_mean_and_pooled_within_weigh_repositories_differently() -> None:
    # a ranks its 2 pairs right (AUC 1), b its 1 pair wrong (AUC 0): the mean gives each
    # repository one vote (0.5), pooled within gives each pair one (2 of 3 right). Across
    # repositories: 0.9 beats all three kept, 0.1 none: 3 of 6.
    scores, labels, groups = _arrays(("a", [0.9, 0.8, 0.7], [1, 0, 0]), ("b", [0.1, 0.2], [1, 0]))
    assert risk_eval.mean_auc(scores, labels, groups) == (pytest.approx(0.5), 2)
    assert risk_eval.within_auc(scores, labels, groups) == pytest.approx(2 / 3)
    assert risk_eval.auc(scores, labels) == pytest.approx(0.5)


def test_a_repository_without_both_classes_has_no_auc_and_is_counted_out() -> None:
    scores, labels, groups = _arrays(
        ("a", [0.9, 0.1], [1, 0]), ("never", [0.5, 0.6, 0.7], [0, 0, 0]), ("all", [0.2], [1])
    )
    assert risk_eval.mean_auc(scores, labels, groups) == (pytest.approx(1.0), 1)
    assert risk_eval.within_auc(scores, labels, groups) == pytest.approx(1.0)
    empty = _arrays(("never", [0.5], [0]))
    assert np.isnan(risk_eval.within_auc(*empty))
    assert np.isnan(risk_eval.mean_auc(*empty)[0])


def test_pooled_within_counts_exactly_the_pairs_of_one_repository() -> None:
    # Against a brute-force count of every same-repository (reverted, kept) pair, ties half.
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 6, 60).astype(float)  # many ties
    labels = rng.random(60) < 0.3
    groups = rng.choice(np.array(["x", "y", "z"]), 60)
    right = pairs = 0.0
    for i, j in itertools.product(range(60), repeat=2):
        if groups[i] == groups[j] and labels[i] and not labels[j]:
            pairs += 1
            right += 1.0 if scores[i] > scores[j] else 0.5 if scores[i] == scores[j] else 0.0
    assert risk_eval.within_auc(scores, labels, groups) == pytest.approx(right / pairs)


def test_resampling_repositories_keeps_a_drawn_twice_repository_to_its_own_pairs() -> None:
    # With a single repository every draw is that repository (possibly never another), so
    # every interval is the point itself; the rate-only set can draw a alone, b alone or
    # both, and within a repository nothing is ever ranked: its within interval is [0.5, 0.5]
    # while the pooled-across interval is not.
    one = _arrays(("a", [0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]))
    spread = risk_eval.bootstrap_repositories(*one, reps=50)
    assert spread == {"pooled": (0.75, 0.75), "mean": (0.75, 0.75), "within": (0.75, 0.75)}
    spread = risk_eval.bootstrap_repositories(*RATE_ONLY, reps=200)
    assert spread["within"] == (0.5, 0.5)
    assert spread["mean"] == (0.5, 0.5)
    assert spread["pooled"][1] > 0.5


def test_a_paired_difference_sees_a_shift_between_repositories_only_across() -> None:
    # "after" adds 10 to every score of repository a: each repository's own order is the
    # same, so both within differences are exactly 0 on every draw; across, a's commits now
    # outrank all of b's, which moves the pooled AUC.
    scores, labels, groups = _arrays(
        ("a", [0.2, 0.4, 0.1, 0.3], [1, 0, 0, 1]), ("b", [0.9, 0.5, 0.6], [1, 0, 0])
    )
    after = np.where(groups == "a", scores + 10, scores)
    spread = risk_eval.bootstrap_repositories(after, labels, groups, reps=200, before=scores)
    assert spread["mean"] == (0.0, 0.0)
    assert spread["within"] == (0.0, 0.0)
    assert spread["pooled"] != (0.0, 0.0)


def test_report_reads_saved_scorings_and_checks_they_score_the_same_commits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scores, labels, groups = RATE_ONLY
    saved = {}
    for name in ("a", "b"):
        saved[f"{name}/score"] = scores[groups == name]
        saved[f"{name}/label"] = labels[groups == name].astype(float)
    np.savez(tmp_path / "after.npz", **saved)
    np.savez(tmp_path / "before.npz", **{**saved, "a/score": saved["a/score"] * 0})
    risk_eval.report([tmp_path / "after.npz"], [tmp_path / "before.npz"])
    out = capsys.readouterr().out
    assert "score AUC 0.708" in out  # pooled across, 8.5 / 12
    assert "pooled within 0.500" in out
    assert "over 2 repositories" in out
    # before: a's commits all 0, like b's, so across is within (0.5); after - before = +0.208
    assert "pooled +0.2083" in out
    assert "POOLED against                   | AUC 0.500" in out
    assert "within +0.0000" in out
    np.savez(tmp_path / "other.npz", **{**saved, "a/label": saved["a/label"][::-1]})
    with pytest.raises(SystemExit, match="same repositories' same commits"):
        risk_eval.report([tmp_path / "after.npz"], [tmp_path / "other.npz"])
    with pytest.raises(SystemExit, match="saved twice"):
        risk_eval.report([tmp_path / "after.npz", tmp_path / "after.npz"], [])
