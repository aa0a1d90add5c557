"""deploy-gate's risk: the priors of :mod:`score`, refitted to the repository's own history. Pure:
:mod:`checkout` reads the change and :mod:`store` the fit.

The diff-text detectors run on the change whichever scorer is used; the priors score it (and
still word the evidence); the past reachable from the base, never later, is mined, replayed
(:mod:`jit`) and fitted (:mod:`model`); a shallow clone or too few reverts keeps the priors, and
the first reason says which (:func:`refitted`); the floors apply last to either score."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.analysis.changes import ChangedFile, ChangeSet
from cicd_agent.analysis.scale import LEVEL_BOUNDS, RiskLevel
from cicd_agent.risk import jit
from cicd_agent.risk import model as risk_model
from cicd_agent.risk.assessment import Reason, RiskAssessment
from cicd_agent.risk.evidence import ChangeEvidence
from cicd_agent.risk.floors import Identity, finish


@dataclass
class Snapshot:
    """The model fitted at a checkpoint and the replayed state advanced to the base (what
    :func:`~cicd_agent.risk.store.fitted_at` keeps, as :meth:`to_json` writes it)."""

    checkpoint: str
    model: risk_model.FittedModel | None
    state: jit.Replay
    commits: int
    reverted: int
    induced: int
    later: int = 0
    """Commits between the checkpoint and the base: ranked by the fit, not fitted on (set by
    :func:`~cicd_agent.risk.store.fitted_at`, never cached)."""
    at_base: bool = False
    """Whether the checkpoint is the base itself, no commit being older than the base's week
    (set by :func:`~cicd_agent.risk.store.fitted_at`, never cached)."""

    def to_json(self) -> dict[str, object]:
        return {
            "checkpoint": self.checkpoint,
            "model": asdict(self.model) if self.model else None,
            "state": self.state.to_json(),
            "counts": [self.commits, self.reverted, self.induced],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], checkpoint: str) -> Snapshot | None:
        """The fit a cache file holds (None: fitted on another feature set); a file of another
        shape raises (KeyError, TypeError, ValueError)."""
        model = data["model"]
        commits, reverted, induced = (int(n) for n in data["counts"])
        if model and (
            len(model["knots"]) != len(jit.FEATURES)
            or any(len(model[key]) not in (0, len(jit.FEATURES)) for key in _VECTORS[:2])
        ):
            return None
        return cls(
            checkpoint,
            risk_model.FittedModel(
                commits=int(model["commits"]),
                positives=int(model["positives"]),
                knots=tuple(tuple(float(v) for v in knots) for knots in model["knots"]),
                **{key: tuple(float(v) for v in model[key]) for key in _VECTORS},
                intercept=float(model["intercept"]),
                prior_intercept=float(model["prior_intercept"]),
                recent_riskier=int(model.get("recent_riskier", 0)),
            )
            if model
            else None,
            jit.Replay.from_json(data["state"]),
            commits,
            reverted,
            induced,
        )


_VECTORS = (
    "coef",
    "prior_coef",
    "past_logits",
    "prior_logits",
    "past_blend",
    "past_blend_newcomer",
)

_FLOOR_SIGNALS = frozenset(
    {"floor", "destructive_migration", "weakened_access", "security_findings"}
)
_SIGNAL_FEATURES: dict[str, tuple[str, ...]] = {
    "size": ("lines_added", "lines_deleted"),
    "diffusion": ("files", "directories", "subsystems"),
    "entropy": ("entropy",),
    "fix": ("fix",),
    "binary": ("binary_files",),
    "past_changes": ("past_changes", "age_days"),
    "developers": ("developers",),
    "past_fixes": ("past_fixes",),
    "past_reverts": ("past_reverts",),
    "experience": ("author_experience", "recent_experience", "subsystem_experience"),
    **{kind.value: (f"type_{kind.value}",) for kind in jit.TYPE_FEATURES},
}


def refitted(
    prior: RiskAssessment,
    snapshot: Snapshot,
    *,
    files: Sequence[ChangedFile],
    evidence: ChangeEvidence,
    who: Identity,
    head_time: int,
) -> RiskAssessment:
    """The change the priors scored (``prior``), scored again by the fit of ``snapshot`` (the
    priors, with the first reason saying why, when there is none): its row at ``head_time``,
    ranked among the repository's past, with the floors of ``evidence`` and ``who`` applied."""
    model = snapshot.model
    counted = _counted(snapshot)
    if model is None:  # two sentences: why general rules score it, then which commits count
        return with_note(
            prior,
            f"priors: general rules score the change, as {snapshot.commits:,} past commit(s) "
            f"are too few to learn from: {snapshot.reverted:,} reverted and "
            f"{snapshot.induced:,} changed by a later fix, where learning needs "
            f"{risk_model.MIN_COMMITS:,}, {risk_model.MIN_POSITIVES:,} of them reverted or "
            f"fixed. {_counted_sentence(snapshot)}",
        )
    # Experience only from addresses GitHub vouches for; git's text scores as a newcomer.
    authors = who.emails if who.verified else ()
    revert = snapshot.state.undoes(files)  # by the diff: the message is the author's text
    row = snapshot.state.row(files, authors, head_time, fix=prior.features.fix, revert=revert)
    assessed = model.assess(row, vouched=who.verified)
    score, probability, share = assessed.score, assessed.probability, assessed.share
    if evidence.pins_only and score > (cap := LEVEL_BOUNDS[RiskLevel.HIGH] - 0.01):
        score = cap
    contributions = assessed.contributions
    prior_note = "size first (its lines added or deleted weigh two thirds), " + (
        "blended with a cross-repository model" if model.prior_coef else "no cross-repository model"
    )
    recent = f"the {len(model.past_blend):,} most recent past commits" + (
        f" (a young history of {model.commits:,}: its level needs more evidence than that rank)"
        if model.commits < risk_model.YOUNG
        else ""
    )
    if probability is not None:
        reverts_only = risk_model.reverts_suffice(snapshot.reverted)
        labelled = f"{snapshot.reverted:,} reverted" + (
            ""
            if reverts_only
            else f" and {snapshot.induced:,} fix-inducing (too few reverts to fit on alone)"
        )
        own_model = "the repository's own model alone" if model.prior_coef else "its model"
        outcome = "being reverted" if reverts_only else "needing a revert or fix"
        # The rank is the blend's; the probability is the own fit's (the prior only ranks):
        # said apart, so "riskier than 95 %" beside "0.2 % (rate 0.3 %)" does not read as
        # a contradiction.
        message = (
            f"fitted on {model.commits:,} past commits, {labelled}, {prior_note}: riskier than "
            f"{share:.0%} of {recent}; {own_model} puts its chance of {outcome} at "
            f"{probability:.1%} (the repository's rate {model.base_rate:.1%})."
        )
    else:
        why = (
            f"too short a history to fit this repository's own model ({model.commits:,} past "
            f"commits{counted}; a fit needs {risk_model.MIN_COMMITS:,})"
            if model.commits < risk_model.MIN_COMMITS
            else f"too few reverted or fix-inducing past commits to fit this repository's own "
            f"model ({model.positives:,} of {model.commits:,}; a fit needs "
            f"{risk_model.MIN_POSITIVES:,})"
        )
        message = (
            f"priors: {why}, so its size and the cross-repository model rank the change: "
            f"riskier than {share:.0%} of {recent}."
        )
    lead = Reason(
        signal="model",
        message=message,
        evidence=(
            [f"this repository's model fitted at {snapshot.checkpoint[:12]}"]
            if probability is not None
            else [f"the cross-repository model, history read up to {snapshot.checkpoint[:12]}"]
        )
        + [f"model=logistic, {len(jit.FEATURES)} features"],
    )
    weighed: list[Reason] = []
    for reason in prior.reasons:
        if reason.signal in _FLOOR_SIGNALS:
            continue
        if reason.signal == "scope":
            weighed.append(reason)
            continue
        weight = sum(
            contributions.get(name, 0.0) for name in _SIGNAL_FEATURES.get(reason.signal, ())
        )
        if weight >= 0.05:
            weighed.append(replace(reason, points=round(weight, 4)))
    weighed += _history_reasons(row, contributions)
    weighed.sort(key=lambda reason: -reason.points)
    arithmetic = fit_arithmetic(share, assessed.score, listed=any(r.points for r in weighed))
    if score != assessed.score:
        arithmetic += f", capped at {score:.2f} (at most medium: only Actions pins moved)"
    assessed_change = finish(
        score,
        [lead, *_recent(model), *weighed],
        files=files,
        types=prior.change_types,
        features=prior.features,
        evidence=evidence,
        identity=who,
        arithmetic=arithmetic,
    )
    return replace(assessed_change, risk_quantile=share)


