"""Per-test evidence for a fix: the failing tests must be seen to run and pass, not only exit 0.

The code under test runs before the exit code is given: a patch that calls ``os._exit(0)``, or adds
``--collect-only`` to the settings, makes the failing command "pass" with the bug left in. So a run
counts only with pytest's own JUnit report showing each failing test run and passed. The report goes
to a fresh folder of ours outside the copy (the patch cannot place a file there before the run),
named through ``PYTEST_ADDOPTS``, which every way of starting pytest reads; each run has a fresh
cache (no ``--lf`` steering). The project's own ``addopts`` are kept: the policy refuses any change
to them, and one that hides the tests leaves them out of the report, which is refused.

Not closed: code in pytest's process could write a forged report to the path in its environment.
That needs a patch written against this agent, visible in the diff the reviewer reads."""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping
from pathlib import Path, PurePosixPath

from cicd_agent.analysis.history import canonical_test
from cicd_agent.runners.junit import outcomes, read_report

NO_EVIDENCE = "not verified: the run gave no per-test evidence"
_OWN_REPORT = re.compile(r"--junit-?xml\b")
"""pytest's last ``--junitxml`` wins, and the command line comes after ``PYTEST_ADDOPTS``."""


def pytest_addopts(report: Path, borrowed: str = "") -> str:
    """``PYTEST_ADDOPTS`` for one run: the step's own value (from its ``env:``), then ours."""
    ours = shlex.join([f"--junitxml={report}"])
    return f"{borrowed} {ours}".strip()


def passing_tests(folder: Path) -> int:
    written = read_report(folder)
    return sum(outcomes(written).values()) if written is not None else 0


def missing_evidence(
    report: bytes | None,
    failed_tests: Collection[str],
    test_files: Collection[str],
    script: str = "",
) -> str:
    """Why ``report`` does not show the failing tests passing ("" when it does).

    ``failed_tests`` (names the log failed) must each be in the report and have passed; without
    names, each of ``test_files`` must have a test in the report and none may fail. Either way
    the report must hold a test and no failure: pytest then exits 1, so an exit 0 came from the
    code under test, and a process that ends before pytest reports is no pass."""
    if report is None and _OWN_REPORT.search(script):
        return (
            f"{NO_EVIDENCE} (the command sets its own --junitxml, which replaces the "
            "report the fix step asks pytest for)"
        )
    if report is None:
        return (
            f"{NO_EVIDENCE} (no test report from pytest: the run ended before pytest "
            "reported, or it is not a pytest run)"
        )
    ran = outcomes(report)
    for name, passed in named_runs(ran, failed_tests, test_files):
        if not passed:
            return (
                f"not verified: the failing command exits 0, but its test report "
                f"({len(ran)} test(s)) does not show {name} running"
            )
        if not all(passed):
            return f"not verified: the test report shows {name} failing"
    if not ran:
        return "not verified: the failing command exits 0, but its test report holds no test"
    failing = [name for name, passed in ran.items() if not passed]
    if failing:  # pytest then exits 1: the 0 came from the code under test (``os._exit``)
        return (
            f"not verified: the failing command exits 0, but its test report shows "
            f"{failing[0][:200]} failing"
        )
    return ""


def named_runs(
    ran: Mapping[str, bool], failed_tests: Collection[str], test_files: Collection[str]
) -> list[tuple[str, list[bool]]]:
    """Each failing test the log named (else each failing file) and what ``ran`` holds for it. A
    runner started in a higher folder names a test with a longer path, so a longer name ending at a
    ``.`` boundary is the test too.

    Never a shorter one: a new root ``test_ops.py`` makes ``test_ops.test_add`` a suffix of
    ``tests.test_ops.test_add``, and a patch that skips the real test would be "verified". A
    longer one is a file whose path ends with the failing test's, which the policy refuses to
    change or add."""
    named = [(name[:200], canonical_test(name), False) for name in failed_tests] or [
        (f"a test of {path[:200]}", canonical_test(str(PurePosixPath(path))), True)
        for path in test_files
    ]
    return [
        (
            name,
            [
                value
                for test, value in ran.items()
                if (f".{key}." in f".{test}" if module else f".{test}".endswith(f".{key}"))
            ],
        )
        for name, key, module in named
    ]
