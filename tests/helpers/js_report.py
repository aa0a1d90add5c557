"""A jest or vitest JSON report's text read as the runners read it: :func:`the_report` once,
then :func:`outcomes_of` (the reader's attack tests give text, the runners a parsed document)."""

from collections.abc import Sequence

from cicd_agent.runners.js.report import outcomes_of, the_report


def read_report(
    report: str, root: str, returncode: int, tests: Sequence[str]
) -> tuple[dict[str, str], str]:
    """Each test of ``tests`` (every file when empty) ``report`` shows, or why it is no result."""
    document, why = the_report(report, returncode)
    return ({}, why) if why else outcomes_of(document, root, returncode, tests)
