"""Deterministic review findings: the verdict no model answer can lower.

Each rule looks only at what the pull request adds (a secret already there is not this change's
fault, and re-reporting it floods every review): secrets of a known shape (never quoting the value),
the rules of :mod:`cicd_agent.analysis.file_rules`, and workflow files audited by zizmor on the
changed lines. ``console.log`` is deliberately no debugger call: it is how a Node script prints.

The secrets and workflow findings are also deploy-gate's security floor (:func:`security_floor`):
deploy-gate once ran none, so a change adding a ``ghp_`` token and a pwn-request workflow got
"proceed". An added secret is at least high (critical for a vendor-shaped token) and holds the
deployment: a deployed credential stays exposed until revoked. A workflow finding of high or more is
at least high (critical for a pwn request).

Scanning 200,000 changed lines with every pattern is slow, so each rule first asks the raw diff
text for a cheap pre-filter match."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cache
from hashlib import sha256
from itertools import accumulate

import ahocorasick_rs

from cicd_agent.analysis.diff import Diff, FileDiff
from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.file_rules import (
    CONFLICT_WORDS,
    DEBUGGER_WORDS,
    conflict_markers,
    debugger_calls,
    git_settings,
    governing,
    large_binary,
)
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.governing import governs_review
from cicd_agent.analysis.redact import SecretHit, find_secrets
from cicd_agent.analysis.secrets.matcher import keywords
from cicd_agent.analysis.severity import Severity
from cicd_agent.analysis.workflows import Exemptions, HonouredIgnore, WorkflowAuditor

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
        anchored[index] = replace(finding, anchor=f"{digest}#{occurrence}")
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


def deterministic_audit(
    diff: Diff,
    workflow_texts: Mapping[str, str],
    audit: WorkflowAuditor | None,
    exemptions: Exemptions,
    *,
    found: Sequence[Finding] | None = None,
) -> tuple[list[Finding], list[HonouredIgnore]]:
    """Every deterministic finding of ``diff``, most severe first, and the workflow findings an
    ignore comment left out under ``exemptions``. ``workflow_texts`` holds the head versions of
    the workflow files (the auditor needs whole files); ``audit`` may be left out only without
    them, so a workflow audit is never skipped in silence. ``found``: :func:`diff_findings`, when
    the caller has them (a secret scan of a 600,000-line change takes seconds)."""
    if workflow_texts and audit is None:
        raise ValueError("workflow files to audit, but no auditor to run zizmor on them")
    kept = list(diff_findings(diff) if found is None else found)
    ignored: list[HonouredIgnore] = []
    if workflow_texts and audit is not None:
        # YAML's parser comes with the audit: a change that touches no workflow never loads it.
        from cicd_agent.analysis.workflows.audit import audit_workflows

        audited = audit_workflows(diff, workflow_texts, audit, exemptions)
        kept.extend(audited.findings)
        ignored = audited.ignored
    return sort_findings(kept), ignored


def diff_findings(diff: Diff) -> list[Finding]:
    """The findings of ``diff``'s own lines and files, workflow audits apart (unsorted)."""
    found: list[Finding] = []
    secret_files = diff.paths_matching(_secret_offsets)
    conflict_files = diff.paths_matching(_word_offsets(CONFLICT_WORDS))
    debugger_files = diff.paths_matching(_word_offsets(DEBUGGER_WORDS))
    for changed in diff.files:
        if governs_review(changed.path):
            found.append(governing(changed))
        if (settings := git_settings(changed)) is not None:
            found.append(settings)
        if changed.status == "deleted":
            continue
        if changed.is_binary:
            found.extend(large_binary(changed))
            if changed.unshown:  # shown as binary, never hidden from the secret rules
                found.extend(_secrets(changed))
            continue
        if changed.path in secret_files:
            found.extend(_secrets(changed))
        if changed.path in conflict_files:
            found.extend(conflict_markers(changed))
        if changed.path in debugger_files:
            found.extend(debugger_calls(changed))
    return found


@cache
def _automaton(words: tuple[str, ...]) -> ahocorasick_rs.AhoCorasick:
    return ahocorasick_rs.AhoCorasick(list(words))


