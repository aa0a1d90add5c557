"""The hunt's counts for more-itertools' two unittest tests that use ``subTest``, named flaky
under pytest 9.2 (``../early_stop/README.md``): two rounds in the sandbox, the second
repeated, through the hunt's own judge. Measured once, on the code on ``PYTHONPATH``.

    nice -n 15 .venv/bin/python research/flaky/subtests/more_itertools.py <clone> 5c715d8
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cicd_agent.modes.gen_tests.conditions import Condition, Schedule
from cicd_agent.modes.gen_tests.gate import PLUGIN
from cicd_agent.modes.gen_tests.reruns import ReliableTests, TestRuns
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.runners.pytest.runner import PytestSandbox

TESTS = ("tests/test_more.py::MinMaxTests::test_key_matches_builtins",
         "tests/test_recipes.py::PrimeFunctionTests::test_nth_prime_approximate")


def main(clone: str, commit: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="subtests-"))
    repo = work / "more-itertools"
    subprocess.run(["git", "clone", "-q", clone, str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", commit], check=True)
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    try:
        with PytestSandbox(repo, {"PATH": path, "HOME": "/nonexistent"}) as sandbox:
            runs = TestRuns(sandbox, [*ProjectCommand.parse("python -m pytest").pytest, "-q",
                                      *PLUGIN], timeout=300)  # fmt: skip
            schedule = Schedule((Condition("alone", files=False),), repeats=3)
            found = runs.judge(ReliableTests(TESTS, runs=2), schedule=schedule)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for test, counts in found.tests.items():
        print(f"{test}: {counts.passed} passed, {counts.failed} failed, {counts.verdict}")
    print(f"stopped: {found.stopped or '-'}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
