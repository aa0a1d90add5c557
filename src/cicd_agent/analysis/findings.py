"""Deterministic review findings: the floor no model answer can lower.

Each rule looks only at what the pull request *adds* (a secret that was already there is not
this change's fault, and re-reporting it on every pull request floods reviews):

- secrets of a known shape in added lines (:func:`find_secrets`), never quoting the value;
- merge-conflict markers left in a file;
- debugger calls that stop a program (``breakpoint()``, ``pdb.set_trace()``, ``binding.pry``,
  ``debugger;``…), matched as statements in files of that language only. ``console.log`` is
  deliberately not one: it is the normal way a Node CLI or script prints, and flagging it
  would bury real findings;
- binary files of a size that bloats every clone;
- a change to a file that governs later reviews (settings, guidance, CODEOWNERS): this run read
  the base's, but once merged it governs every review after it;
- workflow and action files, audited by zizmor on the changed lines
  (:mod:`cicd_agent.analysis.workflows`).

Scanning 200,000 changed lines line by line with every secret pattern is slow, so each rule
first asks the file's raw diff text for a cheap pre-filter match and parses only candidates.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from hashlib import sha256
from itertools import accumulate
from pathlib import PurePosixPath

from cicd_agent.analysis.diff import Diff, FileDiff
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.governing import CONFIG_PATH, GIT_SETTINGS, governs_review
from cicd_agent.analysis.redact import SecretHit, find_secrets
from cicd_agent.analysis.workflows import (
    NO_EXEMPTIONS,
    Exemptions,
    HonouredIgnore,
    WorkflowAuditor,
    audit_workflows,
)
from cicd_agent.severity import Severity

LARGE_BINARY_BYTES = 1024 * 1024
"""A binary of 1 MiB or more is worth a word: every clone and CI checkout pays for it forever."""
HUGE_BINARY_BYTES = 50 * 1024 * 1024
"""GitHub warns at 50 MiB and refuses files over 100 MiB."""


RULE_DESCRIPTIONS: dict[str, str] = {
    "secret": "A credential of a known shape was added to the repository",
    "merge-conflict": "Unresolved merge-conflict markers were added",
    "debugger": "A debugger call that stops the program was left in",
    "large-binary": "A large binary file was added to the repository",
    "governing-file": "A file that governs later reviews (settings, guidance, CODEOWNERS) changed",
    "git-settings": "A file git reads as settings (.gitattributes, .mailmap, .gitmodules) changed",
    "workflow-pwn-request": "pull_request_target workflow checks out the pull request's code",
    "workflow-not-audited": "A workflow file could not be audited within the parsing limits",
}
"""One line per deterministic rule (SARIF rule descriptions, README)."""


LineText = Callable[[str, int], "str | None"]
"""``(path, line) -> text`` of a line at the reviewed head, or None when unknown."""


def fingerprint_findings(
    findings: Iterable[Finding], line_text: LineText, redact: Callable[[str], str]
) -> list[Finding]:
    """Each finding with its anchor: the normalised text of its flagged line(s) (whitespace
    collapsed, so re-indenting keeps it; redacted, so no secret is hashed), and the index of
    that occurrence among findings of the same rule, file and text (two identical lines flagged
    twice stay two findings). A secret finding is anchored on its title, which names the kind
    and never the value. Without the line's text, the title stands in."""
    items = list(findings)
    order = sorted(range(len(items)), key=lambda i: (items[i].path, items[i].line or 0))
    seen: dict[tuple[str, str, str], int] = {}
    anchored: dict[int, Finding] = {}
    for index in order:
        finding = items[index]
        content = _flagged_text(finding, line_text, redact)
        key = (finding.rule, finding.path, content)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        anchored[index] = finding.model_copy(update={"anchor": f"{digest}#{occurrence}"})
    return [anchored[i] for i in range(len(items))]


def line_source(diff: Diff, texts: Mapping[str, str]) -> LineText:
    """Line texts at head: from whole files when read (``texts``), else from the diff's hunks
    (added and context lines; deterministic findings are always on added lines)."""
    split = {path: text.splitlines() for path, text in texts.items()}

    def text_of(path: str, line: int) -> str | None:
        lines = split.get(path)
        if lines is not None:
            return lines[line - 1] if 0 < line <= len(lines) else None
        changed = diff.file(path)
        hunk = changed.hunk_at(line) if changed is not None else None
        if hunk is None:
            return None
        return next((item.text for item in hunk.lines if item.new == line), None)

    return text_of


def _flagged_text(finding: Finding, line_text: LineText, redact: Callable[[str], str]) -> str:
    if finding.rule == "secret" or finding.line is None:
        return f"title:{finding.title}"
    first = finding.start_line or finding.line
    texts = [line_text(finding.path, n) for n in range(first, finding.line + 1)]
    if any(text is None for text in texts):
        return f"title:{finding.title}"
    joined = " ".join(" ".join(text.split()) for text in texts if text is not None).strip()
    return f"text:{redact(joined)}" if joined else f"title:{finding.title}"


