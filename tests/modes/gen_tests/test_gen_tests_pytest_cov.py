"""A project whose own pytest configuration loads pytest-cov is measured by us all the same.

Seen on a real commit (python-semver, ``addopts = --cov=semver``): pytest-cov starts its own
coverage.py tracer, which pauses the one our ``sitecustomize`` started, so a candidate's run
measured nothing and the right test was dropped as "adds no coverage". Every pytest run of the
verifier blocks pytest-cov (``-p no:cov``) and accepts its options as the project wrote them;
``--cov-fail-under`` then no longer fails a run of one file. Real pytest, pytest-cov and
coverage.py, in the real sandbox.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter, CoverageReport
from cicd_agent.modes.gen_tests.gate import PLUGIN
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from cicd_agent.runners.sessions import Evidence
from cicd_agent.sandbox import RunResult
from tests.helpers.gen_tests import PROJECT_PYTHON, path_env
from tests.helpers.sandbox import needs_sandbox

SOURCE = "pkg/calc.py"
CALC = '''\
def sign(number):
    if number < 0:
        return "negative"
    return "not negative"
'''
NEGATIVE_LINE = 3
"""The line only the candidate runs."""
EXISTING = '''\
import pytest

from pkg.calc import sign


@pytest.mark.no_cover
def test_positive(cov):
    assert sign(1) == "not negative"
'''
CANDIDATE = '''\
from pkg.calc import sign


def test_negative():
    assert sign(-1) == "negative"
'''
ADDOPTS = {
    "report": "--cov=pkg --cov-report=term --strict-markers",
    "fail_under": "--cov pkg --cov-report=term-missing --cov-fail-under=100 --no-cov-on-fail",
    # Loaded by name before our block: its options stay, the plugin goes.
    "named": "-p pytest_cov --cov=pkg --cov-branch --strict-markers",
}


def _project(root: Path, addopts: str) -> Path:
    for name, text in {
        "pkg/__init__.py": "",
        SOURCE: CALC,
        "tests/test_calc.py": EXISTING,
        "tests/test_candidate.py": CANDIDATE,
        "pytest.ini": f"[pytest]\naddopts = {addopts}\npythonpath = .\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module", params=sorted(ADDOPTS))
def meter(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CoverageMeter]:
    repo = _project(tmp_path_factory.mktemp(request.param) / "repo", ADDOPTS[request.param])
    with Sandbox(repo, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        yield CoverageMeter(sandbox, [SOURCE])


def _run(
    meter: CoverageMeter, *files: str, suite: bool = False
) -> tuple[RunResult, Evidence, CoverageReport]:
    command = [PROJECT_PYTHON, "-m", "pytest", *PLUGIN, *files]
    space = meter.sandbox.workspace("cov")
    return meter.measure(command, space, timeout=120, suite=suite)


@needs_sandbox
def test_a_candidate_run_counts_the_lines_it_ran_though_the_project_loads_pytest_cov(
    meter: CoverageMeter,
) -> None:
    """The right candidate runs the one line the suite does not: we see it, and its run passes
    (``--cov-fail-under=100`` of one file's run would fail it under pytest-cov)."""
    result, evidence, report = _run(meter, "tests/test_candidate.py")
    assert evidence.outcomes is not None and not evidence.problem, result.output[-800:]
    assert dict(evidence.outcomes.tests) == {"tests/test_candidate.py::test_negative": "passed"}
    assert result.returncode == 0, result.output[-800:]
    assert NEGATIVE_LINE in report.executed_lines(SOURCE)


@needs_sandbox
@pytest.mark.parametrize("meter", ["report", "fail_under"], indirect=True)
def test_the_suite_runs_as_the_project_wrote_it_and_is_measured(meter: CoverageMeter) -> None:
    """The existing test, which uses pytest-cov's marker and fixture under
    ``--strict-markers``, still runs and passes; the suite's coverage is ours, with the
    candidate's line missing."""
    result, evidence, report = _run(meter, "tests/test_calc.py", suite=True)
    assert evidence.outcomes is not None and not evidence.problem, result.output[-800:]
    assert dict(evidence.outcomes.tests) == {"tests/test_calc.py::test_positive": "passed"}
    assert {1, 2, 4} <= report.executed_lines(SOURCE)
    assert NEGATIVE_LINE in report.files[SOURCE].missing_lines


@needs_sandbox
@pytest.mark.parametrize("meter", ["report"], indirect=True)
def test_a_test_command_under_coverage_run_is_measured_by_ours(meter: CoverageMeter) -> None:
    """``coverage run -m pytest`` starts coverage.py's own tracer in the tests' process, which
    pauses ours as pytest-cov's does: the suite and candidates run as pytest alone. (Without
    ``--source`` we happened to read the wrapper's data: what counted was its options' say.)"""
    command = ProjectCommand.parse(f"{sys.executable} -m coverage run -p --source=pkg -m pytest -q")
    assert command.is_pytest
    assert command.suite == (sys.executable, "-m", "pytest", "-q")
    space = meter.sandbox.workspace("cov")
    argv = [*command.pytest, *PLUGIN, "tests/test_candidate.py"]
    result, evidence, report = meter.measure(argv, space, timeout=120)
    assert evidence.outcomes is not None and not evidence.problem, result.output[-800:]
    assert NEGATIVE_LINE in report.executed_lines(SOURCE)


STAND_IN = "cicd_agent.runners.pytest.boot.pytest_cov_stand_in"


class _Options:
    """Collects the option names a plugin's ``pytest_addoption`` adds."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def getgroup(self, *_: object) -> _Options:
        return self

    def addoption(self, *names: str, **_: object) -> None:
        self.names.update(names)


def test_the_stand_in_takes_every_option_of_the_installed_pytest_cov() -> None:
    """A project's addopts may use any of them; one the stand-in lacks stops every run."""
    import pytest_cov.plugin

    theirs, ours = _Options(), _Options()
    pytest_cov.plugin.pytest_addoption(theirs)
    importlib.import_module(STAND_IN).pytest_addoption(ours)
    assert ours.names == theirs.names
