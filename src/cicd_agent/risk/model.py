"""A risk model fitted to the repository's own history.

The hand-set weights of :mod:`score` are priors. Given enough mined past, an L2-regularised logistic
regression (balanced class weights, so a 1 % revert rate still moves the weights) is fitted on
:mod:`jit`'s rows, labelled by later reverts (and fix-inducing commits where reverts are too few:
:func:`own_labels`). A repository's own reverts are few, so its rank is blended with a
cross-repository model's (:mod:`prior`, :data:`OWN_WEIGHT`), beside the rank of size alone
(:data:`SIZE_WEIGHT`).

Balanced weights inflate probabilities by the class ratio, so the intercept is shifted back by
``log(positives / negatives)``. Levels mean the same in every repository: where the change ranks
among its own past commits (:data:`LEVEL_PERCENTILES`; high is the riskiest 10 %, critical 3 %).
The fit needs numpy and scipy (the ``deploy`` extra); :func:`require_solver` says how to install
them."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from cicd_agent.actions.errors import UsageError
from cicd_agent.risk.jit import FEATURES, TYPE_FEATURES, as_newcomer
from cicd_agent.risk.prior import CrossRepoPrior, Ranks

MIN_COMMITS, MIN_RANKED = 300, 150
"""Fewer past commits than 300: no fit of the repository's own; fewer than 150: the hand-set
priors (in between the cross-repository prior ranks the change among them, read as
:func:`young_share` says: on batch I the hand-set priors put 29 % of a young history's
commits at high)."""
MIN_POSITIVES = 8
"""Fewer reverted past commits than this: fix-inducing ones count too (:func:`own_labels`);
fewer labelled ones than this: no fit of its own."""
REGULARISATION = 0.05
"""scikit-learn's ``C`` (inverse L2 strength): strong, because positives are few."""
SIZE_WEIGHT = 2 / 3
"""The share of the blended rank that is the change's size alone: where its lines added rank
among the repository's own past commits, or its lines deleted where those rank higher. On
defect-inducing commits labelled by B-SZZ, lines added alone ranked as well as the fitted blend
or better (research/risk/results_102.md), so size is the backbone and the fits only reorder
changes of like size. Lines deleted count too: SZZ blames only lines a commit added, so it cannot
see a deletion's harm (a package's public class deleted ranked below a one-line edit)."""
OWN_WEIGHT = 0.1
"""The own fit's share of the blended rank (the cross-repository prior has the rest). A
repository's own reverts are few: its own fit alone ranks later reverts at 0.58 pooled AUC, the
prior alone at 0.685 (leave-one-repository-out). With the labels of :func:`own_labels`, 0.1
against none: 0.687 against 0.685 on 39 repositories, 0.687 against 0.689 on 20 more, 0.680
against 0.668 on 18 more; 0.2 was mixed (0.686, 0.682, 0.687). BENCHMARKS.md has the figures."""
LEVEL_PERCENTILES = ((0.0, 0.0), (0.50, 0.30), (0.90, 0.60), (0.97, 0.85), (1.0, 0.999))
"""(share of past commits scored lower, score) knots: medium from the median past commit,
high for the riskiest 10 % (the catch ``research/risk/eval_szz.py`` reports; offline approval),
critical for the riskiest 3 %; linear in between. One meaning in every repository."""
LEVEL_WINDOW = 1000
"""The levels rank a change among at most this many of the most recent past commits, and
among the newer half of a younger past (:func:`level_window`): features such as the touched
files' past grow with a repository's age, so against its whole past (a young one's first
commits had no past at all) a recent change looks riskier than it is, and "the riskiest 10 %"
would hold for far more than 10 % of what is deployed now."""
YOUNG, YOUNG_WEIGHT = 600, 60
"""A fit on fewer past commits than :data:`YOUNG` reads its levels from :func:`young_share`:
the first fits of young histories (websocket and timber, 330 commits) put 17 % of their newest
commits at critical on batch I, ranked against so few."""
RECENT, RECENT_BEFORE, RECENT_RISKIER, RECENT_WINDOW = 30, 200, 7, 50
"""When 7 of the newest 30 past commits rank among the riskiest 10 % of the 200 before them (3
are usual; 7 or more come by chance in under 3 steady histories in 100), the recent past really
is riskier than the one just before it (a vendoring wave, a release crunch): the fit ranks
against the newest 50, wave included, and says so (``recent_riskier``), so levels do not rise
with it. Compared with the 200 just before, not the whole window: once a history's new style
has lasted that long it is the new normal, not news, and the sentence stops. Not said below
:data:`YOUNG` past commits."""
RISKIER, SAFER, UNUSED = 1, -1, 0
DIRECTIONS: dict[str, int] = {
    **dict.fromkeys(
        (
            "lines_added",
            "lines_deleted",
            "past_changes",
            "developers",
            "past_fixes",
            "past_reverts",
            "new_to_file",
            *(f"type_{kind.value}" for kind in TYPE_FEATURES),
        ),
        RISKIER,
    ),
    **dict.fromkeys(("docs_only", "tests_only"), SAFER),
    **dict.fromkeys(
        (
            "entropy",
            "age_days",
            "fix",
            "author_reverted_share",
            "author_experience",
            "recent_experience",
            "subsystem_experience",
            "revert",
            "days_since_revert",
            "files",
            "directories",
            "subsystems",
            "new_files",
            "deleted_files",
            "binary_files",
        ),
        UNUSED,
    ),
}
"""How each feature may move the score, so that risk is monotone by construction: a coefficient
of a ``RISKIER`` feature is never below zero, of a ``SAFER`` one never above, and an ``UNUSED``
one is zero. A bigger change (more lines; any file that is not documentation or tests;
another change type) therefore never scores lower. ``UNUSED``: what the message says (a fix:
text the author writes), the author's revert record (a newcomer has none, so it would rank
them safer than a maintainer), what a bigger change can move either way (entropy, the mean
age of the touched files), and what did not raise the ranking of defect-inducing commits
when removed one at a time (research/risk/results_102.md): the author's experience, undoing
a past commit line for line, the time since the last revert, and how far the change spreads
(files, folders, subsystems, new, deleted and binary files: its lines already say its size)."""


