"""zizmor's JSON findings turned into ours: only changed lines, our severity scale.

High → high, Medium → medium, the rest low; a Low-confidence finding drops one step. Hygiene
audits (pinning, permissions, persisted credentials) are capped at medium: worth a comment, not a
blocked merge. zizmor calls any expansion of ``inputs.*``, a login or a whole object
attacker-controllable; a pull request is blocked only for text an outside contributor can write
(:func:`writers_only`), and the rest stay findings at medium. Measured on the three auditors'
fixtures (``research/decisions_heldout.md``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.analysis.workflows.paths import WORKFLOW

_ZIZMOR_SEVERITY = {
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "informational": Severity.LOW,
    "unknown": Severity.LOW,
}
_HYGIENE = frozenset(
    {
        "unpinned-uses",
        "unpinned-images",
        "unpinned-tools",
        "artipacked",
        "excessive-permissions",
        "undocumented-permissions",
        "stale-action-refs",
        "anonymous-definition",
        "concurrency-limits",
        "superfluous-actions",
        "misfeature",
        "ref-version-mismatch",
        "archived-uses",
        "dependabot-cooldown",
        "use-trusted-publishing",
        "secrets-outside-env",
    }
)
"""Audits about hardening rather than an exploitable flaw this change makes: capped at medium."""


@dataclass(frozen=True)
class _Span:
    path: str
    first: int  # 1-based, inclusive
    last: int
    offsets: tuple[int, int] | None = None
    """Byte offsets of what the location marks (for template-injection: the expression)."""

    def expression(self, text: str) -> str:
        if self.offsets is None:
            return ""
        start, end = self.offsets
        return text.encode("utf-8")[start:end].decode("utf-8", "replace")

    def template(self, text: str) -> str:
        """What the ``${{ }}`` around the marked expression holds, or "" when it is not in one
        (zizmor marks the context inside a template: ``github.event`` of
        ``toJSON(github.event)``)."""
        if self.offsets is None:
            return ""
        start, end = self.offsets
        data = text.encode("utf-8")
        opened = data.rfind(b"${{", 0, start + 1)
        closed = data.find(b"}}", end)
        if opened == -1 or closed == -1 or data.find(b"}}", opened, start) != -1:
            return ""
        return data[opened + 3 : closed].decode("utf-8", "replace")


def _primary_spans(result: Mapping[str, object]) -> Iterator[_Span]:
    locations = result.get("locations")
    for location in locations if isinstance(locations, list) else []:
        try:
            symbolic, concrete = location["symbolic"], location["concrete"]["location"]
            if symbolic["kind"] != "Primary":
                continue
            path = str(symbolic["key"]["Local"]["verbatim_path"])
            start, end = concrete["start_point"], concrete["end_point"]
            first, last = int(start["row"]) + 1, int(end["row"]) + 1
            # A span that ends at column 0 ends before that line (a block's last newline).
            if int(end["column"]) == 0 and last > first:
                last -= 1
            span = concrete.get("offset_span") or {}
            offsets = (int(span["start"]), int(span["end"])) if span else None
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        yield _Span(PurePosixPath(path).as_posix().removeprefix("./"), first, last, offsets)


def location_lines(result: Mapping[str, object], path: str) -> tuple[set[int], set[int]]:
    """The lines (1-based) of ``result``'s locations in ``path``: those it marks (primary and
    related), and those of its hidden locations (the enclosing block zizmor also searches for
    an ignore comment)."""
    marked: set[int] = set()
    enclosing: set[int] = set()
    locations = result.get("locations")
    for location in locations if isinstance(locations, list) else []:
        try:
            symbolic, concrete = location["symbolic"], location["concrete"]["location"]
            where = str(symbolic["key"]["Local"]["verbatim_path"])
            first = int(concrete["start_point"]["row"]) + 1
            last = int(concrete["end_point"]["row"]) + 1
            kind = symbolic["kind"]
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if PurePosixPath(where).as_posix().removeprefix("./") != path:
            continue
        (enclosing if kind == "Hidden" else marked).update(range(first, last + 1))
    return marked, enclosing


def mapped(
    result: Mapping[str, object], added: Mapping[str, set[int]], texts: Mapping[str, str]
) -> Finding | None:
    """Our finding for one zizmor result, or None when no primary location is a changed line
    (``added``: path → the lines the change added). A location over a block (a job with no
    ``permissions:``, a step) is the block's: this change's only when it added the block's
    first line, not when it edited a line inside one that was there before. A template
    injection is the expression's wherever the change wrote it."""
    injection = str(result.get("ident", "")) == "template-injection"
    for span in _primary_spans(result):
        changed = added.get(span.path)
        if changed is None:
            continue
        lines = sorted(n for n in changed if span.first <= n <= span.last)
        if lines and (injection or span.first == span.last or span.first in changed):
            finding = _finding(result, span, lines[0])
            if finding.rule == "workflow-template-injection":
                text = texts.get(span.path, "")
                return writers_only(finding, span.expression(text), span.template(text))
            return finding
    return None


