"""A pull request's description from its diff alone: file groups, files, lines, functions,
and that description as Markdown.

This is the part of ``describe`` that needs no model: the same on every run of the same diff.
Groups come from :func:`~cicd_agent.analysis.change_types.classify_path` (the same
classification deploy-gate weighs), so "migrations" or "dependencies" mean the same thing in
the description as in the risk level. Functions touched are read from the hunks: git's own
function context on each hunk header, and definitions on added or removed lines.

Everything here is pure; placing the Markdown in its one marked section of a pull request's
body is the core's (the GitHub client's ``PullBody``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cicd_agent.actions.markdown import ZWSP, code_span, prose
from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.analysis.definitions import definition_name
from cicd_agent.analysis.diff import Diff, FileDiff
from cicd_agent.analysis.file_names import escaped

FUNCTIONS_PER_FILE = 8
"""Functions named per file; more are counted."""

GROUP_TITLES = {
    "source": "Source",
    "tests": "Tests",
    "docs": "Documentation",
    "config/CI": "Configuration, build and CI",
    "dependencies": "Dependencies",
    "migrations": "Migrations",
    "generated": "Generated files",
    "other": "Other files",
}

GROUP_ORDER = tuple(GROUP_TITLES)
"""Groups in the order they are shown (and the only names a model may annotate)."""

# Most specific first: a migration is also source, a manifest is also build configuration.
_GROUP_OF: tuple[tuple[frozenset[ChangeType], str], ...] = (
    (frozenset({ChangeType.MIGRATION}), "migrations"),
    (frozenset({ChangeType.DEPENDENCIES, ChangeType.LOCKFILE}), "dependencies"),
    (frozenset({ChangeType.TESTS}), "tests"),
    (frozenset({ChangeType.DOCS}), "docs"),
    (frozenset({ChangeType.GENERATED}), "generated"),
    (
        frozenset({ChangeType.CI, ChangeType.CONFIG, ChangeType.BUILD, ChangeType.INFRASTRUCTURE}),
        "config/CI",
    ),
    (frozenset({ChangeType.SOURCE, ChangeType.SECURITY, ChangeType.API_CONTRACT}), "source"),
)


@dataclass(frozen=True)
class FileChange:
    """One changed file as the description shows it."""

    path: str
    status: str
    added: int
    removed: int
    functions: tuple[str, ...]
    more_functions: int = 0
    old_path: str | None = None
    note: str = ""
    """``binary``, ``lockfile`` or ``generated`` when the file's lines are not read."""


@dataclass(frozen=True)
class FileGroup:
    """The changed files of one group (source, tests, docs, …)."""

    name: str
    files: tuple[FileChange, ...]
    diff: Diff
    """The group's files as the diff holds them: its added and removed lines are counted there."""

    @property
    def title(self) -> str:
        return GROUP_TITLES[self.name]

    @property
    def added(self) -> int:
        return self.diff.added

    @property
    def removed(self) -> int:
        return self.diff.removed


@dataclass(frozen=True)
class ChangeFacts:
    """What the diff says about the change, grouped; ``left_out`` are the files the
    repository's ``paths``/``paths-ignore`` leave out (counted, never described)."""

    groups: tuple[FileGroup, ...]
    diff: Diff
    """The described files (``left_out`` not among them) as the diff holds them."""
    left_out: int = 0

    @property
    def files(self) -> int:
        return len(self.diff.files)

    @property
    def added(self) -> int:
        return self.diff.added

    @property
    def removed(self) -> int:
        return self.diff.removed

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.groups)


def describe_diff(diff: Diff, left_out: Collection[str] = ()) -> ChangeFacts:
    """The change facts of ``diff``; files in ``left_out`` are only counted."""
    grouped: dict[str, list[FileDiff]] = {}
    described = [changed for changed in diff.files if changed.path not in left_out]
    for changed in described:
        types = classify_path(changed.path)
        group = next((name for wanted, name in _GROUP_OF if types & wanted), "other")
        grouped.setdefault(group, []).append(changed)
    groups = tuple(
        FileGroup(name, tuple(map(_file_change, grouped[name])), Diff(tuple(grouped[name])))
        for name in GROUP_ORDER
        if name in grouped
    )
    return ChangeFacts(groups, Diff(tuple(described)), len(diff.files) - len(described))


