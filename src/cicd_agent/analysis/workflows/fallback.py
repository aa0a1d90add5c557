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

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.workflows.yaml_nodes import mapping_items, scalar_lines, walk
from cicd_agent.severity import Severity

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
    """The first field of ``template`` a stranger writes, as written, or None.

    In linear time, whatever the template repeats: a list field used to be one pattern,
    ``commits\\b[^}]*\\.message``, which rescanned the rest of the template from every
    ``commits`` (a refused workflow with tens of thousands of them stalled the run). Here each
    list is searched for once per ``}``-free stretch, from its first mention; the field search that follows
    covers the stretch to its end, so a later mention could find nothing the first did not.
    No length cap, so a long expression cannot slip past.
    """
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
