"""Template injections no stranger's pull request can fill (a workflow's inputs, a login, an
object that expands to a word, a property the github context lacks) drop to medium with the
reason said; any other expression keeps zizmor's severity."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.analysis.workflows.zizmor_map import writers_only


def _injection(path: str = ".github/workflows/ci.yml") -> Finding:
    return Finding(rule="workflow-template-injection", severity=Severity.HIGH,
                   category="security", path=path, line=7, title="Workflow: code injection",
                   body="zizmor's `template-injection` audit flags this change.")  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "template", "said"),
    [
        ("inputs.version", "inputs.version", "is a workflow input"),
        ("github.event.inputs.tag", "github.event.inputs.tag", "is a workflow input"),
        ("github.event", " github.event ", "is an object or an array"),
        ("github.events", "github.events", "not a property of the github context"),
        ("github.actor", "github.actor", "is a GitHub login"),
        ("github.event.pull_request.user.login", "github.event.pull_request.user.login",
         "is a GitHub login"),
    ],
)  # fmt: skip
def test_what_no_stranger_can_fill_is_medium_with_the_reason(
    expression: str, template: str, said: str
) -> None:
    lowered = writers_only(_injection(), expression, template)
    assert lowered.severity is Severity.MEDIUM
    assert said in lowered.body and lowered.body.startswith(_injection().body)


@pytest.mark.parametrize(
    ("expression", "template"),
    [
        ("github.event.pull_request.title", "github.event.pull_request.title"),
        ("github.head_ref", "github.head_ref"),
        ("github.event", "toJSON(github.event)"),
    ],
)
def test_what_a_pull_request_writes_keeps_zizmors_severity(expression: str, template: str) -> None:
    assert writers_only(_injection(), expression, template) == _injection()


def test_an_actions_inputs_keep_their_severity_since_its_caller_may_pass_anything() -> None:
    action = _injection("action.yml")
    assert writers_only(action, "inputs.title", "inputs.title") == action