def deterministic_findings(
    diff: Diff, workflow_texts: Mapping[str, str], audit: WorkflowAuditor | None = None
) -> list[Finding]:
    """:func:`deterministic_audit`'s findings, honouring no ignore comment."""
    return deterministic_audit(diff, workflow_texts, audit, NO_EXEMPTIONS)[0]


def deterministic_audit(
    diff: Diff,
    workflow_texts: Mapping[str, str],
    audit: WorkflowAuditor | None,
    exemptions: Exemptions,
) -> tuple[list[Finding], list[HonouredIgnore]]:
    """Every deterministic finding of ``diff``, most severe first, and the workflow findings
    an ignore comment left out under ``exemptions``.

    ``workflow_texts`` holds the head version of the workflow files
    :func:`~cicd_agent.analysis.workflows.workflow_paths` names: the auditor needs the whole
    file, not only the added lines. ``audit`` runs zizmor on them
    (:func:`cicd_agent.local.zizmor.audit_each_if_needed`); it may be left out only when there
    are no workflow texts, so a workflow audit is never skipped in silence.
    """
    if workflow_texts and audit is None:
        raise ValueError("workflow files to audit, but no auditor to run zizmor on them")
    found: list[Finding] = []
    secret_files = diff.paths_matching(_secret_offsets)
    conflict_files = diff.paths_with(_CONFLICT_WORDS)
    debugger_files = diff.paths_with(_DEBUGGER_WORDS)
    for changed in diff.files:
        if governs_review(changed.path):
            found.append(_governing(changed))
        if (git_settings := _git_settings(changed)) is not None:
            found.append(git_settings)
        if changed.status == "deleted":
            continue
        if changed.is_binary:
            found.extend(_large_binary(changed))
            if changed.unshown:  # shown as binary, never hidden from the secret rules
                found.extend(_secrets(changed))
            continue
        if changed.path in secret_files:
            found.extend(_secrets(changed))
        if changed.path in conflict_files:
            found.extend(_conflict_markers(changed))
        if changed.path in debugger_files:
            found.extend(_debugger_calls(changed))
    ignored: list[HonouredIgnore] = []
    if workflow_texts and audit is not None:
        audited = audit_workflows(diff, workflow_texts, audit, exemptions)
        found.extend(audited.findings)
        ignored = audited.ignored
    return sort_findings(found), ignored


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then deterministic before model, then by place."""
    return sorted(
        findings,
        key=lambda f: (-f.severity, f.source != "deterministic", f.path, f.line or 0, f.rule),
    )


# ------------------------------------------------------------------------------------ secrets

_HEURISTIC_KINDS = frozenset(
    {
        "assigned secret",
        "password in URL",
        "token in URL",
        "authorization header",
        "password option",
        "jwt",
    }
)
_SECRET_LABELS = {"assigned secret": "hard-coded secret"}
_FIXTURE_PATH = re.compile(
    r"(?i)(?:^|/)(?:tests?|testing|spec|specs|__tests__|testdata|fixtures?|docs?|examples?"
    r"|samples?|vendor|_vendor|vendored|third_party|node_modules)/"
    r"|(?:^|/)(?:test_[^/]*|[^/]*_test\.[^/]+|[^/]*\.(?:test|spec)\.[^/]+|conftest\.py)$"
    r"|\.(?:md|rst|txt|adoc)$|(?:^|/)(?:HISTORY|CHANGES|CHANGELOG|NEWS)(?:\.[^/]*)?$"
)
"""Tests, fixtures, documentation and vendored code: a key there is usually a sample or
someone else's, so it is reported two levels lower (not dropped: a real key in a test still
works for whoever finds it)."""


def _secret_offsets(text: str) -> Iterator[int]:
    """Where the secret rules match in the whole diff's added text (rules for some files only,
    such as Terraform's, are tried everywhere here: this only picks the files to check)."""
    return (hit.start for hit in find_secrets(text, all_rules=True))


def _secrets(changed: FileDiff) -> Iterator[Finding]:
    fixture = _FIXTURE_PATH.search(changed.path) is not None
    # One pass over the file's added lines joined, not one per line: the rule set's keyword
    # scan and each candidate regex then run once per file, not once per line.
    added = [*changed.added_lines(), *changed.unshown]
    text = "\n".join(line for _, line in added)
    starts = list(accumulate((len(line) + 1 for _, line in added[:-1]), initial=0))
    kinds: dict[int, set[str]] = {}
    for hit in find_secrets(text, changed.path):
        index = bisect_right(starts, hit.start) - 1
        line_text = added[index][1]
        local = SecretHit(hit.kind, hit.start - starts[index], hit.end - starts[index])
        kinds.setdefault(index, set()).add(_specific_kind(line_text, local))
    for index, found in sorted(kinds.items()):
        number = added[index][0]
        for kind in sorted(found):
            # Shapes with a vendor prefix are almost never false; "password = ..." may be a
            # sample, so it is high rather than critical.
            severity = Severity.HIGH if kind in _HEURISTIC_KINDS else Severity.CRITICAL
            if fixture:
                severity = Severity(max(int(severity) - 2, int(Severity.LOW)))
            label = _SECRET_LABELS.get(kind, kind)
            article = "an" if label[:1].lower() in "aeiou" else "a"
            yield Finding(
                rule="secret",
                severity=severity,
                category="security",
                path=changed.path,
                line=number,
                title=f"Possible {label} committed",
                body=(
                    f"This line adds what looks like {article} {label}. Anyone who can read the "
                    "repository (and its forks and clones) can use it. If it is real, revoke "
                    "it now, remove it from the history, and load it from a secret store or "
                    "an environment variable instead."
                ),
            )


