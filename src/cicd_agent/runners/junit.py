"""Test outcomes from JUnit XML reports (pytest, jest-junit, surefire, go-junit-report...).

A report is attacker-controlled text like any log: it is parsed with junitparser over the
standard library's expat (no external entities, no network), only reports up to
``MAX_REPORT_BYTES`` are read, and a report that does not parse is skipped, never fatal.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from cicd_agent.analysis.archive import DAMAGED
from cicd_agent.analysis.history import canonical_test
from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes
from cicd_agent.runners.step_outcomes import StepOutcomes

MAX_REPORT_BYTES = 20 * 1024 * 1024
MAX_REPORTS = 20
MAX_MESSAGE = 2_000
"""Characters kept of a failed test's message (:attr:`~.step_outcomes.StepOutcomes.said`)."""
REPORT_NAME = "report.xml"
"""The file a run's JUnit report is written to, in a fresh folder of ours outside the copy."""


def outcomes(report: bytes) -> dict[str, bool]:
    """``{canonical test name: passed}`` for every test the report ran (skipped ones left out)."""
    found: dict[str, bool] = {}
    for case in _cases(report):
        if any(isinstance(r, Skipped) for r in case.result):
            continue
        name = _name(case.classname or "", case.name or "")
        found[name] = found.get(name, True) and not _failed(case)
    return found


def runner_outcomes(report: bytes) -> StepOutcomes:
    """``{test: passed}`` for every test the report ran (skipped ones left out), by the id pytest
    prints where the report names the file (``xunit1``), else by canonical name, so two tests
    whose canonical names meet stay apart when their files tell them apart. An id two results
    bear, or a test whose file is not its class path's module (an inherited method), is
    :attr:`~.step_outcomes.StepOutcomes.unsure`. A failed call's teardown error, which pytest
    writes as a second result in a row, is that test's failure again (:func:`_teardown_of`)."""
    found = StepOutcomes()
    before: TestCase | None = None
    uncollected: list[TestCase] = []
    for case in _cases(report):
        again, before = _teardown_of(case, before), case
        if _uncollected(case):
            uncollected.append(case)
            continue
        if again or any(isinstance(r, Skipped) for r in case.result):
            continue
        own = _runner_id(case)
        name = own or _name(case.classname or "", case.name or "")
        found.add(name, not _failed(case), placed=bool(own) or not case._elem.get("file"))
        failures = [r for r in case.result if isinstance(r, Failure | Error)]
        if failures and name not in found.said:
            found.said[name] = (failures[0].message or "")[:MAX_MESSAGE]
    found.incomplete = _not_collected(uncollected)
    return found


_RAISED = re.compile(
    r"^E\s+(\w{1,80}(?:Error|Exception)\b(?:: No module named '[\w.]{1,100}')?)", re.M
)
"""The error pytest shows under a module it could not import; only a module's name is quoted
(the rest is the project's text)."""


def _uncollected(case: TestCase) -> bool:
    """Whether ``case`` is pytest's record of a test module it could not collect (an import
    error): no class path, one error, pytest's own message."""
    errors = [r for r in case.result if isinstance(r, Error)]
    return (
        not case.classname
        and len(errors) == len(case.result) == 1
        and errors[0].message == "collection failure"
    )


def _not_collected(cases: list[TestCase]) -> str:
    """The clause for the modules pytest could not collect, naming the first and its error,
    and the fix ("" for none)."""
    if not cases:
        return ""
    name = cases[0].name or ""
    shown = name if re.fullmatch(r"[\w.\-/]{1,200}", name) else "a test module"
    more = f" and {len(cases) - 1} more" if len(cases) > 1 else ""
    raised = _RAISED.search(str((cases[0].result[0]).text or ""))
    said = raised.group(1) if raised else "an error while importing it"
    return (
        f"pytest could not collect its tests: {shown}{more} raised {said}; install the "
        "project and its test dependencies before this step (e.g. `pip install -e .`), "
        "or run the tests with the Python they are installed in"
    )


def _teardown_of(case: TestCase, before: TestCase | None) -> bool:
    """Whether ``case`` is the teardown error pytest writes apart for the test ``before``,
    whose call failed: the same test (file, line, class path and name alike) right after it,
    its one result that error. A test whose call passed has its teardown error in its own
    result; under xdist the two may lie apart, and the id is then unsure."""
    if before is None or not any(isinstance(r, Failure) for r in before.result):
        return False
    errors = [r for r in case.result if isinstance(r, Error)]
    same = all(
        case._elem.get(key) == before._elem.get(key)
        for key in ("file", "line", "classname", "name")
    )
    said = errors[0].message or "" if len(errors) == len(case.result) == 1 else ""
    return same and said.startswith("failed on teardown with ")


def _failed(case: TestCase) -> bool:
    return any(isinstance(r, Failure | Error) for r in case.result)


def _runner_id(case: TestCase) -> str:
    """The id pytest prints for ``case`` where the report names its file, else "" (a test
    whose class path is not its file's module is left out)."""
    file, classname, name = case._elem.get("file") or "", case.classname or "", case.name or ""
    module = file.removesuffix(".py").replace("/", ".")
    if not file.endswith(".py") or not name or not (classname + ".").startswith(module + "."):
        return ""
    within = classname[len(module) + 1 :]
    return "::".join([file, *filter(None, within.split(".")), name])


def _cases(report: bytes) -> Iterator[TestCase]:
    """Every test case of ``report`` (none when it is too large, declares an entity or does
    not parse)."""
    if len(report) > MAX_REPORT_BYTES or b"<!ENTITY" in report:
        return
    try:
        xml = JUnitXml.fromstring(report)
    except (ParseError, ValueError, TypeError):
        return
    for suite in [xml] if isinstance(xml, TestSuite) else list(xml):
        yield from suite


def _name(classname: str, name: str) -> str:
    if not classname or name.startswith(classname) or classname == name:
        return canonical_test(name)
    return canonical_test(f"{classname}.{name}")


def outcomes_in_zip(archive: bytes) -> dict[str, bool]:
    """The outcomes of every ``*.xml`` JUnit report in an artifact's zip."""
    found: dict[str, bool] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            members = [m for m in opened.infolist() if m.filename.endswith(".xml")]
            for member in members[:MAX_REPORTS]:
                if member.file_size > MAX_REPORT_BYTES:
                    continue
                for name, passed in outcomes(opened.read(member)).items():
                    found[name] = found.get(name, True) and passed
    except DAMAGED:
        return {}
    return found


def outcomes_in_folder(reports: Path) -> dict[str, bool]:
    """The outcomes of every ``TEST-*.xml`` report in ``reports`` (surefire's folder), no link
    followed and none too large."""
    found: dict[str, bool] = {}
    for report in sorted(reports.glob("TEST-*.xml"))[:MAX_REPORTS] if reports.is_dir() else []:
        if (
            report.is_file()
            and not report.is_symlink()
            and report.stat().st_size <= MAX_REPORT_BYTES
        ):
            for name, passed in outcomes(report.read_bytes()).items():
                found[name] = found.get(name, True) and passed
    return found


def read_report(folder: Path) -> bytes | None:
    """The report a run wrote in ``folder`` (:data:`REPORT_NAME`), or None (none, a link, a
    FIFO, too large)."""
    try:
        return read_bytes(folder, REPORT_NAME, MAX_REPORT_BYTES)
    except CheckoutFileError:
        return None
