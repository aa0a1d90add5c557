"""deploy-gate's risk: the priors of :mod:`score`, refitted to the repository's own history.

The order of the work, and why:

1. the diff-text detectors (:func:`~cicd_agent.risk.evidence.read_evidence`: destructive
   migrations, weakened access checks, Actions pin bumps, added secrets and workflow dangers)
   run on the change itself, whichever scorer is used;
2. the priors score the change (they still word the evidence);
3. the past reachable from the base (never anything later) is mined, replayed into rows
   (:mod:`jit`) and fitted (:mod:`model`), all kept by :mod:`store`; a shallow clone, too
   little history or too few reverts keeps the priors, and the first reason says which;
4. the floors apply to either score (:func:`~cicd_agent.risk.floors.finish`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.analysis.changes import ChangeSet
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.scale import LEVEL_BOUNDS, RiskLevel
from cicd_agent.local.gitrepo import GitRepo, is_null_sha
from cicd_agent.risk import jit, store
from cicd_agent.risk import model as risk_model
from cicd_agent.risk.assessment import Reason, RiskAssessment
from cicd_agent.risk.evidence import DiffText, read_evidence
from cicd_agent.risk.floors import GIT_TEXT, Identity, finish
from cicd_agent.risk.records import HistoryFeatures
from cicd_agent.risk.score import assess_change
from cicd_agent.runner.errors import ExternalServiceError, UsageError
from cicd_agent.runner.progress import Progress

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


def assess_risk(
    repo: GitRepo,
    change: ChangeSet,
    history: HistoryFeatures,
    cache_dir: Path | None,
    *,
    identity: Identity | None,
    deepened: bool,
    notes: list[str] | None = None,
    progress: Progress | None = None,
    text: DiffText | None = None,
    security: Sequence[Finding] | None = None,
) -> RiskAssessment:
    """The one risk scorer: review's ``risk_level`` and deploy-gate's are this function of
    the same change, history, cache, identity and clone (``text``: the caller's own reading of
    the diff, the same text git would give; ``security``: its secret and workflow findings,
    read once by the caller), in the order of the module docstring. What the
    reader must know about the cache (a damaged file set aside) is added to ``notes``.
    ``identity`` is who GitHub says the change is by; None: git's author text, which only
    raises (:data:`~cicd_agent.risk.floors.GIT_TEXT`). A shallow clone is never ranked
    against the little past it holds (:func:`~cicd_agent.risk.floors.finish`). scikit-learn is
    imported only to fit (:func:`risk_model.fit`): scoring from a cached fit is plain
    arithmetic, and importing scikit-learn alone would cost most of such a run."""
    evidence = read_evidence(repo, change, with_security=True, text=text, security=security)
    files = change.files
    pins_only = evidence.pins_only
    who = identity or GIT_TEXT
    # Deepened (:func:`deepen_history`): the past is there back to the bound, as mined.
    shallow = not deepened and repo.is_shallow()
    prior = assess_change(
        files,
        change.commits,
        history,
        destructive=evidence.destructive,
        weakened=evidence.weakened,
        pins_only=pins_only,
        security=evidence.security,
        identity=who,
        shallow=shallow,
    )
    if shallow:
        return _with_note(
            prior, "priors: the clone is shallow, so the repository's past is not known."
        )
    if change.base is None:
        return _with_note(
            prior, "priors: no history before the base (a root commit or the empty tree)."
        )
    head_time = repo.commit_time(change.head)
    snapshot = store.fitted_at(repo, change.base, cache_dir, notes, progress)
    model = snapshot.model
    if model is None:
        return _with_note(
            prior,
            f"priors: too little history ({snapshot.commits:,} past commits, "
            f"{snapshot.reverted:,} reverted, {snapshot.induced:,} fix-inducing; a fit needs "
            f"{risk_model.MIN_COMMITS:,} commits and {risk_model.MIN_POSITIVES:,} of them "
            "reverted or fix-inducing).",
        )
    # Experience only from addresses GitHub vouches for; git's text scores as a newcomer.
    authors = who.emails if who.verified else ()
    revert = snapshot.state.undoes(files)  # by the diff: the message is the author's text
    row = snapshot.state.row(files, authors, head_time, fix=prior.features.fix, revert=revert)
    assessed = model.assess(row, vouched=who.verified)
    score, probability, share = assessed.score, assessed.probability, assessed.share
    if pins_only:
        score = min(score, LEVEL_BOUNDS[RiskLevel.HIGH] - 0.01)
    contributions = assessed.contributions
    prior_note = (
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
            f"commits; a fit needs {risk_model.MIN_COMMITS:,})"
            if model.commits < risk_model.MIN_COMMITS
            else f"too few reverted or fix-inducing past commits to fit this repository's own "
            f"model ({model.positives:,} of {model.commits:,}; a fit needs "
            f"{risk_model.MIN_POSITIVES:,})"
        )
        message = (
            f"priors: {why}, so the cross-repository model ranks the change: riskier than "
            f"{share:.0%} of {recent}."
        )
    lead = Reason(
        signal="model",
        message=message,
        evidence=[
            f"fitted at {snapshot.checkpoint[:12]}",
            f"model=logistic, {len(jit.FEATURES)} features",
        ],
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
            weighed.append(reason.model_copy(update={"points": round(weight, 4)}))
    weighed += _history_reasons(row, contributions)
    weighed.sort(key=lambda reason: -reason.points)
    assessed_change = finish(
        score,
        [lead, *_recent(model), *weighed],
        files=files,
        types=prior.change_types,
        features=prior.features,
        destructive=evidence.destructive,
        weakened=evidence.weakened,
        security=evidence.security,
        identity=who,
    )
    return assessed_change.model_copy(update={"risk_quantile": share})


@dataclass(frozen=True)
class Origin:
    """Where a shallow clone's missing history comes from: the repository on its GitHub
    server (``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``, which a step cannot overwrite) and
    the job's token."""

    url: str
    token: str | None = None

    @classmethod
    def of(cls, server_url: str, repository: str | None, token: str | None) -> Origin | None:
        return cls(f"{server_url}/{repository}.git", token) if repository else None


