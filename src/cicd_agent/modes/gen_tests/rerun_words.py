"""What the headline says of the tests the change adds or changes, run again: the flaky and the
always-failing ones first (a reader must not miss either), and, where nothing else is said,
what the reruns showed, each verdict counted (a run that reported nothing is no pass)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cicd_agent.analysis.file_names import name_span
from cicd_agent.modes.gen_tests.reports import PrTestReport
from cicd_agent.modes.gen_tests.rerun_counts import Reruns


def first_sentences(tests: Sequence[PrTestReport]) -> str:
    """The headline's opening on the flaky tests, then those that failed every run ("" when
    none did)."""
    said = ""
    for verdict, how in (
        ("flaky", "is flaky"),
        ("order-dependent", "failed every run beside other tests and passed alone"),
        ("failing", "failed every run"),
    ):
        found = [test for test in tests if _kind(test) == verdict]
        if not found:
            continue
        first = found[0]
        runs = (
            f"{name_span(first.test)} failed {first.runs - first.passed:,} of {first.runs:,} runs"
        )
        said += (
            f"A test the change adds or changes {how}: {runs}. "
            if len(found) == 1
            else f"{len(found)} tests the change adds or changes "
            f"{'are flaky' if verdict == 'flaky' else how}: {runs}, and {len(found) - 1} "
            "more (listed below). "
        )
    return said


def _kind(test: PrTestReport) -> str:
    """A test's verdict, a failing one that passed alone told apart as order-dependent."""
    return (
        "order-dependent" if test.verdict == "failing" and test.alone == "passed" else test.verdict
    )


def reruns_said(tests: Sequence[PrTestReport]) -> str:
    """What the reruns of ``tests`` showed, when nothing else in the headline does."""
    stable = sum(test.verdict == "stable" for test in tests)
    if stable == len(tests):
        return f"the change's tests passed {len(tests)} rerun check(s)"
    said = [f"{stable} passed every run"]
    for verdict, how in (
        ("failing", "failed every run"),
        ("unchecked", "were reported by no run (unchecked: no pass)"),
    ):
        if count := sum(test.verdict == verdict for test in tests):
            said.append(f"{count} {how}")
    return f"of the change's {len(tests)} test(s) run again, " + ", ".join(said)


def stopped_said(found: Reruns, redact: Callable[[str], str]) -> str:
    """Why the reruns stopped early, and the tests set apart: their own sessions gave no
    readable result, so they were not run again while the others were ("" when neither)."""
    stopped = f"; stopped early: {redact(found.stopped)}" if found.stopped else ""
    if found.set_apart:
        test, why = next(iter(found.set_apart.items()))
        more = f" and {len(found.set_apart) - 1} more" if len(found.set_apart) > 1 else ""
        stopped += f"; set apart, unchecked: {redact(test)[:200]} ({redact(why)}){more}"
    return stopped
