"""The floors every score keeps, priors or fitted: a change of some kinds is never low, and some
are at least high; each floor adds its reason."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.scale import RiskLevel, higher, level_for
from cicd_agent.analysis.security import security_floor
from cicd_agent.risk.assessment import Reason, RiskAssessment, RiskFeatures

NEVER_LOW = (ChangeType.SECURITY, ChangeType.INFRASTRUCTURE)
DEPENDENCY_TYPES = (ChangeType.DEPENDENCIES, ChangeType.LOCKFILE)


# What each kind of statement does, to say it rightly: an ``AlterField(db_index=True)`` adds an
# index, and was described as dropping, renaming or rewriting data.
_STATEMENT_KINDS = (
    (re.compile(r"\b(drop|truncate|delete\s+from|RemoveField|DeleteModel|remove_column)"
                r"|dropColumn|dropTable|dropIndex", re.IGNORECASE),
     "drop or delete a table, column, index or rows"),
    (re.compile(r"\brename|RenameField|RenameModel|renameColumn", re.IGNORECASE),
     "rename a table or column (code still running on the old name breaks)"),
    (re.compile(r"AlterField|alter_column|change_column", re.IGNORECASE),
     "change a column's definition (its type, index, default or nullability), which can "
     "rewrite or lock the table while it runs"),
)  # fmt: skip


def describe_statements(statements: Sequence[str]) -> str:
    """What ``statements`` (from :func:`destructive_statements`) do, in one phrase."""
    kinds = [
        said
        for pattern, said in _STATEMENT_KINDS
        if any(pattern.search(statement.split(": ", 1)[-1]) for statement in statements)
    ]
    if not kinds:
        return "change stored data"
    return kinds[0] if len(kinds) == 1 else "; ".join(kinds[:-1]) + "; or " + kinds[-1]


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
                message=f"{len(destructive)} migration statement(s) "
                f"{describe_statements(destructive)}; rolling back the code does not undo them.",
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
