"""A parallel run makes a module's shared set-up once and hands out the costliest file first
(``tests/harness/by_file.py``): inner pytest runs, each file's module fixture logging its set-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.by_file import read_costs
from tests.harness.payloads import REPO_ROOT

_FILE = """
import os
import pytest

@pytest.fixture(scope="module")
def built():
    with open(os.environ["SETUP_LOG"], "a") as log:
        log.write(__name__ + "\\n")

@pytest.mark.parametrize("case", range({tests}))
def test_reads(built, case):
    pass
"""


def _files(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, **tests: int) -> Path:
    log = pytester.path / "setups.log"
    monkeypatch.setenv("SETUP_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makepyfile(**{name: _FILE.format(tests=count) for name, count in tests.items()})
    pytester.makeini("[pytest]\nfile_costs = costs.txt\n")
    return log


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "tests.harness.by_file", "--dist", "loadgroup", *args
    )


def test_each_files_module_set_up_runs_once_on_two_workers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _files(pytester, monkeypatch, test_one=4, test_two=4)
    _run(pytester, "-n", "2").assert_outcomes(passed=8)
    assert sorted(log.read_text().split()) == ["test_one", "test_two"]


def test_files_go_out_costliest_first_by_the_table(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # xdist's own order is by number of tests: many, new, light, heavy. The table says heavy
    # took 100 s; new is not in it and costs its 3 tests at the median rate (0.25 s a test).
    log = _files(pytester, monkeypatch, test_heavy=1, test_many=5, test_light=2, test_new=3)
    (pytester.path / "costs.txt").write_text(
        "# SECONDS TESTS GROUP\n100 1 test_heavy.py\n1.0 5 test_many.py\n0.5 2 test_light.py\n"
    )
    _run(pytester, "-n", "1").assert_outcomes(passed=11)
    assert log.read_text().split() == ["test_heavy", "test_many", "test_new", "test_light"]


def test_a_recorded_run_rewrites_the_files_it_ran_and_keeps_the_others(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(pytester, monkeypatch, test_one=3, test_two=2)
    (pytester.path / "costs.txt").write_text("7.5 9 test_gone.py\n80 3 test_one.py\n")
    _run(pytester, "-n", "2", "--record-file-costs").assert_outcomes(passed=5)
    table = read_costs(pytester.path / "costs.txt")
    assert {scope: tests for scope, (_, tests) in table.items()} == {
        "test_gone.py": 9,
        "test_one.py": 3,
        "test_two.py": 2,
    }
    assert table["test_gone.py"][0] == 7.5 and table["test_one.py"][0] < 80
