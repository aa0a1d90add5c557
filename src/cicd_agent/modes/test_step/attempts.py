"""Runs a job's test step, then only its failed tests again.

The step is the workflow's own test command, run where
:func:`~cicd_agent.sandbox.step.step_place` says (the checkout on the host for code GitHub
vouches for, else the sandbox), with its report written into a folder this module makes
afresh for each run, so a report left in the checkout is never read. A retry runs only
the tests that failed, up to ``retries`` times while any still fails. What the runs show is
judged by :func:`cicd_agent.modes.test_step.judge.judge_step`; this module only runs and reads.

The runner whose command it is says how, through its part of the
:class:`~cicd_agent.runners.protocol.TestRunner` protocol: the command with its report written
into the run's folder (pytest's JUnit report, read as the seam reads a judged run's; jest's and
vitest's JSON, surefire's JUnit) or read from its output (``go test -json``, libtest's result
lines), and the command that runs only the tests that failed (pytest's cache, a name pattern,
``-run``, ``--exact``, ``-Dtest``); a command no runner claims runs once and its failures are
judged without retries. In the sandbox a runner adds what it needs there (jest's and vitest's
node options: :meth:`~cicd_agent.runners.protocol.TestRunner.sandboxed`).

Given the change's lines, a pytest run also loads our tracer
(:mod:`cicd_agent.runners.pytest.changed_lines`, copied into the run's folder under a name drawn
afresh for the run, so no module of the checkout can take its place, and put first on
``PYTHONPATH``), which records which tests ran one of them; a record that is no JSON object of
that shape is no record.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cicd_agent.api import UsageError
from cicd_agent.api.runners import RUNNERS, TestRunner
from cicd_agent.api.tests import (
    Record,
    Touched,
    absolute,
    canonical_test,
    changed_lines_tracer,
    step_place,
)
from cicd_agent.modes.test_step.arguments import MAX_RETRIES
from cicd_agent.modes.test_step.types import Attempt

PLUGIN = "cicd_changed_lines"
"""Our tracer's module name, before the part drawn for each run."""
RECORD = "CICD_CHANGED_RECORD"
MAX_RECORD_BYTES = 64 << 20


def _tracing(
    folder: Path, change: Touched, cwd: Path, env: Mapping[str, str], name: str
) -> dict[str, str]:
    """Our tracer's variables: it first on ``PYTHONPATH`` (before ``env``'s) as module ``name``,
    the change's lines (their files under ``cwd``, where the runs work)."""
    boot = folder / "boot"
    boot.mkdir()
    (boot / f"{name}.py").write_text(changed_lines_tracer(), "utf-8")
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
    unseen = document.get("unseen", {}) if isinstance(document, dict) else None
    blind = document.get("blind", "") if isinstance(document, dict) else None
    if not isinstance(tests, dict) or not isinstance(outside, bool) or not isinstance(again, dict):
        return None
    if not isinstance(unseen, dict) or not isinstance(blind, str):
        return None
    ran: dict[str, bool] = {}
    for test, value in tests.items():
        if not isinstance(value, bool):
            return None
        key = canonical_test(str(test))
        ran[key] = ran.get(key, False) or value  # two ids of one spelling: either's run counts
    rerun = {canonical_test(str(test)): value for test, value in again.items()
             if isinstance(value, bool)}  # fmt: skip
    hidden = {canonical_test(str(test)): str(why)[:300] for test, why in unseen.items()}
    return Record(ran, outside, rerun, hidden, blind[:300])


def runner_of(command: Sequence[str]) -> TestRunner | None:
    """The runner whose test step ``command`` is (its
    :meth:`~cicd_agent.runners.protocol.TestRunner.step_command`), or None: the command then runs
    once and its failures are judged without retries."""
    return next((runner for runner in RUNNERS
                 if runner.step_command(command, Path(), None) is not None), None)  # fmt: skip


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


def run_attempts(
    command: Sequence[str],
    retries: int,
    *,
    cwd: Path,
    env: Mapping[str, str],
    trusted: bool = False,
    timeout: float | None = None,
    change: Touched | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> list[Attempt]:
    """The step's first run and its retries of the failed tests, each with its report (and,
    given the ``change``'s lines, its record of the tests that ran one); the command runs
    where :func:`~cicd_agent.sandbox.step.step_place` puts code that is ``trusted`` or not
    (by default, not: in the sandbox), handed ``env`` as it scrubs it there. Each retry is
    announced through ``say`` (the mode's progress line)."""
    runner = runner_of(command)
    attempts: list[Attempt] = []
    with (tempfile.TemporaryDirectory(prefix="cicd-agent-step-") as folder,
          step_place(cwd, env, trusted=trusted, own=Path(folder) / "own") as place):  # fmt: skip
        traced = runner is not None and runner.name == "pytest" and bool(change and change.lines)
        ours: dict[str, str] = {}
        if runner is not None and place.sandbox is not None and place.space is not None:
            ours = runner.sandboxed(place.sandbox.environment(place.space))
        tracer = f"{PLUGIN}_{secrets.token_hex(8)}"
        if traced and change is not None:
            ours = {**ours, **_tracing(place.own, change, place.cwd, env, tracer)}
        native: dict[str, bool] = {}
        most = min(max(retries, 0), MAX_RETRIES) if runner else 0
        for number in range(1 + most):
            each = Path(folder) / str(number)  # a fresh folder per run: no report carries over
            each.mkdir()
            failed = [test for test, passed in native.items() if not passed] if number else None
            if failed is not None:
                say(f"retry {number} of {most}: running the {len(failed):,} failed test(s) again")
            argv = (runner.step_command(command, each, failed) if runner else None) or [*command]
            argv += ["-p", tracer] if traced else []
            record = each / "changed.json"
            with_record = {**ours, RECORD: str(record)} if traced else ours
            shown = runner.step_shown if runner is not None and runner.step_captures else None
            status, output = place.run(argv, ours=with_record, shared=each, timeout=timeout,
                                       shown=shown)  # fmt: skip
            native = runner.step_outcomes(each, output, place.cwd) if runner else {}
            if runner is not None and runner.name == "pytest" and status == PYTEST_USAGE and not native:
                raise _usage_error(output)
            attempts.append(Attempt({canonical_test(t): ok for t, ok in native.items()}, status,
                                    _record(record) if traced else None,
                                    {canonical_test(t): t for t in native}))  # fmt: skip
            if not attempts[-1].failed() or (attempts[-1].doubt and number):
                break
    return attempts

