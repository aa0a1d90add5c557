"""deploy-gate's wiring: ``--phase`` picks the steps, a ``fail-on`` the phase cannot produce is
refused before any work, and a run that cannot finish gets the failing phase's safe outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import ExitCode, UsageError
from cicd_agent.modes.deploy_gate.mode import MODE
from cicd_agent.modes.deploy_gate.options import phase_options
from tests.git_builder import GitRepoBuilder
from tests.helpers.context import run_context
from tests.helpers.network import free_port

HOLD_ALL = '{"hold_levels": ["low", "medium", "high", "critical"]}'


def _deploy(tmp_path: Path, *argv: str) -> Any:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"src/app.py": "def f(x):\n    return x\n"})
    head = repo.commit("Change", {"src/app.py": "def f(x):\n    return x + 1\n"})
    flags = ["--provider", "none", "--repo", str(repo.path), "--base", base, "--head", head,
             "--deploy-time", "2026-11-18T12:00:00+00:00",
             "--audit-file", str(tmp_path / "audit.jsonl")]  # fmt: skip
    ctx, _ = run_context("deploy-gate", [*flags, *argv], {}, phase_options)
    return ctx


@pytest.mark.parametrize(
    ("argv", "recommendation", "code"),
    [
        ((), "proceed", ExitCode.OK),
        (("--policy", HOLD_ALL), "hold", ExitCode.OK),
        (("--policy", HOLD_ALL, "--fail-on", "hold"), "hold", ExitCode.POLICY),
        # a level fails the step at or above it, whatever the recommendation
        (("--fail-on", "low"), "proceed", ExitCode.POLICY),
        (("--fail-on", "critical"), "proceed", ExitCode.OK),
    ],
)
def test_the_deploy_phase_runs_by_default_and_fail_on_hold_sets_the_exit_code(
    tmp_path: Path, argv: tuple[str, ...], recommendation: str, code: ExitCode
) -> None:
    result, exit_code = MODE.run(_deploy(tmp_path, *argv))
    assert (result.outputs()["recommendation"], exit_code) == (recommendation, code)
    assert json.loads((tmp_path / "audit.jsonl").read_text())["verdict"]["finished"] is True


def test_a_fail_on_of_the_other_phase_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="rollback"):
        MODE.run(_deploy(tmp_path, "--fail-on", "rollback"))
    with pytest.raises(UsageError, match="hold, low, medium, high, critical"):
        MODE.run(_deploy(tmp_path, "--fail-on", "crtical"))
    assert not (tmp_path / "audit.jsonl").exists()


def test_the_canary_phase_never_promotes_what_it_cannot_see(tmp_path: Path) -> None:
    argv = ["--phase", "canary", "--provider", "none", "--repo", str(tmp_path),
            "--prometheus-url", f"http://127.0.0.1:{free_port()}"]  # fmt: skip
    ctx, _ = run_context("deploy-gate", argv, {}, phase_options)
    result, exit_code = MODE.run(ctx)
    outputs = result.outputs()
    assert exit_code == ExitCode.EXTERNAL
    assert (outputs["verdict"], outputs["healthy"], outputs["rollback"]) == ("continue", "false", "false")


def test_a_run_that_cannot_finish_gets_its_phases_safe_outputs(tmp_path: Path) -> None:
    canary, _ = run_context("deploy-gate", ["--phase", "canary", "--repo", str(tmp_path)], {}, phase_options)
    assert MODE.failure_outputs(canary)["verdict"] == "continue"
    assert "recommendation" not in MODE.failure_outputs(canary)
    deploy = MODE.failure_outputs(_deploy(tmp_path))
    assert (deploy["recommendation"], deploy["requires_approval"]) == ("hold", "true")
    assert json.loads((tmp_path / "audit.jsonl").read_text())["verdict"]["finished"] is False
    assert MODE.fail_closed_outputs["recommendation"] == "hold"
    assert MODE.fail_closed_outputs["verdict"] == "continue"
