"""action.yml run the way the runner runs it: real steps, real output files, real expressions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.action_runner import ActionError, ActionRunner, evaluate


def shared_runner(tmp_path_factory: pytest.TempPathFactory) -> ActionRunner:
    """The session's runner: one ``RUNNER_TEMP`` for every end-to-end module, so the action's
    install steps (a venv and a pip install, about a minute) run once and are replayed after."""
    return ActionRunner(tmp_path_factory.getbasetemp() / "runner-temp")


@pytest.fixture(scope="session")
def action_runner(tmp_path_factory: pytest.TempPathFactory) -> ActionRunner:
    return shared_runner(tmp_path_factory)


def test_expressions_the_action_does_not_support_fail_loudly() -> None:
    with pytest.raises(ActionError, match="unsupported expression"):
        evaluate("${{ inputs.a || 'x' }}", {"inputs": {"a": ""}})
    with pytest.raises(ActionError, match="unknown step"):
        evaluate("${{ steps.nope.outputs.x }}", {"steps": {}})
    with pytest.raises(ActionError, match="unknown context"):
        evaluate("${{ inputs.missing }}", {"inputs": {}})
    assert evaluate("${{ steps.run.outputs.unset }}", {"steps": {"run": {"outputs": {}}}}) == ""


@pytest.mark.slow
def test_a_usage_error_still_writes_outputs_and_a_summary(
    action_runner: ActionRunner, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({}))
    run = action_runner.run(
        {"mode": "no-such-mode"}, workspace=tmp_path, event_name="push", event_path=event
    )
    assert run.exit_code == 2, run.log
    assert "no-such-mode" in run.outputs["error"]
    assert run.outputs["tokens_used"] == "0"
    assert "could not finish" in run.summary
