"""Workflow audit: zizmor on the changed lines, the pwn-request rule, and files built to stall it.

Each attack below was a miss or a hang with the hand-grown rules.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.analysis import bounded_yaml, workflows
from cicd_agent.analysis.diff import Diff, DiffLine, FileDiff, Hunk, parse_diff
from cicd_agent.analysis.severity import Severity
from cicd_agent.analysis.workflows.audit import audit_workflows
from cicd_agent.analysis.workflows.ignores import NO_EXEMPTIONS
from cicd_agent.local import zizmor
from cicd_agent.local.zizmor import audit_each_if_needed
from tests.helpers.bounded import run_bounded
from tests.helpers.diffs import added_file, all_findings

WORKFLOW = ".github/workflows/ci.yml"


def changed_file(text: str, added: set[int], path: str = WORKFLOW) -> FileDiff:
    """``path`` modified so that exactly the lines ``added`` (1-based) are new."""
    lines = text.splitlines()
    hunk_lines = tuple(
        DiffLine("+" if n in added else " ", line, None if n in added else n, n)
        for n, line in enumerate(lines, 1)
    )
    hunk = Hunk(1, len(lines), "", hunk_lines)
    return FileDiff(path=path, status="modified", patch=(hunk,))


def audit(text: str, path: str = WORKFLOW) -> list[tuple[str, int | None, str]]:
    """(rule, line, severity) of every finding when ``path`` is added with ``text``."""
    found = all_findings(
        parse_diff(added_file(path, text)), {path: text}, audit_each_if_needed
    )
    return [(f.rule, f.line, f.severity.label) for f in found]


def rules(text: str, path: str = WORKFLOW) -> set[str]:
    return {rule for rule, _, _ in audit(text, path)}


# ---------------------------------------------------------------- injections the old rules missed

GITHUB_SCRIPT = """\
on: issues
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea # v7.0.1
        with:
          script: |
            console.log("${{ github.event.issue.title }}")
"""


def test_github_script_script_is_audited() -> None:
    assert ("workflow-template-injection", 10, "high") in audit(GITHUB_SCRIPT)


LABEL_AND_PAYLOAD = """\
on:
  pull_request_target:
    types: [labeled]
  repository_dispatch:
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.label.name }}"
      - run: echo "${{ github.event.client_payload.branch }}"
      - run: echo '${{ toJson(github.event) }}'
"""


@pytest.mark.parametrize("line", [10, 11, 12])
def test_label_names_client_payload_and_whole_event_are_injections(line: int) -> None:
    injections = {n for rule, n, _ in audit(LABEL_AND_PAYLOAD) if rule.endswith("injection")}
    assert line in injections


ANCHOR = """\
on: pull_request
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    env: &env
      TITLE: safe
    steps:
      - &step
        run: echo "${{ github.event.pull_request.title }}"
  b:
    runs-on: ubuntu-latest
    steps:
      - *step
"""


def test_injection_behind_a_yaml_anchor_is_found_once() -> None:
    found = audit(ANCHOR)
    assert found.count(("workflow-template-injection", 10, "high")) == 1


# ------------------------------------------------------------------------- only this change's

PWN = """\
name: ci
on:
  pull_request_target:
    types: [opened, synchronize]
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1
        with:
          persist-credentials: false
          ref: ${{ github.event.pull_request.head.sha }}
      - run: |
          echo "building"
          echo "${{ github.event.pull_request.title }}"
        env:
          TITLE: ${{ github.event.pull_request.title }}
      - run: echo "${{ github.event.pull_request.number }}"
"""


def findings_for(text: str, added: set[int]) -> list[tuple[str, int | None, str]]:
    diff = Diff((changed_file(text, added),))
    found = all_findings(diff, {WORKFLOW: text}, audit_each_if_needed)
    return [(f.rule, f.line, f.severity.label) for f in found]


def test_pwn_request_and_injection_when_introduced() -> None:
    found = findings_for(PWN, set(range(1, 20)))
    assert ("workflow-pwn-request", 13, "critical") in found
    assert ("workflow-template-injection", 16, "high") in found
    assert all(line not in (18, 19) for _, line, _ in found), "env: and the number are safe"


def test_existing_dangers_are_not_this_changes_findings() -> None:
    assert findings_for(PWN, added={19}) == []


def test_adding_only_the_head_checkout_is_a_pwn_request() -> None:
    """zizmor flags the trigger line only; our rule catches the checkout added later."""
    assert ("workflow-pwn-request", 13, "critical") in findings_for(PWN, added={13})


def test_an_ignore_comment_added_by_the_change_does_not_silence_the_audit() -> None:
    text = GITHUB_SCRIPT.replace('title }}")', 'title }}") # zizmor: ignore[template-injection]')
    assert "workflow-template-injection" in rules(text)


def test_a_token_in_the_environment_neither_leaks_nor_breaks_the_offline_audit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With a token in its environment zizmor goes online (and fails without a network).
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "x" * 36)
    monkeypatch.setenv("GH_TOKEN", "ghp_" + "y" * 36)
    monkeypatch.setenv("ZIZMOR_CONFIG", "/nonexistent/zizmor.yml")
    assert "workflow-template-injection" in rules(GITHUB_SCRIPT)


def test_composite_action_is_audited() -> None:
    action = """\
