"""The runner's own verdict comes first: what a test prints cannot choose the run's failure type.

``failure_type`` is an output workflows branch on (retry on ``infrastructure``, skip the fix
step), so a pull request must not be able to choose it by what its test prints. Every decisive
signature of the table (a runner fact that decides the type whatever else failed) is placed in
a failing test's own output and assertion message, in real runs of pytest and of node's test
runner; the run stays a ``test_failure``. The same lines printed by the step outside any test
(the runner or the tool itself) still decide.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.signatures import SIGNATURES
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout
from tests.helpers.gen_tests import PROJECT_PYTHON

DECISIVE = [signature for signature in SIGNATURES if signature.decisive]
EXAMPLES = {signature.name: signature.examples for signature in DECISIVE}


def _analyse(output: bytes, exit_code: int, dest: Path, command: str) -> LogAnalysis:
    run = Step("Run tests", run=command, output=output, exit_code=exit_code)
    job = Job("test", [noise.checkout(), noise.setup_python(), run])
    dest.mkdir(parents=True, exist_ok=True)
    return analyse_scans(scan_jobs(load_logs(write_layout([job], dest, "zip_steps"))))


PLACED = [(name, example) for name in sorted(EXAMPLES) for example in EXAMPLES[name]]
"""Every example line of every decisive signature, each to be placed in a failing test."""


def _escaped(analysis: LogAnalysis) -> list[str]:
    """The decisive signatures the analysis still took for runner facts."""
    return [name for name in analysis.signatures_hit if name in EXAMPLES]


@pytest.fixture(scope="module")
def pytest_run(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real pytest run: one passing test, then one failing test per placed line, which it
    prints (pytest shows it as the test's captured output) and gives as its assertion message."""
    project = tmp_path_factory.mktemp("verdict-first")
    tests = "".join(
        textwrap.dedent(f"""
        def test_{name.replace(".", "_")}_{index}():
            message = {example!r}
            print(message)
            assert False, message
        """)
        for index, (name, example) in enumerate(PLACED)
    )
    (project / "test_calc.py").write_text("def test_passes():\n    assert 1 + 1 == 2\n" + tests)
    run = subprocess.run(
        [PROJECT_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-rfE", "test_calc.py"],
        cwd=project, capture_output=True, check=False,
    )  # fmt: skip
    assert run.returncode == 1 and run.stdout.count(b"\nFAILED ") == len(PLACED), run.stdout
    return run.stdout


def test_every_decisive_signature_has_an_example_to_place() -> None:
    assert DECISIVE and all(EXAMPLES[name] for name in EXAMPLES)


def test_a_decisive_line_in_a_failing_pytest_test_stays_a_test_failure(
    pytest_run: bytes, tmp_path: Path
) -> None:
    analysis = _analyse(pytest_run, 1, tmp_path, "python -m pytest")
    assert analysis.failure_type is FailureType.TEST_FAILURE, _escaped(analysis)
    assert not _escaped(analysis)
    assert analysis.root_cause.startswith("FAILED test_calc.py::test_")


def test_a_decisive_line_in_a_failing_node_test_stays_a_test_failure(tmp_path: Path) -> None:
    examples = [example for _, example in PLACED]
    cases = "".join(
        f"test('case {index}', () => {{ console.log({example!r}); assert.fail({example!r}); }});\n"
        for index, example in enumerate(examples)
    )
    (tmp_path / "calc.test.js").write_text(
        "const test = require('node:test');\nconst assert = require('node:assert');\n" + cases
    )
    run = subprocess.run(
        ["node", "--test", "--test-reporter=spec", "calc.test.js"],
        cwd=tmp_path, capture_output=True, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    analysis = _analyse(run.stdout + run.stderr, 1, tmp_path / "log", "node --test")
    assert analysis.failure_type is FailureType.TEST_FAILURE, _escaped(analysis)
    assert not _escaped(analysis)


def test_the_runners_own_verdict_outside_any_test_still_decides(
    pytest_run: bytes, tmp_path: Path
) -> None:
    """The same failing tests, then the runner's time-out or the shell's kill after them."""
    output = pytest_run
    limit = ("The job running on runner GitHub Actions 2 has exceeded the maximum execution "
             "time of 5 minutes.")  # fmt: skip
    run = Step("Run tests", run="python -m pytest", output=output, runner_errors=(limit,))
    dest = tmp_path / "timeout"
    dest.mkdir()
    job = Job("test", [noise.checkout(), noise.setup_python(), run], conclusion="failure")
    timed = analyse_scans(scan_jobs(load_logs(write_layout([job], dest, "zip_steps"))))
    assert timed.failure_type is FailureType.TIMEOUT
    killed = output + b"/home/runner/work/_temp/6f1b.sh: line 3:  2291 Killed  python -m pytest\n"
    assert (
        _analyse(killed, 137, tmp_path / "oom", "python -m pytest").failure_type is FailureType.OOM
    )