def _finding(result: Mapping[str, object], span: _Span, line: int) -> Finding:
    ident = str(result.get("ident", "unknown"))
    determinations = result.get("determinations")
    judged = determinations if isinstance(determinations, dict) else {}
    severity = _ZIZMOR_SEVERITY.get(str(judged.get("severity", "")).lower(), Severity.LOW)
    if str(judged.get("confidence", "")).lower() == "low" and severity > Severity.LOW:
        severity = Severity(severity - 1)
    if ident in _HYGIENE:
        severity = min(severity, Severity.MEDIUM)
    desc = str(result.get("desc", ident))
    url = str(result.get("url", ""))
    locations = result.get("locations")
    notes = [
        str(location["symbolic"].get("annotation", ""))
        for location in (locations if isinstance(locations, list) else [])
        if isinstance(location, dict) and isinstance(location.get("symbolic"), dict)
    ]
    detail = "; ".join(dict.fromkeys(note for note in notes if note))
    return Finding(
        rule=f"workflow-{ident}",
        severity=severity,
        category="security",
        path=span.path,
        line=line,
        start_line=span.first if span.first < line else None,
        title=f"Workflow: {desc}",
        body=(
            f"zizmor's `{ident}` audit flags this change: {detail or desc}."
            + (f" See {url}" if url.startswith("https://docs.zizmor.sh/") else "")
        ),
    )


_DISPATCH_INPUT = re.compile(r"\bgithub\.event\.inputs\.[\w-]+")
_INPUT = re.compile(r"(?<![\w.])inputs\.[\w-]+")
_PICKED_BY_INPUT = re.compile(r"^[\s\[\]()'\"]*(?:github(?:\.event(?:\.\*)?)?)?[\s\[\]()'\"]*$")
"""What may stay of an expression once its inputs are taken out: nothing, or ``github`` /
``github.event`` indexed by them (``github[inputs.key]``: a field the dispatcher picks)."""
_LOGIN = re.compile(
    r"^\s*(?:github\.(?:actor|triggering_actor)|github\.event\.(?:sender|pull_request\.user"
    r"|issue\.user|comment\.user|review\.user|review_comment\.user|discussion\.user"
    r"|pull_request\.head\.user|pull_request\.head\.repo\.owner|repository\.owner)\.login)\s*$"
)


