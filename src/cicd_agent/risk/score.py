"""Change risk: just-in-time defect-prediction features combined into a score, a level and reasons.

The features are those Kamei et al. (TSE 2013) found predictive (McIntosh & Kamei 2018; Zeng et al.
2021: size carries most of the signal): size, diffusion, purpose, the touched files' history and
author experience. Change types add what the papers cannot see: a migration or an auth change is
risky at any size.

Each feature gives ``points = weight * x / (x + half)`` (the first lines matter more than the
thousandth), and ``risk_score = 1 - exp(-points)``. These hand-set weights, from the papers'
effect sizes, are the priors deploy-gate refits to the repository's history (:mod:`fit`). Every
contribution that matters becomes a reason naming its evidence; none rests on what the author
writes into git. The floors (:mod:`floors`) apply last and say so. Each file's kind of change
counts once, its weightiest (:func:`type_reasons`)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.analysis.changes import ChangedFile, CommitInfo, only
from cicd_agent.analysis.scale import LEVEL_BOUNDS, RiskLevel
from cicd_agent.risk.assessment import Reason, RiskAssessment, RiskFeatures
from cicd_agent.risk.evidence import NO_EVIDENCE, ChangeEvidence
from cicd_agent.risk.floors import UNKNOWN_AUTHOR, Identity, finish
from cicd_agent.risk.records import HistoryFeatures, churn_entropy, is_fix, subsystem_of
from cicd_agent.risk.runs import documentation

MIN_REASON_POINTS = 0.04
"""Contributions below this are kept in the features but not listed as reasons."""


@dataclass(frozen=True, kw_only=True)
class Weights:
    """Points per feature at saturation, and the value at which half of them are reached."""

    size: float = 0.8
    size_half: float = 400.0
    files: float = 0.3
    files_half: float = 8.0
    subsystems: float = 0.25
    subsystems_half: float = 2.0
    entropy: float = 0.15
    past_changes: float = 0.2
    past_changes_half: float = 50.0
    developers: float = 0.2
    developers_half: float = 8.0
    past_fixes: float = 0.15
    past_fixes_half: float = 10.0
    past_reverts: float = 0.35
    past_reverts_half: float = 2.0
    types: dict[ChangeType, float] = field(
        default_factory=lambda: {
            ChangeType.MIGRATION: 0.5,
            ChangeType.SECURITY: 0.45,
            ChangeType.INFRASTRUCTURE: 0.4,
            ChangeType.API_CONTRACT: 0.35,
            ChangeType.DEPENDENCIES: 0.3,
            ChangeType.CI: 0.3,
            ChangeType.BUILD: 0.2,
            ChangeType.LOCKFILE: 0.15,
            ChangeType.CONFIG: 0.15,
        }
    )
    submodule: float = 0.2
    binary: float = 0.05
    docs_only_factor: float = 0.25
    tests_only_factor: float = 0.4


DEFAULT_WEIGHTS = Weights()


def saturate(value: float, half: float) -> float:
    return value / (value + half) if value > 0 else 0.0


def _points(weight: float, value: float, half: float) -> float:
    return round(weight * saturate(value, half), 4)


def assess_change(
    files: Sequence[ChangedFile],
    commits: Sequence[CommitInfo] = (),
    history: HistoryFeatures | None = None,
    *,
    evidence: ChangeEvidence = NO_EVIDENCE,
    weights: Weights = DEFAULT_WEIGHTS,
    identity: Identity = UNKNOWN_AUTHOR,
    shallow: bool = False,
    counted: tuple[int, int] | None = None,
    beside: bool = False,
) -> RiskAssessment:
    """Score a change with the priors, with the floors of ``evidence`` (what the detectors
    read in its diff text). Review mode calls this with its own files to get the same risk
    level. ``counted`` is git's count of the lines added and deleted, where ``files`` count
    only the lines that change what runs (``runs.effective``): the size reason says both.
    ``beside``: tests and documentation beside the change were left out of ``files``."""
    features = measure(files, commits, history)
    reasons = [
        *size_reasons(files, features, weights, counted, beside=beside),
        *history_reasons(history, features, weights),
        *type_reasons(files, weights),
    ]
    points = sum(reason.points for reason in reasons)
    ordered = sorted(reasons, key=lambda reason: -reason.points)
    listed = [r for r in ordered if r.points >= MIN_REASON_POINTS]
    arithmetic, said = points_sum(listed, [r for r in ordered if 0 < r.points < MIN_REASON_POINTS])
    types = sorted({t for changed in files for t in changed.types}, key=list(ChangeType).index)
    floor_reasons: list[Reason] = []
    if only(files, ChangeType.DOCS) or only(files, ChangeType.TESTS):
        docs = only(files, ChangeType.DOCS)
        kind = documentation(files) if docs else "tests"
        factor = weights.docs_only_factor if docs else weights.tests_only_factor
        points *= factor
        said = round(said * factor, 3)
        arithmetic += f", × {factor} as only {kind} changed = {said:.3f}"
        floor_reasons.append(
            Reason(
                signal="scope",
                message=f"Only {kind} changed ({len(files)} file(s)): nothing that runs in "
                f"production changes, so the points were scaled by {factor}.",
                evidence=[changed.path for changed in files[:5]],
            )
        )
    if evidence.pins_only:
        points *= weights.tests_only_factor
        said = round(said * weights.tests_only_factor, 3)
        arithmetic += f", × {weights.tests_only_factor} as only Actions pins moved = {said:.3f}"
        floor_reasons.append(
            Reason(
                signal="scope",
                message="Only GitHub Actions versions changed (`uses:` lines in workflows, as "
                "Dependabot writes them): the points were scaled by "
                f"{weights.tests_only_factor} and the level is at most medium.",
                evidence=[changed.path for changed in files[:5]],
            )
        )
    score = 1.0 - math.exp(-points)
    arithmetic += (
        f" points; risk = 1 − e^(−{said:.3f}) = {score:.2f} (each point adds less than the "
        "one before, and the risk never reaches 1)"
    )
    if evidence.pins_only and score > (cap := LEVEL_BOUNDS[RiskLevel.HIGH] - 0.01):
        score = cap
        arithmetic += f", capped at {cap:.2f} (at most medium: only Actions pins moved)"
    return finish(
        score,
        listed + floor_reasons,
        arithmetic=arithmetic,
        files=files,
        types=types,
        features=features,
        evidence=evidence,
        identity=identity,
        shallow=shallow,
    )


def points_sum(listed: Sequence[Reason], unlisted: Sequence[Reason]) -> tuple[str, float]:
    """The start of the sentence that adds up the points, and the total it says: each listed
    reason's points as the summary shows them (three decimals), then what the reasons too small
    to list add, so the figures a reader sees sum exactly to the total said."""
    shown = [round(reason.points, 3) for reason in listed]
    total = round(sum(r.points for r in [*listed, *unlisted]), 3)
    rest = round(total - sum(shown), 3)
    terms = " + ".join(f"{points:.3f}" for points in shown)
    if terms:
        terms += " from the reasons below"
    if rest > 0:
        terms += (" + " if terms else "") + (
            f"{rest:.3f} from {len(unlisted)} smaller signal{'s' if len(unlisted) > 1 else ''} "
            "not listed"
        )
    elif not terms:
        terms = "no signal earned points"
    said = round(sum(shown) + max(rest, 0), 3)
    return f"How the points make the risk: {terms} = {said:.3f}", said


def measure(
    files: Sequence[ChangedFile],
    commits: Sequence[CommitInfo] = (),
    history: HistoryFeatures | None = None,
) -> RiskFeatures:
    """The features of a change; ``history`` None when only the diff is known (no git)."""
    # The folder by hand (git's paths are normalised): PurePosixPath cost 10 µs a path.
    directories = {changed.path.rpartition("/")[0] or "." for changed in files}
    return RiskFeatures(
        lines_added=sum(changed.added for changed in files),
        lines_deleted=sum(changed.deleted for changed in files),
        files=len(files),
        directories=len(directories),
        subsystems=len({subsystem_of(changed.path) for changed in files}),
        entropy=round(churn_entropy(files), 4),
        fix=any(is_fix(commit.message) for commit in commits),
        new_files=sum(1 for changed in files if changed.status == "A"),
        deleted_files=sum(1 for changed in files if changed.status == "D"),
        renamed_files=sum(1 for changed in files if changed.status == "R"),
        binary_files=sum(1 for changed in files if changed.binary),
        submodules=sum(1 for changed in files if changed.submodule),
        commits=len(commits),
        past_changes=history.unique_changes if history else None,
        developers=history.developers if history else None,
        mean_age_days=round(history.mean_age_days, 2)
        if history and history.mean_age_days is not None
        else None,
        past_fixes=history.past_fixes if history else None,
        past_reverts=history.past_reverts if history else None,
        author_experience=history.experience if history and history.authors else None,
        recent_experience=history.recent_experience if history and history.authors else None,
        subsystem_experience=history.subsystem_experience if history and history.authors else None,
    )


def size_reasons(
    files: Sequence[ChangedFile],
    features: RiskFeatures,
    weights: Weights,
    counted: tuple[int, int] | None = None,
    *,
    beside: bool = False,
) -> list[Reason]:
    """Size and diffusion; ``counted`` (git's lines added and deleted) is the figure said
    first, as every other summary says it, with the lines that run beside it if fewer
    (``beside``: fewer also because tests and documentation beside the change are left out)."""
    lines = features.lines_added + features.lines_deleted
    running = (features.lines_added, features.lines_deleted)
    added, deleted = counted or running
    said = f"{added + deleted:,} lines changed (+{added:,}/-{deleted:,})"
    if running != (added, deleted):
        # Prose counts as read, not as run: a readme's lines are not "code that runs".
        prose = sum(c.added + c.deleted for c in files if ChangeType.DOCS in classify_path(c.path))
        left = ", whitespace, tests or documentation" if beside else " or whitespace"
        said += f", {lines:,} of them not comments{left} (+{running[0]:,}/-{running[1]:,})"
        said += f", {prose:,} of those documentation," if prose else ","
    largest = sorted(files, key=lambda changed: -changed.churn)[:3]
    reasons = [
        Reason(
            signal="size",
            message=f"{said} in {features.files:,} file(s).",
            evidence=[f"{c.path} (+{c.added}/-{c.deleted})" for c in largest if c.churn],
            points=_points(weights.size, lines, weights.size_half),
        ),
        Reason(
            signal="diffusion",
            message=f"Spread over {features.files:,} files in {features.directories:,} "
            f"folder(s) and {features.subsystems:,} subsystem(s).",
            evidence=sorted({subsystem_of(c.path) for c in files})[:8],
            points=round(
                weights.files * saturate(features.files - 1, weights.files_half)
                + weights.subsystems * saturate(features.subsystems - 1, weights.subsystems_half),
                4,
            ),
        ),
        Reason(
            signal="entropy",
            message=f"Changes are spread evenly across files (entropy {features.entropy:.2f} "
            "of 1): harder to review as one idea.",
            evidence=[f"entropy={features.entropy:.2f}"],
            points=round(weights.entropy * features.entropy * saturate(lines, 50.0), 4),
        ),
    ]
    if features.binary_files:
        binaries = [c.path for c in files if c.binary]
        reasons.append(
            Reason(
                signal="binary",
                message=f"{len(binaries)} binary file(s) changed; their content cannot be "
                "reviewed as text.",
                evidence=binaries[:5],
                points=round(min(0.15, weights.binary * len(binaries)), 4),
            )
        )
    if features.submodules:
        modules = [c.path for c in files if c.submodule]
        reasons.append(
            Reason(
                signal="submodule",
                message=f"{len(modules)} submodule pointer(s) moved: a whole dependency changed.",
                evidence=modules[:5],
                points=weights.submodule,
            )
        )
    return reasons


def history_reasons(
    history: HistoryFeatures | None, features: RiskFeatures, weights: Weights
) -> list[Reason]:
    if history is None:
        return []
    busiest = sorted(history.files.values(), key=lambda h: -h.changes)[:3]
    reasons = [
        Reason(
            signal="past_changes",
            message=f"The touched files were changed in {history.unique_changes:,} earlier "
            "commit(s).",
            evidence=[f"{h.path}: {h.changes} changes" for h in busiest],
            points=_points(weights.past_changes, history.unique_changes, weights.past_changes_half),
        ),
        Reason(
            signal="developers",
            message=f"{history.developers} developer(s) changed these files before.",
            evidence=[f"developers={history.developers}"],
            points=_points(weights.developers, history.developers - 1, weights.developers_half),
        ),
    ]
    if history.past_fixes:
        fixed = sorted(history.files.values(), key=lambda h: -h.fixes)[:3]
        reasons.append(
            Reason(
                signal="past_fixes",
                message=f"{sum(1 for h in history.files.values() if h.fixes)} of the "
                f"{features.files:,} changed file(s) were changed by fixes before "
                f"({history.past_fixes} fix commit(s) in the history read): code that needed "
                "fixing tends to need it again.",
                evidence=[f"{h.path}: {h.fixes} fixes" for h in fixed if h.fixes],
                points=_points(weights.past_fixes, history.past_fixes, weights.past_fixes_half),
            )
        )
    if history.past_reverts:
        reasons.append(
            Reason(
                signal="past_reverts",
                message=f"Changes to these files were reverted {history.past_reverts} time(s) "
                "before.",
                evidence=list(history.revert_evidence),
                points=_points(
                    weights.past_reverts, history.past_reverts, weights.past_reverts_half
                ),
            )
        )
    return reasons


_TYPE_MESSAGES: dict[ChangeType, str] = {
    ChangeType.MIGRATION: "Database migration changed: it runs once, against live data.",
    ChangeType.SECURITY: "Security-sensitive code changed (authentication, crypto, permissions).",
    ChangeType.INFRASTRUCTURE: "Infrastructure changed (containers, Kubernetes, Helm, Terraform).",
    ChangeType.API_CONTRACT: "An API contract changed: clients may break.",
    ChangeType.DEPENDENCIES: "Dependency manifests changed.",
    ChangeType.LOCKFILE: "Locked dependency versions changed.",
    ChangeType.CI: "CI/workflow files changed.",
    ChangeType.BUILD: "Build configuration changed.",
    ChangeType.CONFIG: "Configuration changed.",
}


def type_reasons(files: Sequence[ChangedFile], weights: Weights) -> list[Reason]:
    """One reason per kind of change, each file counted once, under its weightiest kind: a
    ``Cargo.toml`` whose edit moved no dependency is build configuration, not configuration
    as well. A file added never takes a kind away from another, so more files never score
    lower."""
    owner = {
        changed.path: max(kinds, key=lambda kind: weights.types[kind])
        for changed in files
        if (kinds := [kind for kind in changed.types if kind in weights.types])
    }
    by_type: Counter[ChangeType] = Counter(owner.values())
    reasons = []
    for kind, points in weights.types.items():
        if by_type[kind] == 0:
            continue
        evidence = [changed.path for changed in files if owner.get(changed.path) == kind]
        reasons.append(
            Reason(
                signal=kind.value,
                message=f"{_TYPE_MESSAGES[kind]} ({by_type[kind]} file(s))",
                evidence=evidence[:10],
                points=points,
            )
        )
    return reasons