def own_labels(
    shas: Sequence[str], reverted: AbstractSet[str], induced: AbstractSet[str]
) -> list[bool]:
    """The own fit's label of each past commit: later reverted, what the score ranks. Only a
    past with fewer than :data:`MIN_POSITIVES` reverts counts the fix-inducing ones (``induced``,
    SZZ) too, to get a fit of its own: SZZ marks what later needed a fix, mostly not what gets
    reverted, so labelling with both wherever they exist ranks reverts worse (BENCHMARKS.md)."""
    if reverts_suffice(len(reverted)):
        return [sha in reverted for sha in shas]
    return [sha in reverted or sha in induced for sha in shas]


def reverts_suffice(reverted: int) -> bool:
    return reverted >= MIN_POSITIVES


@dataclass(frozen=True)
class FittedModel:
    """A fitted model, kept as plain numbers: scoring needs no scikit-learn.

    ``coef`` is empty when the repository has too few reverts for a fit of its own: the
    cross-repository prior (``prior_coef``) then ranks the change alone."""

    commits: int
    positives: int
    knots: tuple[tuple[float, ...], ...]  # of each feature in the past (:class:`Ranks`)
    coef: tuple[float, ...]
    intercept: float  # already shifted back to the true base rate
    past_logits: tuple[float, ...]  # sorted log-odds of the training commits (own fit)
    prior_coef: tuple[float, ...]
    prior_intercept: float
    prior_logits: tuple[float, ...]  # sorted prior log-odds of the training commits
    past_blend: tuple[float, ...]  # sorted blended ranks of the recent past (for levels)
    past_blend_newcomer: tuple[float, ...]  # the same, each scored as a newcomer's
    recent_riskier: int = 0  # of the newest RECENT past commits, when really riskier (else 0)

    @property
    def base_rate(self) -> float:
        return self.positives / self.commits

    @property
    def own(self) -> bool:
        return bool(self.coef)

    def assess(self, row: Sequence[float], *, vouched: bool = True) -> Assessment:
        """:meth:`score` and each feature's share of it for ``row``, ranked once. Not
        ``vouched``: the row holds a newcomer's experience (nobody vouches for the author), so
        it is ranked among the recent past scored the same way: an unknown author then neither
        lowers nor, by being unknown alone, raises the level."""
        ranked = Ranks(self.knots).row(row)
        score, probability, share = self._score(ranked, vouched)
        return Assessment(score, probability, share, self._contributions(ranked))

    def score(self, row: Sequence[float]) -> tuple[float, float | None, float]:
        """(score in [0, 1), the own fit's probability (None without one), share of recent
        past commits ranked lower) of ``row``. The blended rank is the share of past commits
        the own fit scores lower and the share the prior scores lower, weighted as
        :func:`blend_weights` says; every step is non-decreasing in each feature as
        :data:`DIRECTIONS` orients it."""
        return self._score(Ranks(self.knots).row(row), True)

    def _score(self, ranked: Sequence[float], vouched: bool) -> tuple[float, float | None, float]:
        own, prior = blend_weights(self.own, bool(self.prior_coef))
        blended = SIZE_WEIGHT * size_share(max(ranked[_ADDED], ranked[_DELETED]))
        probability = None
        if own:
            logit = _logit(self.intercept, self.coef, ranked)
            blended += own * _share(self.past_logits, logit)
            probability = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
        if prior:
            prior_logit = _logit(self.prior_intercept, self.prior_coef, ranked)
            blended += prior * _share(self.prior_logits, prior_logit)
        past = self.past_blend if vouched else self.past_blend_newcomer
        share = _share(past, blended)
        return score_for_percentile(young_share(share, len(past), self.commits)), probability, share

    def _contributions(self, ranked: Sequence[float]) -> dict[str, float]:
        """Log-odds each feature adds for a ranked row relative to an average past commit
        (own fit and prior weighted as in the blend)."""
        own, prior = blend_weights(self.own, bool(self.prior_coef))
        weights = [0.0] * len(FEATURES)
        for share, coef in ((own, self.coef), (prior, self.prior_coef)):
            if share:
                weights = [w + share * c for w, c in zip(weights, coef, strict=True)]
        return {name: w * x for name, w, x in zip(FEATURES, weights, ranked, strict=True)}


