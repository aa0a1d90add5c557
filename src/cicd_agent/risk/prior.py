"""A cross-repository risk model: the centre a repository's own fit is blended with.

A repository's own history holds few reverts (a handful to a few dozen in 10,000 commits), too
few to learn many weights; pooled over many public histories there are hundreds. On the
time-split evaluation (``bench/risk_eval.py``, leave-one-repository-out) a logistic regression
fitted on the *other* repositories ranks a repository's later-reverted commits better than its
own fit alone, and the two blended better still (figures in ``BENCHMARKS.md``).

The coefficients ship in ``data/risk_prior.json``: numbers we fitted ourselves with
``bench/risk_prior_fit.py`` on public histories named in the file's provenance (none of the
held-out repositories), not fetched data. They act on features ranked within the
repository's *own* past (:class:`Ranks`), so one set of weights fits repositories of any size,
age or habit.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from cicd_agent.risk.jit import FEATURES

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


WORD_SCALE = 0.3
"""The value a subject word's column takes (the ranked features spread 1): at 0.3 the words
raised the pooled AUC, at 1.0 they overfitted (lower on the 39 histories)."""
MIN_WORD_HISTORIES = 20
"""A word enters the prior only if this many of the fitted histories use it in subjects: a
word one project uses ("reactivity") says nothing about another."""
_WORD = re.compile(r"[a-z]+")
STOP_WORDS = frozenset(
    (
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any",
        "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
        "both", "but", "by", "can", "could", "did", "do", "does", "doing", "during", "each",
        "either", "else", "etc", "few", "for", "from", "further", "had", "has", "have",
        "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into",
        "is", "it", "its", "itself", "just", "may", "me", "might", "more", "most", "must", "my",
        "neither", "no", "nor", "not", "now", "of", "on", "once", "only", "or", "other", "our",
        "ours", "over", "own", "per", "same", "she", "should", "so", "some", "such", "than",
        "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this",
        "those", "through", "to", "too", "under", "until", "upon", "us", "very", "via", "was",
        "we", "were", "what", "when", "where", "whether", "which", "while", "who", "whom",
        "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your"
    )
)  # fmt: skip
"""English function words (articles, pronouns, prepositions, conjunctions, auxiliaries):
they say nothing about a change, so they never count as evidence. The pooled fit gave some
of them weight ("of", "to", "for" are more common in the long subjects of reverted commits),
and a reason then read "the subject uses words common in later-reverted commits: of, to"."""


def subject_words(subject: str) -> frozenset[str]:
    """The distinct lowercase content words of a commit subject (digits, punctuation and
    :data:`STOP_WORDS` dropped)."""
    return frozenset(word for word in _WORD.findall(subject.lower()) if word not in STOP_WORDS)


@dataclass(frozen=True)
class CrossRepoPrior:
    """Weights on ranked features (:class:`Ranks`) and on the words of the commit subject,
    fitted on many repositories' histories.

    Words carry what the diff does not: "remove", "disable", "timeout", "temporarily" are
    reverted more often than the rest. The subject is the author's to write, so only the words
    that *raise* the risk are kept (the pooled fit also learns that "docs", "bump" and
    "release" are rarely reverted, and those weights are dropped): no subject can talk a change
    below what its diff and history say. Keeping only these cost 0.003–0.005 pooled AUC on
    the evaluation. The floors of :mod:`floors` (weakened access, destructive migrations) do not
    read words at all."""

    coef: tuple[float, ...]
    intercept: float
    repositories: tuple[str, ...]
    words: Mapping[str, float] = field(default_factory=dict)  # log-odds each word adds
    digest: str = ""  # of the file it was read from: a fit made with it is keyed by it

    def word_logit(self, subject: str) -> float:
        """The log-odds a subject's words add."""
        return math.fsum(self.words.get(word, 0.0) for word in subject_words(subject))


@lru_cache(maxsize=1)
def load_prior() -> CrossRepoPrior | None:
    """The shipped prior (see :func:`parse_prior`)."""
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
            words={str(word): float(value) for word, value in data.get("words", {}).items()},
            digest=hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest(),
        )
    except (ValueError, KeyError, TypeError):
        return None


QUANTILES = 1001
"""Knots kept of each feature's distribution in a repository's past (every 0.1 %)."""


