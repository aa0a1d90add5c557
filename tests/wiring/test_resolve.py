"""One function resolves a run: a flag, then the workflow input, then the repository's setting
from the trusted commit, then the default, for the common options and the mode's alike.

Wiring: the action's inputs and the settings file's sections are every installed mode's, so the
modes here (review, deploy-gate) are reached through the registry, as the command line does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.cli import action_inputs
from cicd_agent.job.flags import declared_by, options_of
from cicd_agent.job.repo_config import (
    PATH_KEYS,
    QUARANTINE_KEY,
    settings_by_section,
)
from cicd_agent.job.resolve import ResolvedRun, refuse_moved_inputs, resolve_run
from cicd_agent.plugins import plugin
from tests.harness.action_runner import ActionRunner
from tests.modes.review.test_review_settings import _repo

if TYPE_CHECKING:
    from cicd_agent.job.flags import ModeArguments

review_arguments = plugin("review").arguments()
deploy_gate_arguments = plugin("deploy-gate").arguments()


def _checked_run(
    mode: str, arguments: ModeArguments, flags: dict[str, object], environ: dict[str, str]
) -> ResolvedRun:
    """A run resolved as the command line resolves it: the workflow's inputs checked first."""
    refuse_moved_inputs(mode, tuple(options_of(declared_by(arguments))), environ, action_inputs)
    return resolve_run(mode, arguments, flags, environ)


def _action_inputs(tmp_path: Path, given: dict[str, str]) -> dict[str, str]:
    """Every input as the runner hands action.yml's inputs over (``toJSON(inputs)``): what the
    workflow gave, else action.yml's default."""
    contexts = {"github": {"token": "ghs_token", "sha": "0" * 40}}
    return ActionRunner(tmp_path / "runner-temp")._resolve_inputs(given, contexts)


def test_a_setting_is_not_overridden_by_an_input_the_workflow_never_gave(tmp_path: Path) -> None:
    """Through the action every input reaches the CLI, the ones the workflow left out as
    action.yml's default: a default there counts as the workflow's input and wins over the
    settings file, so `dry-run: true` in it was silently ignored and the run wrote to GitHub.
    Every input a settings file may set has an empty default (the CLI's default applies)."""
    structured = {*PATH_KEYS, QUARANTINE_KEY}  # lists and mappings: no input sets them
    settable = {key for keys in settings_by_section().values() for key in keys} - structured
    inputs = _action_inputs(tmp_path, {"mode": "review"})
    assert {name: inputs[name] for name in sorted(settable & set(inputs)) if inputs[name]} == {}

    repo, base = _repo(tmp_path, "review:\n  dry-run: true\n")
    environ = {"CICD_AGENT_INPUTS": json.dumps(inputs)}
    run = _checked_run("review", review_arguments, {"repo": repo.path, "base": base}, environ)
    assert run.common.dry_run is True
    repo, base = _repo(tmp_path / "model", "review:\n  model: set-model\n")
    given = {"mode": "review", "model": "workflow-model"}  # the workflow's own word still wins
    environ = {"CICD_AGENT_INPUTS": json.dumps(_action_inputs(tmp_path, given))}
    run = _checked_run("review", review_arguments, {"repo": repo.path, "base": base}, environ)
    assert run.given.text("model") == "workflow-model"


@pytest.mark.parametrize(
    ("mode", "given", "said"),
    [
        ("review", {"max-findings": "3"},
         "input `max-findings` moved to .github/cicd-agent.yml `review.max-findings`."),
        ("review", {"junit": "reports/*.xml"},  # another mode's: once ignored, now placed
         "input `junit` moved to .github/cicd-agent.yml `deploy-gate.junit`."),
        ("deploy-gate", {"environment": "production"},
         "input `environment` moved to .github/cicd-agent.yml `deploy-gate.environment`."),
        ("deploy-gate", {"debug": "true"}, "input `debug` was removed: re-run the job with "
         "debug logging (RUNNER_DEBUG=1) for tracebacks."),
        ("deploy-gate", {"deploy-time": "2026-11-26T10:00:00Z"},
         "input `deploy-time` is not an action input: it is the CLI's --deploy-time."),
        ("review", {"max-finding": "3"},
         "input `max-finding` is not an input of cicd-agent (docs/inputs-outputs.md)."),
    ],
)  # fmt: skip
def test_an_input_the_action_no_longer_takes_is_refused_naming_its_place(
    tmp_path: Path, mode: str, given: dict[str, str], said: str
) -> None:
    """The runner only warns of an input action.yml does not declare and passes it
    on; ignored here, `max-findings: 3` would quietly become the default 25."""
    arguments = review_arguments if mode == "review" else deploy_gate_arguments
    inputs = _action_inputs(tmp_path, {"mode": mode, **given})
    with pytest.raises(UsageError) as raised:
        _checked_run(mode, arguments, {"repo": tmp_path}, {"CICD_AGENT_INPUTS": json.dumps(inputs)})
    assert (raised.value.message, raised.value.hint) == (said, "")


def test_every_input_and_the_environment_variables_still_resolve(tmp_path: Path) -> None:
    """What stays an input resolves as before, and `INPUT_*` variables (the command line's and
    the canary server's way to pass any option) are not refused."""
    inputs = _action_inputs(tmp_path, {"mode": "review", "model": "m", "fail-on": "high"})
    environ = {"CICD_AGENT_INPUTS": json.dumps(inputs), "INPUT_MAX-FINDINGS": "3"}
    run = _checked_run("review", review_arguments, {"repo": tmp_path}, environ)
    assert (run.given.text("model"), run.common.fail_on, run.given.whole("max_findings")) == (
        "m", "high", 3,
    )  # fmt: skip


def test_an_input_is_named_as_the_runner_names_it_in_any_case(tmp_path: Path) -> None:
    """GitHub's runner compares input names without case (`Fail-On:` is `fail-on`, with no
    warning) and hands the name on as the workflow spelled it: read as written, the gate's
    threshold was ignored before and refused as unknown after it."""
    given = {"Mode": "review", "Fail-On": "high", "MODEL": "m"}
    environ = {"CICD_AGENT_INPUTS": json.dumps(_action_inputs(tmp_path, given))}
    run = _checked_run("review", review_arguments, {"repo": tmp_path}, environ)
    assert (run.common.fail_on, run.given.text("model")) == ("high", "m")
    moved = {"CICD_AGENT_INPUTS": json.dumps({"Max-Findings": "3"})}
    with pytest.raises(UsageError, match=r"input `max-findings` moved to .* `review.max-findings`"):
        _checked_run("review", review_arguments, {"repo": tmp_path}, moved)
