"""Audit the workflow and action files a change touches, with zizmor, on the changed lines only.

Hand-grown rules found 9 of the 32 attacker-controllable template injections in zizmor's own
test workflows (see BENCHMARKS.md); zizmor models which contexts an attacker controls in which
event, ``actions/github-script``'s ``script:``, ``toJson(github.event)``, inputs and YAML
anchors. So zizmor does the auditing and this module only:

1. parses each file with the bounded loader first: a file that is too large, too deep or
   alias-bombed is not handed on but reported as not audited (a workflow no one can audit is
   itself a finding — an attacker could hide an injection behind a bomb);
2. runs zizmor on a temporary copy of just those files, ``--offline``, ``--no-config`` and
   ``--no-ignores`` (the pull request could add a ``zizmor.yml`` or ``# zizmor: ignore``
   comments to silence it), with a scrubbed environment (no token reaches it) and a time limit;
3. keeps a zizmor finding only when its primary location spans a line the change added: what
   was already there is not this change's finding;
4. maps zizmor's severity and confidence to ours (table below).

One rule stays ours: ``pull_request_target`` together with a checkout of the pull request's
head (the "pwn request"). zizmor flags the trigger alone (``dangerous-triggers``), so a change
that adds only ``ref: ${{ github.event.pull_request.head.sha }}`` to such a workflow would
otherwise pass unnoticed.

Severity mapping (zizmor severity → ours): High → high, Medium → medium, Low, Informational
and Unknown → low; a Low-confidence finding drops one step (never below low). Hygiene audits
(pinning, default permissions, persisted credentials, naming) are capped at medium: worth a
comment, not a blocked merge. A pwn request is critical. A file that was not audited is high
when the bounded parser refused it or zizmor ran out of time (shapes built to evade the audit),
medium when zizmor could not read it (its schema check refused it, a parse error, a crash, or
zizmor missing): visible on the pull request either way, never a silent pass. Such a file still
gets our own narrow injection check (``_unread_injections``), so an issue title expanded into a
script blocks even where zizmor's schema is stricter than GitHub's.

Where we part from zizmor: a template injection whose expression only reads workflow inputs
(``inputs.*`` in a workflow, ``github.event.inputs.*``), a GitHub login, or a property the
github context does not have is medium, not high (``_writers_only`` says why, also in the
finding's text); measured on the three auditors' fixtures in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from cicd_agent.analysis.bounded_yaml import YamlLimitError, compose
from cicd_agent.analysis.diff import Diff, FileDiff
from cicd_agent.analysis.finding import Finding
from cicd_agent.severity import Severity

ZIZMOR_TIMEOUT_SECONDS = 60.0
"""zizmor audits a typical workflow in milliseconds; a minute means something is wrong."""

_WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_ACTION = re.compile(r"(?:^|/)action\.ya?ml$")

_ZIZMOR_SEVERITY = {
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "informational": Severity.LOW,
    "unknown": Severity.LOW,
}
_HYGIENE = frozenset({
    "unpinned-uses", "unpinned-images", "unpinned-tools", "artipacked",
    "excessive-permissions", "undocumented-permissions", "stale-action-refs",
    "anonymous-definition", "concurrency-limits", "superfluous-actions", "misfeature",
    "ref-version-mismatch", "archived-uses", "dependabot-cooldown", "use-trusted-publishing",
    "secrets-outside-env",
})  # fmt: skip
"""Audits about hardening rather than an exploitable flaw this change makes: capped at medium."""


_REFUSED = re.compile(r"failed to validate file://(\S+) as (workflow|action)")


_TIMED_OUT = "zizmor did not finish"


class WorkflowAuditError(RuntimeError):
    """zizmor could not run or gave output we cannot read; the message says which."""


def workflow_paths(diff: Diff) -> list[str]:
    """Workflow and action files this diff adds or changes (their head text is needed)."""
    return [
        f.path
        for f in diff.files
        if f.status != "deleted"
        and not f.is_binary
        and (_WORKFLOW.match(f.path) or _ACTION.search(f.path))
    ]


def workflow_findings(
    diff: Diff, texts: Mapping[str, str], *, timeout: float = ZIZMOR_TIMEOUT_SECONDS
) -> list[Finding]:
    """Findings on the lines ``diff`` adds to the workflow files in ``texts`` (head versions).

    Never raises for a file's content: a file that cannot be parsed within limits or a zizmor
    that cannot run becomes a finding, so a skipped audit is always visible.
    """
    found: list[Finding] = []
    audited: dict[str, str] = {}
    changes: dict[str, FileDiff] = {}
    roots: dict[str, yaml.Node] = {}
    for changed in diff.files:
        text = texts.get(changed.path)
        if text is None or changed.status == "deleted" or not _safe_relative(changed.path):
            continue
        added = {number for number, _ in changed.added_lines()}
        if not added:
            continue
        try:
            root = compose(text)
        except YamlLimitError as error:
            found.append(
                _not_audited(changed.path, min(added), f"its YAML was not parsed: {error}")
            )
            continue
        except yaml.YAMLError:
            continue  # not YAML at all: GitHub refuses the file itself
        if not isinstance(root, yaml.MappingNode):
            continue
        changes[changed.path] = changed
        audited[changed.path] = text
        roots[changed.path] = root
        if _WORKFLOW.match(changed.path):
            found.extend(_pwn_request(changed.path, root, text.splitlines(), added))
    if not audited:
        return found
    results, refused = _audit_each_if_needed(audited, timeout)
    for path, reason in sorted(refused.items()):
        severe = reason.startswith(_TIMED_OUT)
        found.append(
            _not_audited(
                path,
                min(_added(changes[path])),
                reason,
                Severity.HIGH if severe else Severity.MEDIUM,
            )
        )
        found.extend(_unread_injections(path, roots[path], audited[path], _added(changes[path])))
    # A step shared through a YAML anchor is reported once per alias, and a line with two
    # expressions once per expression; one comment is enough, the most severe one.
    kept: dict[tuple[str, str, int | None], Finding] = {}
    for result in results:
        finding = _mapped(result, changes, audited)
        if finding is None:
            continue
        key = (finding.rule, finding.path, finding.line)
        if key not in kept or finding.severity > kept[key].severity:
            kept[key] = finding
    return found + list(kept.values())


def _audit_each_if_needed(
    files: Mapping[str, str], timeout: float
) -> tuple[list[dict[str, object]], dict[str, str]]:
    """All files in one zizmor run; when that run fails, each file alone, so one file zizmor
    cannot read does not leave the others unaudited. Returns (findings, path -> why not)."""
    try:
        return run_zizmor(files, timeout=timeout)
    except WorkflowAuditError as error:
        # Out of time once is enough: N more runs could each take as long.
        if len(files) == 1 or str(error).startswith(_TIMED_OUT):
            return [], dict.fromkeys(files, str(error))
    results: list[dict[str, object]] = []
    refused: dict[str, str] = {}
    for path, text in files.items():
        try:
            found, skipped = run_zizmor({path: text}, timeout=timeout)
        except WorkflowAuditError as error:
            refused[path] = str(error)
            continue
        results += found
        refused.update(skipped)
    return results, refused


# ---------------------------------------------------------------------------------- zizmor


def zizmor_binary() -> str | None:
    """The zizmor installed with this package (the wheel's script), else one on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "zizmor"
    if beside.is_file():
        return str(beside)
    near_python = Path(sys.executable).parent / "zizmor"
    return str(near_python) if near_python.is_file() else shutil.which("zizmor")


def run_zizmor(
    files: Mapping[str, str], *, timeout: float = ZIZMOR_TIMEOUT_SECONDS
) -> tuple[list[dict[str, object]], dict[str, str]]:
    """zizmor's JSON findings for ``files`` (repository path → text), audited offline, and
    the files its schema check refused (path → why), which it skips with a warning.

    The files are written to a fresh temporary directory under their repository paths, so
    zizmor sees nothing else of the checkout; locations come back relative to it.
    """
    binary = zizmor_binary()
    if binary is None:
        raise WorkflowAuditError("zizmor is not installed, so workflow files were not audited")
    with tempfile.TemporaryDirectory(prefix="cicd-agent-zizmor-") as folder:
        root = Path(folder)
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        command = [
            binary, "--offline", "--no-config", "--no-ignores", "--no-exit-codes",
            "--no-progress", "--color", "never", "--format", "json", "--persona", "regular",
            "--", *sorted(files),
        ]  # fmt: skip
        # No token, no proxy, no GITHUB_* variable: zizmor needs none of them offline.
        env = {"PATH": os.defpath, "HOME": folder, "NO_COLOR": "1", "LC_ALL": "C.UTF-8"}
        try:
            done = subprocess.run(
                command, cwd=folder, env=env, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise WorkflowAuditError(
                f"{_TIMED_OUT} within {timeout:g} s, so workflow files were not audited"
            ) from None
        except OSError as error:
            raise WorkflowAuditError(f"zizmor could not be started: {error}") from None
    log = done.stderr.decode("utf-8", "replace")
    refused = {
        match.group(1): f"zizmor's schema check refused it as a {match.group(2)}"
        for match in _REFUSED.finditer(log)
        if match.group(1) in files
    }
    if done.returncode != 0:
        if refused and "no inputs collected" in log:
            return [], refused
        last = [line.strip() for line in log.strip().splitlines() if line.strip()][-1:]
        reason = last[0][:200] if last else "no output"
        raise WorkflowAuditError(f"zizmor failed (exit {done.returncode}): {reason}")
    try:
        results = json.loads(done.stdout)
    except ValueError:
        raise WorkflowAuditError("zizmor's output was not JSON") from None
    if not isinstance(results, list):
        raise WorkflowAuditError("zizmor's output was not a list of findings")
    return [result for result in results if isinstance(result, dict)], refused


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


def _mapped(
    result: Mapping[str, object], changes: Mapping[str, FileDiff], texts: Mapping[str, str]
) -> Finding | None:
    """Our finding for one zizmor result, or None when no primary location is a changed line."""
    for span in _primary_spans(result):
        changed = changes.get(span.path)
        if changed is None:
            continue
        lines = sorted(n for n in _added(changed) if span.first <= n <= span.last)
        if lines:
            finding = _finding(result, span, lines[0])
            if finding.rule == "workflow-template-injection":
                return _writers_only(finding, span.expression(texts.get(span.path, "")))
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


# ------------------------------------------------- who writes what a template expands

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


_GITHUB_PROPERTIES = frozenset({
    "action", "action_path", "action_ref", "action_repository", "action_status", "actor",
    "actor_id", "api_url", "base_ref", "env", "event", "event_name", "event_path",
    "graphql_url", "head_ref", "job", "job_workflow_sha", "path", "ref", "ref_name",
    "ref_protected", "ref_type", "repository", "repository_id", "repository_owner",
    "repository_owner_id", "repositoryurl", "retention_days", "run_id", "run_number",
    "run_attempt", "secret_source", "server_url", "sha", "token", "triggering_actor",
    "workflow", "workflow_ref", "workflow_sha", "workspace",
})  # fmt: skip
"""The github context's properties (GitHub's contexts reference); any other is null."""
_GITHUB_PROPERTY = re.compile(r"^\s*github\.([\w-]+)\s*$")


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


def _writers_only(finding: Finding, expression: str) -> Finding:
    """A template injection whose expression no stranger's pull request can fill: medium.

    zizmor calls every ``inputs.*`` attacker-controllable; in a workflow they are not, in the
    sense that blocks a pull request. A ``workflow_dispatch`` input (also read as
    ``github.event.inputs.*``) is typed by someone with write access who starts the run; a
    ``workflow_call`` input is passed by the workflow that calls this one, where what it passes
    is audited as written. A GitHub login is letters, digits and hyphens (``[bot]`` for apps),
    so it cannot carry shell syntax. Each stays a visible finding (the habit is still unsafe
    and a refactor can route text there) but does not block. A composite action's ``inputs``
    keep zizmor's severity: the workflow using the action may pass it an issue title.
    """
    if _writers_input(expression, workflow=bool(_WORKFLOW.match(finding.path))):
        why = (
            f"`{expression.strip()}` is a workflow input: a `workflow_dispatch` input is typed "
            "by someone with write access who starts the run, and a `workflow_call` input is "
            "passed by the workflow that calls this one, where what it passes is audited. No "
            "outside contributor sets it, so this is medium, not blocking; still, pass it "
            "through `env:` rather than expanding it into the script."
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
    return finding.model_copy(
        update={"severity": min(finding.severity, Severity.MEDIUM), "body": f"{finding.body} {why}"}
    )


# ------------------------------------------ injections in a file zizmor would not read

_UNTRUSTED = re.compile(
    r"github\.event\.(?:issue|pull_request|discussion)\.(?:title|body)\b"
    r"|github\.event\.(?:comment|review|review_comment)\.body\b"
    r"|github\.event\.pages\b[^}]*\.page_name\b"
    r"|github\.event\.(?:commits\b[^}]*|head_commit)\.(?:message|author\.(?:email|name))\b"
    r"|github\.event\.pull_request\.head\.(?:ref|label|repo\.default_branch)\b"
    r"|github\.event\.workflow_run\.(?:head_branch|display_title|head_commit\.(?:message"
    r"|author\.(?:email|name)))\b"
    r"|github\.head_ref\b|github\[\s*'head_ref'\s*\]"
    r"|github\.event\.client_payload\b"
)
"""What anyone who can open an issue, a pull request or a comment writes (zizmor's and
poutine's lists; ``client_payload`` as poutine has it)."""
_NOT_A_NAME = re.compile(r"[^\w.\[\]'*-]")


def _unread_injections(path: str, root: yaml.Node, text: str, added: set[int]) -> Iterator[Finding]:
    """Template injections on added lines of a file zizmor refused or could not parse.

    GitHub runs workflows its own schema accepts but zizmor's refuses (poutine's test workflow
    with a numeric step ``id``); without this, an injection there is only a medium
    "not audited". The check is the narrow one the old rules had: a ``${{ }}`` that reads a
    field a stranger writes, inside a ``run:`` or a github-script ``script:``.
    """
    lines = text.splitlines()
    for node in _walk(root):
        items = dict(_mapping_items(node))
        scripts = [items.get("run")]
        uses = items.get("uses")
        if isinstance(uses, yaml.ScalarNode) and str(uses.value).startswith(
            "actions/github-script"
        ):
            scripts += [v for k, v in _mapping_items(items.get("with", uses)) if k == "script"]
        for script in scripts:
            if not isinstance(script, yaml.ScalarNode):
                continue
            for number in _scalar_lines(script):
                if number not in added or number > len(lines):
                    continue
                for template in _templates(lines[number - 1]):
                    field = _UNTRUSTED.search(template)
                    if field is not None:
                        # Only the field's name is quoted: the rest is the pull request's text.
                        yield _fallback_injection(path, number, _NOT_A_NAME.sub("", field[0])[:80])
                        break


def _templates(line: str) -> Iterator[str]:
    """What each ``${{ ... }}`` of ``line`` holds, up to the first ``}}``. Found with
    ``str.find``: a lazy pattern rescanned the rest of the line for every unclosed ``${{``, so
    a 900 KB line of them took twenty minutes."""
    start = line.find("${{")
    while start != -1:
        end = line.find("}}", start + 3)
        if end == -1:
            return
        yield line[start + 3 : end]
        start = line.find("${{", end + 2)


def _fallback_injection(path: str, line: int, expression: str) -> Finding:
    return Finding(
        rule="workflow-template-injection",
        severity=Severity.HIGH,
        category="security",
        path=path,
        line=line,
        title="Workflow: code injection via template expansion",
        body=(
            f"`{expression}` is text an outside contributor writes, expanded by `${{{{ }}}}` "
            "straight into this script, where it runs as code. zizmor could not read this "
            "file, so cicd-agent's own check found it. Pass the value through `env:` and "
            "quote it."
        ),
    )


def _added(changed: FileDiff) -> set[int]:
    return {number for number, _ in changed.added_lines()}


def _safe_relative(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts and "" not in parts


def _not_audited(path: str, line: int, reason: str, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        rule="workflow-not-audited",
        severity=severity,
        category="security",
        path=path,
        line=line,
        title="Workflow file could not be audited",
        body=(
            f"This workflow change was not audited: {reason}. A workflow that cannot be "
            "audited could hide a script injection; review it by hand before merging."
        ),
    )


# -------------------------------------------------------------------------- pwn request

_HEAD_CHECKOUT = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref"
    r"|refs/pull/|github\.event\.pull_request\.merge_commit_sha"
)
_SCRIPT_CHECKOUT = re.compile(
    r"gh\s+pr\s+checkout|git\s+fetch\b.*\bpull/|git\s+(?:checkout|switch)\b.*"
    r"(?:github\.event\.pull_request\.head|github\.head_ref)"
)


def _pwn_request(
    path: str, root: yaml.Node, lines: list[str], added: set[int]
) -> Iterator[Finding]:
    trigger = _trigger_line(root)
    if trigger is None:
        return
    checkouts = list(_head_checkouts(root, lines))
    if not checkouts:
        return
    introduced = [n for n in checkouts if n in added]
    if trigger not in added and not introduced:
        return
    line = introduced[0] if introduced else checkouts[0]
    yield Finding(
        rule="workflow-pwn-request",
        severity=Severity.CRITICAL,
        category="security",
        path=path,
        line=line,
        title="pull_request_target checks out the pull request's code",
        body=(
            "This workflow runs on `pull_request_target`, which has a write token and the "
            "repository's secrets even for pull requests from forks, and it checks out the "
            "pull request's head. Any build step, script or dependency in that code then runs "
            "with those secrets. Use `pull_request` for building untrusted code, and publish "
            "results from a separate `workflow_run` workflow."
        ),
    )


def _mapping_items(node: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield str(key.value), value


def _walk(node: yaml.Node) -> Iterator[yaml.Node]:
    """Every node once, depth first (the bounded loader rejected recursive documents, and an
    aliased node is visited once, not once per alias)."""
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack += [value, key]
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))


def _scalar_lines(node: yaml.Node) -> range:
    """1-based file lines a scalar spans. A block scalar (``|``, ``>``) ends at column 0 of
    the line after its last line, which must not count (it may be the next key)."""
    start, end = node.start_mark, node.end_mark
    last = end.line if end.column == 0 and end.line > start.line else end.line + 1
    return range(start.line + 1, last + 1)


def _trigger_line(root: yaml.Node) -> int | None:
    """The line naming ``pull_request_target`` under ``on:``, or None."""
    for key, value in _mapping_items(root):
        if key not in ("on", "true"):
            continue
        for node in _walk(value):
            if isinstance(node, yaml.ScalarNode) and node.value == "pull_request_target":
                return int(node.start_mark.line) + 1
    return None


def _head_checkouts(root: yaml.Node, lines: list[str]) -> Iterator[int]:
    """Lines that check out the pull request's head: a checkout ``ref:`` or a git command."""
    for node in _walk(root):
        items = dict(_mapping_items(node))
        uses = items.get("uses")
        if uses and isinstance(uses, yaml.ScalarNode) and "actions/checkout" in uses.value:
            for key, value in _mapping_items(items.get("with", uses)):
                if key not in ("ref", "repository") or not isinstance(value, yaml.ScalarNode):
                    continue
                if _HEAD_CHECKOUT.search(str(value.value)) or "head.repo" in str(value.value):
                    yield int(value.start_mark.line) + 1
        run = items.get("run")
        if isinstance(run, yaml.ScalarNode):
            for number in _scalar_lines(run):
                if number <= len(lines) and _SCRIPT_CHECKOUT.search(lines[number - 1]):
                    yield number
