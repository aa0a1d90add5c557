"""Where an audit file goes when none is named: the runner's temporary folder, else nowhere."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.local.audit import default_audit_path


def test_on_a_runner_the_audit_goes_to_runner_temp(tmp_path: Path) -> None:
    path = default_audit_path({"RUNNER_TEMP": str(tmp_path / "t")}, "deploy-gate")
    assert path == tmp_path / "t" / "cicd-agent" / "deploy-gate-audit.jsonl"


def test_off_a_runner_no_audit_file_is_written_unless_asked() -> None:
    """Not into the repository's git directory nor the temporary folder (issue: each run
    appended to ``.git/cicd-agent/deploy-gate-audit.jsonl`` in the user's repository)."""
    assert default_audit_path({}, "deploy-gate") is None
    assert default_audit_path({"RUNNER_TEMP": ""}, "analyse-failure") is None