_GITHUB_PROPERTIES = frozenset(
    {
        "action",
        "action_path",
        "action_ref",
        "action_repository",
        "action_status",
        "actor",
        "actor_id",
        "api_url",
        "base_ref",
        "env",
        "event",
        "event_name",
        "event_path",
        "graphql_url",
        "head_ref",
        "job",
        "job_workflow_sha",
        "path",
        "ref",
        "ref_name",
        "ref_protected",
        "ref_type",
        "repository",
        "repository_id",
        "repository_owner",
        "repository_owner_id",
        "repositoryurl",
        "retention_days",
        "run_id",
        "run_number",
        "run_attempt",
        "secret_source",
        "server_url",
        "sha",
        "token",
        "triggering_actor",
        "workflow",
        "workflow_ref",
        "workflow_sha",
        "workspace",
    }
)
"""The github context's properties (GitHub's contexts reference); any other is null."""
_GITHUB_PROPERTY = re.compile(r"^\s*github\.([\w-]+)\s*$")
_WHOLE_OBJECT = re.compile(
    r"^\s*(?:github(?:\.event)?|[A-Za-z_][\w-]*(?:\.[\w-]+)*\.\*(?:\.(?:[\w-]+|\*))*)\s*$"
)
"""A bare path to an object (``github``, ``github.event``) or through a filter (``.*``, which
always yields an array): GitHub expands such a value to the word ``Object`` or ``Array``, not
its contents (actionlint's docs, "Type checks": ``echo '${{ env }}'`` becomes ``echo 'Object'``;
it reports these as type errors, not injections). ``toJSON(...)`` or ``join(...)`` of the same
is text, and keeps zizmor's severity."""


def _no_such_property(expression: str) -> str | None:
    """``events`` for ``github.events``: a property the github context does not have."""
    match = _GITHUB_PROPERTY.match(expression)
    if match is None or match.group(1).lower() in _GITHUB_PROPERTIES:
        return None
    return match.group(1)


def _writers_input(expression: str, *, workflow: bool) -> bool:
    """The expression reads only workflow inputs (``inputs.*`` counts in a workflow only)."""
    rest, dispatched = _DISPATCH_INPUT.subn("", expression)
    rest, called = _INPUT.subn("", rest) if workflow else (rest, 0)
    return bool(dispatched + called) and bool(_PICKED_BY_INPUT.match(rest))


def writers_only(finding: Finding, expression: str, template: str) -> Finding:
    """A template injection whose expression no stranger's pull request can fill: medium.

    ``expression`` is what zizmor marks, ``template`` the whole ``${{ }}`` around it.
    zizmor calls every ``inputs.*`` attacker-controllable; in a workflow they are not, in the
    sense that blocks a pull request. A ``workflow_dispatch`` input (also read as
    ``github.event.inputs.*``) is typed by someone with write access who starts the run; a
    ``workflow_call`` input is passed by a workflow that calls this one (zizmor rates it high,
    actionlint not at all; we keep medium, as for dispatch). A GitHub login is letters, digits
    and hyphens (``[bot]`` for apps), so it cannot carry shell syntax. A bare object or array
    expands to the word ``Object`` or ``Array``. Each stays a visible finding (the habit is still
    unsafe and a refactor can route text there) but does not block. A composite action's
    ``inputs`` keep zizmor's severity: the workflow using the action may pass it an issue title.
    """
    if _writers_input(expression, workflow=bool(WORKFLOW.match(finding.path))):
        why = (
            f"`{expression.strip()}` is a workflow input: a `workflow_dispatch` input is typed "
            "by someone with write access who starts the run, and a `workflow_call` input is "
            "passed by a workflow that calls this one. No outside contributor sets it directly, "
            "so this is medium, not blocking; still, pass it through `env:` rather than "
            "expanding it into the script."
        )
    elif _WHOLE_OBJECT.match(template):
        why = (
            f"`{template.strip()}` is an object or an array: GitHub expands it to the word "
            "`Object` or `Array`, not its contents, so no text reaches the script (probably a "
            "mistake: `toJSON()` or `join()` would expand the text, and be an injection). "
            "Medium, not blocking."
        )
    elif (missing := _no_such_property(expression)) is not None:
        why = (
            f"`github.{missing}` is not a property of the github context, so it expands to an "
            "empty string (a typo?). Medium, not blocking."
        )
    elif _LOGIN.match(expression):
        why = (
            f"`{expression.strip()}` is a GitHub login: letters, digits and hyphens only, so it "
            "cannot carry shell syntax. Medium, not blocking; pass it through `env:` anyway."
        )
    else:
        return finding
    return replace(
        finding, severity=min(finding.severity, Severity.MEDIUM), body=f"{finding.body} {why}"
    )
