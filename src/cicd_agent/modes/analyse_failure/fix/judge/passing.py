"""The fix judge's reading of a runner's own report: a fix is verified only where the report of
the whole suite shows each test the log named failing run and pass, in a file the patch leaves
alone, and no test failing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import PurePosixPath

from cicd_agent.modes.analyse_failure.fix.judge.claims import RunOutcome
from cicd_agent.runners.base import Selection
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.protocol import Runner
from cicd_agent.sandbox import Sandbox, Workspace


@dataclass(frozen=True)
class JudgedRun:
    """One watched run of the failing command, and what its watchers made of it: the runner's
    report (:func:`why_failing_tests_do_not_pass`) or the in-run check
    (:meth:`~cicd_agent.runners.sessions.WatchesFixes.seen`)."""

    outcome: RunOutcome
    unproven: str = ""
    """Why its pass proves nothing ("" when it does): the report or the check does not show the
    failing tests run and passed, or no test runner ran a command that is no known linter."""
    guarded: str = ""
    """Why the in-run check's import guard refused the run: a line the patch changed ran
    before the tests ("" when none did)."""


def why_failing_tests_do_not_pass(
    runner: Runner,
    sandbox: Sandbox,
    space: Workspace,
    failed: Collection[str],
    *,
    patched: Collection[str],
    timeout: float,
    changed: PatchedLines | None = None,
) -> str:
    """Why ``runner``'s report of the whole suite does not show each test the log named failing
    run and passed, in a file the patch leaves alone, with no test failing ("" when it does). An
    exit code is the word of the code it runs, and a fix editing the failing test's own file
    (Rust's ``#[cfg(test)]`` module) proves nothing. ``changed``: the patch's lines, whose static
    rule the runner applies first."""
    if not failed:
        return (
            f"not verified: the log names no failing test, so {runner.name}'s report "
            "cannot show it passing"
        )
    report = runner.run(sandbox, space, Selection(changed=changed), timeout=timeout)
    if report.problem:
        return f"not verified: {report.problem}"
    failing = sorted(test for test, outcome in report.outcomes.items() if outcome == "failed")
    if failing:
        return f"not verified: {runner.name}'s report shows {failing[0][:200]} failing"
    passed = [test.partition(" › ")[::2] for test in report.passed()]
    for name in failed:
        named = name.replace(
            " › ", " "
        )  # jest's log names ``suite › test``, its report "suite test"
        files = [
            file for file, test in passed if test in (name, named) or test.endswith(f"/{name}")
        ]
        if not files:
            return (
                f"not verified: {runner.name}'s report ({len(report.outcomes)} test(s)) "
                f"does not show {name[:200]} passing"
            )
        if any(file in patched or not PurePosixPath(file).suffix for file in files):
            return (
                f"not verified: the patch changes the file of {name[:200]}, or its report "
                "does not say which file holds it"
            )
    return ""