@dataclass(frozen=True)
class Assessment:
    """One change under a :class:`FittedModel`: its score, the own fit's probability (None
    without one), the share of past commits ranked lower, and the log-odds each feature adds
    (what the reasons are weighed by)."""

    score: float
    probability: float | None
    share: float
    contributions: dict[str, float]


def blend_weights(own: bool, prior: bool) -> tuple[float, float]:
    """The own fit's and the prior's weights in the blend, beside size's :data:`SIZE_WEIGHT`:
    :data:`OWN_WEIGHT` to the rest when both take part, else all to the one that does."""
    rest = 1.0 - SIZE_WEIGHT
    if own and prior:
        return rest * OWN_WEIGHT, rest * (1.0 - OWN_WEIGHT)
    return rest * own, rest * prior


_ADDED = FEATURES.index("lines_added")
_DELETED = FEATURES.index("lines_deleted")


def size_share(ranked_size: Any) -> Any:
    """The share of past commits of a smaller size, from the centred rank
    (:class:`~cicd_agent.risk.prior.Ranks`) of its size: the higher of its lines added's and
    its lines deleted's, so more lines of either never rank a change smaller."""
    return ranked_size / math.sqrt(12.0) + 0.5


def _logit(intercept: float, coef: Sequence[float], ranked: Sequence[float]) -> float:
    """Log-odds of a ranked row under one model (the own fit's is calibrated; the prior's
    only ranks)."""
    return intercept + math.fsum(c * x for c, x in zip(coef, ranked, strict=True))


def _share(sorted_values: Sequence[float], value: float) -> float:
    return bisect.bisect_left(sorted_values, value) / max(1, len(sorted_values))


def young_share(share: float, ranked: int, commits: int) -> float:
    """The share the level reads: ``share`` shrunk toward the median by :data:`YOUNG_WEIGHT`
    pseudo-commits until :data:`YOUNG` past commits. A young history's rank is coarse (the
    riskiest 3 % of 150 is 4 commits), so its level needs more evidence; the order of changes is
    unchanged."""
    pseudo = YOUNG_WEIGHT * max(0, YOUNG - commits) / YOUNG
    return (share * ranked + 0.5 * pseudo) / (ranked + pseudo) if pseudo else share


