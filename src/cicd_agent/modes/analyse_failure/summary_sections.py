"""Two sections of analyse-failure's job summary and comment that read the log analysis's own
types (:mod:`.log_facts`) rather than the result: the distinct failures, and whether the failure
is flaky."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import code_span, prose

if TYPE_CHECKING:
    from cicd_agent.modes.analyse_failure.log_facts import FailureGroup, FlakyTest


def flaky_section(
    is_flaky: str,
    evidence_said: Sequence[str],
    tests: Sequence[FlakyTest],
    *,
    unread: str,
    apart: Mapping[str, str],
) -> str:
    """The "Flaky?" paragraph: the verdict and its evidence, and each flaky test's runs.
    ``apart``: the failed tests the history shows are not flaky (failing every time, or
    classified order-dependent), with what shows it, named whatever the verdict; ``unread``:
    evidence there was but not read, and why."""
    steady = "; ".join(f"{code_span(test, 200)}: {prose(why)}" for test, why in apart.items())
    if is_flaky == "false" and apart:
        return f"**Flaky?** No: {steady}."
    if is_flaky == "false":
        not_read = f" Not read: {prose(unread)}." if unread else ""
        return (
            "**Flaky?** No: nothing shows this failure passing on a retry or coming and "
            f"going.{not_read}"
        )
    evidence = "; ".join(prose(item) for item in evidence_said) or "see the notes"
    history = any("(test history" in item for item in evidence_said)  # its runs
    sibling = any("in another matrix entry" in item for item in evidence_said)
    source = any("drawn at random in its own source" in item for item in evidence_said)
    verdict = (
        "Yes"
        if is_flaky == "true"
        else "Likely, by the test history"
        if history
        else "Likely, by the run's other jobs"
        if sibling
        else "Likely, from this log and the test's source"
        if source
        else "Likely, from this log alone"
    )
    parts = [f"**Flaky?** {verdict}: {evidence}."]
    for test in tests[:10]:
        runs = ", ".join(
            f"run {o.run_id} attempt {o.attempt} {o.outcome}" for o in test.outcomes[:6]
        )
        parts.append(
            f"- {code_span(test.name, 200)} ({test.verdict}): "
            + "; ".join(prose(e) for e in test.evidence[:3])
            + (f" [{runs}]" if runs else "")
        )
    if apart:
        parts.append(f"- Not flaky by the test history: {steady}.")
    return "\n".join(parts[:1]) + ("\n\n" + "\n".join(parts[1:]) if parts[1:] else "")


def failures_section(
    failures: Sequence[FailureGroup],
    failed_count: int,
    groups: int,
    runner: tuple[int, int] = (0, 0),
) -> str:
    """Every distinct failure when there is more than one, and what a re-run can clear. The
    tests the runner names failed are the count; the rest are groups of them by message.
    ``runner``: its own closing count of failures and how many of them are subtests, said as
    it printed them where they are not the tests named (pytest counts each failed subtest)."""
    if len(failures) < 2:
        return ""
    rows = []
    for group in failures:
        what = (
            "infrastructure: a re-run may clear it"
            if group.infrastructure
            else (group.kind.value.replace("_", " "))
        )
        if group.untouched:
            what += ", in a file the change did not touch"
        if group.subtests:
            plural = "s" if group.subtests > 1 else ""
            times = f" ({group.subtests} failed subtest{plural} of {code_span(group.test, 200)})"
        elif group.test:
            first = "" if group.count == 1 else f"{group.count} tests, first "
            times = f" ({first}{code_span(group.test, 200)})"
        else:
            times = f" ×{group.count}" if group.count > 1 else ""
        rows.append(f"- {code_span(group.line, 200)}{times} ({what})")
    groups = max(groups, len(failures))
    shown = f", the first {len(failures)} shown" if groups > len(failures) else ""
    if failed_count:
        tests = f"{failed_count} test" + ("s" if failed_count > 1 else "")
        failed, subtests = runner
        counted = f"{tests} failed by the runner's count"
        if failed and failed != failed_count:
            parts = f", {subtests} of them subtests" if subtests else ""
            counted = (
                f"{failed} failed by the runner's closing count{parts}; {tests} named "
                "failed" + (" besides" if subtests else "")
            )
        text = (
            f"**Failures**: {counted}, in {groups} groups by "
            f"their message{shown}; the one to fix first on top:\n\n"
        )
    else:
        text = f"**Failures** ({groups} distinct{shown}, the one to fix first on top):\n\n"
    text += "\n".join(rows)
    if any(g.infrastructure for g in failures) and not all(g.infrastructure for g in failures):
        text += "\n\nA re-run cannot clear the failures that are not infrastructure."
    return text