@dataclass(frozen=True)
class Ranks:
    """Where a value falls among a repository's own past values of each feature, as a
    centred score (uniform, mean 0 and spread 1 over the past).

    Why ranks and not z-scores: the features are counts and ages with long tails, and their
    spread differs from one repository to the next; a weight learnt on one repository's
    z-scores means something else on another's. Ranks mean the same everywhere (on the
    evaluation: fresh histories 0.671 against 0.647 pooled AUC, BENCHMARKS.md). Ties take the
    middle rank, so a flag that is 0 on 90 % of past commits scores 0 as -0.16 and 1 as 1.56
    (times the spread factor), not 0 and 1."""

    knots: tuple[tuple[float, ...], ...]  # per feature: QUANTILES sorted order statistics

    @classmethod
    def of(cls, rows: Sequence[Sequence[float]]) -> Ranks:
        import numpy as np  # +101 modules (python -X importtime): only when fitting

        matrix = np.asarray(rows, dtype=float)
        quantiles = np.quantile(matrix, np.linspace(0.0, 1.0, QUANTILES), axis=0)
        return cls(tuple(tuple(float(v) for v in column) for column in quantiles.T))

    def row(self, row: Sequence[float]) -> list[float]:
        """One row's centred ranks."""
        return [
            _centred((bisect.bisect_left(q, x) + bisect.bisect_right(q, x)) / (2 * len(q)))
            for x, q in zip(row, self.knots, strict=True)
        ]

    def matrix(self, rows: Sequence[Sequence[float]]) -> Any:
        """Many rows' centred ranks, as a numpy array (the same numbers as :meth:`row`)."""
        import numpy as np  # +101 modules (python -X importtime): only when fitting

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


@dataclass(frozen=True)
class History:
    """One repository's past as the pooled fit reads it."""

    rows: Sequence[Sequence[float]]
    labels: Sequence[bool]  # later reverted
    subjects: Sequence[str]


def fit_prior(histories: Sequence[History]) -> CrossRepoPrior:
    """Fit the pooled model on several repositories' histories, each ranked within its own
    past (:class:`Ranks`), with the words of the subjects that at least
    :data:`MIN_WORD_HISTORIES` of them use. Each repository weighs the same whatever its
    length (a 20,000-commit history must not drown a 2,000-commit one), scaled down when it
    has fewer than :data:`FULL_WEIGHT_REVERTS` reverts. Raises ``ValueError`` when no history
    has a revert (nothing to learn from)."""
    # numpy +101, scipy +117, sklearn ~1,090 modules (python -X importtime): the prior is fitted
    # offline (bench/tools), never on a deploy-gate run, which reads the fitted numbers.
    import numpy as np
    from scipy import sparse  # +117 modules (python -X importtime): only when fitting
    from sklearn.linear_model import LogisticRegression

    vocabulary = _vocabulary(histories)
    matrices, targets, weights = [], [], []
    for history in histories:
        target = np.asarray(history.labels, dtype=bool)
        words = _word_matrix(history.subjects, vocabulary) * WORD_SCALE
        ranked = Ranks.of(history.rows).matrix(history.rows)
        matrices.append(sparse.hstack([sparse.csr_matrix(ranked), words]).tocsr())
        targets.append(target)
        share = min(1.0, int(target.sum()) / FULL_WEIGHT_REVERTS)
        weights.append(np.full(len(target), share / max(1, len(target))))
    weight = np.concatenate(weights)
    if not weight.any():
        raise ValueError("no history has a reverted commit: there is nothing to fit")
    weight *= np.count_nonzero(weight) / weight.sum()  # mean 1 over the rows that count
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000)
    model.fit(sparse.vstack(matrices).tocsr(), np.concatenate(targets), sample_weight=weight)
    coef = [float(v) for v in model.coef_[0]]
    dense = len(coef) - len(vocabulary)
    return CrossRepoPrior(
        coef=tuple(coef[:dense]),
        intercept=float(model.intercept_[0]),
        repositories=(),
        words={  # only the words that raise: see CrossRepoPrior
            word: round(value * WORD_SCALE, 4)
            for word, value in zip(vocabulary, coef[dense:], strict=True)
            if round(value * WORD_SCALE, 4) > 0
        },
    )


def _vocabulary(histories: Sequence[History]) -> list[str]:
    """The subject words that at least :data:`MIN_WORD_HISTORIES` histories use, sorted."""
    used: Counter[str] = Counter()
    for history in histories:
        used.update(set().union(*map(subject_words, history.subjects)))
    return sorted(word for word, count in used.items() if count >= MIN_WORD_HISTORIES)


def _word_matrix(subjects: Sequence[str], vocabulary: Sequence[str]) -> Any:
    """A 0/1 sparse matrix: which vocabulary words each subject has."""
    # Here, not at the top: scipy.sparse costs ~0.8 s to import (python -X importtime), and
    # only fitting the prior needs it, never a deploy-gate run.
    from scipy import sparse

    column = {word: j for j, word in enumerate(vocabulary)}
    indices: list[int] = []
    indptr = [0]
    for subject in subjects:
        indices += sorted(column[w] for w in subject_words(subject) if w in column)
        indptr.append(len(indices))
    data = [1.0] * len(indices)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(subjects), len(vocabulary)))
