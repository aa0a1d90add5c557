"""The floors and ceilings every score keeps, priors or fitted: some changes are never low, some at
least high; a change touching only docs and tests, or only bumping development dependencies, is
capped. Ceilings apply first and floors last, so a floor (a secret in a README) always wins.

Every rule is monotone: adding lines or files can only lift a floor or a ceiling, but for one: an
exported name deleted is no floor where the change declares it again (then it moves or rewrites
the name, not removes it). The author's
identity counts only when GitHub vouches for it (:class:`Identity`): git's author text can add
the "first change" floor, never remove it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile, only
from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.findings import security_floor
from cicd_agent.analysis.scale import LEVEL_BOUNDS, RiskLevel, higher, level_for
from cicd_agent.risk.assessment import Reason, RiskAssessment, RiskFeatures
from cicd_agent.risk.evidence import NO_EVIDENCE, ChangeEvidence
from cicd_agent.risk.runs import documentation

NEVER_LOW = (ChangeType.SECURITY, ChangeType.INFRASTRUCTURE)
DEPENDENCY_TYPES = (ChangeType.DEPENDENCIES, ChangeType.LOCKFILE)
HUGE_LINES = 10_000
HUGE_FILES = 50
"""A change this big (lines added and deleted, or files) by an author with no known history is
at least high: nobody reviews it line by line, and nothing vouches for who wrote it."""
_DEV_REQUIREMENT = re.compile(
    r"(^|/)("
    r"(docs?|tests?|testing)/[^/]*requirements[^/]*"
    r"|requirements[-_./](dev|develop|tests?|testing|docs?|lint|typing|ci)[^/]*"
    r"|(dev|develop|tests?|testing|docs?|lint|typing|ci)[-_.]requirements[^/]*"
    r")\.(txt|in)$"
)
"""A pip requirements file for developing, testing or building the docs, by its path: what it
pins never runs in production."""
_DEV_ENTRY = re.compile(
    r"^(?:[-+] )?[^\s()]+ \((?:devDependencies|dev-dependencies|require-dev"
    r"|dev|develop|tests?|testing|docs?|lint|typing)\) "
)
"""A manifest's dependency entry for developing or testing only (``risk.dependencies``'
``name (devDependencies) old → new``; a dependency group named for it): never shipped."""


@dataclass(frozen=True)
class Identity:
    """Who the change is by. ``verified`` only when GitHub authenticated it (``emails``: the
    addresses GitHub links to the account); git's author, committer and ``Co-authored-by`` are
    text anyone writes, so an unverified identity never counts as experienced. ``first_change``:
    no past commit here GitHub links to them."""

    source: str
    verified: bool = False
    experienced: bool = False
    first_change: bool = True
    emails: tuple[str, ...] = ()

    @classmethod
    def pull_author(cls, login: str, emails: tuple[str, ...]) -> Identity:
        """The pull request's author as GitHub reports it, with the addresses its landed
        commits use here (none: a first change)."""
        return cls(
            source=f"pull request author {login} (GitHub)",
            verified=True,
            experienced=bool(emails),
            first_change=not emails,
            emails=emails,
        )

    @property
    def known_history(self) -> bool:
        return self.verified and self.experienced


UNKNOWN_AUTHOR = Identity(source="no author known", first_change=False)
GIT_TEXT = Identity(source="git's author text, not verified", first_change=False)
"""The identity when GitHub names none. Whoever git's author, committer, ``Co-authored-by`` or
a ``.mailmap`` claims, it is scored as a newcomer's (never experienced) and no reason is drawn
from the claim: a claimed maintainer would otherwise take away the first-change reason."""


# What each kind of statement does, to say it rightly: an ``AlterField(db_index=True)`` adds an
# index, and was described as dropping, renaming or rewriting data.
_STATEMENT_KINDS = (
    (
        re.compile(
            r"\b(drop|truncate|delete\s+from|RemoveField|DeleteModel|remove_column)"
            r"|dropColumn|dropTable|dropIndex",
            re.IGNORECASE,
        ),
        "drop or delete a table, column, index or rows",
    ),
    (
        re.compile(r"\brename|RenameField|RenameModel|renameColumn", re.IGNORECASE),
        "rename a table or column (code still running on the old name breaks)",
    ),
    (
        re.compile(r"AlterField|alter_column|change_column", re.IGNORECASE),
        "change a column's definition (its type, index, default or nullability), which can "
        "rewrite or lock the table while it runs",
    ),
)


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
    evidence: ChangeEvidence = NO_EVIDENCE,
    identity: Identity = UNKNOWN_AUTHOR,
    shallow: bool = False,
    arithmetic: str = "",
) -> RiskAssessment:
    """Apply the ceilings, then the floors: a migration, security or infrastructure change, or
    one deleting an exported name, is never low; a destructive migration, weakened access, an
    added secret, a dangerous workflow, or a huge change by an author with no known history is
    at least high; a shallow clone's is critical (a secret also holds the deployment). Each adds
    its reason, and ``arithmetic`` says what it moved."""
    scored = score
    score, ceiling_reasons = _ceilings(score, files, evidence)
    if score < scored:
        arithmetic += f", capped at {score:.2f}, the highest {level_for(score).value} score, by "
        arithmetic += "the ceiling below"
    reasons = [*reasons, *ceiling_reasons, *_quiet_reasons(files, evidence)]
    floors: list[RiskLevel] = []
    floor_reasons: list[Reason] = []

    def at_least(level: RiskLevel | None, signal: str, message: str, evidence: list[str]) -> None:
        # Each floor only raises: a milder floor found later never lowers one found before.
        if level is not None:
            floors.append(level)
        floor_reasons.append(Reason(signal=signal, message=message, evidence=evidence))

    if identity.first_change:
        at_least(None, "newcomer", f"First change by this author ({identity.source}).", [])
    lines = features.lines_added + features.lines_deleted
    if not identity.known_history and (lines >= HUGE_LINES or len(files) >= HUGE_FILES):
        at_least(
            RiskLevel.HIGH,
            "huge_change_floor",
            f"{lines:,} lines in {len(files):,} file(s) by an author with no history "
            f"GitHub vouches for ({identity.source}): at least high risk.",
            [],
        )
    if shallow:
        # Critical, the top: whatever the full history would say, a shallow clone cannot make
        # the gate milder; the fix is one line in the workflow.
        at_least(
            RiskLevel.CRITICAL,
            "shallow_floor",
            "shallow clone: set `fetch-depth: 0` (actions/checkout). Without the history "
            "the change cannot be ranked against the repository's past, so it is treated "
            "as critical until the history is fetched.",
            [],
        )
    never_low = [t for t in NEVER_LOW if t in types]
    if never_low:
        at_least(
            RiskLevel.MEDIUM,
            "floor",
            f"A {', '.join(t.value for t in never_low)} change is never low risk.",
            [c.path for c in files if c.types & set(never_low)][:10],
        )
    manifests = [c.path for c in files if c.types & set(DEPENDENCY_TYPES)]
    moved = [f"{path}: {entry}" for path in manifests for entry in evidence.moved.get(path, ())]
    if manifests:
        what = (
            f"{len(moved)} dependency entr{'y' if len(moved) == 1 else 'ies'} changed "
            f"({'; '.join(moved[:3])}{'; …' if len(moved) > 3 else ''})"
            if moved
            else f"{len(manifests)} dependency manifest or lock file(s) changed"
        )
        if named := [f"{c.path}, named by {c.named_by}" for c in files if c.named_by]:
            what += f" ({'; '.join(named[:3])}{'; …' if len(named) > 3 else ''})"
        if unread := [path for path in manifests if path not in evidence.moved]:
            what += (
                f" ({', '.join(unread[:3])}: its dependency entries could not be "
                "compared, base to head, so it counts as changed)"
            )
        at_least(
            RiskLevel.MEDIUM,
            "dependency_floor",
            f"{what}: third-party code that was not running before will, so this is at "
            "least medium risk and gets a full build, not a cached one.",
            (moved or manifests)[:10],
        )
    if removed := evidence.removed:
        at_least(RiskLevel.MEDIUM, "removed_api", _removed_sentence(removed), list(removed[:10]))
    migrations = [c.path for c in files if ChangeType.MIGRATION in c.types]
    if migrations:
        at_least(
            RiskLevel.HIGH,
            "migration_floor",
            f"{len(migrations)} schema migration file(s) changed: a migration runs once "
            "against the live database and redeploying the old code does not undo it, so "
            "this is at least high risk and needs a human approval.",
            migrations[:10],
        )
    if destructive := evidence.destructive:
        at_least(
            RiskLevel.HIGH,
            "destructive_migration",
            f"{len(destructive)} migration statement(s) {describe_statements(destructive)}; "
            "rolling back the code does not undo them.",
            list(destructive),
        )
    if weakened := evidence.weakened:
        at_least(
            RiskLevel.HIGH,
            "weakened_access",
            f"{len(weakened)} change(s) weaken authentication or authorisation: a check "
            "that always passes, a removed guard or a widened allow-list.",
            list(weakened),
        )
    found_floor, found_lines, holds = security_floor(evidence.security)
    if found_floor is not None:
        at_least(
            RiskLevel(found_floor.label),
            "security_findings",
            f"{len(found_lines)} secret or workflow finding(s) make this change at least "
            f"{found_floor.label} risk.",
            found_lines[:10],
        )
    floor = reduce(higher, floors, RiskLevel.LOW)
    if floor.lower_bound > score:
        score = floor.lower_bound
        which = "the minimum below" if len(floors) == 1 else "the highest of the minimums below"
        arithmetic += f", raised to {score:.2f}, the lowest {floor.value} score, by {which}"
    score = round(min(score, 0.999), 4)
    return RiskAssessment(
        risk_score=score,
        risk_level=level_for(score),
        change_types=types,
        reasons=[*reasons, *floor_reasons],
        features=features,
        hold_reasons=holds,
        identity=identity.source,
        arithmetic=arithmetic + "." if arithmetic else "",
    )


def _ceilings(
    score: float, files: Sequence[ChangedFile], evidence: ChangeEvidence
) -> tuple[float, list[Reason]]:
    """``score`` capped for a change of only documentation (and tests): low; of only development,
    test or docs requirement bumps, or only development dependencies with their regenerated lock
    files: medium. Any other file lifts the cap, so a bigger change never scores lower; the
    floors still apply after."""
    unshipped = all(c.types and c.types <= {ChangeType.DOCS, ChangeType.TESTS} for c in files)
    ceilings = (
        (
            only(files, ChangeType.DOCS),
            RiskLevel.MEDIUM,
            "docs_ceiling",
            f"Only {documentation(files)} changed ({len(files)} file(s)): low risk.",
        ),
        (
            all(
                _DEV_REQUIREMENT.search(c.path.lower()) and c.added == c.deleted and c.status == "M"
                for c in files
            ),
            RiskLevel.HIGH,
            "dev_requirement_ceiling",
            "Only development, test or docs requirement versions changed: at most medium risk.",
        ),
        (
            unshipped,
            RiskLevel.MEDIUM,
            "unshipped_ceiling",
            f"Only {documentation(files, 'tests')} changed ({len(files)} file(s)): nothing "
            "deployed changes, so low risk.",
        ),
        (
            _dev_dependencies_only(files, evidence),
            RiskLevel.HIGH,
            "dev_dependency_ceiling",
            "Only development dependencies moved in the manifests, the lock files "
            "regenerated with them: at most medium risk (still built in full).",
        ),
    )
    for applies, above, signal, message in ceilings:
        cap = LEVEL_BOUNDS[above] - 0.01
        if files and applies and score > cap:
            evidence_paths = [c.path for c in files[:5]]
            return cap, [Reason(signal=signal, message=message, evidence=evidence_paths)]
    return score, []


def _removed_sentence(removed: Sequence[str]) -> str:
    """What deleting the exported names ``removed`` (``path: name``) risks, naming them, each as
    inline code: a name is the pull request's text, and ``_x_`` or ``$x$`` is Markdown."""
    names = ", ".join(name_span(entry.rpartition(": ")[2]) for entry in removed[:5])
    return (
        f"{len(removed)} exported name(s) deleted and not declared again in the change "
        f"({names}{', …' if len(removed) > 5 else ''}): code outside the change that uses "
        "them no longer builds, so this is at least medium risk."
    )


