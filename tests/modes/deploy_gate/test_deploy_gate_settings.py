"""deploy-gate's run resolved by the core reads only the options deploy-gate declares (the
action's inputs across every mode: tests/wiring/test_resolve.py)."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.job.resolve import resolve_run
from cicd_agent.modes.deploy_gate import arguments as deploy_gate_arguments


def test_an_option_another_mode_declares_is_not_read(tmp_path: Path) -> None:
    """Only the mode's own declared options are resolved: a stray input is not picked up."""
    run = resolve_run(
        "deploy-gate", deploy_gate_arguments, {"repo": tmp_path}, {"INPUT_MAX-FINDINGS": "3"}
    )
    assert run.given.value("max_findings") is None
    assert run.given.text("phase") is None