def _specific_kind(text: str, hit: SecretHit) -> str:
    """``token = "ghp_…"`` matches as an assignment first; the value's own shape is better."""
    if hit.kind != "assigned secret":
        return hit.kind
    inner = [h.kind for h in find_secrets(text[hit.start : hit.end]) if h.kind != hit.kind]
    return inner[0] if inner else hit.kind


# ------------------------------------------------------------------------- conflict markers

_CONFLICT_OPEN = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: |$)")
_CONFLICT_ANY = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: |$)|^={7}$")
_CONFLICT_WORDS = ("<<<<<<<", ">>>>>>>", "|||||||")


def _conflict_markers(changed: FileDiff) -> Iterator[Finding]:
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

_PY = r"^\s*(?:breakpoint\(\s*\)|(?:i?pdb|pudb|ipdb|pdbpp)\.(?:set_trace|post_mortem)\("
_PY += (
    r"|import\s+(?:i?pdb|pudb)\b|from\s+(?:i?pdb|pudb)\s+import\b|from\s+IPython\s+import\s+embed)"
)
_DEBUGGERS: tuple[tuple[frozenset[str], re.Pattern[str], Severity, str], ...] = (
    (
        frozenset({".py", ".pyw"}),
        re.compile(_PY),
        Severity.HIGH,
        "stops the program and waits for a debugger on standard input",
    ),
    (
        frozenset({".rb", ".rake", ".erb"}),
        re.compile(r"^\s*(?:binding\.(?:pry|irb)|byebug|debugger)\b(?!\s*[=:(])"),
        Severity.HIGH,
        "stops the program at this line",
    ),
    (
        frozenset({".ex", ".exs"}),
        re.compile(r"^\s*(?:require\s+IEx;\s*)?IEx\.pry\b"),
        Severity.HIGH,
        "stops the process at this line",
    ),
    (
        frozenset({".go"}),
        re.compile(r"^\s*runtime\.Breakpoint\(\)"),
        Severity.HIGH,
        "raises a breakpoint trap that crashes the program outside a debugger",
    ),
    (
        frozenset({".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".vue", ".svelte"}),
        re.compile(r"^\s*debugger\s*;?\s*(?://.*)?$"),
        Severity.MEDIUM,
        "pauses execution whenever developer tools are open",
    ),
    (
        frozenset({".php"}),
        re.compile(r"^\s*(?:xdebug_break\(\)|eval\(\\Psy\\sh\(\)\))"),
        Severity.HIGH,
        "stops the request at this line",
    ),
)
_IMPORT = re.compile(r"^\s*(?:import|from)\s")
_DEBUGGER_WORDS = (
    "breakpoint", "pdb", "pudb", "IPython", "binding.", "byebug", "debugger", "IEx.pry",
    "runtime.Breakpoint", "xdebug_break", "Psy",
)  # fmt: skip


def _debugger_calls(changed: FileDiff) -> Iterator[Finding]:
    suffix = PurePosixPath(changed.path).suffix.lower()
    rule = next((r for r in _DEBUGGERS if suffix in r[0]), None)
    if rule is None:
        return
    _, pattern, severity, effect = rule
    hits = [(n, t) for n, t in changed.added_lines() if pattern.match(t)]
    calls = [(n, t) for n, t in hits if not _IMPORT.match(t)]
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


def _governing(changed: FileDiff) -> Finding:
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
    name = PurePosixPath(path).name.lower()
    return name in GIT_SETTINGS and (name == ".gitattributes" or "/" not in path)


def _git_settings(changed: FileDiff) -> Finding | None:
    """A finding for a change to a file git reads as settings (``.gitattributes`` at any depth,
    ``.mailmap`` and ``.gitmodules`` at the top). Medium, like a governing file: such a change
    is often routine (``*.png binary``) and needs a maintainer's eye, not a failed check; it
    is never silent, since ``* -diff`` hides every later change from GitHub's diff view, and a
    mailmap or submodule URL changes whom a log names and what a recursive checkout fetches."""
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


def _large_binary(changed: FileDiff) -> Iterator[Finding]:
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
