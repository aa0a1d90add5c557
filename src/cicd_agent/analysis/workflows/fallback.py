"""Our own narrow injection check, for a file zizmor refused or could not parse.

GitHub runs workflows its own schema accepts but zizmor's refuses (poutine's test workflow with
a numeric step ``id``); without this, an injection there is only a medium "not audited". The
check is the narrow one the old rules had: a ``${{ }}`` that reads a field a stranger writes,
inside a ``run:`` or a github-script ``script:``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from cicd_agent.analysis.findings import Finding
from cicd_agent.analysis.workflows.yaml_nodes import mapping_items, scalar_lines, walk
from cicd_agent.severity import Severity

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
