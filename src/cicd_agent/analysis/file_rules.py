"""The review's rules that read one changed file: what a change leaves in by mistake (conflict
markers, debugger calls, a large binary) and what it changes that governs later work (settings,
guidance, CODEOWNERS, git's settings files). :mod:`cicd_agent.analysis.findings` runs them over a
diff; ``CONFLICT_WORDS`` and ``DEBUGGER_WORDS`` pick the files worth parsing."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import PurePosixPath

from cicd_agent.analysis.diff import FileDiff
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.governing import CONFIG_PATH, GIT_SETTINGS
from cicd_agent.analysis.severity import Severity

LARGE_BINARY_BYTES = 1024 * 1024
"""A binary of 1 MiB or more is worth a word: every clone and CI checkout pays for it forever."""
HUGE_BINARY_BYTES = 50 * 1024 * 1024
"""GitHub warns at 50 MiB and refuses files over 100 MiB."""


# ------------------------------------------------------------------------- conflict markers

_CONFLICT_OPEN = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: |$)")
_CONFLICT_ANY = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: |$)|^={7}$")
CONFLICT_WORDS = ("<<<<<<<", ">>>>>>>", "|||||||")


def conflict_markers(changed: FileDiff) -> Iterator[Finding]:
    # "=======" alone is a Markdown/reStructuredText heading underline, so it only counts when
    # an unambiguous marker is in the same file.
    lines = [(n, t) for n, t in changed.added_lines() if _CONFLICT_ANY.match(t)]
    if not any(_CONFLICT_OPEN.match(text) for _, text in lines):
        return
    first = lines[0][0]
    yield Finding(
        rule="merge-conflict",
        severity=Severity.HIGH,
        category="correctness",
        path=changed.path,
        line=first,
        title="Unresolved merge-conflict markers",
        body=(
            f"{len(lines)} merge-conflict marker line(s) were added to this file (first on "
            f"line {first}). The file will not work as intended until the conflict is resolved."
        ),
    )


# ---------------------------------------------------------------------------- debugger calls

_DEBUGGERS = tuple(
    (
        frozenset(raw["suffixes"]),
        re.compile(raw["pattern"]),
        Severity[raw["severity"].upper()],
        raw["effect"],
    )
    for raw in tomllib.loads(
        resources.files("cicd_agent").joinpath("data/debuggers.toml").read_text("utf-8")
    )["debugger"]
)
"""Per language, the suffixes, the call, its severity and what it does: ``data/debuggers.toml``."""
_IMPORT = re.compile(r"^\s*(?:import|from)\s")
DEBUGGER_WORDS = (
    "breakpoint",
    "pdb",
    "pudb",
    "IPython",
    "binding.",
    "byebug",
    "debugger",
    "IEx.pry",
    "runtime.Breakpoint",
    "xdebug_break",
    "Psy",
)


def debugger_calls(changed: FileDiff) -> Iterator[Finding]:
    suffix = PurePosixPath(changed.path).suffix.lower()
    rule = next((r for r in _DEBUGGERS if suffix in r[0]), None)
    if rule is None:
        return
    _, pattern, severity, effect = rule
    # Each statement of a line (``import pdb; pdb.set_trace()`` is an import and a call).
    said = [(n, t, t.split(";")) for n, t in changed.added_lines()]
    hits = [(n, t) for n, t, parts in said if any(pattern.match(part) for part in parts)]
    calls = [
        (n, t)
        for n, t, parts in said
        if any(pattern.match(part) and not _IMPORT.match(part) for part in parts)
    ]
    # `import pdb` is only reported when no call is: one leftover, one comment.
    for number, text in calls or hits:
        yield Finding(
            rule="debugger",
            severity=severity,
            category="correctness",
            path=changed.path,
            line=number,
            title="Leftover debugger call",
            body=f"`{text.strip()[:80]}` {effect}. Remove it before merging.",
        )


# ---------------------------------------------------------------------- governing files

_GOVERNS = {
    CONFIG_PATH.lower(): "which files cicd-agent reviews, what fails the check and what it ignores",
    "codeowners": "who must approve a change",
}


def governing(changed: FileDiff) -> Finding:
    """A change to a settings, guidance or CODEOWNERS file: medium, for a maintainer's eye (it
    is often routine), never silent (it can switch off every later review)."""
    name = PurePosixPath(changed.path).name.lower()
    decides = (
        _GOVERNS.get(changed.path.lower())
        or _GOVERNS.get(name)
        or ("what the review model is told about every change")
    )
    verb = {"added": "adds", "deleted": "deletes"}.get(changed.status, "changes")
    return Finding(
        rule="governing-file",
        severity=Severity.MEDIUM,
        category="security",
        path=changed.path,
        title="Changes what governs later reviews",
        body=(
            f"This pull request {verb} a file that decides {decides}. This review read the "
            "base branch's version, as every run does; once merged, this version governs "
            "every later pull request. Check that it does not loosen them."
        ),
    )


def _git_reads(path: str) -> bool:
    """Whether git reads ``path`` as settings: ``.gitattributes`` at any depth, the others at
    the top (``old_path`` counts: renaming the file away drops what it set)."""
    lowered = path.lower()
    if not any(setting in lowered for setting in GIT_SETTINGS):  # the name is in the path
        return False
    name = PurePosixPath(path).name.lower()
    return name in GIT_SETTINGS and (name == ".gitattributes" or "/" not in path)


def git_settings(changed: FileDiff) -> Finding | None:
    """A finding for a change to a file git reads as settings (``.gitattributes`` anywhere,
    ``.mailmap`` and ``.gitmodules`` at the top). Medium: often routine (``*.png binary``), but
    never silent, since ``* -diff`` hides every later change from GitHub's diff view, and a
    mailmap or submodule URL changes whom a log names and what a checkout fetches."""
    name = next(
        (
            PurePosixPath(path).name.lower()
            for path in (changed.path, changed.old_path)
            if path and _git_reads(path)
        ),
        None,
    )
    if name is None:
        return None
    verb = {"added": "adds", "deleted": "deletes"}.get(changed.status, "changes")
    return Finding(
        rule="git-settings",
        severity=Severity.MEDIUM,
        category="security",
        path=changed.path,
        title=f"Changes git's settings ({name})",
        body=(
            f"This pull request {verb} `{name}`, which decides {GIT_SETTINGS[name]}. This "
            "review read the changes without it; once merged, it applies to every clone, "
            "to GitHub's diff view and to every later pull request. Check what it turns on."
        ),
    )


# ------------------------------------------------------------------------------- binaries


def large_binary(changed: FileDiff) -> Iterator[Finding]:
    if changed.size is None or changed.size < LARGE_BINARY_BYTES:
        return
    mib = changed.size / (1024 * 1024)
    severity = Severity.HIGH if changed.size >= HUGE_BINARY_BYTES else Severity.MEDIUM
    verb = "adds" if changed.status == "added" else "changes"
    yield Finding(
        rule="large-binary",
        severity=severity,
        category="maintainability",
        path=changed.path,
        title=f"Large binary file ({mib:.1f} MiB)",
        body=(
            f"This pull request {verb} a {mib:.1f} MiB binary file. Git keeps every version "
            "of it, so every clone and CI checkout downloads it from now on. Consider Git "
            "LFS, a release asset or an artifact store."
        ),
    )
