"""A process the kernel killed with signal 9 (cargo's ``(signal: 9, SIGKILL: kill)``, go's
``signal: killed``) is read as the product's out-of-memory type, in words that say what the log
shows: a kill by signal 9, most often the runner's memory limit, not a proven lack of memory.
A new user's run read cargo's as "an error of unknown kind" and blamed ``could not compile``.
The logs are real runs (cargo 1.95, go 1.19) whose processes were killed so."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from tests.helpers.cli import run_cli
from tests.modes.analyse_failure.job_logs import job_log

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user"


@pytest.mark.parametrize(("name", "said"), [
    ("cargo_sigkill.txt", "(signal: 9, SIGKILL: kill)"),
    ("go_signal_killed.txt", "signal: killed"),
])  # fmt: skip
def test_a_kill_by_signal_9_is_the_out_of_memory_type(name: str, said: str) -> None:
    data = (LOGS / name).read_bytes()
    analysis = analyse_scans(scan_jobs([job_log("test", data)]))
    assert analysis.failure_type is FailureType.OOM
    assert said in analysis.root_cause


def test_the_headline_says_a_kill_by_signal_9_not_a_proven_lack_of_memory(tmp_path: Path) -> None:
    done = run_cli(["analyse-failure", "--provider", "none", "--logs",
                    str(LOGS / "cargo_sigkill.txt"), "--json"], tmp_path,
                   {"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.document is not None, done.stderr
    headline = done.document["headline"]
    assert "killed by signal 9 (SIGKILL;" in headline and "memory limit" in headline, headline
    assert "out-of-memory kill" not in headline
