"""The test step's result: the verdict, the history's flaky tests, and their renderings."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from cicd_agent.actions.markdown import code_block, code_span, prose
from cicd_agent.analysis.flaky_stats import (
    APART_RUNS,
    TOP,
    WINDOW,
    FlakyStat,
    mermaid_chart,
    svg_chart,
)
from cicd_agent.job.pipeline import PlainResult
from cicd_agent.modes.test_step.types import FlakyFix, StepVerdict


@dataclass(kw_only=True)
class TestStepResult(PlainResult):
    """``passed``: the step's verdict; ``failing``: the tests that failed and passed on no retry;
    ``flaky`` and ``quarantined``: each excused (or named) test and why; ``said``: the
    verdict's reasons; ``history``: the job's flaky tests after this run was recorded."""

    __test__ = False

    passed: bool = False
    command: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)
    flaky: list[tuple[str, str]] = field(default_factory=list)
    likely_flaky: list[tuple[str, str]] = field(default_factory=list)
    """First-run failures that ran no line the change touched, and that evidence."""
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    flaky_fixes: list[FlakyFix] = field(default_factory=list)
    """Each flaky test classified, and the fix offered for it with its evidence."""
    suggested: list[str] = field(default_factory=list)
    """Where each fix was suggested on the pull request, or why not."""

    POSTED: ClassVar[frozenset[str]] = frozenset({"history", "suggested"})
    """The history and issues, and the suggestions: known once posted."""

    def mode_outputs(self) -> dict[str, object]:
        return {
            "step_result": "passed" if self.passed else "failed",
            "failed_tests": self.failing,
            "passed_on_retry": [test for test, _ in self.flaky],
        }

    def summary_body(self) -> str:
        lines = [
            f"Test command: {code_span(shlex.join(self.command), 200)}",
            "",
            *(f"- flaky: {code_span(t)}: {why}" for t, why in self.flaky),
            *(f"- likely flaky: {code_span(t)}: {why}" for t, why in self.likely_flaky),
            *(f"- quarantined: {code_span(t)}: {why}" for t, why in self.quarantined),
            *(f"- failed: {code_span(t)}" for t in self.failing),
            *(line for said in self.said for line in ("", said)),  # paragraphs, not items
            *fixes_lines(self.flaky_fixes),
            *self.suggested,
            *self.history,
        ]
        return "\n".join(lines)


def fixes_lines(fixes: Sequence[FlakyFix]) -> list[str]:
    """Each flaky test's kind, the test it depends on, the fix's status with its evidence, and
    the patch as a diff."""
    if not fixes:
        return []
    lines = ["", "**Flaky tests classified** (in the sandbox, each run in a fresh copy):"]
    for fixed in fixes:
        related = f", depends on {code_span(fixed.related_test)}" if fixed.related_test else ""
        before = fixed.runs_before
        lines += [
            "",
            f"- {code_span(fixed.test)}: {fixed.kind}{related}; fix: "
            f"**{fixed.status}** ({prose(fixed.evidence)})",
        ]
        if before.runs:
            lines.append(f"  - before: {prose(before.said())}")
        if fixed.runs_after.runs:
            lines.append(f"  - after the patch: {prose(fixed.runs_after.said())}")
        if fixed.patch:
            lines += ["", code_block(fixed.patch, "diff")]
    return lines


def decide(
    verdict: StepVerdict, command: Sequence[str], fixes: Sequence[FlakyFix] = ()
) -> TestStepResult:
    """The result the verdict earns (pure)."""
    every = len(verdict.failing) - len(verdict.once) - len(verdict.apart)
    parts = [
        said
        for said, count in (
            (f"{every} test(s) failed on every run", every),
            (
                f"{len(verdict.apart)} test(s) passed on retry but failed the first run of each "
                "of their last runs in the test history (they depend on the tests before them)",
                verdict.apart,
            ),
            (f"{len(verdict.once)} test(s) failed on their one run (not retried)", verdict.once),
            (
                f"{len(verdict.flaky)} test(s) failed, then passed on retry (flaky, not excused)",
                verdict.flaky,
            ),
            (
                f"{len(verdict.quarantined)} quarantined test(s) failed (not excused)",
                verdict.quarantined,
            ),
        )
        if count
    ]
    if verdict.passed:
        headline = "The test step passed."
    elif parts:
        headline = f"The test step failed: {'; '.join(parts)}."
    else:
        headline = "The test step failed."
    return TestStepResult(
        mode="test-step",
        headline=headline,
        passed=verdict.passed,
        command=list(command),
        failing=list(verdict.failing),
        flaky=list(verdict.flaky),
        likely_flaky=list(verdict.likely_flaky),
        quarantined=list(verdict.quarantined),
        said=list(verdict.said),
        flaky_fixes=list(fixes),
    )


def seen_lines(
    found: Sequence[FlakyStat],
    environ: Mapping[str, str],
    names: Mapping[str, str],
    flaky: Mapping[str, str] | None = None,
) -> list[str]:
    """The job's flaky tests over the history's window, most CI time lost first: a chart
    (drawn in the summary; an SVG file too, on a runner) and a table, ranked alike. A test
    this run ran is named as its runner printed it (``names``: canonical → the runner's id, go's
    ``example.com/m/calc.TestSign`` rather than the history's
    ``example.com.m.calc.TestSign``). ``flaky``: the tests this run found flaky (as the runner
    names them) and why, so the lines under the table agree with the run's verdict."""
    if not found:
        return []
    found = [replace(stat, test=names.get(stat.test, stat.test)) for stat in found]
    rows = [
        f"| {rank} | {code_span(stat.test, 120)} | {stat.flip_rate:.0%} | {stat.failures} "
        f"of {stat.runs} | {stat.lost_seconds:,.0f} s |"
        for rank, stat in enumerate(found[:TOP], 1)
    ]
    lines = [
        "",
        f"**Flaky tests of this workflow** (its last {WINDOW} runs on the default "
        "branch, most CI time lost first):",
    ]
    if chart := mermaid_chart(found):
        lines += ["", chart]
    if folder := environ.get("RUNNER_TEMP"):
        image = Path(folder) / "cicd-agent-flaky-tests.svg"
        try:
            image.write_text(svg_chart(found), encoding="utf-8")
            lines += [
                "",
                f"The chart as an image: {code_span(str(image))} (keep it with "
                "`actions/upload-artifact`).",
            ]
        except OSError as error:
            lines += ["", f"The chart's image was not written: {error.strerror}."]
    return [
        *lines,
        "",
        "| # | test | flip rate | failed | CI time lost |",
        "|---:|---|---:|---:|---:|",
        *rows,
        *_not_flaky(found[:TOP], flaky or {}),
    ]


