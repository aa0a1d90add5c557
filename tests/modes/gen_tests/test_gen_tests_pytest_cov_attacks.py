"""Attacks on the block of pytest-cov in the verifier's pytest runs: a project
configuration that loads pytest-cov by another name, or requires it, still makes a candidate's
run measure nothing or end at once. Real pytest, pytest-cov and coverage.py in the real sandbox,
the project and candidate of :mod:`.test_gen_tests_pytest_cov`; each a strict xfail until the
seam (``PytestSandbox.session``) closes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter
from cicd_agent.modes.gen_tests.gate import PLUGIN
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from tests.helpers.gen_tests import PROJECT_PYTHON, path_env
from tests.helpers.sandbox import needs_sandbox
from tests.modes.gen_tests.test_gen_tests_pytest_cov import (
    CALC,
    CANDIDATE,
    EXISTING,
    NEGATIVE_LINE,
    SOURCE,
)

CONFIGURATIONS = {
    # pytest-cov's module by its own name: -p no:cov blocks the names "cov" and "pytest_cov"
    # only, so it loads and its tracer pauses ours (nothing measured, the run passes); here
    # from a pytest.ini of the tests' folder, the one pytest reads for a run of tests/
    "-p pytest_cov.plugin in tests/pytest.ini": {
        "tests/pytest.ini": "[pytest]\naddopts = -p pytest_cov.plugin --cov=pkg\npythonpath = ..\n",
    },
    # the same module from a conftest, after the stand-in took --cov: the run ends at once
    # ("option names {'--cov'} already added")
    "pytest_plugins in conftest.py": {
        "pytest.ini": "[pytest]\naddopts = --cov=pkg\npythonpath = .\n",
        "conftest.py": "pytest_plugins = ['pytest_cov.plugin']\n",
    },
    # a project guarding its own environment: "Missing required plugins: pytest-cov", exit 4
    "required_plugins = pytest-cov": {
        "pytest.ini": "[pytest]\naddopts = --cov=pkg\nrequired_plugins = pytest-cov\npythonpath = .\n",
    },
}


@needs_sandbox
@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_attack_pytest_cov_loaded_by_another_name_still_leaves_our_coverage(
    tmp_path: Path, configuration: str
) -> None:
    """The right candidate runs line 3, which the suite does not: its run must pass and show it."""
    files = {"pkg/__init__.py": "", SOURCE: CALC, "tests/test_calc.py": EXISTING,
             "tests/test_candidate.py": CANDIDATE, **CONFIGURATIONS[configuration]}  # fmt: skip
    for name, text in files.items():
        (tmp_path / "repo" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "repo" / name).write_text(text)
    with Sandbox(tmp_path / "repo", {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        meter = CoverageMeter(sandbox, [SOURCE])
        command = [PROJECT_PYTHON, "-m", "pytest", *PLUGIN, "tests/test_candidate.py"]
        result, evidence, report = meter.measure(command, sandbox.workspace("cov"), timeout=120)
    assert evidence.outcomes is not None and not evidence.problem, result.output[-800:]
    assert result.returncode == 0, result.output[-800:]
    assert NEGATIVE_LINE in report.executed_lines(SOURCE)
