"""deploy-gate's risk: the priors of :mod:`risk`, refitted to the repository's own history.

The order of the work, and why:

1. the diff-text detectors (destructive migrations, weakened access checks, Actions pin bumps)
   run on the change itself, whichever scorer is used;
2. the priors score the change (they still word the evidence);
3. the past reachable from the base (never anything later) is mined and cached (:mod:`mining`),
   replayed into rows (:mod:`jit`) and fitted (:mod:`risk_model`); too little history or too
   few reverts keeps the priors, and the first reason says which;
4. the floors apply to either score (:func:`~cicd_agent.analysis.risk.finish`).
"""

from __future__ import annotations

from pathlib import Path

from cicd_agent.analysis import jit, mining, risk_model
from cicd_agent.analysis.authz import weakened_access
from cicd_agent.analysis.changes import ChangeSet, ChangeType
from cicd_agent.analysis.gitrepo import GitRepo
from cicd_agent.analysis.history import HistoryFeatures
from cicd_agent.analysis.risk import (
    LEVEL_BOUNDS,
    Reason,
    RiskAssessment,
    RiskLevel,
    action_pins_only,
    assess_change,
    destructive_statements,
    finish,
)

MAX_DIFF_BYTES = 2_000_000
MAX_DIFF_PATHS = 400
_FLOOR_SIGNALS = frozenset({"floor", "destructive_migration", "weakened_access"})
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


def assess_for_deploy(
    repo: GitRepo, change: ChangeSet, history: HistoryFeatures, cache_dir: Path | None
) -> RiskAssessment:
    """The deploy-gate risk of ``change`` (see the module docstring)."""
    risk_model.require_sklearn()
    files = change.files
    migrations = [c.path for c in files if ChangeType.MIGRATION in c.types and not c.binary]
    runtime = [
        c.path
        for c in files
        if not c.binary and not c.types & {ChangeType.TESTS, ChangeType.DOCS, ChangeType.GENERATED}
    ]
    workflows = [c.path for c in files if c.path.startswith(".github/")]
    destructive = destructive_statements(
        repo.diff_text(change.base, change.head, migrations[:200], MAX_DIFF_BYTES)
    )
    weakened = weakened_access(
        repo.diff_text(change.base, change.head, runtime[:MAX_DIFF_PATHS], MAX_DIFF_BYTES)
    )
    pins_only = len(workflows) == len(files) and action_pins_only(
        files, repo.diff_text(change.base, change.head, workflows[:50], 200_000)
    )
    prior = assess_change(
        files,
        change.commits,
        history,
        destructive=destructive,
        weakened=weakened,
        pins_only=pins_only,
    )
    if change.base is None:
        return _with_note(
            prior, "priors: no history before the base (a root commit or the empty tree)."
        )
    head_time = repo.commit_time(change.head)
    past = [c for c in mining.mine(repo, change.base, cache_dir) if c.time <= head_time]
    rows, state = jit.replay(past)
    labels = mining.reverted(past)
    induced = mining.fix_inducing(past) - labels
    model = risk_model.fit(rows, [c.sha in labels or c.sha in induced for c in past])
    if model is None:
        return _with_note(
            prior,
            f"priors: too little history ({len(past):,} past commits, {len(labels):,} "
            f"reverted, {len(induced):,} fix-inducing; a fit needs "
            f"{risk_model.MIN_COMMITS:,} commits and {risk_model.MIN_POSITIVES:,} of them "
            "reverted or fix-inducing).",
        )
    authors = history.authors or tuple(c.author_email for c in change.commits)
    row = state.row(files, authors, head_time, prior.features.fix)
    score, probability, relative = model.score(row)
    if pins_only:
        score = min(score, LEVEL_BOUNDS[RiskLevel.HIGH] - 0.01)
    contributions = model.contributions(row)
    lead = Reason(
        signal="model",
        message=f"fitted on {model.commits:,} past commits, {len(labels):,} reverted and "
        f"{len(induced):,} fix-inducing: this change's chance of needing a revert or fix is "
        f"{probability:.1%}, {relative:.2g}× the repository's {model.base_rate:.1%}.",
        evidence=[f"base={change.base[:12]}", f"model=logistic, {len(jit.FEATURES)} features"],
    )
    evidence = []
    for reason in prior.reasons:
        if reason.signal in _FLOOR_SIGNALS:
            continue
        if reason.signal == "scope":
            evidence.append(reason)
            continue
        weight = sum(
            contributions.get(name, 0.0) for name in _SIGNAL_FEATURES.get(reason.signal, ())
        )
        if weight >= 0.05:
            evidence.append(reason.model_copy(update={"points": round(weight, 4)}))
    evidence.sort(key=lambda reason: -reason.points)
    return finish(
        score,
        [lead, *evidence],
        files=files,
        types=prior.change_types,
        features=prior.features,
        destructive=destructive,
        weakened=weakened,
    )


def _with_note(prior: RiskAssessment, message: str) -> RiskAssessment:
    note = Reason(signal="model", message=message)
    return prior.model_copy(update={"reasons": [note, *prior.reasons]})
