"""A risk model fitted to the repository's own history (issue 17).

Every repository has its own rate of reverts and its own kind of risky change, so the hand-set
weights of :mod:`risk` are only the *priors*. Given enough mined past (:mod:`mining`), we fit an
L2-regularised logistic regression (scikit-learn, balanced class weights so a 1 % revert rate
still moves the weights) on the just-in-time rows of :mod:`jit`, labelled by later reverts and
file-level SZZ (:func:`~cicd_agent.analysis.mining.fix_inducing`).

Calibration: balanced weights inflate probabilities by the class ratio, so the intercept is
shifted back by ``log(positives / negatives)`` (the prior-shift correction), giving the chance
that this change is reverted or needs a fix. Levels keep one meaning in every repository
whatever its revert rate: where the change ranks among the repository's own past commits
(:data:`LEVEL_PERCENTILES`): high is the riskiest 15 %, critical the riskiest 3 %.

The fit needs scikit-learn (the ``deploy`` extra); without it :func:`require_sklearn` raises a
usage error that says how to install it.
"""

from __future__ import annotations

import bisect
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
LEVEL_PERCENTILES = ((0.0, 0.0), (0.50, 0.30), (0.85, 0.60), (0.97, 0.85), (1.0, 0.999))
"""(share of past commits scored lower, score) knots: medium from the median past commit,
high for the riskiest 15 %, critical for the riskiest 3 %; linear in between. The same
meaning in every repository, whatever its revert rate."""


@dataclass(frozen=True)
class FittedModel:
    """A fitted model, kept as plain numbers: scoring needs no scikit-learn."""

    commits: int
    positives: int
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float  # already shifted back to the true base rate
    past_logits: tuple[float, ...]  # sorted log-odds of the training commits (for levels)

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

    def logit(self, row: Sequence[float]) -> float:
        return self.intercept + sum(self.contributions(row).values())

    def score(self, row: Sequence[float]) -> tuple[float, float, float]:
        """(score in [0, 1), probability, share of past commits scored lower) of ``row``."""
        logit = self.logit(row)
        probability = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
        share = bisect.bisect_left(self.past_logits, logit) / max(1, len(self.past_logits))
        return score_for_percentile(share), probability, share


def score_for_percentile(share: float) -> float:
    """Map the share of past commits scored lower onto the shared 0–1 scale."""
    for (low, low_score), (high, high_score) in itertools.pairwise(LEVEL_PERCENTILES):
        if share < high:
            return round(low_score + (share - low) / (high - low) * (high_score - low_score), 4)
    return LEVEL_PERCENTILES[-1][1]


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
    logits = model.decision_function((matrix - mean) / scale) + shift
    return FittedModel(
        commits=len(rows),
        positives=positives,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]) + shift,
        past_logits=tuple(sorted(float(v) for v in logits)),
    )
