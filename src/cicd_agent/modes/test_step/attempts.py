"""Runs a job's test step, then only its failed tests again.

The step is the workflow's own test command, run where
:func:`~cicd_agent.local.test_step.step_place` says (the checkout on the host for code GitHub
vouches for, else the sandbox), with its report written into a folder this module makes
afresh for each run, so a report left in the checkout is never read. A retry runs only
the tests that failed, the runner's own way
(:meth:`~cicd_agent.runners.base.TestRunner.step_arguments`), up to ``retries``
times while any still fails. What the runs show is judged by
:func:`cicd_agent.modes.test_step.judge.judge_step`; this module only runs and reads.

pytest says how through :meth:`~cicd_agent.runners.base.TestRunner.step_arguments` (its JUnit
report, read as the seam reads a judged run's: :func:`cicd_agent.verify.evidence.read_report`).
jest, vitest, go test, cargo test and Maven say how through their own step methods
(:class:`StepRunner`): the command with its report written into the run's folder (jest's and
vitest's JSON, surefire's JUnit) or read from its output (``go test -json``, libtest's result
lines), and the command that runs only the tests that failed (a name pattern, ``-run``,
``--exact``, ``-Dtest``); a command no runner claims runs once and its failures are judged
without retries.

Given the change's lines, a pytest run also loads our tracer
(:mod:`cicd_agent.runners.pytest.changed_lines`, copied into the run's folder and put first on
``PYTHONPATH``), which records which tests ran one of them; a record that is no JSON object of
that shape is no record.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Protocol, cast

from cicd_agent.api import UsageError
from cicd_agent.api.runners import (
    MAX_REPORT_BYTES,
    MAX_REPORTS,
    REPORT_NAME,
    RUNNERS,
    outcomes,
    read_report,
    step_arguments,
)
from cicd_agent.api.tests import Record, StepPlace, Touched, absolute, canonical_test, step_place
from cicd_agent.modes.test_step.arguments import MAX_RETRIES
from cicd_agent.modes.test_step.types import Attempt

PLUGIN = "cicd_changed_lines"
RECORD = "CICD_CHANGED_RECORD"
MAX_RECORD_BYTES = 64 << 20


def _tracing(folder: Path, change: Touched, cwd: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Our tracer's variables: it first on ``PYTHONPATH`` (before ``env``'s), the change's
    lines (their files under ``cwd``, where the runs work)."""
    boot = folder / "boot"
    boot.mkdir()
    source = resources.files("cicd_agent.runners.pytest").joinpath("changed_lines.py")
    (boot / f"{PLUGIN}.py").write_text(source.read_text("utf-8"), "utf-8")
    lines = folder / "lines.json"
    lines.write_text(json.dumps(absolute(change, str(cwd.resolve()))), "utf-8")
    path = os.pathsep.join(filter(None, [str(boot), env.get("PYTHONPATH", "")]))
    return {"PYTHONPATH": path, "CICD_CHANGED_LINES": str(lines)}