def fit_arithmetic(share: float, score: float, *, listed: bool) -> str:
    """How a fit's points make the risk ``score`` from the rank ``share``; where no reason
    carries points (``listed`` false), says that none is listed rather than explaining some."""
    points = (
        "each is the log-odds the fitted model adds for its signal over an average past commit "
        "(0.050 or more are listed; smaller and negative ones are not), so they do not add up "
        "to the risk: together they rank"
        if listed
        else "no signal adds 0.050 log-odds or more over an average past commit, so none is "
        "listed; together the signals rank"
    )
    return (
        f"How the points make the risk: {points} the change riskier than {share:.0%} of the "
        f"recent past commits, and the risk, {score:.2f}, is read from that rank"
    )


def _counted(snapshot: Snapshot) -> str:
    """Which commits a fit counts, said where the count is read (else it reads as a bug):
    the non-merge commits before this week's checkpoint, as the fit is made once a week."""
    later = f"; the {snapshot.later:,} since are ranked, not fitted" if snapshot.later else ""
    if snapshot.at_base:
        return (
            f" counted: the commits up to the base {snapshot.checkpoint[:12]}, merges left "
            "out (no commit is older than this week, when the model is learnt once)"
        )
    return (
        f" counted: the commits up to {snapshot.checkpoint[:12]}, merges left out: the model "
        "is learnt once a week, from the last commit before 00:00 UTC on the Monday of the "
        f"base commit's week{later}"
    )


