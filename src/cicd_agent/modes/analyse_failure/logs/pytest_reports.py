"""pytest's own words in a failed run's log: each test's report (its heading, its first ``E``
line) in the order its short summary lists them, and its closing count of failures."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cicd_agent.runners.shapes import PYTEST_SHAPE


def _report_lines() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """pytest's heading over one test's report (``____ Case.test_a ____``, group ``name``) and
    its section line, which ends one: its log shape's, so the two never drift apart."""
    if PYTEST_SHAPE.reports is None or PYTEST_SHAPE.ends is None:
        raise LookupError("pytest's log shape names no report heading or section line")
    return PYTEST_SHAPE.reports, PYTEST_SHAPE.ends


_REPORT_HEADING, _SECTION = _report_lines()


def pytest_heading(test_id: str) -> str:
    """The heading pytest gives a test's report: its id past the file, parts joined by dots
    (``tests/x.py::Case::test_a[1]`` is ``Case.test_a[1]``)."""
    return ".".join(test_id.split("::")[1:])


def pytest_reports(lines: Sequence[tuple[int, str]]) -> dict[str, str]:
    """The first ``E`` line of each pytest test report in ``lines``, by the report's heading.
    The lines kept are a long log's pieces: a report whose heading was not kept (its ``E``
    line after a gap) is the one the short summary lists just before the next heading kept,
    as pytest writes its reports and its summary in one order."""
    order = [_summary_heading(m) for _, t in lines if (m := _SUMMARY_ENTRY.match(t.strip()))]
    found: dict[str, str] = {}
    heading: str | None = None
    unnamed = ""  # the first E line after a gap, whose heading was not kept
    previous = None
    for number, text in lines:
        if previous is not None and number != previous + 1:
            heading = None  # lines were left out here: what follows is no known report's
        previous = number
        if (match := _REPORT_HEADING.match(text.strip())) is not None:
            heading = match["name"]
            place = order.index(heading) if heading in order else 0
            if unnamed and place and order[place - 1] not in found:
                found[order[place - 1]] = unnamed
            unnamed = ""
        elif _SECTION.match(text.strip()):
            heading, unnamed = None, ""
        elif text.startswith("E ") and heading is None and not unnamed:
            unnamed = text[1:].strip()
        elif heading is not None and heading not in found and text.startswith("E "):
            found[heading] = text[1:].strip()
    return found


_SUMMARY_ENTRY = re.compile(
    r"^(?:FAILED|ERROR|SUBFAILED(\(.*?\))) ((?>\S+::)\S*)(?: - (?P<message>.*))?$"
)
"""pytest's short summary line of a test or of a subtest (``SUBFAILED(text='1.0') id``). The
id's part up to its last ``::`` is taken once (an atomic group), never tried again at each
earlier ``::``: a line of thousands of them took seconds each."""


def _summary_heading(entry: re.Match[str]) -> str:
    """The heading of the report a short summary line stands for (a subtest's with its
    parameters: ``Case.test_parsing (text='1.0')``)."""
    heading = pytest_heading(entry[2])
    return f"{heading} {entry[1]}" if entry[1] else heading


def pytest_subtests(lines: Sequence[tuple[int, str]], limit: int) -> list[tuple[str, int, str]]:
    """Each test pytest's short summary names only through its failed subtests
    (``SUBFAILED(text='1.0') id``, and no ``FAILED id``), the first ``limit`` of them: its id,
    how many of its subtests failed, and the first whole message said of them (the summary's,
    else the first ``E`` line of that subtest's report, which a long log may not have kept),
    else the first cut one, else its first summary line."""
    named: set[str] = set()
    found: dict[str, tuple[int, str]] = {}
    reports: dict[str, str] | None = None
    for _, text in lines:
        if (entry := _SUMMARY_ENTRY.match(text.strip())) is None:
            continue
        test = entry[2]
        if not entry[1]:
            named.add(test)
            continue
        if test not in found and len(found) >= limit:
            continue
        count, message = found.get(test, (0, text.strip()))
        if message.startswith("SUBFAILED(") or message.endswith(_CUT_MARKS):
            said = (entry["message"] or "").strip()
            if not said or said.endswith(_CUT_MARKS):
                reports = pytest_reports(lines) if reports is None else reports
                said = reports.get(_summary_heading(entry), "") or said
            if said and (message.startswith("SUBFAILED(") or not said.endswith(_CUT_MARKS)):
                message = said
        found[test] = (count + 1, message)
    return [(test, count, message) for test, (count, message) in found.items() if test not in named]


_CUT_MARKS = ("...", "…")
"""How pytest ends a message it cut to the terminal's width."""


_CLOSING = re.compile(r"^(?:=+ )?(?:\d{1,9} \w+, )*(?P<n>\d{1,9}) failed\b.* in [\d.]+s\b")
"""pytest's closing line, ``223 failed, 42 passed, 375 subtests passed in 4.05s`` (between
``====`` rules unless run with ``-q``)."""
_SUBFAILED = re.compile(r"^SUBFAILED\(")


def pytest_counts(lines: Sequence[str]) -> tuple[int, int]:
    """pytest's own count of failures as its last closing line in ``lines`` prints it (0:
    none), and how many of them its short summary lists as subtests (``SUBFAILED(…) id``):
    each failed subtest counts there once, and its test is named by no ``FAILED`` line."""
    closing = [found for text in lines if (found := _CLOSING.match(text.strip()))]
    if not closing:
        return 0, 0
    failed = int(closing[-1]["n"])
    return failed, min(failed, sum(1 for text in lines if _SUBFAILED.match(text.strip())))
