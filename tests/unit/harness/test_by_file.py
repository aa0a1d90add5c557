"""A parallel run makes a module's shared set-up once (``tests/harness/by_file.py``): an inner
pytest on two workers, two files of four tests each, a module fixture that logs each set-up."""

from __future__ import annotations

import pytest

from tests.harness.payloads import REPO_ROOT

_FILE = """
import os
import pytest

@pytest.fixture(scope="module")
def built():
    with open(os.environ["SETUP_LOG"], "a") as log:
        log.write(__name__ + "\\n")

@pytest.mark.parametrize("case", range(4))
def test_reads(built, case):
    pass
"""


def test_each_files_module_set_up_runs_once_on_two_workers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = pytester.path / "setups.log"
    monkeypatch.setenv("SETUP_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makepyfile(test_one=_FILE, test_two=_FILE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "tests.harness.by_file", "-n", "2", "--dist", "loadgroup"
    )
    result.assert_outcomes(passed=8)
    assert sorted(log.read_text().split()) == ["test_one", "test_two"]


def test_the_files_known_long_are_handed_out_first(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """xdist alone hands out the file with the most tests first; a long file of :data:`LONG`
    (here one under ``tests/fuzz/``, with one test) goes before it, whatever its size."""
    log = pytester.path / "setups.log"
    monkeypatch.setenv("SETUP_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makepyfile(**{"tests/fuzz/test_long": _FILE.replace("range(4)", "range(1)")})
    pytester.makepyfile(test_many=_FILE.replace("range(4)", "range(9)"))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "tests.harness.by_file", "-n", "1", "--dist", "loadgroup"
    )
    result.assert_outcomes(passed=10)
    assert log.read_text().split() == ["test_long", "test_many"]
