"""The measures of a risk scoring: ROC-AUC, within each repository and pooled, with bootstrap
intervals, and the report of saved scorings (``python -m research.risk.eval --report``).

A deploy gate only compares a change with its own repository's past, so the headline is the
mean of the repositories' own AUCs; pooled-across is printed beside it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half."""
    from scipy.stats import rankdata

    positives = labels.sum()
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def delong(first: np.ndarray, second: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """DeLong's test of two correlated AUCs on the same commits (DeLong et al., Biometrics
    1988, with the placement values of Sun & Xu 2014): the difference ``first - second`` and
    the one-sided p-value that ``first`` ranks *below* ``second`` (the per-repository
    test: no repository significantly below lines added alone)."""
    from scipy.stats import norm, rankdata

    positives, negatives = labels.astype(bool), ~labels.astype(bool)
    m, n = int(positives.sum()), int(negatives.sum())
    if m < 2 or n < 2:
        return float("nan"), float("nan")
    aucs, v10, v01 = [], [], []
    for scores in (first, second):
        x, y = scores[positives], scores[negatives]
        joint = rankdata(np.concatenate([x, y]))
        rx, ry = rankdata(x), rankdata(y)
        aucs.append((joint[:m].sum() - m * (m + 1) / 2) / (m * n))
        v10.append((joint[:m] - rx) / n)  # per positive: share of negatives below it
        v01.append(1.0 - (joint[m:] - ry) / m)  # per negative: share of positives above it
    s10, s01 = np.cov(np.vstack(v10)), np.cov(np.vstack(v01))
    variance = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (
        s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]
    ) / n
    difference = float(aucs[0] - aucs[1])
    if variance <= 0:
        return difference, 1.0 if difference >= 0 else 0.0
    return difference, float(norm.cdf(difference / math.sqrt(variance)))


