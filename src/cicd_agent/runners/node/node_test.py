"""``node --test`` in the test step: its spec reporter to the job's log, and a JUnit report into the
step's folder (node 20.10 and later), whose nested suites make a test's id (``math › adds``). The
JUnit report names no file: the same titles in two files are one id, marked unsure.

A retry runs the failed tests' titles, and every title above them, as one anchored
``--test-name-pattern``: node runs a subtest only when its parent's title matches. A command that
chooses its own reporters is run as written and not retried."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from cicd_agent.runners.junit import REPORT_NAME, read_report
from cicd_agent.runners.node import own_option
from cicd_agent.runners.step_outcomes import StepOutcomes

SEPARATOR = " › "


def runs(command: Sequence[str]) -> bool:
    """Whether ``command`` is node running its test runner (``node --test …``)."""
    return bool(command) and PurePosixPath(command[0]).name == "node" and "--test" in command


def declined(command: Sequence[str]) -> str:
    """Why ``command`` is run once as written ("" when ours can be added, or it is no run of
    node's runner): node wants one destination for each reporter, so ours cannot be added
    beside the command's own."""
    chosen = own_option(command, "--test-reporter") if runs(command) else ""
    return (
        f"it chooses its own reporter ({chosen}), beside which node takes none of "
        f"cicd-agent's: drop {chosen} to have its tests counted and retried"
        if chosen
        else ""
    )


def step_command(
    command: Sequence[str], folder: Path, failed: Sequence[str] | None
) -> list[str] | None:
    """``command`` with node's reporters (spec on the log, JUnit into ``folder``) and, on a
    retry, the pattern that selects ``failed``; None when it is no run of node's runner or
    chooses its own reporters."""
    if not runs(command) or declined(command):
        return None
    ours = [
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=junit",
        f"--test-reporter-destination={folder / REPORT_NAME}",
    ]
    if failed:
        titles = dict.fromkeys(title for test in failed for title in test.split(SEPARATOR))
        ours.append("--test-name-pattern=^(" + "|".join(map(re.escape, titles)) + ")$")
    return [command[0], *ours, *command[1:]]


def step_outcomes(folder: Path, output: str, root: Path) -> StepOutcomes:
    """Each test node's JUnit report in ``folder`` ended, by its titles, and whether it passed
    (skipped ones left out); none when the report is missing, too large or does not parse."""
    found = StepOutcomes()
    report = read_report(folder)
    if report is None or b"<!DOCTYPE" in report.upper():
        return found
    # No DTD (refused above), so no entity can expand or reach outside: what defusedxml guards.
    try:
        document = ElementTree.fromstring(report)  # noqa: S314
    except ElementTree.ParseError:
        return found
    for titles, case in _cases(document, ()):
        results = {child.tag for child in case}
        if "skipped" not in results:
            found.add(SEPARATOR.join(titles), not results & {"failure", "error"})
    return found


def _cases(
    root: ElementTree.Element, titles: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], ElementTree.Element]]:
    """Each ``testcase`` under ``root`` with its titles, outermost suite first (``testsuites``
    has none of its own), in the report's order; a loop, not recursion: no nesting is too deep."""
    waiting = [(titles, root)]
    while waiting:
        above, element = waiting.pop()
        if element.tag == "testcase":
            yield above, element
            continue
        waiting += [
            ((*above, child.get("name", "")), child)
            for child in reversed(element)
            if child.tag in ("testcase", "testsuite")
        ]