DEEPEN_DAYS = 730
"""How far back a shallow clone's history is fetched: two years, more than a fit reads of
most repositories' recent past (and bounded, so a deep history is not fetched whole)."""
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def deepen_history(
    repo: GitRepo,
    origin: Origin | None,
    commits: Sequence[str | None],
    now: int,
    *,
    cache_dir: Path | None = None,
    notes: list[str] | None = None,
) -> bool:
    """Whether a shallow clone was deepened here: the history of ``commits`` (the range's
    SHAs; names are left out) back :data:`DEEPEN_DAYS` from ``now``, from the history an
    earlier run kept in ``cache_dir`` (:func:`store.deepened`: no fetch), else fetched from
    ``origin`` with the job's token and kept there. Run before the range is read (a depth-1
    checkout lacks the base itself). False for a full clone (nothing to do) and when neither
    served: the scorer then falls back to the priors and the shallow floor ("shallow clone:
    set `fetch-depth: 0`")."""
    if not repo.is_shallow():
        return False
    wanted = sorted({c for c in commits if c and _SHA.fullmatch(c) and not is_null_sha(c)})
    if origin is None or not wanted:
        return False
    # From the newest named commit the clone holds (the same bound whichever mode runs or
    # whenever), else from ``now``.
    held = [repo.commit_time(c) for c in wanted if _held(repo, c)]
    since = (max(held) if held else now) - DEEPEN_DAYS * 86_400
    if store.deepened(repo, wanted, since, cache_dir, notes):
        return True
    fetched = repo.deepen(origin.url, wanted, since, token=origin.token)
    if fetched:
        store.keep_history(repo, wanted, since, cache_dir)
    return fetched


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


def _held(repo: GitRepo, sha: str) -> bool:
    try:
        repo.resolve_commit(sha, "named")
    except UsageError:
        return False
    return True


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


def _with_note(prior: RiskAssessment, message: str) -> RiskAssessment:
    note = Reason(signal="model", message=message)
    return prior.model_copy(update={"reasons": [note, *prior.reasons]})