def bootstrap(scores: np.ndarray, labels: np.ndarray, reps: int = 1000) -> tuple[float, float]:
    rng = np.random.default_rng(17)
    values = []
    for _ in range(reps):
        pick = rng.integers(0, len(labels), len(labels))
        value = auc(scores[pick], labels[pick])
        if not np.isnan(value):
            values.append(value)
    if not values:  # no reverted commit in the test blocks: no AUC to bound
        return float("nan"), float("nan")
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def per_repository(
    scores: np.ndarray, labels: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each repository's own AUC and its number of (reverted, kept) pairs, for the
    repositories that have both classes (the others have no AUC and no pair)."""
    aucs, pairs = [], []
    for name in np.unique(groups):
        mine = groups == name
        positives = int(labels[mine].sum())
        negatives = int(mine.sum()) - positives
        if positives and negatives:
            aucs.append(auc(scores[mine], labels[mine]))
            pairs.append(positives * negatives)
    return np.asarray(aucs, dtype=float), np.asarray(pairs, dtype=float)


def mean_auc(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> tuple[float, int]:
    """The mean of the repositories' own AUCs, and how many repositories have both classes
    (only those have an AUC): what a user of a typical repository gets."""
    aucs, _ = per_repository(scores, labels, groups)
    return (float(aucs.mean()) if len(aucs) else float("nan")), len(aucs)


def within_auc(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> float:
    """The AUC pooled within repositories: the share of (reverted, kept) pairs *of the same
    repository* ranked right, ties half (a stratified Mann-Whitney AUC). A deploy gate only
    compares a change with its own repository's past, so pairs across repositories, which
    make most of the pooled AUC and reward knowing which repository reverts more, are left
    out. Equal to the repositories' AUCs averaged with their pair counts as weights."""
    aucs, pairs = per_repository(scores, labels, groups)
    return float((aucs * pairs).sum() / pairs.sum()) if pairs.sum() else float("nan")


def _own(scores: np.ndarray, labels: np.ndarray, members: list[np.ndarray]) -> np.ndarray:
    """Per repository (one row each, in ``members``' order): its own AUC and its number of
    (reverted, kept) pairs; a repository without both classes gets no AUC and no pair."""
    rows = []
    for index in members:
        positives = int(labels[index].sum())
        pairs = positives * (len(index) - positives)
        rows.append((auc(scores[index], labels[index]) if pairs else float("nan"), pairs))
    return np.asarray(rows, dtype=float).reshape(-1, 2)


def _within_measures(own: np.ndarray) -> tuple[float, float]:
    """Mean per-repository and pooled-within AUC from :func:`_own`'s rows (a row may be
    repeated: a repository drawn twice counts twice, its pairs still only its own)."""
    kept = own[own[:, 1] > 0]
    if not len(kept):
        return float("nan"), float("nan")
    return float(kept[:, 0].mean()), float((kept[:, 0] * kept[:, 1]).sum() / kept[:, 1].sum())


def bootstrap_repositories(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    reps: int = 1000,
    before: np.ndarray | None = None,
) -> dict[str, tuple[float, float]]:
    """95 % intervals of the pooled-across, mean per-repository and pooled-within AUCs when
    whole repositories are resampled with replacement: the spread a new set of repositories
    of the same kinds would show, wider than resampling commits. With ``before`` (another
    scoring of the same commits), intervals of ``scores``' measure minus ``before``'s, both
    on the same draw: a paired comparison."""
    rng = np.random.default_rng(17)
    names = np.unique(groups)
    members = [np.flatnonzero(groups == name) for name in names]
    own = _own(scores, labels, members)
    own_before = _own(before, labels, members) if before is not None else None
    values: dict[str, list[float]] = {"pooled": [], "mean": [], "within": []}
    for _ in range(reps):
        drawn = rng.integers(0, len(names), len(names))
        index = np.concatenate([members[i] for i in drawn])
        found = [auc(scores[index], labels[index]), *_within_measures(own[drawn])]
        if before is not None and own_before is not None:
            base = [auc(before[index], labels[index]), *_within_measures(own_before[drawn])]
            found = [a - b for a, b in zip(found, base, strict=True)]
        for key, value in zip(values, found, strict=True):
            values[key].append(value)
    return {key: _interval(found) for key, found in values.items()}


def bootstrap_within(
    scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, reps: int = 300
) -> tuple[float, float]:
    """95 % interval of the pooled-within AUC when commits are resampled inside each
    repository (the repositories fixed): the noise of these repositories' own test blocks."""
    rng = np.random.default_rng(17)
    members = [np.flatnonzero(groups == name) for name in np.unique(groups)]
    values = []
    for _ in range(reps):
        index = np.concatenate([rng.choice(m, len(m)) for m in members])
        values.append(within_auc(scores[index], labels[index], groups[index]))
    return _interval(values)


def _interval(values: list[float]) -> tuple[float, float]:
    kept = [value for value in values if not np.isnan(value)]
    if not kept:
        return float("nan"), float("nan")
    return float(np.percentile(kept, 2.5)), float(np.percentile(kept, 97.5))


def within_report(
    scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, label: str = "score"
) -> str:
    """The within-repository measures of one scoring, as printed under the pooled row."""
    mean, repositories = mean_auc(scores, labels, groups)
    low, high = bootstrap_within(scores, labels, groups)
    spread = bootstrap_repositories(scores, labels, groups)
    return (
        f"{'WITHIN ' + label:32} mean per repository {mean:.3f} "
        f"[{spread['mean'][0]:.3f}-{spread['mean'][1]:.3f}] over {repositories} repositories "
        f"with both classes | pooled within {within_auc(scores, labels, groups):.3f} "
        f"[{spread['within'][0]:.3f}-{spread['within'][1]:.3f}; commits resampled "
        f"{low:.3f}-{high:.3f}] | pooled across, repositories resampled "
        f"[{spread['pooled'][0]:.3f}-{spread['pooled'][1]:.3f}]"
    )


def load_saved(paths: list[Path]) -> dict[str, dict[str, np.ndarray]]:
    """Repository name -> its saved arrays (``--save``'s files; later files add repositories,
    a repository saved twice is an error)."""
    found: dict[str, dict[str, np.ndarray]] = {}
    for path in paths:
        with np.load(path) as saved:
            for key in saved.files:
                name, _, array = key.rpartition("/")
                if array == "label" and "label" in found.get(name, {}):
                    raise SystemExit(f"{name} is saved twice ({path})")
                found.setdefault(name, {})[array] = saved[key]
    return found


def report(paths: list[Path], against: list[Path]) -> None:
    """Measures of saved scorings (``--report``); with ``against``, the paired difference
    from another scoring of the same commits (same repositories, same labels)."""
    saved = load_saved(paths)
    names = sorted(saved)
    labels = np.concatenate([saved[n]["label"] for n in names]).astype(bool)
    groups = np.concatenate([np.full(len(saved[n]["label"]), n) for n in names])
    scores = np.concatenate([saved[n]["score"] for n in names])
    before = None
    if against:
        other = load_saved(against)
        if sorted(other) != names or not all(
            np.array_equal(other[n]["label"], saved[n]["label"]) for n in names
        ):
            raise SystemExit("--against must score the same repositories' same commits")
        before = np.concatenate([other[n]["score"] for n in names])
    for name in names:
        mine = groups == name
        line = f"{name:32} n={int(mine.sum()):6} reverted={int(labels[mine].sum()):4}"
        line += f" | score AUC {auc(scores[mine], labels[mine]):.3f}"
        if before is not None:
            line += f" | against {auc(before[mine], labels[mine]):.3f}"
        print(line)
    low, high = bootstrap(scores, labels, 300)
    print(
        f"{'POOLED':32} n={len(labels):6} reverted={int(labels.sum()):4} "
        f"({labels.mean():.2%}) | score AUC {auc(scores, labels):.3f} [{low:.3f}-{high:.3f}]"
    )
    print(within_report(scores, labels, groups))
    if before is not None:
        low, high = bootstrap(before, labels, 300)
        print(f"{'POOLED against':32} | AUC {auc(before, labels):.3f} [{low:.3f}-{high:.3f}]")
        print(within_report(before, labels, groups, "against"))
        spread = bootstrap_repositories(scores, labels, groups, before=before)
        now = [
            auc(scores, labels),
            mean_auc(scores, labels, groups)[0],
            within_auc(scores, labels, groups),
        ]
        then = [
            auc(before, labels),
            mean_auc(before, labels, groups)[0],
            within_auc(before, labels, groups),
        ]
        line = f"{'PAIRED score - against':32}"
        for (key, (low, high)), a, b in zip(spread.items(), now, then, strict=True):
            line += f" | {key} {a - b:+.4f} [{low:+.4f} {high:+.4f}]"
        own_now, _ = per_repository(scores, labels, groups)
        own_then, _ = per_repository(before, labels, groups)
        line += (
            f" | repositories better {int((own_now > own_then).sum())}, worse "
            f"{int((own_now < own_then).sum())}, same {int((own_now == own_then).sum())}"
        )
        print(line)