def _record(path: Path) -> Record | None:
    """The tracer's record of one run, ids made canonical; None when it is not one."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_RECORD_BYTES:
            return None
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    tests = document.get("tests") if isinstance(document, dict) else None
    outside = document.get("outside") if isinstance(document, dict) else None
    again = document.get("again", {}) if isinstance(document, dict) else None
    if not isinstance(tests, dict) or not isinstance(outside, bool) or not isinstance(again, dict):
        return None
    ran: dict[str, bool] = {}
    for test, value in tests.items():
        if not isinstance(value, bool):
            return None
        key = canonical_test(str(test))
        ran[key] = ran.get(key, False) or value  # two ids of one spelling: either's run counts
    rerun = {canonical_test(str(test)): value for test, value in again.items()
             if isinstance(value, bool)}  # fmt: skip
    return Record(ran, outside, rerun)


class StepRunner(Protocol):
    """A runner's part of the test step (its module's methods)."""

    name: str
    step_captures: bool
    """Whether its outcomes are read from its output (else from a report in the run's folder)."""

    def runs(self, command: str) -> bool: ...

    def step_command(self, command: Sequence[str], folder: Path, failed: Sequence[str]) -> list[str]:
        """``command`` with its report into ``folder``; with ``failed`` (its own ids of the
        previous run's failures), narrowed to them."""
        ...

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        """Each test (its own id) the run ended and whether it passed."""
        ...


def runner_of(command: Sequence[str]) -> str | StepRunner | None:
    """Which runner a command is: ``pytest`` (``pytest``, ``python -m pytest``: its
    ``step_arguments``), another that retries through its own step methods, or None."""
    named = next((runner.name for runner in RUNNERS
                  if runner.step_arguments(command, Path(), failed=None) is not None), None)  # fmt: skip
    if named is not None:
        return named
    line = shlex.join(command)
    found = [runner for runner in RUNNERS if hasattr(runner, "step_command") and runner.runs(line)]
    return cast(StepRunner, found[0]) if found else None


def _other_run(
    runner: StepRunner, command: Sequence[str], folder: Path, failed: Sequence[str], *,
    place: StepPlace, timeout: float | None,
) -> tuple[dict[str, bool], int]:  # fmt: skip
    """One run of another runner's step (its own ids and their outcomes, and its status)."""
    argv = runner.step_command(command, folder, failed)
    shown = getattr(runner, "step_shown", lambda line: f"{line}\n")
    status, output = place.run(argv, ours={}, shared=folder, timeout=timeout,
                               shown=shown if runner.step_captures else None)  # fmt: skip
    junit = getattr(runner, "step_junit", "")
    return (_junit_outcomes(folder / junit) if junit
            else runner.step_outcomes(folder, output, place.cwd), status)  # fmt: skip


PYTEST_USAGE = 4
"""pytest's exit status for a usage error (a flag or an ``addopts`` it does not know): no test
ran, and no report says why; its own line does."""


def _usage_error(errors: str) -> UsageError:
    """The step's pytest stopped on its usage: its own ``error:`` line quoted when we hold it."""
    said = [line.strip() for line in errors.splitlines() if "error:" in line.lower()]
    quoted = f": {said[-1][:300]}" if said else " (its own line is above)"
    return UsageError(
        f"pytest stopped on a usage error before running any test{quoted}",
        hint="Fix the test command or the project's pytest options (addopts in its "
        "configuration; a plugin they name must be installed), then re-run.",
    )


def _junit_outcomes(reports: Path) -> dict[str, bool]:
    """Every ``TEST-*.xml`` JUnit report in ``reports`` (no link followed, none too large)."""
    found: dict[str, bool] = {}
    for report in sorted(reports.glob("TEST-*.xml"))[:MAX_REPORTS] if reports.is_dir() else []:
        if report.is_file() and not report.is_symlink() and report.stat().st_size <= MAX_REPORT_BYTES:
            for name, passed in outcomes(report.read_bytes()).items():
                found[name] = found.get(name, True) and passed
    return found


def run_attempts(
    command: Sequence[str],
    retries: int,
    *,
    cwd: Path,
    env: Mapping[str, str],
    trusted: bool = False,
    timeout: float | None = None,
    change: Touched | None = None,
) -> list[Attempt]:
    """The step's first run and its retries of the failed tests, each with its report (and,
    given the ``change``'s lines, its record of the tests that ran one); the command runs
    where :func:`~cicd_agent.local.test_step.step_place` puts code that is ``trusted`` or not
    (by default, not: in the sandbox), handed ``env`` as it scrubs it there."""
    runner = runner_of(command)
    attempts: list[Attempt] = []
    with (tempfile.TemporaryDirectory(prefix="cicd-agent-step-") as folder,
          step_place(cwd, env, trusted=trusted, own=Path(folder) / "own") as place):  # fmt: skip
        traced = runner == "pytest" and change is not None and bool(change.lines)
        ours: dict[str, str] = {}
        if traced and change is not None:
            ours = _tracing(place.own, change, place.cwd, env)
        native: dict[str, bool] = {}
        for number in range(1 + (min(max(retries, 0), MAX_RETRIES) if runner else 0)):
            each = Path(folder) / str(number)  # a fresh folder per run: no report carries over
            each.mkdir()
            if runner is not None and not isinstance(runner, str):
                again = [test for test, passed in native.items() if not passed]
                native, status = _other_run(runner, command, each, again, place=place,
                                            timeout=timeout)  # fmt: skip
                attempts.append(Attempt({canonical_test(t): ok for t, ok in native.items()}, status))
                if not attempts[-1].failed() or (attempts[-1].doubt and number):
                    break
                continue
            report = each / REPORT_NAME
            failed = attempts[-1].failed() if attempts else None
            extra = list(step_arguments(command, report, failed=failed) or ())
            extra += ["-p", PLUGIN] if traced else []
            record = each / "changed.json"
            with_record = {**ours, RECORD: str(record)} if traced else ours
            status, errors = place.run([*command, *extra], ours=with_record, shared=each,
                                       timeout=timeout)  # fmt: skip
            written = read_report(each)  # the seam's reader: no link, FIFO or huge report
            found = outcomes(written) if written is not None else {}
            if status == PYTEST_USAGE and not found:
                raise _usage_error(errors)
            attempts.append(Attempt(found, status, _record(record) if traced else None))
            if not attempts[-1].failed() or (attempts[-1].doubt and number):
                break
    return attempts