name: greet
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "${{ github.event.pull_request.title }}"
"""
    assert ("workflow-template-injection", 6, "high") in audit(action, "tools/greet/action.yml")


def test_hygiene_findings_are_capped_at_medium() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
    text += "      - uses: actions/checkout@v4\n"
    found = audit(text)
    assert ("workflow-unpinned-uses", 6, "medium") in found
    assert all(severity != "high" for _, _, severity in found)


def test_a_missing_auditor_is_a_finding_not_a_silent_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zizmor, "zizmor_binary", lambda: "/nonexistent/zizmor")
    found = all_findings(
        parse_diff(added_file(WORKFLOW, GITHUB_SCRIPT)),
        {WORKFLOW: GITHUB_SCRIPT},
        audit_each_if_needed,
    )
    [finding] = [f for f in found if f.rule == "workflow-not-audited"]
    [injection] = [f for f in found if f.rule != "workflow-not-audited"]
    assert (finding.rule, finding.severity) == ("workflow-not-audited", Severity.MEDIUM)
    assert "zizmor could not be started" in finding.body
    # The narrow check of our own still runs on a file zizmor did not read.
    assert (injection.rule, injection.line, injection.severity) == (
        "workflow-template-injection",
        10,
        Severity.HIGH,
    )
    assert "zizmor could not read this file" in injection.body


def test_a_file_zizmor_cannot_read_leaves_the_others_audited() -> None:
    """An action zizmor's schema refuses is skipped with a warning; a workflow zizmor cannot
    parse fails its whole run. Neither may hide the injection in the file beside it."""
    refused = "runs:\n  using: composite\n  steps: 3\n"
    unparsable = "on:\n  workflow_dispatch:\n    inputs:\n      X:\n        type: strin\n"
    unparsable += "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"
    files = {"tools/a/action.yml": refused, ".github/workflows/b.yml": unparsable,
             WORKFLOW: GITHUB_SCRIPT}  # fmt: skip
    diff = parse_diff("".join(added_file(path, text) for path, text in files.items()))
    found = {
        (f.rule, f.path, f.severity.label)
        for f in all_findings(diff, files, audit_each_if_needed)
    }
    assert ("workflow-template-injection", WORKFLOW, "high") in found
    assert ("workflow-not-audited", "tools/a/action.yml", "medium") in found
    assert ("workflow-not-audited", ".github/workflows/b.yml", "medium") in found


def test_workflow_paths_and_broken_yaml() -> None:
    diff = parse_diff(
        added_file(".github/workflows/a.yml", "on: push\n")
        + added_file("action.yml", "runs: {}\n")
        + added_file("src/x.yml", "a: 1\n")
    )
    assert workflows.workflow_paths(diff) == [".github/workflows/a.yml", "action.yml"]
    assert audit("on: [push\n") == []


# ------------------------------------------------------------------- inputs built to stall us

RECURSIVE = """\
on: push
permissions: {}
jobs:
  a: &job
    runs-on: ubuntu-latest
    needs: [*job]
    steps:
      - run: echo hi
"""

LAUGHS = "on: push\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]\n" for i in range(1, 12)
)


def _hundred_mb_line() -> str:
    """Made as its test runs: a parameter's value is held by every worker from collection to
    the end of the run (100 MB each, copied into the page tables of every sandbox they fork)."""
    return "on: push\nx: " + "a" * (100 * 1024 * 1024) + "\n"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("text", "reason", "composed"),
    [
        (RECURSIVE, "refers to a node that contains it", 20),
        (LAUGHS, "once its aliases are followed", 150),
        (_hundred_mb_line, "byte limit", 0),
        ("on: push\nx: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested deeper", 0),
    ],
    ids=["recursive-alias", "billion-laughs", "100MB-line", "deep-nesting"],
)
def test_a_file_built_to_stall_the_audit_is_reported_not_walked(
    text: str | Callable[[], str], reason: str, composed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused after composing no more nodes than the text holds (``composed``: its aliases not
    followed), and the 100 MB line and the 50,000 brackets before the YAML scanner reads a
    character (it looks ahead through every open bracket: seconds of work)."""
    text = text if isinstance(text, str) else text()
    nodes: list[object] = []
    compose_node = bounded_yaml._BoundedLoader.compose_node

    def counted(loader: bounded_yaml._BoundedLoader, *args: Any) -> Any:
        nodes.append(None)
        return compose_node(loader, *args)

    monkeypatch.setattr(bounded_yaml._BoundedLoader, "compose_node", counted)
    found = all_findings(
        parse_diff(added_file(WORKFLOW, text[:2000])), {WORKFLOW: text}, audit_each_if_needed
    )
    assert len(nodes) <= composed
    [finding] = found
    assert (finding.rule, finding.severity) == ("workflow-not-audited", Severity.HIGH)
    assert re.search(reason, finding.body)