def _word_offsets(words: tuple[str, ...]) -> Callable[[str], Iterator[int]]:
    """Where any of ``words`` (a rule's pre-filter) starts in the whole diff's added text: one
    pass of an automaton, where a search per word read all of it once a word (14 words: 30 ms
    of a 5,000-file review, 13 ms this way)."""
    automaton, longest = _automaton(words), max(map(len, words))
    return lambda text: (start for _, start, _ in keywords(automaton, text, longest))


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


def _words(kind: str) -> str:
    """A rule's slug in words (``gitlab-pat``: "gitlab personal access token"); our own
    shapes' names are words already."""
    if " " in kind or "-" not in kind:
        return kind
    return " ".join("personal access token" if word == "pat" else word for word in kind.split("-"))


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
    kinds: dict[int, set[tuple[str, str]]] = {}
    for hit in find_secrets(text, changed.path):
        index = bisect_right(starts, hit.start) - 1
        line_text = added[index][1]
        local = SecretHit(hit.kind, hit.start - starts[index], hit.end - starts[index])
        kind = _specific_kind(line_text, local)
        label = _secret_label(kind, line_text[local.start : local.end])
        kinds.setdefault(index, set()).add((label, kind))
    for index, found in sorted(kinds.items()):
        number = added[index][0]
        for label, kind in sorted(found):
            # Shapes with a vendor prefix are almost never false; "password = ..." may be a
            # sample, so it is high rather than critical.
            severity = Severity.HIGH if kind in _HEURISTIC_KINDS else Severity.CRITICAL
            if fixture:
                severity = Severity(max(int(severity) - 2, int(Severity.LOW)))
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


_TOKEN_NAMES = tuple(
    (re.compile(rf"(?<![A-Za-z0-9_]){prefix}[A-Za-z0-9]"), name)
    for prefix, name in (
        ("github_pat_", "GitHub fine-grained personal access token"),
        ("ghp_", "GitHub personal access token"),
        ("gho_", "GitHub OAuth access token"),
        ("ghu_", "GitHub App user access token"),
        ("ghs_", "GitHub App installation token"),
        ("ghr_", "GitHub refresh token"),
        ("xoxb-", "Slack bot token"),
        ("xoxp-", "Slack user token"),
        ("xoxa-", "Slack app token"),
        ("xoxr-", "Slack refresh token"),
        ("xoxs-", "Slack session token"),
    )
)
"""The one table of token names: a vendor's token is named by its value's prefix, whichever
rule found it (our broad "GitHub token" shape, gitleaks' ``github-pat``): a new user's personal
access token was called a "GitHub token", as any would be."""


def _secret_label(kind: str, found: str) -> str:
    """What the reader is told the value ``found`` (the matched text) is: its token's name by
    prefix, else its rule's kind in words."""
    named = next((name for shape, name in _TOKEN_NAMES if shape.search(found)), None)
    if named is not None:
        return named
    return "hard-coded secret" if kind == "assigned secret" else _words(kind)


def is_security_finding(finding: Finding) -> bool:
    """Secrets and workflow findings: the rules that matter to a deployment."""
    return finding.rule == "secret" or finding.rule.startswith("workflow-")


def security_floor(findings: Sequence[Finding]) -> tuple[Severity | None, list[str], list[str]]:
    """(lowest risk the findings allow or None, reason lines, hold reasons). Only secrets and
    workflow findings of high or more count: an unpinned action is review's business, not a
    deployment's."""
    secrets = [f for f in findings if f.rule == "secret"]
    workflows = [
        f for f in findings if f.rule.startswith("workflow-") and f.severity >= Severity.HIGH
    ]
    counted = secrets + workflows
    if not counted:
        return None, [], []
    floor = max(Severity.HIGH, *(f.severity for f in counted))
    lines = [
        f"{f.title} ({f.path}:{f.line})" if f.line else f"{f.title} ({f.path})" for f in counted
    ]
    holds = []
    if secrets:
        where = ", ".join(name_span(f"{f.path}:{f.line}") for f in secrets[:5])
        holds.append(
            f"{len(secrets)} secret(s) added ({where}): revoke and remove before deploying"
        )
    return floor, lines, holds
