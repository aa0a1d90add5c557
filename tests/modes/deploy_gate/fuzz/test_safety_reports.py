"""Reports a job's own tools wrote, as deploy-gate's safety score reads them, under any content:
JUnit XML (the pass rate) and coverage reports. Each reader gives its result or its own
documented refusal (a usage error), never another exception (the hostile reports and the
core's readers: tests/fuzz/test_reports.py, tests/fuzz/test_runner_reports.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.safety import read_coverage, read_junit
from tests.fuzz.hostile import budget, documents, encoded, mutated, texts
from tests.fuzz.test_reports import XML, attribute
from tests.fuzz.test_runner_reports import XML as SUREFIRE

COVERAGE_JSON = {
    "meta": {"version": "7.6.1"},
    "files": {"src/a.py": {"summary": {}}},
    "totals": {"covered_lines": 3, "num_statements": 4, "percent_covered": 75.0},
}


COBERTURA = (
    '<?xml version="1.0" ?><coverage lines-covered="3" lines-valid="4"><sources>'
    "<source>/app/src</source></sources><packages><package><classes>"
    '<class filename="a.py"/></classes></package></packages></coverage>'
)


@budget(35)
@given(
    report=st.one_of(
        mutated(COVERAGE_JSON).flatmap(encoded),
        documents(),
        st.builds(
            lambda a, b, s: (
                COBERTURA.replace('"3"', a)
                .replace('"4"', b)
                .replace("/app/src", s)
                .encode("utf-8", "surrogatepass")
            ),
            attribute(),
            attribute(),
            texts(20),
        ),
        XML,
    )
)
@example(report=b'{"totals": {"covered_lines": 1e999, "num_statements": 1}}')
@example(report=b'{"totals": ' * 100_000)
def test_any_coverage_report_is_read_or_refused_naming_the_fix(place: Path, report: bytes):
    path = place / "coverage.json"
    path.write_bytes(report)
    try:
        read = read_coverage(path)
    except UsageError as error:
        assert "\n" not in str(error.message)
    else:
        assert read.statements >= 0 or read.percent is not None


@budget(30)
@given(report=XML)
def test_any_junit_report_gives_a_pass_rate_or_a_refusal(place: Path, report: bytes) -> None:
    path = place / "report.xml"
    path.write_bytes(report)
    try:
        counts = read_junit([path])
    except UsageError as error:
        assert "\n" not in str(error.message)
    else:
        assert counts.total >= counts.failed + counts.errors


@budget(60)
@given(report=SUREFIRE)
def test_any_surefire_report_gives_a_pass_rate_or_a_refusal(place: Path, report: bytes) -> None:
    path = place / "TEST-x.FooTest.xml"
    path.write_bytes(report)
    try:
        counts = read_junit([path])
    except UsageError as error:
        assert "\n" not in str(error.message)
    else:
        assert counts.total >= counts.failed + counts.errors >= 0


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("reports")
