"""action.yml run the way the runner runs it: real steps, real output files, real expressions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.harness.action_runner import ActionError, ActionRunner, evaluate
from tests.helpers.action import shared_runner


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


@pytest.mark.slow
def test_hostile_input_values_never_reach_a_shell_or_another_output(
    action_runner: ActionRunner, tmp_path: Path
) -> None:
    """Inputs travel as one JSON document in ``env:`` (``toJSON(inputs)``): shell syntax and
    output-file syntax in a value stay data, and outputs use fresh random delimiters."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("one", {"README.md": "one\n"})
    head = repo.commit("two", {"README.md": "two\n"})
    marker = tmp_path / "pwned"
    hostile = (
        f'prod$(touch {marker})`touch {marker}`";touch {marker};"\n'
        "injected=1\nrisk_level<<EOF\nlow\nEOF\n"
    )
    event = payloads.write_event(tmp_path, payloads.example("workflow_dispatch"))
    run = action_runner.run(
        {"mode": "deploy-gate", "base": base, "head": head, "model": hostile, "dry-run": "true"},
        workspace=repo.path, event_name="workflow_dispatch", event_path=event,
        env={"INPUT_ENVIRONMENT": hostile},  # a setting: per job, in the step's env
    )  # fmt: skip
    assert run.exit_code == 0, run.log
    assert not marker.exists()
    assert "injected" not in run.step_outputs["run"]
    assert run.outputs["risk_level"] == "low"  # a docs change; not the value smuggled in
    audit = Path(run.outputs["audit_file"]).read_text().splitlines()[-1]
    assert hostile.strip() in json.loads(audit)["inputs"]["environment"]


@pytest.mark.slow
def test_deploy_gate_keeps_its_risk_cache_where_actions_cache_saves_it(
    action_runner: ActionRunner, tmp_path: Path
) -> None:
    """A GitHub-hosted runner starts empty: the mined history must land in the directory the
    action hands to actions/cache, under a key of this run that the next run's restore-keys
    find, or every push would mine and fit from scratch (about 30 s on 20,000 commits)."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("one", {"app.py": "x = 1\n"})
    head = repo.commit("two", {"app.py": "x = 2\n"})
    event = payloads.write_event(tmp_path, payloads.example("workflow_dispatch"))
    run = action_runner.run(
        {"mode": "deploy-gate", "base": base, "head": head, "dry-run": "true"},
        workspace=repo.path, event_name="workflow_dispatch", event_path=event,
    )  # fmt: skip
    assert run.exit_code == 0, run.log
    cache = run.uses["Keep deploy-gate's mined history and fits between runs"]
    assert list(Path(cache["path"]).glob("risk-history-*.jsonl.gz")), run.log
    assert "4242" in cache["key"]  # a new entry per run: cache entries cannot be overwritten
    assert cache["key"].startswith(cache["restore-keys"])
