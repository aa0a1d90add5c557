"""A risk model fitted to the repository's own history (issue 17).

Every repository has its own rate of reverts and its own kind of risky change, so the hand-set
weights of :mod:`risk` are only the *priors*. Given enough mined past (:mod:`mining`), we fit an
L2-regularised logistic regression (scikit-learn, balanced class weights so a 1 % revert rate
still moves the weights) on the just-in-time rows of :mod:`jit`, labelled by later reverts.

Calibration: balanced weights inflate probabilities by the class ratio, so the intercept is
shifted back by ``log(positives / negatives)`` (the prior-shift correction), giving the chance
that this change is reverted. Levels keep one meaning in every repository: *relative risk*,
that chance divided by the repository's base rate (:data:`RELATIVE_LEVELS`). A change at the
base rate is medium; high means :data:`HIGH_RR` times the usual chance of being reverted.

The fit needs scikit-learn (the ``deploy`` extra); without it :func:`require_sklearn` raises a
usage error that says how to install it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from cicd_agent.analysis.jit import FEATURES
from cicd_agent.errors import UsageError

MIN_COMMITS = 300
"""Fewer past commits than this: the priors."""
MIN_POSITIVES = 8
"""Fewer reverted past commits than this: the priors."""
REGULARISATION = 0.05
"""scikit-learn's ``C`` (inverse L2 strength): strong, because positives are few."""
MEDIUM_RR = 1.0
HIGH_RR = 3.0
CRITICAL_RR = 8.0
RELATIVE_LEVELS = ((0.0, 0.0), (MEDIUM_RR, 0.30), (HIGH_RR, 0.60), (CRITICAL_RR, 0.85))
"""(relative risk, score) knots: the score is piecewise-linear in log relative risk between
them, so :func:`~cicd_agent.analysis.risk.level_for` gives low below the base rate, medium from
it, high from three times it and critical from eight times it."""


@dataclass(frozen=True)
class FittedModel:
    """A fitted model, kept as plain numbers: scoring needs no scikit-learn."""

    commits: int
    positives: int
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float  # already shifted back to the true base rate

    @property
    def base_rate(self) -> float:
        return self.positives / self.commits

    def contributions(self, row: Sequence[float]) -> dict[str, float]:
        """Log-odds each feature adds for ``row`` relative to an average past commit."""
        return {
            name: c * (x - m) / s
            for name, x, m, s, c in zip(
                FEATURES, row, self.mean, self.scale, self.coef, strict=True
            )
        }

    def probability(self, row: Sequence[float]) -> float:
        logit = self.intercept + sum(self.contributions(row).values())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def score(self, row: Sequence[float]) -> tuple[float, float, float]:
        """(score in [0, 1), probability, relative risk) of ``row``."""
        probability = self.probability(row)
        relative = probability / self.base_rate
        return score_for_relative_risk(relative), probability, relative


def score_for_relative_risk(relative: float) -> float:
    """Map a relative risk onto the shared 0–1 scale (see :data:`RELATIVE_LEVELS`)."""
    if relative <= 0:
        return 0.0
    knots = RELATIVE_LEVELS
    if relative < knots[1][0]:
        return round(float(knots[1][1] * relative), 4)  # linear below the base rate
    for (low_rr, low_score), (high_rr, high_score) in itertools.pairwise(knots[1:]):
        if relative < high_rr:
            share = math.log(relative / low_rr) / math.log(high_rr / low_rr)
            return round(low_score + share * (high_score - low_score), 4)
    # Above the last knot: approach 1 slowly (doubling the risk closes half the gap).
    over = math.log2(relative / knots[-1][0])
    return round(min(0.999, 1.0 - (1.0 - knots[-1][1]) * float(0.5**over)), 4)


def require_sklearn() -> None:
    """Fail clearly when the ``deploy`` extra is not installed."""
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            "deploy-gate fits its risk model with scikit-learn, which is not installed.",
            hint="Install the deploy extra: pip install 'cicd-agent[deploy]'.",
        ) from exc


def fit(rows: Sequence[Sequence[float]], labels: Sequence[bool]) -> FittedModel | None:
    """Fit on past rows and labels; None when there is too little history to beat the priors."""
    positives = sum(1 for label in labels if label)
    if len(rows) < MIN_COMMITS or positives < MIN_POSITIVES:
        return None
    require_sklearn()
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    matrix = np.asarray(rows, dtype=float)
    target = np.asarray(labels, dtype=bool)
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000)
    model.fit((matrix - mean) / scale, target)
    negatives = len(labels) - positives
    # Balanced weights scale each class to n/2: undo it to get the true chance.
    shift = math.log(positives / negatives)
    return FittedModel(
        commits=len(rows),
        positives=positives,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]) + shift,
    )
