"""Change risk: just-in-time defect-prediction features combined into a score, a level and reasons.

The features are those Kamei et al. (TSE 2013) found predictive and later work confirmed
(McIntosh & Kamei 2018; Zeng et al. 2021 showed a few of them, size above all, carry most of the
signal): size (lines added and deleted), diffusion (files, directories, subsystems, entropy),
purpose (a fix), history of the touched files (past changes, developers, fixes, reverts) and
author experience (overall and in the subsystem). Change types add what the papers cannot see:
a migration or an auth change is risky at any size.

Each feature contributes ``points = weight * saturation(value)`` (saturation ``x / (x + half)``:
the first lines matter more than the thousandth), and the points add up to
``risk_score = 1 - exp(-points)`` in [0, 1). These hand-set weights, from the papers' effect
sizes, are the *priors*: deploy-gate refits them to the repository's own history when it has
enough of it (:mod:`risk_fit`; ``bench/risk_eval.py`` measures both on real histories).
Every contribution big enough to matter becomes a reason naming its evidence. Floors are
applied last and say so:

* docs-only and tests-only changes have their points scaled down (they rarely break production)
  and are low unless the points still say otherwise;
* a security-sensitive change or an infrastructure change is never low, and neither is a change
  to a dependency manifest or lock file (new third-party code runs; the policy builds it in full);
* a schema migration is at least high (it changes the live database once, and redeploying the
  old code does not undo it; the policy asks a human to approve it), and so is a destructive
  migration statement (``DROP TABLE``, ``RemoveField`` …) or a change that weakens
  authentication or authorisation (:mod:`authz`);
* an added secret or a dangerous workflow is at least high (:mod:`cicd_agent.analysis.security`),
  and a secret also holds the deployment;
* a change that only moves GitHub Actions pins is at most medium.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.analysis.authz import weakened_access
from cicd_agent.analysis.changes import (
    ChangedFile,
    ChangeSet,
    ChangeType,
    CommitInfo,
    only,
    read_change_set,
)
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.gitrepo import GitRepo
from cicd_agent.analysis.history import HistoryFeatures, is_fix, read_history, subsystem_of
from cicd_agent.analysis.scale import OrderedStrEnum
from cicd_agent.analysis.security import security_findings, security_floor


class RiskLevel(OrderedStrEnum):
    """The one risk scale every mode shares (review's ``risk_level`` means the same)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def lower_bound(self) -> float:
        """The lowest score of this level."""
        return LEVEL_BOUNDS[self]


LEVEL_BOUNDS: dict[RiskLevel, float] = {
    RiskLevel.LOW: 0.0,
    RiskLevel.MEDIUM: 0.30,
    RiskLevel.HIGH: 0.60,
    RiskLevel.CRITICAL: 0.85,
}


def level_for(score: float) -> RiskLevel:
    """The level a score falls in."""
    level = RiskLevel.LOW
    for candidate, bound in LEVEL_BOUNDS.items():
        if score >= bound:
            level = candidate
    return level


def higher(first: RiskLevel, second: RiskLevel) -> RiskLevel:
    return first if first.rank >= second.rank else second


class Reason(BaseModel):
    """Why the risk is what it is: the signal, a sentence, and the evidence it rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal: str
    message: str
    evidence: list[str] = Field(default_factory=list)
    points: float = 0.0


class RiskFeatures(BaseModel):
    """The measured features (Kamei et al. names in comments), kept for the audit and the model."""

    model_config = ConfigDict(extra="forbid")

    lines_added: int  # LA
    lines_deleted: int  # LD
    files: int  # NF
    directories: int  # ND
    subsystems: int  # NS
    entropy: float  # Entropy, normalised to [0, 1] by log2(NF)
    fix: bool  # FIX
    new_files: int
    deleted_files: int
    renamed_files: int
    binary_files: int
    submodules: int
    commits: int
    past_changes: int | None = None  # NUC
    developers: int | None = None  # NDEV
    mean_age_days: float | None = None  # AGE
    past_fixes: int | None = None
    past_reverts: int | None = None
    author_experience: int | None = None  # EXP
    recent_experience: float | None = None  # REXP
    subsystem_experience: int | None = None  # SEXP


class RiskAssessment(BaseModel):
    """The deterministic floor every mode shares."""

    model_config = ConfigDict(extra="forbid")

    risk_score: float
    risk_level: RiskLevel
    change_types: list[ChangeType]
    reasons: list[Reason]
    features: RiskFeatures
    hold_reasons: list[str] = Field(default_factory=list)
    """Findings that stop a deployment whatever the policy says (an added secret)."""


class Weights(BaseModel):
    """Points per feature at saturation, and the value at which half of them are reached."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: float = 0.8
    size_half: float = 400.0
    files: float = 0.3
    files_half: float = 8.0
    subsystems: float = 0.25
    subsystems_half: float = 2.0
    entropy: float = 0.15
    fix: float = 0.2
    past_changes: float = 0.2
    past_changes_half: float = 50.0
    developers: float = 0.2
    developers_half: float = 8.0
    past_fixes: float = 0.15
    past_fixes_half: float = 10.0
    past_reverts: float = 0.35
    past_reverts_half: float = 2.0
    inexperience: float = 0.35
    experience_half: float = 20.0
    subsystem_inexperience: float = 0.15
    subsystem_experience_half: float = 10.0
    types: dict[ChangeType, float] = Field(
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
MIN_AUTHORS_FOR_EXPERIENCE = 3
MIN_COMMITS_FOR_EXPERIENCE = 50
"""Below these, "less experienced" says nothing: a one-person or brand-new repository."""
MIN_REASON_POINTS = 0.04
"""Contributions below this are kept in the features but not listed as reasons."""

NEVER_LOW = (ChangeType.SECURITY, ChangeType.INFRASTRUCTURE)
DEPENDENCY_TYPES = (ChangeType.DEPENDENCIES, ChangeType.LOCKFILE)

_DESTRUCTIVE = re.compile(
    r"\b(drop\s+(table|column|index|schema|database|view|type|constraint)|truncate(\s+table)?\s+\w|"
    r"alter\s+table\s+\S+\s+(drop|rename)|rename\s+(table|column)|delete\s+from\s+\w|"
    r"RemoveField|DeleteModel|RenameField|RenameModel|AlterField|"
    r"op\.drop_\w+|op\.alter_column|remove_column|drop_table|rename_column|change_column|"
    r"dropColumn|dropTable|renameColumn|dropIndex)\b",
    re.IGNORECASE,
)


def destructive_statements(diff_text: str) -> list[str]:
    """Added lines of a migration diff that drop, rename or rewrite data (at most 10)."""
    found: list[str] = []
    path = ""
    for line in diff_text.splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else line[4:]
        elif line.startswith("+") and _DESTRUCTIVE.search(line):
            found.append(f"{path}: {line[1:].strip()[:120]}")
            if len(found) >= 10:
                break
    return found


def _saturate(value: float, half: float) -> float:
    return value / (value + half) if value > 0 else 0.0


def entropy_of(files: Sequence[ChangedFile]) -> float:
    """Shannon entropy of the modified lines across files, normalised by log2(files)."""
    churns = [changed.churn for changed in files if changed.churn > 0]
    total = sum(churns)
    if len(churns) < 2 or total == 0:
        return 0.0
    raw = -sum((churn / total) * math.log2(churn / total) for churn in churns)
    return round(raw / math.log2(len(churns)), 4)


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
        entropy=entropy_of(files),
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


def assess_change(
    files: Sequence[ChangedFile],
    commits: Sequence[CommitInfo] = (),
    history: HistoryFeatures | None = None,
    *,
    destructive: Sequence[str] = (),
    weakened: Sequence[str] = (),
    pins_only: bool = False,
    security: Sequence[Finding] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> RiskAssessment:
    """Score a change with the priors. Review mode calls this with its own files to get the
    same risk level.

    ``destructive`` holds migration statements found by :func:`destructive_statements`,
    ``weakened`` what :func:`~cicd_agent.analysis.authz.weakened_access` found, ``pins_only``
    what :func:`action_pins_only` says, ``security`` the secret and workflow findings of
    :func:`~cicd_agent.analysis.security.security_findings`.
    """
    features = measure(files, commits, history)
    reasons = [
        *_size_reasons(files, features, weights),
        *_purpose_reasons(commits, features, weights),
        *_history_reasons(history, features, weights),
        *_type_reasons(files, weights),
    ]
    points = sum(reason.points for reason in reasons)
    types = sorted({t for changed in files for t in changed.types}, key=list(ChangeType).index)
    floor_reasons: list[Reason] = []
    if only(files, ChangeType.DOCS) or only(files, ChangeType.TESTS):
        kind = "documentation" if only(files, ChangeType.DOCS) else "tests"
        factor = weights.docs_only_factor if kind == "documentation" else weights.tests_only_factor
        points *= factor
        floor_reasons.append(
            Reason(
                signal="scope",
                message=f"Only {kind} changed ({len(files)} file(s)): nothing that runs in "
                f"production changes, so the points were scaled by {factor}.",
                evidence=[changed.path for changed in files[:5]],
            )
        )
    if pins_only:
        points *= weights.tests_only_factor
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
    if pins_only:
        score = min(score, LEVEL_BOUNDS[RiskLevel.HIGH] - 0.01)
    ordered = sorted(reasons, key=lambda reason: -reason.points)
    return finish(
        score,
        [r for r in ordered if r.points >= MIN_REASON_POINTS] + floor_reasons,
        files=files,
        types=types,
        features=features,
        destructive=destructive,
        weakened=weakened,
        security=security,
    )


def finish(
    score: float,
    reasons: list[Reason],
    *,
    files: Sequence[ChangedFile],
    types: list[ChangeType],
    features: RiskFeatures,
    destructive: Sequence[str] = (),
    weakened: Sequence[str] = (),
    security: Sequence[Finding] = (),
) -> RiskAssessment:
    """Apply the floors every score keeps, priors or fitted: a migration, security or
    infrastructure change is never low; a destructive migration, a change that weakens
    authentication or authorisation, an added secret or a dangerous workflow is at least high
    (a secret also holds the deployment). Each floor adds its reason."""
    floor = RiskLevel.LOW
    floor_reasons: list[Reason] = []
    never_low = [t for t in NEVER_LOW if t in types]
    if never_low:
        floor = RiskLevel.MEDIUM
        evidence = [c.path for c in files if c.types & set(never_low)][:10]
        floor_reasons.append(
            Reason(
                signal="floor",
                message=f"A {', '.join(t.value for t in never_low)} change is never low risk.",
                evidence=evidence,
            )
        )
    manifests = [c.path for c in files if c.types & set(DEPENDENCY_TYPES)]
    if manifests:
        floor = higher(floor, RiskLevel.MEDIUM)
        floor_reasons.append(
            Reason(
                signal="dependency_floor",
                message=f"{len(manifests)} dependency manifest or lock file(s) changed: "
                "third-party code that was not running before will, so this is at least medium "
                "risk and gets a full build, not a cached one.",
                evidence=manifests[:10],
            )
        )
    migrations = [c.path for c in files if ChangeType.MIGRATION in c.types]
    if migrations:
        floor = higher(floor, RiskLevel.HIGH)
        floor_reasons.append(
            Reason(
                signal="migration_floor",
                message=f"{len(migrations)} schema migration file(s) changed: a migration runs "
                "once against the live database and redeploying the old code does not undo it, "
                "so this is at least high risk and needs a human approval.",
                evidence=migrations[:10],
            )
        )
    if destructive:
        floor = higher(floor, RiskLevel.HIGH)
        floor_reasons.append(
            Reason(
                signal="destructive_migration",
                message=f"{len(destructive)} migration statement(s) drop, rename or rewrite "
                "data; rolling back the code will not bring the data back.",
                evidence=list(destructive),
            )
        )
    if weakened:
        floor = higher(floor, RiskLevel.HIGH)
        floor_reasons.append(
            Reason(
                signal="weakened_access",
                message=f"{len(weakened)} change(s) weaken authentication or authorisation: a "
                "check that always passes, a removed guard or a widened allow-list.",
                evidence=list(weakened),
            )
        )
    found_floor, found_lines, holds = security_floor(security)
    if found_floor is not None:
        floor = higher(floor, RiskLevel(found_floor.label))
        floor_reasons.append(
            Reason(
                signal="security_findings",
                message=f"{len(found_lines)} secret or workflow finding(s) make this change at "
                f"least {found_floor.label} risk.",
                evidence=found_lines[:10],
            )
        )
    score = max(score, floor.lower_bound)
    score = round(min(score, 0.999), 4)
    return RiskAssessment(
        risk_score=score,
        risk_level=level_for(score),
        change_types=types,
        reasons=[*reasons, *floor_reasons],
        features=features,
        hold_reasons=holds,
    )


_USES_LINE = re.compile(r"^\s*(-\s*)?uses:\s*\S+@\S+(\s*#.*)?$")


def action_pins_only(files: Sequence[ChangedFile], diff_text: str) -> bool:
    """True when the change only moves GitHub Actions pins: every file a workflow and every
    added or removed line a ``uses: owner/action@ref`` line (a Dependabot bump)."""
    if not files or any(
        not c.path.startswith(".github/") or c.status != "M" or c.binary for c in files
    ):
        return False
    changed = [
        line[1:]
        for line in diff_text.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return bool(changed) and all(_USES_LINE.match(line) for line in changed)


def _size_reasons(
    files: Sequence[ChangedFile], features: RiskFeatures, weights: Weights
) -> list[Reason]:
    lines = features.lines_added + features.lines_deleted
    largest = sorted(files, key=lambda changed: -changed.churn)[:3]
    reasons = [
        Reason(
            signal="size",
            message=f"{lines:,} lines changed (+{features.lines_added:,}/-"
            f"{features.lines_deleted:,}) in {features.files:,} file(s).",
            evidence=[f"{c.path} (+{c.added}/-{c.deleted})" for c in largest if c.churn],
            points=round(weights.size * _saturate(lines, weights.size_half), 4),
        ),
        Reason(
            signal="diffusion",
            message=f"Spread over {features.files:,} files in {features.directories:,} "
            f"folder(s) and {features.subsystems:,} subsystem(s).",
            evidence=sorted({subsystem_of(c.path) for c in files})[:8],
            points=round(
                weights.files * _saturate(features.files - 1, weights.files_half)
                + weights.subsystems * _saturate(features.subsystems - 1, weights.subsystems_half),
                4,
            ),
        ),
        Reason(
            signal="entropy",
            message=f"Changes are spread evenly across files (entropy {features.entropy:.2f} "
            "of 1): harder to review as one idea.",
            evidence=[f"entropy={features.entropy:.2f}"],
            points=round(weights.entropy * features.entropy * _saturate(lines, 50.0), 4),
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


def _purpose_reasons(
    commits: Sequence[CommitInfo], features: RiskFeatures, weights: Weights
) -> list[Reason]:
    if not features.fix:
        return []
    fixing = [c for c in commits if is_fix(c.message)]
    return [
        Reason(
            signal="fix",
            message="The change says it fixes a defect; fixes are more often defective "
            "themselves (Kamei et al. 2013).",
            evidence=[f"{c.sha[:12]} {c.subject[:80]}" for c in fixing[:3]],
            points=weights.fix,
        )
    ]


def _history_reasons(
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
            points=round(
                weights.past_changes * _saturate(history.unique_changes, weights.past_changes_half),
                4,
            ),
        ),
        Reason(
            signal="developers",
            message=f"{history.developers} developer(s) changed these files before.",
            evidence=[f"developers={history.developers}"],
            points=round(
                weights.developers * _saturate(history.developers - 1, weights.developers_half),
                4,
            ),
        ),
    ]
    if history.past_fixes:
        fixed = sorted(history.files.values(), key=lambda h: -h.fixes)[:3]
        reasons.append(
            Reason(
                signal="past_fixes",
                message=f"{history.past_fixes} earlier fix commit(s) touched these files.",
                evidence=[f"{h.path}: {h.fixes} fixes" for h in fixed if h.fixes],
                points=round(
                    weights.past_fixes * _saturate(history.past_fixes, weights.past_fixes_half), 4
                ),
            )
        )
    if history.past_reverts:
        reasons.append(
            Reason(
                signal="past_reverts",
                message=f"Changes to these files were reverted {history.past_reverts} time(s) "
                "before.",
                evidence=list(history.revert_evidence),
                points=round(
                    weights.past_reverts
                    * _saturate(history.past_reverts, weights.past_reverts_half),
                    4,
                ),
            )
        )
    if (
        history.authors
        and features.author_experience is not None
        and history.repo_authors >= MIN_AUTHORS_FOR_EXPERIENCE
        and history.repo_commits >= MIN_COMMITS_FOR_EXPERIENCE
        and history.more_experienced >= 0.5
    ):
        # Inexperience is relative: only an author most of the repository's authors have
        # out-committed is "less experienced", and never the only author.
        reasons.append(
            Reason(
                signal="experience",
                message=f"A less experienced author: {history.experience:,} earlier "
                f"commit(s) here ({history.subsystem_experience:,} in these subsystems); "
                f"{history.more_experienced:.0%} of the repository's other "
                f"{history.repo_authors - 1:,} author(s) have more.",
                evidence=[f"author={history.authors[0]}", f"commits={history.experience}"],
                points=round(
                    history.more_experienced
                    * (
                        weights.inexperience
                        * (1 - _saturate(history.experience, weights.experience_half))
                        + weights.subsystem_inexperience
                        * (
                            1
                            - _saturate(
                                history.subsystem_experience, weights.subsystem_experience_half
                            )
                        )
                    ),
                    4,
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


def _type_reasons(files: Sequence[ChangedFile], weights: Weights) -> list[Reason]:
    by_type: Counter[ChangeType] = Counter(t for changed in files for t in changed.types)
    reasons = []
    for kind, points in weights.types.items():
        if by_type[kind] == 0:
            continue
        evidence = [changed.path for changed in files if kind in changed.types]
        reasons.append(
            Reason(
                signal=kind.value,
                message=f"{_TYPE_MESSAGES[kind]} ({by_type[kind]} file(s))",
                evidence=evidence[:10],
                points=points,
            )
        )
    return reasons


MAX_DIFF_BYTES = 2_000_000
"""Most diff text read for each detector (migrations, access checks)."""
MAX_DIFF_PATHS = 400
"""Most runtime files whose diff the access-check detector reads."""


@dataclass(frozen=True)
class ChangeEvidence:
    """What the detectors read from the change's own diff text, whichever scorer runs: the
    inputs of the floors (:func:`finish`), read once."""

    destructive: tuple[str, ...] = ()
    weakened: tuple[str, ...] = ()
    pins_only: bool = False
    security: tuple[Finding, ...] = ()


DiffText = Callable[[Sequence[str], int], str]
"""The unified diff of some paths of the change, cut at a number of characters."""


@dataclass(frozen=True)
class DiffAtHand:
    """A caller's own reading of the change's diff (review has parsed it already): its files
    and its text by path. The change set and the detectors use it instead of asking git for
    the same range again: each ``git diff`` of a 5,000-file change is about 0.15 s of CPU."""

    files: tuple[ChangedFile, ...]
    text: DiffText


def read_evidence(
    repo: GitRepo, change: ChangeSet, *, with_security: bool, text: DiffText | None = None
) -> ChangeEvidence:
    """Run the diff-text detectors over ``change``. ``with_security`` also runs the secret and
    workflow rules (deploy-gate; review runs them itself as findings, so its risk level does
    not pay for them twice). ``text`` reads the diff by path (default: ask git)."""
    files = change.files

    def diff_text(paths: Sequence[str], max_bytes: int) -> str:
        if text is not None:
            return text(paths, max_bytes)
        return repo.diff_text(change.base, change.head, list(paths), max_bytes)

    migrations = [c.path for c in files if ChangeType.MIGRATION in c.types and not c.binary]
    runtime = [
        c.path
        for c in files
        if not c.binary and not c.types & {ChangeType.TESTS, ChangeType.DOCS, ChangeType.GENERATED}
    ]
    workflows = [c.path for c in files if c.path.startswith(".github/")]
    return ChangeEvidence(
        destructive=tuple(destructive_statements(diff_text(migrations[:200], MAX_DIFF_BYTES))),
        weakened=tuple(weakened_access(diff_text(runtime[:MAX_DIFF_PATHS], MAX_DIFF_BYTES))),
        pins_only=len(workflows) == len(files)
        and action_pins_only(files, diff_text(workflows[:50], 200_000)),
        security=tuple(security_findings(repo.path, change.base, change.head))
        if with_security
        else (),
    )


def assess_range(
    repo_dir: Path,
    head: str,
    base: str | None = None,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    at_hand: DiffAtHand | None = None,
) -> tuple[ChangeSet, HistoryFeatures, RiskAssessment]:
    """Read ``base..head`` from git and score it with the priors: review's risk level, and
    deploy-gate's when the repository's history is too short to fit.

    ``base`` None compares ``head`` with its first parent (the empty tree for a root commit).
    ``at_hand`` is the caller's diff of exactly this range, read instead of asking git again.
    """
    repo = GitRepo.open(repo_dir)
    change = read_change_set(repo, head, base, files=at_hand.files if at_hand else None)
    history = read_history(repo, change)
    evidence = read_evidence(
        repo, change, with_security=False, text=at_hand.text if at_hand else None
    )
    assessment = assess_change(
        change.files,
        change.commits,
        history,
        destructive=evidence.destructive,
        weakened=evidence.weakened,
        pins_only=evidence.pins_only,
        weights=weights,
    )
    return change, history, assessment
