"""ATTACK (issue 64's round on issue 71's runner table): a failing test's own printed line in
the report shapes of Gradle (a test's ``STANDARD_OUT`` block) and PHPUnit (output between its
header and its ``Time:`` line) decided the run as ``infrastructure`` (a retry, no fix). The
logs are laid out as those runners print them; RSpec's progress output, which has no header
to open a test's lines, is not covered yet (named in the closing note)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.analysis.logs.model import FailureType
from tests.modes.analyse_failure.logs.test_verdict_first import _analyse, _escaped

DISK = "OSError: [Errno 28] No space left on device"
GRADLE = f"""> Task :test

CartTest > totalAddsTax() STANDARD_OUT
    {DISK}

CartTest > totalAddsTax() FAILED
    org.opentest4j.AssertionFailedError at CartTest.java:12

2 tests completed, 1 failed

FAILURE: Build failed with an exception.
BUILD FAILED in 4s
"""
PHPUNIT = f"""PHPUnit 10.5.0 by Sebastian Bergmann and contributors.

..{DISK}
F                                                                 3 / 3 (100%)

Time: 00:00.010, Memory: 6.00 MB

There was 1 failure:

1) CartTest::testTotalAddsTax
Failed asserting that 100 matches expected 110.

/app/tests/CartTest.php:12

FAILURES!
Tests: 3, Assertions: 3, Failures: 1.
"""


@pytest.mark.parametrize(
    ("log", "command"), [(GRADLE, "./gradlew test"), (PHPUNIT, "vendor/bin/phpunit")],
    ids=["gradle", "phpunit"],
)  # fmt: skip
def test_attack_a_tests_printed_disk_full_line_is_the_tests(
    log: str, command: str, tmp_path: Path
) -> None:
    analysis = _analyse(log.encode(), 1, tmp_path, command)
    assert analysis.failure_type is FailureType.TEST_FAILURE, _escaped(analysis)
    assert _escaped(analysis) == []