@pytest.mark.timeout(30)
def test_two_recursive_files_in_one_change() -> None:
    other = ".github/workflows/other.yml"
    diff = parse_diff(added_file(WORKFLOW, RECURSIVE) + added_file(other, RECURSIVE))
    found = all_findings(
        diff, {WORKFLOW: RECURSIVE, other: RECURSIVE}, audit_each_if_needed
    )
    assert sorted(f.path for f in found if f.rule == "workflow-not-audited") == [WORKFLOW, other]


def test_an_audit_out_of_time_is_a_high_finding_and_not_retried_per_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = ".github/workflows/other.yml"
    files = {WORKFLOW: GITHUB_SCRIPT, other: GITHUB_SCRIPT}
    diff = parse_diff("".join(added_file(path, text) for path, text in files.items()))
    runs: list[object] = []
    run_zizmor = zizmor.run_zizmor

    def counted(*args: Any, **options: Any) -> Any:
        runs.append(None)
        return run_zizmor(*args, **options)

    monkeypatch.setattr(zizmor, "run_zizmor", counted)
    hurried = partial(audit_each_if_needed, timeout=0.001)
    found = audit_workflows(diff, files, hurried, NO_EXEMPTIONS).findings
    assert len(runs) == 1  # out of time once: not again for each file
    assert {(f.rule, f.path, f.severity) for f in found} == {
        ("workflow-not-audited", WORKFLOW, Severity.HIGH),
        ("workflow-not-audited", other, Severity.HIGH),
        ("workflow-template-injection", WORKFLOW, Severity.HIGH),
        ("workflow-template-injection", other, Severity.HIGH),
    }
    assert "zizmor did not finish within 0.001 s" in found[0].body


# ------------------------------------------------------------ precision on other auditors' fixtures

DISPATCH_INPUTS = """\
on:
  workflow_dispatch:
    inputs:
      name:
        type: string
  workflow_call:
    inputs:
      target:
        type: string
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ inputs.name }}"
      - run: echo "${{ github.event.inputs.name }}"
      - run: echo "${{ inputs.target }}"
      - run: echo "${{ github.event.sender.login }}"
      - run: echo "${{ github.event.issue.title }}"
"""


def test_inputs_and_logins_are_medium_and_say_why_while_issue_text_stays_high() -> None:
    """Dispatch inputs are typed by someone with write access, a reusable workflow's by the
    workflow that calls it, and a login cannot hold shell syntax: not what a stranger's pull
    request writes. Visible (medium), not blocking; an issue title still blocks."""
    text = DISPATCH_INPUTS
    found = all_findings(
        parse_diff(added_file(WORKFLOW, text)), {WORKFLOW: text}, audit_each_if_needed
    )
    injections = {f.line: f for f in found if f.rule == "workflow-template-injection"}
    assert {line: f.severity.label for line, f in injections.items()} == {
        15: "medium",
        16: "medium",
        17: "medium",
        18: "medium",
        19: "high",
    }
    assert "write access" in injections[15].body and "write access" in injections[16].body
    assert "calls" in injections[17].body
    assert "login" in injections[18].body


COMPOSITE_INPUT = """\
name: a
description: a
inputs:
  title:
    description: t
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "${{ inputs.title }}"
"""


def test_a_composite_actions_inputs_keep_zizmors_severity() -> None:
    # The workflow using the action may pass it an issue title; the action is where it runs.
    assert ("workflow-template-injection", 10, "high") in audit(COMPOSITE_INPUT, "act/action.yml")


REFUSED_BY_SCHEMA = """\
name: valid.yml
on:
  pull_request_target:
jobs:
  build:
    runs-on: [self-hosted]
    steps:
    - id: 1
      run: |
        ${{ github.head_ref }}
    - id: 2
      run: |
        echo "${{ github.event.workflow_run.head_branch }}"
    - id: 3
      run: |
        echo ok ${{ github.sha }}
    - id: 4
      run: echo "${{ github.event.commits[0]['@org/team <img src=x>'].message }}"
"""