def score_for_percentile(share: float) -> float:
    for (low, low_score), (high, high_score) in itertools.pairwise(LEVEL_PERCENTILES):
        if share < high:
            return round(low_score + (share - low) / (high - low) * (high_score - low_score), 4)
    return LEVEL_PERCENTILES[-1][1]


def require_solver() -> None:
    """Not scikit-learn: importing it only to check it is there took most of a cold fit."""
    try:
        import numpy  # noqa: F401  (heavy: only before a fit)
        import scipy.optimize  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            "deploy-gate fits its risk model with numpy and scipy, which are not installed.",
            hint="Install the deploy extra: pip install 'cicd-agent[deploy]'.",
        ) from exc


_LIMITS: dict[int | None, tuple[float | None, float | None]] = {
    RISKIER: (0.0, None),
    SAFER: (None, 0.0),
    UNUSED: (0.0, 0.0),
    None: (None, None),
}
"""The bounds each of :data:`DIRECTIONS` puts on a coefficient (None: unbounded)."""


def constrain(coef: Sequence[float]) -> tuple[float, ...]:
    """``coef`` (one per :data:`FEATURES`) moved into the signs :data:`DIRECTIONS` allows:
    how a fit made without them (the shipped cross-repository prior) is made monotone."""
    clipped = []
    for value, (low, high) in zip(coef, bounds(), strict=True):
        raised = value if low is None else max(low, value)
        clipped.append(raised if high is None else min(high, raised))
    return tuple(clipped)


def bounds() -> list[tuple[float | None, float | None]]:
    return [_LIMITS[DIRECTIONS.get(name)] for name in FEATURES]


def fit(
    rows: Sequence[Sequence[float]],
    labels: Sequence[bool],
    prior: CrossRepoPrior | None,
    last: FittedModel | None = None,
) -> FittedModel | None:
    """Fit past rows and labels, blended with ``prior`` (made monotone by :func:`constrain`);
    None when the history is too short or has too few positives and no prior. ``last``, the
    previous fit, is where the solver starts: the problem is convex, so that changes the
    iterations, not the answer."""
    positives = sum(1 for label in labels if label)
    own = positives >= MIN_POSITIVES and len(rows) >= MIN_COMMITS
    if len(rows) < MIN_RANKED or not (own or prior):
        return None
    require_solver()
    import numpy as np  # only when a history is fitted

    ranks = Ranks.of(rows)
    ranked = ranks.matrix(rows)
    coef: tuple[float, ...] = ()
    intercept = 0.0
    own_logits = np.zeros(len(rows))
    if own:
        target = np.asarray(labels, dtype=bool)
        start = None
        if last is not None and last.coef and 0 < last.positives < last.commits:
            # The raw intercept the last fit solved for (before its shift to the true chance).
            raw = last.intercept - math.log(last.positives / (last.commits - last.positives))
            start = [*last.coef, raw]
        weights, raw_intercept = bounded_logistic(
            ranked, target, balanced(target), REGULARISATION, bounds(), start=start
        )
        # Balanced weights scale each class to n/2: undo it to get the true chance.
        shift = math.log(positives / (len(labels) - positives))
        coef = tuple(float(v) for v in weights)
        intercept = raw_intercept + shift
        own_logits = ranked @ weights + intercept
    prior_coef = constrain(prior.coef) if prior else ()
    prior_logits = None
    if prior:
        prior_logits = ranked @ np.asarray(prior_coef) + prior.intercept
    past_own = np.sort(own_logits)
    past_prior = np.sort(prior_logits) if prior_logits is not None else np.zeros(0)
    own_weight, prior_weight = blend_weights(bool(coef), prior_logits is not None)

    def blend(matrix: Any) -> Any:
        """Each ranked row's blended rank among the past: its size, the own fit, the prior."""
        out = SIZE_WEIGHT * size_share(np.maximum(matrix[:, _ADDED], matrix[:, _DELETED]))
        if own_weight:
            logits = matrix @ np.asarray(coef) + intercept
            out += own_weight * np.searchsorted(past_own, logits) / len(rows)
        if prior is not None:
            logits = matrix @ np.asarray(prior_coef) + prior.intercept
            out += prior_weight * np.searchsorted(past_prior, logits) / len(rows)
        return out

    # A young past reaches back to commits that had no past of their own: no news there.
    young = len(rows) < YOUNG
    riskier = 0 if young else recent_riskier(blend(ranks.matrix(rows[-RECENT_BEFORE - RECENT :])))
    recent = rows[-(RECENT_WINDOW if riskier else level_window(len(rows))) :]
    blended = blend(ranks.matrix(recent))
    newcomers = blend(ranks.matrix([as_newcomer(row) for row in recent]))
    return FittedModel(
        commits=len(rows),
        positives=positives,
        knots=ranks.knots,
        coef=coef,
        intercept=intercept,
        past_logits=tuple(float(v) for v in past_own) if coef else (),
        prior_coef=prior_coef,
        prior_intercept=prior.intercept if prior else 0.0,
        prior_logits=tuple(float(v) for v in past_prior),
        past_blend=tuple(sorted(float(v) for v in blended)),
        past_blend_newcomer=tuple(sorted(float(v) for v in newcomers)),
        recent_riskier=riskier,
    )