def _counted_sentence(snapshot: Snapshot) -> str:
    """:func:`_counted` as a sentence of its own, where it follows the priors' reason."""
    if snapshot.at_base:
        return (
            f"They are the commits up to the base {snapshot.checkpoint[:12]}, merges left "
            "out: none is older than this week, and the model is learnt once a week."
        )
    later = f"; the {snapshot.later:,} since are ranked, not fitted" if snapshot.later else ""
    return (
        f"The model is learnt once a week, from the commits up to {snapshot.checkpoint[:12]} "
        f"(merges left out), the last before 00:00 UTC on the Monday of the base commit's "
        f"week{later}."
    )


AuthorOfChange = Callable[[str, str], "tuple[str, tuple[str, ...]] | None"]
"""GitHub's answer to who opened the pull request of ``head`` onto ``base`` (login, addresses)."""


def pull_author(
    ask: AuthorOfChange | None, change: ChangeSet, note: Callable[[str], None]
) -> Identity | None:
    """Who GitHub says opened the pull request of the change, with the addresses its landed
    commits use; None (git's text, which only raises) without GitHub, a pull request or an
    answer. Review and deploy-gate ask the same, so they score the same author."""
    if ask is None or change.base is None:
        return None
    try:
        found = ask(change.head, change.base)
    except ExternalServiceError as exc:
        note(f"Pull request author unavailable, so git's author text is used: {exc}")
        return None
    return Identity.pull_author(*found) if found else None


def _history_reasons(row: list[float], contributions: dict[str, float]) -> list[Reason]:
    """Reasons for the features the hand-set priors do not have, when they raise this change's
    score: how recently the repository last reverted a change (the same for any change at
    this base; reverts cluster in unsettled weeks)."""
    value = dict(zip(jit.FEATURES, row, strict=True))
    days = math.expm1(value["days_since_revert"])
    points = contributions.get("days_since_revert", 0.0)
    if points < 0.05:
        return []
    return [
        Reason(
            signal="days_since_revert",
            message=f"the repository's last revert was {days:,.0f} days before this change",
            points=round(points, 4),
        )
    ]


def _recent(model: risk_model.FittedModel) -> list[Reason]:
    """The sentence a person checks when the recent past really is riskier (a vendoring wave,
    a release crunch), beside a level ranked against the newest commits, wave included."""
    return [
        Reason(
            signal="recent_risk",
            message=f"The repository's recent commits are riskier than its past: "
            f"{model.recent_riskier} of the last {risk_model.RECENT} before the fit rank among "
            f"the riskiest 10 % of the {risk_model.RECENT_BEFORE:,} commits before them, where 3 "
            f"are usual (a vendoring wave or a release crunch?). So this change is ranked "
            f"against the {len(model.past_blend):,} newest commits; check those commits.",
        )
    ][: bool(model.recent_riskier)]


def with_note(prior: RiskAssessment, message: str) -> RiskAssessment:
    note = Reason(signal="model", message=message)
    return replace(prior, reasons=[note, *prior.reasons])
