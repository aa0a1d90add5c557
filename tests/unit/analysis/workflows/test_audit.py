"""The workflow audit over a diff (real zizmor): which files it reads, a file it cannot parse
within limits is a visible finding rather than a silent pass, and an ignore comment this change
adds is honoured by none of the callers that ask for no exemptions."""

from __future__ import annotations

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.severity import Severity
from cicd_agent.analysis.workflows import workflow_paths
from cicd_agent.analysis.workflows.audit import audit_workflows
from cicd_agent.analysis.workflows.ignores import NO_EXEMPTIONS
from cicd_agent.local.zizmor import audit_each_if_needed
from tests.helpers.diffs import added_file

WORKFLOW = ".github/workflows/ci.yml"
INJECTION = """\
on: issues
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.issue.title }}"
"""


def test_only_workflow_and_action_files_the_change_keeps_are_read() -> None:
    diff = parse_diff(
        added_file(WORKFLOW, "on: push\n")
        + added_file("tools/action.yml", "runs: {using: composite, steps: []}\n")
        + added_file("docs/ci.yml", "a: 1\n")
    )
    assert workflow_paths(diff) == [WORKFLOW, "tools/action.yml"]


def test_a_workflow_that_cannot_be_parsed_within_limits_is_a_finding() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n" for n in range(6)
    )
    diff = parse_diff(added_file(WORKFLOW, bomb))
    found = audit_workflows(diff, {WORKFLOW: bomb}, audit_each_if_needed, NO_EXEMPTIONS).findings
    assert [(f.rule, f.line, f.severity) for f in found] == [
        ("workflow-not-audited", 1, Severity.HIGH)
    ]
    assert "its YAML was not parsed" in found[0].body


def test_an_injection_is_found_and_a_comment_added_with_it_silences_nothing() -> None:
    silenced = INJECTION.replace('title }}"', 'title }}" # zizmor: ignore[template-injection]')
    for text in (INJECTION, silenced):
        audit = audit_workflows(parse_diff(added_file(WORKFLOW, text)), {WORKFLOW: text},
                                audit_each_if_needed, NO_EXEMPTIONS)  # fmt: skip
        assert ("workflow-template-injection", 7) in {(f.rule, f.line) for f in audit.findings}
        assert audit.ignored == []
