"""Per-test evidence for a fix: the failing tests must be seen to run and pass, not only exit 0.

An exit code is the test runner's word, and the code under test runs before it is given: a
patch that makes ``calc/__init__.py`` call ``os._exit(0)``, or that adds ``--collect-only`` to
the runner's settings, makes the failing command "pass" with the bug left in. So when the log
names the failing tests, a run counts only with pytest's own JUnit report showing each of them
run and passed.

The report is written to a fresh folder of ours outside the copy (the run may write it; the
patch cannot place a file there before the run, so a process that exits before pytest reports
leaves no report at all). Its path reaches pytest through ``PYTEST_ADDOPTS``, which every way
of starting pytest in the step reads (``python -m pytest``, ``make test``, a script); each run
has a fresh cache of its own there too (the sandbox's: no state from the first run steers the
second, ``--lf``). The project's own ``addopts`` are kept: its suite must run as CI ran it, the
policy refuses any change to them, and an ``addopts`` that hides the tests leaves them out of
the report, which this check then refuses.

What this does not close: code under test runs inside pytest's own process and could write a
forged report to the path it finds in its environment. That needs a patch written against this
agent, and it is visible in the diff the reviewer reads; the cheap attacks above are not.
"""

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

    ``failed_tests`` are the names the log failed (``tests/test_x.py::test_y``, a jest name):
    each must be in the report and have passed. Without names, ``test_files`` (the failing
    tests' files): each must have a test in the report, and none of them may fail there.
    Either way (and without either: a pytest run whose log named no test) the report must
    hold a test and no failure at all: pytest then exits 1, so an exit 0 came from the code
    under test (``atexit`` calling ``os._exit(0)``), and a process that ends before pytest
    reports is no pass. ``script`` (what ran) tells why no report came, when it can.
    """
    if report is None and _OWN_REPORT.search(script):
        return f"{NO_EVIDENCE} (the command sets its own --junitxml, which replaces the " \
            "report the fix step asks pytest for)"  # fmt: skip
    if report is None:
        return f"{NO_EVIDENCE} (no test report from pytest: the run ended before pytest " \
            "reported, or it is not a pytest run)"  # fmt: skip
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
        return f"not verified: the failing command exits 0, but its test report shows " \
            f"{failing[0][:200]} failing"  # fmt: skip
    return ""


def named_runs(
    ran: Mapping[str, bool], failed_tests: Collection[str], test_files: Collection[str]
) -> list[tuple[str, list[bool]]]:
    """Each failing test the log named (else each failing test file, as "a test of" it) and
    what ``ran`` (by canonical name) holds for it: the JUnit report's outcomes, the in-run check's
    "its own function ran". A runner started in a higher folder names a test with a longer path
    than the log did, so a longer name ending at a ``.`` boundary is the test too.

    Never a shorter one: ``test_ops.test_add`` (a new ``test_ops.py`` at the root) is a
    suffix of ``tests.test_ops.test_add``, and a patch that skips the real test and adds that
    one would be "verified". A longer one is a file whose path ends with the failing test's,
    which the policy refuses to change or add as it refuses the failing test."""
    named = [(name[:200], canonical_test(name), False) for name in failed_tests] or [
        (f"a test of {path[:200]}", canonical_test(str(PurePosixPath(path))), True)
        for path in test_files
    ]
    return [
        (name, [value for test, value in ran.items()
                if (f".{key}." in f".{test}" if module else f".{test}".endswith(f".{key}"))])
        for name, key, module in named
    ]  # fmt: skip
