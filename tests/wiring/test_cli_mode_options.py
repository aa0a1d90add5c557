"""Each mode's options are typed and checked before any git, GitHub or model work: a bad value
is exit 2 with the option named, even where the checkout is not a repository at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import run_cli

EXAMPLE_LOGS = REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["gen-tests", "--source", "x.py", "--test-timeout", "-5"], "test-timeout"),
        (["gen-tests", "--source", "x.py", "--token-budget", "-1"], "token-budget"),
        (["gen-tests", "--source", "x.py", "--cost-budget", "-0.5"], "cost-budget"),
        (["gen-tests", "--source", "x.py", "--shard", "3/2"], "shard"),
        (["gen-tests", "--source", "x.py", "--test-dir", "../outside"], "test-dir"),
        (["gen-tests", "--source", "x.py", "--test-dir", ".git/hooks"], "test-dir"),
        (["deploy-gate", "--failure-window-days", "-3"], "failure-window-days"),
        (["deploy-gate", "--approval-confidence", "1.5"], "approval-confidence"),
        (["deploy-gate", "--phase", "canary"], "prometheus-url"),
        (["analyse-failure", "--run-id", "0", "--logs", str(EXAMPLE_LOGS)], "run-id"),
    ],
)
def test_a_bad_option_is_exit_2_naming_it_before_any_work(
    argv: list[str], option: str, tmp_path: Path
) -> None:
    not_a_repo = tmp_path / "empty"
    not_a_repo.mkdir()
    run = run_cli([*argv, "--provider", "none", "--repo", str(not_a_repo)], tmp_path)
    said = run.stdout + run.stderr  # the error annotation is on stdout
    assert run.code == 2, said
    assert "::error title=cicd-agent " in said and option in said
    assert "git repository" not in said.lower()
