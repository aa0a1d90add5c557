"""The pwn request: ``pull_request_target`` with a checkout of the pull request's head, flagged
when the change adds either half (zizmor flags the trigger alone)."""

from __future__ import annotations

from cicd_agent.analysis.bounded_yaml import compose
from cicd_agent.analysis.severity import Severity
from cicd_agent.analysis.workflows.ours import pwn_request

WORKFLOW = """\
on:
  pull_request_target:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: make test
"""
SCRIPTED = """\
on: [pull_request_target]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo start
          gh pr checkout ${{ github.event.number }}
"""


def _found(text: str, added: set[int]) -> list[tuple[str, int | None, Severity]]:
    root = compose(text)
    assert root is not None
    return [(f.rule, f.line, f.severity)
            for f in pwn_request("ci.yml", root, text.splitlines(), added)]  # fmt: skip


def test_adding_the_head_checkout_to_a_target_workflow_is_critical() -> None:
    assert _found(WORKFLOW, {9}) == [("workflow-pwn-request", 9, Severity.CRITICAL)]


def test_adding_the_trigger_to_a_workflow_that_checks_out_the_head_is_critical_too() -> None:
    assert _found(WORKFLOW, {2}) == [("workflow-pwn-request", 9, Severity.CRITICAL)]


def test_a_change_elsewhere_in_an_old_pwn_request_is_not_this_changes_finding() -> None:
    assert _found(WORKFLOW, {10}) == []


def test_a_script_that_checks_out_the_pull_request_counts() -> None:
    assert _found(SCRIPTED, {8}) == [("workflow-pwn-request", 8, Severity.CRITICAL)]


def test_the_same_checkout_on_pull_request_is_safe() -> None:
    safe = WORKFLOW.replace("pull_request_target", "pull_request")
    assert _found(safe, set(range(1, 12))) == []


def test_a_target_workflow_building_the_base_is_not_a_pwn_request() -> None:
    base = WORKFLOW.replace(
        "        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n", ""
    )
    assert _found(base, set(range(1, 12))) == []