def level_window(commits: int) -> int:
    """How many of the newest of ``commits`` past commits the levels rank against
    (:data:`LEVEL_WINDOW`)."""
    return min(LEVEL_WINDOW, max(RECENT_WINDOW, commits // 2))


def recent_riskier(blended: Sequence[float]) -> int:
    """How many of the last :data:`RECENT` of ``blended`` (time order) rank above the riskiest
    10 % of those before them, when :data:`RECENT_RISKIER` or more; else 0."""
    before = sorted(blended[:-RECENT])
    bar = before[math.ceil(0.9 * len(before)) - 1] if len(before) >= RECENT_WINDOW else math.inf
    riskier = sum(1 for value in blended[-RECENT:] if value > bar)
    return riskier if riskier >= RECENT_RISKIER else 0


def balanced(labels: Any) -> Any:
    """scikit-learn's balanced class weights: each class weighs half of the rows in all."""
    import numpy as np

    count, positives = len(labels), int(labels.sum())
    return np.where(labels, count / (2 * positives), count / (2 * (count - positives)))


def bounded_logistic(
    ranked: Any,
    labels: Any,
    weight: Any,
    regularisation: float,
    limits: Sequence[tuple[float | None, float | None]],
    *,
    start: Sequence[float] | None = None,
) -> tuple[Any, float]:
    """L2-regularised logistic regression (scikit-learn's objective: half the squared weights
    plus ``regularisation`` times the ``weight``-ed log-loss, the intercept free) whose
    coefficients stay within ``limits`` (:func:`bounds`: the signs of :data:`DIRECTIONS`):
    L-BFGS-B with bounds, as scikit-learn's solver has none. The own fit and the
    cross-repository prior (``research/risk``) are both fitted by it."""
    import numpy as np
    from scipy.optimize import minimize  # the deploy extra's, only when fitting

    width = ranked.shape[1]
    sign = np.where(labels, 1.0, -1.0)

    def loss(theta: Any) -> tuple[float, Any]:
        margin = sign * (ranked @ theta[:width] + theta[width])
        log_loss = np.logaddexp(0.0, -margin)
        slope = -weight * sign / (1.0 + np.exp(np.clip(margin, -50.0, 50.0)))
        value = 0.5 * theta[:width] @ theta[:width] + regularisation * (weight @ log_loss)
        grad = np.empty(width + 1)
        grad[:width] = theta[:width] + regularisation * (ranked.T @ slope)
        grad[width] = regularisation * slope.sum()
        return float(value), grad

    begin = np.zeros(width + 1)
    if start is not None and len(start) == width + 1:
        # Clipped into the bounds: L-BFGS-B must start inside them.
        low = [-np.inf if lo is None else lo for lo, _ in limits] + [-np.inf]
        high = [np.inf if hi is None else hi for _, hi in limits] + [np.inf]
        begin = np.clip(np.asarray(start, dtype=float), low, high)
    found = minimize(
        loss,
        begin,
        jac=True,
        method="L-BFGS-B",
        bounds=[*limits, (None, None)],
        options={"maxiter": 2000},
    )
    return found.x[:width], float(found.x[width])