def _dev_dependencies_only(files: Sequence[ChangedFile], evidence: ChangeEvidence) -> bool:
    """Whether every file is a dependency manifest or lock file, edited in place, and every
    manifest's entries that moved (each manifest read: one that could not be is not known)
    are development ones (:data:`_DEV_ENTRY`)."""
    manifests = [c.path for c in files if ChangeType.DEPENDENCIES in c.types]
    moved = [evidence.moved.get(path, ()) for path in manifests]
    return (
        bool(manifests)
        and all(c.status == "M" and c.types & set(DEPENDENCY_TYPES) for c in files)
        and all(entries and all(_DEV_ENTRY.match(e) for e in entries) for entries in moved)
    )


def _quiet_reasons(files: Sequence[ChangedFile], evidence: ChangeEvidence) -> list[Reason]:
    """What the user reads when lines changed but nothing that runs did."""
    quiet = [c.path for c in files if (lines := evidence.runs.get(c.path)) and lines.quiet]
    if not quiet:
        return []
    count = sum(evidence.runs[p].raw for p in quiet)
    where = "" if len(quiet) == len(files) else f" in {len(quiet)} of the {len(files)} files"
    return [
        Reason(
            signal="what_runs",
            message=f"{count:,} lines changed{where}, all comments, docstrings and whitespace: "
            "nothing that runs changes there.",
            evidence=[f"{p} ({evidence.runs[p].raw} lines)" for p in quiet[:5]],
        )
    ]
