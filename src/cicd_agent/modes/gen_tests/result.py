"""gen-tests' one result object and its renderings: outputs, job summary, annotations, fail-on.

The funnel counts, for each gate stage, the candidates that got past it, so the summary reads
like TestGen-LLM's: generated → parsed → imports → assertion → pass → pass x5 → suite →
coverage gain → accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import ClassVar

from cicd_agent.actions.markdown import code_block, code_span
from cicd_agent.actions.runner_io import Annotation
from cicd_agent.analysis.file_names import name_span
from cicd_agent.job.pipeline import NOT_SHOWN, Fixed, PlainResult
from cicd_agent.modes.gen_tests import FAIL_ON_UNCOVERED
from cicd_agent.modes.gen_tests.patch import describe_gain
from cicd_agent.modes.gen_tests.reports import (
    AcceptedFile,
    CandidateReport,
    PossibleBug,
    PrTestReport,
    RunnerGapReport,
    SegmentReport,
)
from cicd_agent.modes.gen_tests.stages import FUNNEL_KEYS, FUNNEL_LABELS, Stage
from cicd_agent.verify.contract import NOT_PROOF, checked

_MAX_ROWS = 60


def funnel(stops: Iterable[Stage | None]) -> dict[str, int]:
    """Counts per stage of the candidates that passed it (``stops``: where each one stopped)."""
    order = list(Stage)
    counts = dict.fromkeys(FUNNEL_KEYS, 0)
    for stop in stops:
        counts["generated"] += 1
        reached = len(order) if stop is None else order.index(stop)
        for stage in order[:reached]:
            counts[stage.value] += 1
        counts["accepted"] += stop is None
    return counts


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:240]


def percent_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


@dataclass(kw_only=True)
class GenTestsResult(PlainResult):
    """Everything one gen-tests run found, generated and accepted."""

    patch: str = field(default="", metadata=NOT_SHOWN)
    """The accepted tests as the patch publish writes to ``patch_path`` (decide renders it);
    not an output and not in ``--json``: the file is."""

    base: str | None = None
    head: str | None = None
    targets: list[str] = field(default_factory=list)
    test_command: str = ""
    suite_exit_code: int | None = None
    failing_at_head: list[str] = field(default_factory=list)
    """Existing tests that failed at head before any generated test (pytest's node ids, another
    runner's ``file › name``): not this run's doing, and held against no candidate."""
    failing_at_head_why: dict[str, str] = field(default_factory=dict)
    """Why each of those failed, where its runner reads it (not pytest's): the place and words of
    its own failed check, or that it stopped on an error outside its checks (redacted)."""
    isolation: str = ""
    warnings: list[str] = field(default_factory=list)
    """What the reader must not miss (no sandbox; a suite that never imported the change)."""
    shard: str | None = None
    segments: list[SegmentReport] = field(default_factory=list)
    candidates: list[CandidateReport] = field(default_factory=list)
    funnel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNNEL_KEYS, 0))
    coverage_before: float | None = None
    coverage_after: float | None = None
    accepted: list[AcceptedFile] = field(default_factory=list)
    proof: bool = False
    """The accepted tests ran against code from someone who can push: a pass is no more
    than checked (:func:`~cicd_agent.verify.contract.checked`), and without it not even that."""
    patch_path: str | None = None
    pushed_sha: str = ""
    """The commit pushed to the PR branch (``push``): empty as decided, recorded by publish
    after the push; its output is written after publishing, the others before it."""
    uncovered_lines: dict[str, list[int]] = field(default_factory=dict)
    uncovered_branches: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    stopped: str | None = None
    pr_tests: list[PrTestReport] = field(default_factory=list)
    pr_tests_runs: str = ""
    """How the pull request's tests were run: runs, seconds, the budget."""
    possible_bugs: list[PossibleBug] = field(default_factory=list)
    runners: list[RunnerGapReport] = field(default_factory=list)
    """The change's files of other runners than pytest: their coverage and gaps."""

    POSTED: ClassVar[frozenset[str]] = frozenset({"pushed_sha"})

    def mode_outputs(self) -> dict[str, object]:
        others = [c for c in self.candidates if c.runner != "pytest"]  # outside the funnel
        return {
            "tests_generated": self.funnel["generated"] + len(others),
            "tests_accepted": self.funnel["accepted"] + sum(c.stopped_at is None for c in others),
            "tests_flaky": len(self.flaky),
            "coverage_before": _fixed_percent(self.coverage_before),
            "coverage_after": _fixed_percent(self.coverage_after),
            "patch_path": self.patch_path or "",
            "funnel": self.funnel,
            "pushed_sha": self.pushed_sha,
        }

    @property
    def flaky(self) -> list[PrTestReport]:
        return [report for report in self.pr_tests if report.verdict == "flaky"]

    @property
    def uncovered_count(self) -> tuple[int, int]:
        lines = sum(len(v) for v in self.uncovered_lines.values())
        branches = sum(len(v) for v in self.uncovered_branches.values())
        return lines, branches

    def policy_failure(self, fail_on: str | None) -> str | None:
        if fail_on != FAIL_ON_UNCOVERED:
            return None
        lines, branches = self.uncovered_count  # every runner's lines: one field for all
        if lines or branches:
            return f"{lines} changed line(s) and {branches} branch(es) are not covered by any test"
        return None

    def annotations(self) -> list[Annotation]:
        loud = [Annotation("warning", text, title="gen-tests") for text in self.warnings]
        loud += [
            Annotation(
                "warning",
                f"{report.test} {_said(report)}",
                title="gen-tests: flaky test",
                file=report.file or None,
            )
            for report in self.flaky
        ]
        loud += [
            Annotation(
                "warning",
                f"A generated test failed twice on: {_cell(bug.failure)}, "
                f"which the code's contract states ({_cell(bug.contract)}). The code may "
                "be wrong, or the test: read it in the summary.",
                title="gen-tests: possible bug",
                file=bug.path,
                line=bug.line,
            )
            for bug in self.possible_bugs
        ]
        return loud + [
            Annotation(
                "notice",
                f"{segment.qualname}: {len(segment.missing_lines)} changed line(s)"
                # go, jest, vitest and cargo measure lines only: no "0 branch(es)" beside them
                + (
                    f" and {len(segment.missing_branches)} branch(es)"
                    if segment.missing_branches
                    else ""
                )
                + f" were not covered by the tests ({segment.status}).",
                title="gen-tests: uncovered change",
                file=segment.path,
                line=segment.start,
                end_line=segment.end,
            )
            for segment in self.segments
            if not segment.status.startswith("accepted")
        ]

    def summary_body(self) -> str:
        parts = [*(f"> [!WARNING]\n> {text}" for text in self.warnings)]
        if self.pr_tests_runs:
            parts.append(self._pr_tests_list())
        parts += [self._funnel_table(), self._coverage_line() if self.targets else ""]
        parts += [_runner_lines(report) for report in self.runners]
        if self.accepted:
            parts.append(self._accepted_list())
        parts += [_bug_lines(bug) for bug in self.possible_bugs[:10]]
        if self.candidates:
            parts.append(self._candidate_table())
        if self.segments:
            parts.append(self._segment_list())
        facts = [
            f"Test command: `{self.test_command}`"
            + (
                f" (exit {self.suite_exit_code} at head)."
                if self.suite_exit_code is not None
                else " (not run at head)."
            )
            if self.test_command
            else "",
            self.isolation,
        ]
        if self.shard:
            facts.append(
                f"Shard {self.shard}: this job covered only its share of the modules; apply the "
                "shards' patches one after another (`git apply gen-tests-*.patch`), they never "
                "touch the same file."
            )
        parts.append("\n".join(f"<sub>{fact}</sub><br>" for fact in facts if fact))
        return "\n\n".join(part for part in parts if part)

    def _funnel_table(self) -> str:
        header = " | ".join(FUNNEL_LABELS[key] for key in FUNNEL_KEYS)
        values = " | ".join(str(self.funnel[key]) for key in FUNNEL_KEYS)
        rule = " | ".join("---:" for _ in FUNNEL_KEYS)
        return f"**Gate funnel**\n\n| {header} |\n| {rule} |\n| {values} |"

    def _coverage_line(self) -> str:
        lines, branches = self.uncovered_count
        return (
            f"**Coverage of the changed files** (lines and branches, coverage.py): "
            f"{percent_text(self.coverage_before)} → {percent_text(self.coverage_after)}. "
            f"Still not covered in the change: {lines} line(s), {branches} branch(es)."
        )

    def _accepted_list(self) -> str:
        rows = [
            f"- {name_span(item.path)} covers {name_span(item.target)}: {item.gained}"
            for item in self.accepted
        ]
        where = (
            f"Patch: `{self.patch_path}` — apply with `git apply {self.patch_path}`."
            if self.patch_path
            else ""
        )
        # the model's tests ran in one process with the code they judge: checked, never verified
        count = checked(self.funnel.get("accepted", 0))
        basis = (
            f"{count}: every stage of the gate in the sandbox, on code from someone who can push"
            if self.proof
            else f"{count}, every stage of the gate: {NOT_PROOF}"
        )
        head = f"**Accepted tests** ({basis})\n\n"
        return head + "\n".join(rows) + (f"\n\n{where}" if where else "")

    def _pr_tests_list(self) -> str:
        """The change's own tests that did not pass every run, one line each, and the count."""
        shown = [r for r in self.pr_tests if r.verdict != "stable"]
        rows = [f"- {name_span(r.test)} {_said(r)}" for r in shown[:_MAX_ROWS]]
        stable = [r.runs for r in self.pr_tests if r.verdict == "stable"]
        caveat = (
            " (a test that fails more rarely, or only on another platform, can pass them all too)"
        )
        passed = (
            "none passed every run"
            if not stable
            else f"1 passed every one of its {stable[0]:,} runs{caveat}"
            if len(stable) == 1
            else f"{len(stable)} passed every one of their runs, at least {min(stable):,} "
            f"each{caveat}"
        )
        head = (
            f"**Tests of the changed files, run again** ({self.pr_tests_runs}): "
            f"{len(self.flaky)} flaky, {passed}"
        )
        return head + ("\n\n" + "\n".join(rows) if rows else ".")

    def _candidate_table(self) -> str:
        rows = [
            f"| {_cell(name_span(c.segment, 200))} | {c.attempt} | "
            f"{'accepted' if c.stopped_at is None else _stage(c)} | "
            f"{_cell(c.reason)} |"
            for c in self.candidates[:_MAX_ROWS]
        ]
        more = len(self.candidates) - _MAX_ROWS
        tail = f"\n\n… and {more} more (see the --json output)." if more > 0 else ""
        return (
            "**Candidates**\n\n| segment | attempt | stopped at | why |\n|---|---:|---|---|\n"
            + "\n".join(rows)
            + tail
        )

    def _segment_list(self) -> str:
        rows = [
            f"- {name_span(f'{s.path}::{s.qualname}')} (lines {s.start}-{s.end}): "
            f"{describe_gain(s.missing_lines, s.missing_branches)} missing — {_cell(s.status)}"
            for s in self.segments[:_MAX_ROWS]
        ]
        return "**Uncovered segments at head**\n\n" + "\n".join(rows)


def _stage(candidate: CandidateReport) -> str:
    """The gate stage that stopped ``candidate``, as the table shows it (another runner's gate
    names its own: ``pass again``)."""
    stage = candidate.stopped_at or ""
    return FUNNEL_LABELS.get(stage, stage.replace("_", " "))


def _bug_lines(bug: PossibleBug) -> str:
    """A possible bug: where, the failed assertion, the model's reading, the test to rerun."""
    weaker = (
        " (weaker evidence: the pull request wrote that contract)" if bug.contract_changed else ""
    )
    language = {".py": "python", ".go": "go"}.get(PurePosixPath(bug.test_path).suffix, "javascript")
    return (
        f"**Possible bug in {name_span(bug.segment, 200)}** (line {bug.line}): a generated test "
        f"ran the change's lines and failed on the same assertion twice, alone, in fresh "
        f"processes, and what it asserts is what the code's contract says{weaker}: "
        f"{code_span(bug.contract, 300)}. It was not kept. Either the code or the contract and "
        f"the test are wrong; the model's reading: {_cell(bug.rationale)}\n\n"
        f"{code_block(bug.failure)}\n\n<details><summary>The test ({name_span(bug.test_path)}; "
        f"rerun it with {code_span(bug.reproduce, 300)})</summary>\n\n"
        f"{code_block(bug.test, language)}\n\n</details>"
    )


def _runner_lines(report: RunnerGapReport) -> str:
    """Another runner's coverage of the change: the figure and the lines, or why none."""
    head = f"**Coverage of the changed files by {report.runner}** (lines, its own coverage)"
    if report.problem:
        return f"{head}: {_cell(report.problem)}"
    rows = [
        f"- {name_span(path)}: line(s) {', '.join(map(str, lines[:40]))}"
        + (" …" if len(lines) > 40 else "")
        for path, lines in list(report.uncovered_lines.items())[:_MAX_ROWS]
    ]
    count = sum(len(lines) for lines in report.uncovered_lines.values())
    after = (
        ""
        if report.coverage_after is None
        else f" → {percent_text(report.coverage_after)} with the accepted tests"
    )
    said = (
        f"{head}: {percent_text(report.coverage)}{after}. Not run by any test: "
        f"{count} changed line(s).{no_code_text(report.no_code, ' ')}"
    )
    return said + ("\n\n" + "\n".join(rows) if rows else "")


def no_code_text(paths: Sequence[str], before: str) -> str:
    """The changed files with no code (types alone), named after ``before``; "" when none."""
    if not paths:
        return ""
    named = ", ".join(name_span(path) for path in paths[:_MAX_ROWS])
    more = " …" if len(paths) > _MAX_ROWS else ""
    return f"{before}No code (types alone, nothing runs): {named}{more}."


_ALONE_SAID = {
    "passed": "; it passed alone: it fails only after another test (order-dependent)",
    "failed": "; it failed alone too",
}


def _said(report: PrTestReport) -> str:
    """``passed 6 of 10 run(s): flaky``: a test's counts and what they make it."""
    if not report.runs:  # skipped every time, or its file's first run gave no report
        return "unchecked: no run reported it passing or failing"
    said = f"passed {report.passed} of {report.runs} run(s): {report.verdict}"
    if report.alone:
        said += _ALONE_SAID[report.alone]
    if report.verdict != "flaky" or not report.failed_under:
        return said
    # a command is pasted: as code, or GitHub reads a folder ``_x_`` as emphasis (``./x``)
    return f"{said}; it failed {report.failed_under}; replay: {code_span(report.replay, 4_000)}"


def _fixed_percent(value: float | None) -> Fixed | None:
    return None if value is None else Fixed(value, 2)
