"""The pooled cross-repository fit of the risk prior shipped in
``src/cicd_agent/data/risk_prior.json``: the part of ``research/risk/prior_fit.py`` its tests
check. Nothing in the wheel trains the prior; deploy-gate only reads it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cicd_agent.risk import model as risk_model
from cicd_agent.risk.prior import CrossRepoPrior, Ranks

REGULARISATION = 0.05
"""The ``C`` of the pooled fit. 0.005 was the best of 0.005–0.5 ranking later reverts; on SZZ
labels (batch K, each repository scored by a prior fitted on the others) 0.05 ranked
defect-inducing commits at 0.774 mean AUC against 0.768 at 0.005 (0.5: 0.774)."""
FULL_WEIGHT_REVERTS = 30
"""A repository with at least this many reverted commits weighs fully in the pooled fit; one
with fewer weighs in proportion (none: not at all). A history with two reverts says almost
nothing about what gets reverted, yet at full weight its thousands of commits would pull the
weights towards whatever is merely common in it (leave-one-repository-out on 39 histories:
pooled AUC 0.669 against 0.662 at equal weights; 30 and 60 scored the same)."""

History = tuple[Sequence[Sequence[float]], Sequence[bool]]
"""One repository's past as the pooled fit reads it: rows (:mod:`~cicd_agent.risk.jit`) and
whether each commit was later reverted."""


def fit_prior(histories: Sequence[History], *, constrained: bool = True) -> CrossRepoPrior:
    """The pooled model of several repositories' histories, each ranked within its own past
    (:class:`Ranks`). Each repository weighs the same whatever its length (a 20,000-commit
    history must not drown a 2,000-commit one), scaled down when it has fewer than
    :data:`FULL_WEIGHT_REVERTS` reverts. ``constrained``: the signs of
    :data:`~cicd_agent.risk.model.DIRECTIONS` (else free, as the prior was fitted before).
    Raises ``ValueError`` when no history has a revert (nothing to learn from)."""
    matrices, targets, weights = [], [], []
    for rows, labels in histories:
        target = np.asarray(labels, dtype=bool)
        matrices.append(Ranks.of(rows).matrix(rows))
        targets.append(target)
        share = min(1.0, int(target.sum()) / FULL_WEIGHT_REVERTS)
        weights.append(np.full(len(target), share / max(1, len(target))))
    weight = np.concatenate(weights)
    if not weight.any():
        raise ValueError("no history has a reverted commit: there is nothing to fit")
    weight *= np.count_nonzero(weight) / weight.sum()  # mean 1 over the rows that count
    target = np.concatenate(targets)
    matrix = np.vstack(matrices)
    limits = risk_model.bounds() if constrained else [(None, None)] * matrix.shape[1]
    # Balanced over the rows that count: a history that weighs nothing moves nothing.
    total, positive = weight.sum(), weight[target].sum()
    weight *= np.where(target, total / (2 * positive), total / (2 * (total - positive)))
    coef, intercept = risk_model.bounded_logistic(matrix, target, weight, REGULARISATION, limits)
    return CrossRepoPrior(tuple(float(v) for v in coef), intercept, ())
