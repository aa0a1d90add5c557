"""Runs a job's test step, then only its failed tests again (issue 66's retries in the job).

The step is the workflow's own test command, run where the workflow runs it (it is the job's
step, not code we judge: no sandbox), with its JUnit report written into a folder this module
makes afresh for each run, so a report left in the checkout is never read. A retry runs only
the tests that failed, the runner's own way (:data:`RETRY_ONLY_FAILED`), up to ``retries``
times while any still fails. What the runs show is judged by
:func:`cicd_agent.analysis.test_step.judge_step`; this module only runs and reads.

Runners other than pytest (jest's ``--onlyFailures``, ``go test -run``, cargo, maven) come
through this seam's runners; until then, another command runs once and its failures are
judged without retries. The report is read as the seam reads a judged run's
(:func:`cicd_agent.verify.evidence.read_report`).

Given the change's lines, a pytest run also loads our tracer (:mod:`.pytest_changed_lines`,
copied into the run's folder and put first on ``PYTHONPATH``), which records which tests ran
one of them; a record that is no JSON object of that shape is no record.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from cicd_agent.analysis.changed_lines import Record, Touched, absolute
from cicd_agent.analysis.logs.history import canonical_test
from cicd_agent.analysis.logs.junit import outcomes
from cicd_agent.analysis.test_step import MAX_RETRIES, Attempt
from cicd_agent.local.test_step import run_step
from cicd_agent.verify.evidence import REPORT_NAME, read_report

RETRY_ONLY_FAILED = {"pytest": ("--last-failed", "--last-failed-no-failures", "none")}
"""The options that make a runner run again only what failed in its previous run."""


PLUGIN = "cicd_changed_lines"
RECORD = "CICD_CHANGED_RECORD"
MAX_RECORD_BYTES = 64 << 20


def _tracing(folder: Path, change: Touched, cwd: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The runs' environment with our tracer first on ``PYTHONPATH`` and the change's lines."""
    boot = folder / "boot"
    boot.mkdir()
    source = resources.files("cicd_agent.verify.runners").joinpath("pytest_changed_lines.py")
    (boot / f"{PLUGIN}.py").write_text(source.read_text("utf-8"), "utf-8")
    lines = folder / "lines.json"
    lines.write_text(json.dumps(absolute(change, str(cwd.resolve()))), "utf-8")
    path = os.pathsep.join(filter(None, [str(boot), env.get("PYTHONPATH", "")]))
    return {**env, "PYTHONPATH": path, "CICD_CHANGED_LINES": str(lines)}


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
    if not isinstance(tests, dict) or not isinstance(outside, bool):
        return None
    ran: dict[str, bool] = {}
    for test, value in tests.items():
        if not isinstance(value, bool):
            return None
        key = canonical_test(str(test))
        ran[key] = ran.get(key, False) or value  # two ids of one spelling: either's run counts
    return Record(ran, outside)


def runner_of(command: Sequence[str]) -> str | None:
    """Which runner a command is (``pytest``, ``python -m pytest``), or None."""
    words = [Path(word).name for word in command[:3]]
    if words[:1] == ["pytest"] or words[1:3] == ["-m", "pytest"]:
        return "pytest"
    return None


def run_attempts(
    command: Sequence[str],
    retries: int,
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    change: Touched | None = None,
) -> list[Attempt]:
    """The step's first run and its retries of the failed tests, each with its report (and,
    given the ``change``'s lines, its record of the tests that ran one)."""
    runner = runner_of(command)
    attempts: list[Attempt] = []
    with tempfile.TemporaryDirectory(prefix="cicd-agent-step-") as folder:
        traced = runner == "pytest" and change is not None and bool(change.lines)
        base = dict(os.environ if env is None else env)
        if traced and change is not None:
            env = _tracing(Path(folder), change, cwd, base)
        for number in range(1 + (min(max(retries, 0), MAX_RETRIES) if runner else 0)):
            each = Path(folder) / str(number)  # a fresh folder per run: no report carries over
            each.mkdir()
            report = each / REPORT_NAME
            extra = [*(RETRY_ONLY_FAILED[runner] if number and runner else ()),
                     f"--junitxml={report}"] if runner == "pytest" else []  # fmt: skip
            extra += ["-p", PLUGIN] if traced else []
            record = each / "changed.json"
            with_record = {**env, RECORD: str(record)} if traced and env is not None else env
            status = run_step([*command, *extra], cwd=cwd, env=with_record, timeout=timeout)
            written = read_report(each)  # the seam's reader: no link, FIFO or huge report
            found = outcomes(written) if written is not None else {}
            attempts.append(Attempt(found, status, _record(record) if traced else None))
            if not attempts[-1].failed() or (attempts[-1].doubt and number):
                break
    return attempts