def test_a_workflow_zizmor_refuses_is_still_checked_for_injections() -> None:
    """poutine's valid.yml: zizmor's schema refuses it (a step ``id`` that is a number), so
    its injections went unreported; the fallback finds them in the run blocks, and says so."""
    found = audit(REFUSED_BY_SCHEMA)
    assert ("workflow-not-audited", 1, "medium") in found
    assert ("workflow-template-injection", 10, "high") in found
    assert ("workflow-template-injection", 13, "high") in found
    assert not any(line == 16 for rule, line, _ in found if rule.endswith("injection"))
    text = REFUSED_BY_SCHEMA
    findings = all_findings(
        parse_diff(added_file(WORKFLOW, text)), {WORKFLOW: text}, audit_each_if_needed
    )
    quoted = next(f for f in findings if f.line == 18)
    assert quoted.severity == Severity.HIGH and "github.event.commits[0]" in quoted.body
    assert "@" not in quoted.body and "<" not in quoted.body  # the PR's text is not echoed


@pytest.mark.parametrize(
    ("expression", "severity"),
    [("github[inputs.key]", "medium"), ("github.event.*[github.event.inputs.key]", "medium"),
     ("github.events", "medium"), ("github.head_ref", "high"),
     ("format('{0} {1}', inputs.key, github.event.issue.title)", "high"),
     ("github.event.issue.title", "high")],
)  # fmt: skip
def test_only_expressions_made_of_inputs_drop_to_medium(expression: str, severity: str) -> None:
    text = (
        "on:\n  workflow_dispatch:\n    inputs:\n      key:\n        type: string\n"
        "  issues:\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        f'      - run: echo "${{{{ {expression} }}}}"\n'
    )
    assert ("workflow-template-injection", 12, severity) in audit(text)


@pytest.mark.parametrize(
    ("expression", "severity"),
    [("github.event", "medium"), ("github.event.commits.*", "medium"),
     ("github.event.pull_request.labels.*.name", "medium"),
     ("toJSON(github.event)", "high"), ("join(github.event.pull_request.labels.*.name)", "high"),
     ("github.event.pull_request.title", "high")],
)  # fmt: skip
def test_an_object_or_array_expands_to_a_word_not_to_its_text(
    expression: str, severity: str
) -> None:
    """GitHub expands a bare object or array to ``Object`` or ``Array`` (actionlint reports it
    as a type error, zizmor as a high injection): visible, not blocking. Turned into text by
    ``toJSON`` or ``join``, the same value is an injection."""
    text = (
        "on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        f'    steps:\n      - run: echo "${{{{ {expression} }}}}"\n'
    )
    found = all_findings(
        parse_diff(added_file(WORKFLOW, text)), {WORKFLOW: text}, audit_each_if_needed
    )
    [injection] = [f for f in found if f.rule == "workflow-template-injection"]
    assert (injection.line, injection.severity.label) == (7, severity)
    assert ("`Array`" in injection.body) == (severity == "medium")


def test_a_line_of_unclosed_templates_in_a_refused_workflow_does_not_stall_the_fallback() -> None:
    """attack3: the fallback's ``${{(.*?)}}`` rescanned the rest of a line for every unclosed
    ``${{`` (``${{ } }``: no ``}}``, brackets balanced for the loader): 8,000 cost 0.9 s, a 900 KB
    line (under the 1 MiB bound) about 20 minutes.
    Run in a child, since a regular expression holds the interpreter until it ends."""
    script = (
        "from tests.e2e.test_workflows import REFUSED_BY_SCHEMA, audit\n"
        "text = REFUSED_BY_SCHEMA + '    - id: 5\\n      run: echo ' + '${{ } }' * 130_000 + '\\n'\n"
        "print(sorted(line for rule, line, _ in audit(text) if rule.endswith('injection')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        check=False, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[10, 13, 18]"


def test_a_template_of_repeated_fields_in_a_refused_workflow_does_not_stall_the_fallback() -> None:
    """attack3: ``github\\.event\\.commits\\b[^}]*\\.message`` tried every ``commits`` of a
    template and scanned to its end each time (quadratic): 20,000 repeats (420 KB) cost the old
    pattern about 35 s of CPU, 43,000 about 100 s. Each span is now scanned a fixed number of
    times, so this is milliseconds; the time-out only stops a stall. No length cap: the field
    after 20,000 repeats is still found, and so is one past the repeats in the next template."""
    script = (
        "from tests.e2e.test_workflows import REFUSED_BY_SCHEMA, audit\n"
        "text = (REFUSED_BY_SCHEMA + '    - id: 5\\n      run: echo ${{'\n"
        "        + ' github.event.commits' * 20_000 + ' }}\\n'\n"
        "        + '    - id: 6\\n      run: echo ${{'\n"
        "        + ' github.event.commits' * 20_000 + '.message }}\\n')\n"
        "print(sorted(line for rule, line, _ in audit(text) if rule.endswith('injection')))\n"
    )
    done = run_bounded([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[10, 13, 18, 22]"
