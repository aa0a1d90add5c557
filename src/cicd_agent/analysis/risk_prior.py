"""A cross-repository risk model: the centre a repository's own fit is blended with.

A repository's own history holds few reverts (a handful to a few dozen in 10,000 commits), too
few to learn many weights; pooled over many public histories there are hundreds. On the
time-split evaluation (``bench/risk_eval.py``, leave-one-repository-out) a logistic regression
fitted on the *other* repositories ranks a repository's later-reverted commits better than its
own fit alone, and the two blended better still (figures in ``BENCHMARKS.md``).

The coefficients ship in ``data/risk_prior.json``: numbers we fitted ourselves with
``bench/risk_prior_fit.py`` on public histories named in the file's provenance (none of the
held-out repositories), not fetched data. They act on features standardised by the
repository's *own* past (mean and spread), so one set of weights fits repositories of any size
or age.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from cicd_agent.analysis.jit import FEATURES

PRIOR_FILE = "data/risk_prior.json"
REGULARISATION = 0.005
"""scikit-learn's ``C`` for the pooled fit: strong, the best of 0.005–0.5 on the evaluation
(0.001 and 0.002 scored the same as 0.005)."""
FULL_WEIGHT_REVERTS = 30
"""A repository with at least this many reverted commits weighs fully in the pooled fit; one
with fewer weighs in proportion (none: not at all). A history with two reverts says almost
nothing about what gets reverted, yet at full weight its thousands of commits would pull the
weights towards whatever is merely common in it (leave-one-repository-out on 39 histories:
pooled AUC 0.669 against 0.662 at equal weights; 30 and 60 scored the same)."""


@dataclass(frozen=True)
class CrossRepoPrior:
    """Weights on standardised features, fitted on many repositories' histories."""

    coef: tuple[float, ...]
    intercept: float
    repositories: tuple[str, ...]


@lru_cache(maxsize=1)
def load_prior() -> CrossRepoPrior | None:
    """The shipped prior (see :func:`parse_prior`)."""
    try:
        return parse_prior(resources.files("cicd_agent").joinpath(PRIOR_FILE).read_text("utf-8"))
    except OSError:
        return None


def parse_prior(text: str) -> CrossRepoPrior | None:
    """A prior from its JSON, or None if it is damaged or was fitted on other features (a
    stale file must not be applied to the wrong columns)."""
    try:
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES or len(data["coef"]) != len(FEATURES):
            return None
        return CrossRepoPrior(
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            repositories=tuple(str(r) for r in data["provenance"]["repositories"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def standardise(
    rows: Sequence[Sequence[float]],
) -> tuple[list[list[float]], tuple[float, ...], tuple[float, ...]]:
    """Rows as z-scores of their own columns, with the means and spreads used."""
    import numpy as np

    matrix = np.asarray(rows, dtype=float)
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    standard = (matrix - mean) / scale
    return standard.tolist(), tuple(float(v) for v in mean), tuple(float(v) for v in scale)


def fit_prior(
    histories: Sequence[tuple[Sequence[Sequence[float]], Sequence[bool]]],
) -> tuple[tuple[float, ...], float]:
    """Fit the pooled model on several repositories' (rows, later-reverted labels), each
    standardised by its own columns. Each repository weighs the same whatever its length (a
    20,000-commit history must not drown a 2,000-commit one), scaled down when it has fewer
    than :data:`FULL_WEIGHT_REVERTS` reverts. Returns (coefficients, intercept)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    matrices, targets, weights = [], [], []
    for rows, labels in histories:
        standard, _, _ = standardise(rows)
        target = np.asarray(labels, dtype=bool)
        matrices.append(np.asarray(standard))
        targets.append(target)
        share = min(1.0, int(target.sum()) / FULL_WEIGHT_REVERTS)
        weights.append(np.full(len(labels), share / max(1, len(labels))))
    weight = np.concatenate(weights)
    weight *= np.count_nonzero(weight) / weight.sum()  # mean 1 over the rows that count
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000)
    model.fit(np.vstack(matrices), np.concatenate(targets), sample_weight=weight)
    return tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0])
