"""A real failed run (pytest output in the runner's log format, built by the corpus generator)
and a model answer about it, shared by the analyse-failure tests (which run the CLI through
``tests.helpers.cli.run_cli``, the one way)."""

from __future__ import annotations

import atexit
import functools
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cicd_agent.modes.analyse_failure.answer import FailureAnswer, FixRecommendation
from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand
from cicd_agent.modes.analyse_failure.log_facts import FailureType
from tests.corpus import noise
from tests.corpus.cases import CASES, Ctx
from tests.corpus.runner_log import Job, render, write_layout
from tests.corpus.tools import Toolbox

ERROR_LINE = "E       assert 5 == 6"
ROOT_CAUSE = "FAILED tests/test_failing.py::test_add_small_numbers - assert 5 == 6"


@dataclass(frozen=True)
class FailedRun:
    """One real failed run in every form GitHub hands out, and a green run of the same job."""

    zip_path: Path
    folder: Path
    job_text: Path
    job_name: str
    job_log: bytes
    green_log: bytes


@functools.cache
def failed_run() -> FailedRun:
    """The corpus case ``pytest_assertion`` (real pytest output), built once per session."""
    scratch = Path(tempfile.mkdtemp(prefix="cicd-agent-failed-run-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    ctx = Ctx(scratch / "build", Toolbox(scratch / "tools"))  # pytest only: nothing to install
    case = CASES["pytest_assertion"][1](ctx)
    (job,) = case.jobs
    for layout in ("zip_steps", "folder", "job_text"):
        (scratch / layout).mkdir()
        write_layout(case.jobs, scratch / layout, layout)
    green = Job(
        job.name,
        [noise.checkout(), noise.setup_python(), noise.pip_install(), ctx.noise.passing_tests],
        conclusion="success",
    )
    return FailedRun(
        zip_path=scratch / "zip_steps" / "logs.zip",
        folder=scratch / "folder" / "logs",
        job_text=scratch / "job_text" / f"{job.name}.txt",
        job_name=job.name,
        job_log=render(job)[0],
        green_log=render(green)[0],
    )


def zip_of(files: dict[str, bytes]) -> bytes:
    """A run-logs zip with ``files`` (name → content), as GitHub serves it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def opinion(**changes: Any) -> FailureAnswer:
    """A model answer about the failed run that agrees with the logs; ``changes`` alter it."""
    values: dict[str, Any] = {
        "root_cause": "add(2, 3) returns 5 but test_add_small_numbers expects 6: the test is wrong.",
        "failure_type": FailureType.TEST_FAILURE,
        "responsible_files": ["tests/test_failing.py"],
        "responsible_commit": None,
        "fix": FixRecommendation(type="test", description="Expect 5 in test_add_small_numbers."),
        "confidence": 0.9,
        "is_flaky": False,
        "flaky_evidence": [],
    }
    values.update(changes)
    return FailureAnswer(**values)


def pytest_failure(job: str = "test", step: str = "Run python -m pytest -q") -> FailingCommand:
    script = "python -m pytest -q -p no:cacheprovider"
    return FailingCommand(job=job, step=step, script=script, failing=script)
