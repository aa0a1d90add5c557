"""The detectors that read the change's own diff text, whichever scorer runs: destructive
migration statements, weakened access checks, Actions pin bumps, and (deploy-gate) added secrets
and workflow dangers. Their findings are the inputs of the floors."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cicd_agent.analysis.authz import weakened_access
from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile, ChangeSet
from cicd_agent.analysis.finding import Finding
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.local.range_findings import security_findings

_DESTRUCTIVE = re.compile(
    r"\b(drop\s+(table|column|index|schema|database|view|type|constraint)|truncate(\s+table)?\s+\w|"
    r"alter\s+table\s+\S+\s+(drop|rename)|rename\s+(table|column)|delete\s+from\s+\w|"
    r"RemoveField|DeleteModel|RenameField|RenameModel|AlterField|"
    r"op\.drop_\w+|op\.alter_column|remove_column|drop_table|rename_column|change_column|"
    r"dropColumn|dropTable|renameColumn|dropIndex)\b",
    re.IGNORECASE,
)


def destructive_statements(diff_text: str) -> list[str]:
    """Added lines of a migration diff that drop, delete or rename data or change a column's
    definition (at most 10)."""
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


MAX_DIFF_BYTES = 2_000_000
"""Most diff text read for each detector (migrations, access checks)."""
MAX_DIFF_PATHS = 400
"""Most runtime files whose diff the access-check detector reads."""


@dataclass(frozen=True)
class ChangeEvidence:
    """What the detectors read from the change's own diff text, whichever scorer runs: the
    inputs of the floors (:func:`~cicd_agent.risk.floors.finish`), read once."""

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
    the same range again (a ``git diff`` of a change of thousands of files is not free)."""

    files: tuple[ChangedFile, ...]
    text: DiffText


def read_evidence(
    repo: GitRepo,
    change: ChangeSet,
    *,
    with_security: bool,
    text: DiffText | None = None,
    security: Sequence[Finding] | None = None,
) -> ChangeEvidence:
    """Run the diff-text detectors over ``change``. ``with_security`` also runs the secret and
    workflow rules, unless the caller read them already (``security``: review, whose findings
    are the same scan). ``text`` reads the diff by path (default: ask git)."""
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
        security=()
        if not with_security
        else tuple(security)
        if security is not None
        else tuple(security_findings(repo.path, change.base, change.head)),
    )