def _file_change(changed: FileDiff) -> FileChange:
    names = [] if changed.listed_only else functions_touched(changed)
    return FileChange(
        path=changed.path,
        status=changed.status,
        added=changed.added,
        removed=changed.removed,
        functions=tuple(names[:FUNCTIONS_PER_FILE]),
        more_functions=max(len(names) - FUNCTIONS_PER_FILE, 0),
        old_path=changed.old_path if changed.status == "renamed" else None,
        note=changed.kind_note,
    )


def functions_touched(changed: FileDiff) -> list[str]:
    """Functions and classes a file's hunks change, in order of first appearance.

    A changed line belongs to the nearest definition above it: one in the hunk (on a context
    or changed line), else the one git names on the hunk header. A changed line that is itself
    a definition names that one. A changed blank or comment line belongs to the definition that
    follows it in the hunk, if one does before any other code: a new function's blank line and
    doc comment named the function above it (glob's ``QuoteMeta`` for a new ``MatchAny``).
    Nesting is not tracked: a top-level line after a function is counted as that function's,
    which is close enough to say where a change lies."""
    seen: dict[str, None] = {}
    for hunk in changed.hunks:
        current = definition_name(hunk.section)
        waiting = False  # changed blank or comment lines not yet given to a definition
        for line in hunk.lines:
            named = definition_name(line.text)
            if named is None and _quiet(line.text):
                waiting = waiting or line.kind != " "
                continue
            if waiting and named is None and current:
                seen.setdefault(current, None)
            waiting = False
            current = named or current
            if line.kind != " " and current:
                seen.setdefault(current, None)
        if waiting and current:
            seen.setdefault(current, None)
    return list(seen)


def _quiet(text: str) -> bool:
    """A blank line or one that is a comment alone, in the languages review reads."""
    stripped = text.strip()
    return not stripped or stripped.startswith(("#", "//", "/*", "*", "--"))


FILES_SHOWN = 60
"""Files listed per group; the rest are counted."""


@dataclass(frozen=True)
class ModelText:
    """The model's what, why and per-group notes, already redacted and neutralised."""

    what: str = ""
    why: str = ""
    notes: Mapping[str, str] | None = None


def render(
    facts: ChangeFacts,
    *,
    risk_level: str,
    risk_reasons: Sequence[str],
    model: ModelText | None = None,
) -> str:
    """The description's Markdown (without markers)."""
    lines = ["### What this pull request changes", ""]
    if model is not None and (model.what or model.why):
        if model.what:
            lines += [f"**What:** {model.what}", ""]
        if model.why:
            lines += [f"**Why:** {model.why}", ""]
    lines.append(
        f"{facts.files} file(s) changed, +{facts.added} −{facts.removed} line(s)"
        + (
            f"; {facts.left_out} more left out by the repository's path settings"
            if facts.left_out
            else ""
        )
        + "."
    )
    reasons = "; ".join(prose(r) for r in risk_reasons[:3])
    lines += ["", f"**Risk: {risk_level}**" + (f" — {reasons}" if reasons else ""), ""]
    if facts.groups:
        lines += ["| group | files | lines |", "|---|---|---|"]
        lines += [f"| {g.title} | {len(g.files)} | +{g.added} −{g.removed} |" for g in facts.groups]
        lines.append("")
    notes = (model.notes or {}) if model is not None else {}
    for group in facts.groups:
        lines += [f"<details><summary>{group.title} ({len(group.files)})</summary>", ""]
        if notes.get(group.name):
            lines += [notes[group.name], ""]
        lines += [_file_line(f) for f in group.files[:FILES_SHOWN]]
        if len(group.files) > FILES_SHOWN:
            lines.append(f"- … and {len(group.files) - FILES_SHOWN} more")
        lines += ["", "</details>", ""]
    lines.append(
        "_Written by cicd-agent from the diff"
        + (
            " and a model's reading of it"
            if model is not None and (model.what or model.why)
            else ""
        )
        + "; the risk level is the review's own. Edit above or below this section: "
        "it is replaced on the next run, your text never is._"
    )
    # Nothing inside may look like a marker: paths and model text are attacker-chosen.
    return "\n".join(lines).replace("<!--", f"<{ZWSP}!--")


def _file_line(change: FileChange) -> str:
    status = change.status
    if change.old_path:
        status = f"renamed from {code_span(escaped(change.old_path))}"
    counts = change.note or f"+{change.added} −{change.removed}"
    line = f"- {code_span(escaped(change.path))} ({status}, {counts})"
    if change.functions:
        line += ": " + ", ".join(code_span(escaped(name), 80) for name in change.functions)
        if change.more_functions:
            line += f" and {change.more_functions} more"
    return line
