"""The one rule that stays ours: ``pull_request_target`` with a checkout of the pull request's
head (the "pwn request").

zizmor flags the trigger alone (``dangerous-triggers``), so a change that adds only
``ref: ${{ github.event.pull_request.head.sha }}`` to such a workflow would otherwise pass
unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.workflows.yaml_nodes import mapping_items, scalar_lines, walk
from cicd_agent.severity import Severity

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
