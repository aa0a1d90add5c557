"""A failed run's logs as the tests hand them to the log reader: a job log held in memory, or
one job of one test step written in a runner's layout, read in process or through the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import JobLog, LogPart, load_logs
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout
from tests.helpers.cli import CliRun, run_cli


def job_log(name: str, data: bytes, *, conclusion: str | None = None) -> JobLog:
    return JobLog(name, (LogPart(lambda: io.BytesIO(data), source=name),), conclusion)


def step_logs(dest: Path, run: str, output: bytes, *, layout: str = "zip_steps") -> Path:
    """Under ``dest`` (made if missing), a failed run's logs: one job ``test``, its checkout,
    then one step that ran ``run``, printed ``output`` and exited 1. The path for ``--logs``."""
    dest.mkdir(parents=True, exist_ok=True)
    step = Step("Test", run=run, output=output, exit_code=1)
    return write_layout([Job("test", [noise.checkout(), step])], dest, layout)


def step_analysis(dest: Path, run: str, output: bytes, **given: Any) -> LogAnalysis:
    """The log reader's analysis of :func:`step_logs`, in process (``given``: to
    ``analyse_scans``, such as ``checkout``)."""
    return analyse_scans(scan_jobs(load_logs(step_logs(dest, run, output))), **given)


def step_cli(tmp_path: Path, run: str, output: bytes, *argv: str) -> tuple[CliRun, dict[str, Any]]:
    """``analyse-failure --provider none --json ARGV`` over :func:`step_logs` (under
    ``tmp_path/run``, the CLI's files under ``tmp_path/cli``): the run and its JSON."""
    logs = step_logs(tmp_path / "run", run, output)
    (tmp_path / "cli").mkdir(exist_ok=True)
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(logs), "--json", *argv],
        tmp_path / "cli",
    )
    return done, json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