def _not_flaky(found: Sequence[FlakyStat], flaky: Mapping[str, str]) -> list[str]:
    """A line for each test of the table the history shows is not flaky, as analyse-failure
    says it: ``--fix-flaky`` classified it order-dependent, or it never passed in the suite.
    A test this run saw pass on retry is flaky whatever earlier runs showed (the step holds
    them against a retry only after :data:`APART_RUNS` of them): its line says so."""
    said = []
    for stat in found:
        name = code_span(stat.test, 120)
        if stat.test in flaky and (stat.depends_on or stat.every_run):
            said.append(_flaky_here(stat, flaky[stat.test]))
        elif stat.depends_on:
            said.append(
                f"Not flaky: {name} is order-dependent: `--fix-flaky` found it failing after "
                f"{code_span(stat.depends_on, 120)} and passing alone in run "
                f"{prose(stat.classified_in)}."
            )
        elif stat.every_run:
            said.append(
                f"Not flaky: {name} failed the first run of each of its {stat.runs} runs here "
                "and passed only when retried apart from the suite: it fails every time "
                "(`--fix-flaky suggest` names the test it depends on)."
            )
    return ["", *said] if said else []


def _flaky_here(stat: FlakyStat, why: str) -> str:
    """The line on a test this run found flaky that the history alone would call not flaky."""
    lead = f"Flaky in this run: {code_span(stat.test, 120)} {prose(why)}"
    if stat.depends_on:
        return (
            f"{lead}; `--fix-flaky` found it failing after {code_span(stat.depends_on, 120)} "
            f"and passing alone in run {prose(stat.classified_in)}: it depends on the tests "
            "run before it."
        )
    return (
        f"{lead}, though it failed the first run of each of its {stat.runs} runs here; after "
        f"{APART_RUNS} such runs no retry excuses it (`--fix-flaky suggest` names the test it "
        "depends on)."
    )
