"""The two workflow rules that stay ours, beside zizmor's.

The pwn request: ``pull_request_target`` with a checkout of the pull request's head. zizmor flags
the trigger alone, so a change adding only ``ref: ${{ github.event.pull_request.head.sha }}`` to
such a workflow would pass unnoticed.

A narrow injection check for a file zizmor refused: GitHub runs workflows its schema accepts but
zizmor's refuses (a numeric step ``id``), where an injection would otherwise be only a medium
"not audited"."""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity

_UNTRUSTED = re.compile(
    r"github\.event\.(?:issue|pull_request|discussion)\.(?:title|body)\b"
    r"|github\.event\.(?:comment|review|review_comment)\.body\b"
    r"|github\.event\.head_commit\.(?:message|author\.(?:email|name))\b"
    r"|github\.event\.pull_request\.head\.(?:ref|label|repo\.default_branch)\b"
    r"|github\.event\.workflow_run\.(?:head_branch|display_title|head_commit\.(?:message"
    r"|author\.(?:email|name)))\b"
    r"|github\.head_ref\b|github\[\s*'head_ref'\s*\]"
    r"|github\.event\.client_payload\b"
)
"""What anyone who can open an issue, a pull request or a comment writes (zizmor's and
poutine's lists; ``client_payload`` as poutine has it), named in full."""
_LIST_FIELDS = (
    (
        re.compile(r"github\.event\.commits\b"),
        re.compile(r"\.(?:message|author\.(?:email|name))\b"),
    ),
    (re.compile(r"github\.event\.pages\b"), re.compile(r"\.page_name\b")),
)
"""Fields of a list's items, reached through any index or filter (``commits[0].message``,
``commits.*.author.name``, ``pages[x].page_name``): the list, then the field later in the same
``}``-free stretch of the template."""
_NOT_A_NAME = re.compile(r"[^\w.\[\]'*-]")


_HEAD_CHECKOUT = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref"
    r"|refs/pull/|github\.event\.pull_request\.merge_commit_sha"
)
_SCRIPT_CHECKOUT = re.compile(
    r"gh\s+pr\s+checkout|git\s+fetch\b.*\bpull/|git\s+(?:checkout|switch)\b.*"
    r"(?:github\.event\.pull_request\.head|github\.head_ref)"
)


def pwn_request(path: str, root: yaml.Node, lines: list[str], added: set[int]) -> Iterator[Finding]:
    """A critical finding when this change adds the trigger or the head checkout."""
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


def _trigger_line(root: yaml.Node) -> int | None:
    """The line naming ``pull_request_target`` under ``on:``, or None."""
    for key, value in mapping_items(root):
        if key not in ("on", "true"):
            continue
        for node in walk(value):
            if isinstance(node, yaml.ScalarNode) and node.value == "pull_request_target":
                return int(node.start_mark.line) + 1
    return None


def _head_checkouts(root: yaml.Node, lines: list[str]) -> Iterator[int]:
    """Lines that check out the pull request's head: a checkout ``ref:`` or a git command."""
    for node in walk(root):
        items = dict(mapping_items(node))
        uses = items.get("uses")
        if uses and isinstance(uses, yaml.ScalarNode) and "actions/checkout" in uses.value:
            for key, value in mapping_items(items.get("with", uses)):
                if key not in ("ref", "repository") or not isinstance(value, yaml.ScalarNode):
                    continue
                if _HEAD_CHECKOUT.search(str(value.value)) or "head.repo" in str(value.value):
                    yield int(value.start_mark.line) + 1
        run = items.get("run")
        if isinstance(run, yaml.ScalarNode):
            for number in scalar_lines(run):
                if number <= len(lines) and _SCRIPT_CHECKOUT.search(lines[number - 1]):
                    yield number


def unread_injections(path: str, root: yaml.Node, text: str, added: set[int]) -> Iterator[Finding]:
    """Template injections on added lines of a file zizmor refused or could not parse."""
    lines = text.splitlines()
    for node in walk(root):
        items = dict(mapping_items(node))
        scripts = [items.get("run")]
        uses = items.get("uses")
        if isinstance(uses, yaml.ScalarNode) and str(uses.value).startswith(
            "actions/github-script"
        ):
            scripts += [v for k, v in mapping_items(items.get("with", uses)) if k == "script"]
        for script in scripts:
            if not isinstance(script, yaml.ScalarNode):
                continue
            for number in scalar_lines(script):
                if number not in added or number > len(lines):
                    continue
                for template in _templates(lines[number - 1]):
                    field = untrusted_field(template)
                    if field is not None:
                        # Only the field's name is quoted: the rest is the pull request's text.
                        yield _fallback_injection(path, number, _NOT_A_NAME.sub("", field)[:80])
                        break


def untrusted_field(template: str) -> str | None:
    """The first field of ``template`` a stranger writes, or None, in linear time whatever the
    template repeats: each list is searched for once per ``}``-free stretch (one pattern per
    field would rescan the rest from every mention). No length cap, so a long expression cannot
    slip past."""
    found = [(m.start(), m.end()) for m in [_UNTRUSTED.search(template)] if m is not None]
    for names_list, names_field in _LIST_FIELDS:
        at = 0
        while (listed := names_list.search(template, at)) is not None:
            stop = template.find("}", listed.end())
            stop = len(template) if stop == -1 else stop
            # The last field of the stretch: what the old greedy pattern matched.
            ends = [field.end() for field in names_field.finditer(template, listed.end(), stop)]
            if ends:
                found.append((listed.start(), ends[-1]))
                break
            at = stop + 1
    if not found:
        return None
    start, end = min(found)
    return template[start:end]


def _templates(line: str) -> Iterator[str]:
    """What each ``${{ ... }}`` of ``line`` holds, up to the first ``}}``. Found with
    ``str.find``: a lazy pattern would rescan the rest of the line for every unclosed ``${{``,
    quadratic in the line."""
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


# Walking a composed workflow: both rules read the node tree of the bounded loader
# (``analysis.bounded_yaml``), not Python objects, because findings need line numbers, and a
# node tree keeps each aliased node once.


def mapping_items(node: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    """(key, value) of a mapping whose keys are scalars; nothing for any other node."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield str(key.value), value


def walk(node: yaml.Node) -> Iterator[yaml.Node]:
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


def scalar_lines(node: yaml.Node) -> range:
    """1-based file lines a scalar spans. A block scalar (``|``, ``>``) ends at column 0 of
    the line after its last line, which must not count (it may be the next key)."""
    start, end = node.start_mark, node.end_mark
    last = end.line if end.column == 0 and end.line > start.line else end.line + 1
    return range(start.line + 1, last + 1)
