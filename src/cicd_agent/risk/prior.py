"""A cross-repository risk model: the centre a repository's own fit is blended with.

A repository's history holds a handful to a few dozen reverts in 10,000 commits, too few to learn
many weights; pooled over many public histories there are hundreds. On the leave-one-repository-out
evaluation (``research/risk/eval.py``) a fit on the other repositories ranks a repository's reverted
commits better than its own fit, and the blend better still (``BENCHMARKS.md``).

The coefficients in ``data/risk_prior.json`` are ours, fitted by ``research/risk/prior_fit.py``
(nothing in the wheel trains the prior) on the public histories its provenance names. They act on
features ranked within the repository's own past (:class:`Ranks`), so one set of weights fits
repositories of any size."""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from cicd_agent.risk.jit import FEATURES

PRIOR_FILE = "data/risk_prior.json"


@dataclass(frozen=True)
class CrossRepoPrior:
    """Weights on ranked features (:class:`Ranks`), fitted on many repositories' histories
    under the signs :data:`~cicd_agent.risk.model.DIRECTIONS` allows (``research/risk``)."""

    coef: tuple[float, ...]
    intercept: float
    repositories: tuple[str, ...]
    digest: str = ""  # of the file it was read from: a fit made with it is keyed by it


@lru_cache(maxsize=1)
def load_prior() -> CrossRepoPrior | None:
    try:
        return parse_prior(resources.files("cicd_agent").joinpath(PRIOR_FILE).read_text("utf-8"))
    except OSError:
        return None


def parse_prior(text: str) -> CrossRepoPrior | None:
    """A prior from its JSON, or None if it is damaged or was fitted on other features (a
    stale file must not be applied to the wrong columns). Its digest is that of ``text``."""
    try:
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES or len(data["coef"]) != len(FEATURES):
            return None
        return CrossRepoPrior(
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            repositories=tuple(str(r) for r in data["provenance"]["repositories"]),
            digest=hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest(),
        )
    except (ValueError, KeyError, TypeError):
        return None


QUANTILES = 1001
"""Knots kept of each feature's distribution in a repository's past (every 0.1 %)."""


@dataclass(frozen=True)
class Ranks:
    """A value's place among a repository's own past values of each feature, centred (mean 0,
    spread 1). Ranks, not z-scores: the features have long tails whose spread differs by
    repository, so a weight learnt on z-scores means something else elsewhere (BENCHMARKS.md).
    Ties take the middle rank."""

    knots: tuple[tuple[float, ...], ...]  # per feature: QUANTILES sorted order statistics

    @classmethod
    def of(cls, rows: Sequence[Sequence[float]]) -> Ranks:
        import numpy as np  # only when fitting

        matrix = np.asarray(rows, dtype=float)
        quantiles = np.quantile(matrix, np.linspace(0.0, 1.0, QUANTILES), axis=0)
        return cls(tuple(tuple(float(v) for v in column) for column in quantiles.T))

    def row(self, row: Sequence[float]) -> list[float]:
        return [
            _centred((bisect.bisect_left(q, x) + bisect.bisect_right(q, x)) / (2 * len(q)))
            for x, q in zip(row, self.knots, strict=True)
        ]

    def matrix(self, rows: Sequence[Sequence[float]]) -> Any:
        """Many rows' centred ranks, as a numpy array (the same numbers as :meth:`row`)."""
        import numpy as np  # only when fitting

        matrix = np.asarray(rows, dtype=float)
        out = np.empty_like(matrix)
        for j, knots in enumerate(self.knots):
            q = np.asarray(knots)
            low = np.searchsorted(q, matrix[:, j], side="left")
            high = np.searchsorted(q, matrix[:, j], side="right")
            out[:, j] = _centred((low + high) / (2 * len(q)))
        return out


def _centred(share: Any) -> Any:
    """A share in [0, 1] as a uniform score with mean 0 and spread 1."""
    return (share - 0.5) * _SPREAD


_SPREAD = math.sqrt(12.0)
