"""Runs a job's test step, then only its failed tests again.

The step is the workflow's own test command, run where the workflow runs it (it is the job's
step, not code we judge: no sandbox), with its JUnit report written into a folder this module
makes afresh for each run, so a report left in the checkout is never read. A retry runs only
the tests that failed, the runner's own way
(:meth:`~cicd_agent.runners.base.TestRunner.step_arguments`), up to ``retries``
times while any still fails. What the runs show is judged by
:func:`cicd_agent.modes.test_step.judge.judge_step`; this module only runs and reads.

Runners other than pytest (jest's ``--onlyFailures``, ``go test -run``, cargo, maven) come
through this seam's runners; until then, another command runs once and its failures are
judged without retries. The report is read as the seam reads a judged run's
(:func:`cicd_agent.verify.evidence.read_report`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.local.test_step import run_step
from cicd_agent.modes.test_step.judge import MAX_RETRIES, Attempt
from cicd_agent.runners import RUNNERS, step_arguments
from cicd_agent.runners.junit import outcomes
from cicd_agent.verify.evidence import REPORT_NAME, read_report


def runner_of(command: Sequence[str]) -> str | None:
    """Which runner a command is (``pytest``, ``python -m pytest``), of those the step
    retries, or None."""
    return next((runner.name for runner in RUNNERS
                 if runner.step_arguments(command, Path(), failed=None) is not None), None)  # fmt: skip


def run_attempts(
    command: Sequence[str],
    retries: int,
    *,
    cwd: Path,
    env: Mapping[str, str],
    trusted: bool = False,
    timeout: float | None = None,
) -> list[Attempt]:
    """The step's first run and its retries of the failed tests, each with its report; the
    command is handed ``env`` as :func:`~cicd_agent.local.test_step.run_step` scrubs it for
    code that is ``trusted`` or not (by default, not)."""
    runner = runner_of(command)
    attempts: list[Attempt] = []
    with tempfile.TemporaryDirectory(prefix="cicd-agent-step-") as folder:
        for number in range(1 + (min(max(retries, 0), MAX_RETRIES) if runner else 0)):
            each = Path(folder) / str(number)  # a fresh folder per run: no report carries over
            each.mkdir()
            report = each / REPORT_NAME
            failed = attempts[-1].failed() if attempts else None
            extra = list(step_arguments(command, report, failed=failed) or ())
            status = run_step([*command, *extra], cwd=cwd, environ=env, trusted=trusted,
                              timeout=timeout)  # fmt: skip
            written = read_report(each)  # the seam's reader: no link, FIFO or huge report
            found = outcomes(written) if written is not None else {}
            attempts.append(Attempt(found, status))
            if not attempts[-1].failed() or (attempts[-1].doubt and number):
                break
    return attempts
