"""gen-tests' decide step for the runners other than pytest (go test, jest, vitest, cargo): their
coverage of the change, candidates and kept files, reruns, the commands that ran, and the headline
of a change with no Python in it. Pure, as decide is."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cicd_agent.actions.markdown import neutralise
from cicd_agent.modes.gen_tests.contract_check import chosen
from cicd_agent.modes.gen_tests.line_segments import go_functions, line_segments
from cicd_agent.modes.gen_tests.not_run import could_not_run
from cicd_agent.modes.gen_tests.patch import describe_gain
from cicd_agent.modes.gen_tests.reports import (
    CandidateReport,
    RunnerGapReport,
    accepted_file,
    bug_report,
    pr_test_rows,
)
from cicd_agent.modes.gen_tests.rerun_words import reruns_said, stopped_said
from cicd_agent.modes.gen_tests.result import GenTestsResult, percent_text
from cicd_agent.modes.gen_tests.runner_ask import RunnerOpinion
from cicd_agent.modes.gen_tests.runner_gaps import UNMEASURED, RunnerGaps
from cicd_agent.modes.gen_tests.suite import FAILED

OUTSIDE_ITS_CHECKS = "it stopped on an error outside its own checks (the suite's output says which)"
"""Why a test failed at head when no check of its own failed: a crash, a build or set-up error."""


def add_runner(
    result: GenTestsResult,
    word: RunnerGaps,
    written: RunnerOpinion | None,
    redact: Callable[[str], str],
    changed: Callable[[str, int], bool],
    *,
    offline: bool,
    repo: Path,
) -> None:
    """Another runner's coverage of the change, its candidates and kept files, and the reruns
    of the change's tests, into ``result`` (what the model wrote: redacted and neutralised;
    ``changed``: whether the change wrote a line, of a possible bug's contract). Its gaps
    fill the top-level ``uncovered_lines`` and ``segments`` (named by the Go function of the
    checkout ``repo`` they sit in) as Python's do."""
    name = word.change.runner.name
    after = written.after if written is not None else None
    if after is not None and after.problem:
        result.warnings.append(
            f"{name}: the suite with the accepted tests gave no coverage to read, so the "
            f"coverage after is not shown: {redact(after.problem)}"
        )
        after = None
    if word.change.sources:
        left = (after or word).uncovered()
        shown = {redact(p): sorted(v) for p, v in left.items()}
        suite = word.suite
        if suite is not None and not suite.problem:
            for test, outcome in sorted(suite.outcomes.items()):
                if outcome in FAILED:
                    result.failing_at_head.append(redact(test))
                    result.failing_at_head_why[redact(test)] = redact(
                        suite.checks.get(test, OUTSIDE_ITS_CHECKS)
                    )
        result.runners.append(
            RunnerGapReport(
                runner=name,
                coverage=word.percent(),
                problem=redact(word.problem),
                coverage_after=after.percent() if after is not None else None,
                uncovered_lines=shown,
                no_code=[redact(path) for path in word.no_code()],
            )
        )
        result.uncovered_lines.update(shown)
        status = (
            ("no model configured" if offline else "not tried")
            if written is None
            else ("no candidate passed the gate")
        )
        at_head = {redact(p): sorted(v) for p, v in word.uncovered().items()}
        functions = {redact(p): go_functions(repo, p) for p in word.uncovered()}
        result.segments += line_segments(at_head, shown, status, functions)
    if written is not None:
        _written(result, written, redact, changed)
    found = word.reruns
    if found is None:
        return
    result.pr_tests += pr_test_rows(found, redact, word.change.tests)
    stopped = stopped_said(found, redact)
    stable = f"; {found.shown}" if found.shown else ""
    once = "" if word.change.adds_tests else ", each test once a round (the change adds no test)"
    said = (
        f"{name}: {found.runs} round(s) in {found.seconds:.0f} s, {word.rerun_order()}"
        f"{once}{stopped}{stable}"
    )
    result.pr_tests_runs = f"{result.pr_tests_runs}; {said}" if result.pr_tests_runs else said


def runner_commands(result: GenTestsResult, words: Sequence[RunnerGaps], *, python: bool) -> None:
    """``test_command`` and ``suite_exit_code`` name every suite that ran: pytest's command
    where Python changed, then each other runner's (``go test``), never pytest's on a change
    with no Python (none at all when no suite ran)."""
    ran = [word for word in words if word.suite is not None]
    names = "; ".join(word.change.runner.name for word in ran)
    result.test_command = "; ".join(filter(None, (result.test_command if python else "", names)))
    if ran and not python:
        codes = [word.suite.returncode for word in ran if word.suite is not None]
        result.suite_exit_code = next((code for code in codes if code), codes[0])


def _written(
    result: GenTestsResult,
    written: RunnerOpinion,
    redact: Callable[[str], str],
    changed: Callable[[str, int], bool],
) -> None:
    """One runner's candidates, kept files and possible bugs, into ``result``."""
    change = written.before.change
    for attempt in written.attempts:
        verdict = attempt.verdict
        gained = verdict.covered.get(attempt.source, frozenset())
        result.candidates.append(
            CandidateReport(
                segment=attempt.source,
                attempt=attempt.number,
                test_path=verdict.path,
                stopped_at=verdict.stage or None,
                reason=neutralise(redact(verdict.reason)),
                gained=describe_gain(gained, ()) if verdict.kept else "",
                rationale=attempt.rationale,
                runs=verdict.runs,
                seconds=round(attempt.seconds, 2),
                runner=change.runner.name,
            )
        )
        contract = chosen(verdict.contracts, changed)
        if verdict.possible_bug and gained and contract is not None:
            result.possible_bugs.append(
                bug_report(
                    segment=attempt.source,
                    path=attempt.source,
                    line=min(gained),
                    test_path=verdict.path,
                    failure=verdict.possible_bug,
                    rationale=attempt.rationale,
                    test=attempt.text,
                    runner=change.runner.name,
                    tests=change.writes,
                    contract=contract,
                    redact=redact,
                )
            )
    result.accepted += [accepted_file(test) for test in written.accepted]


def runners_percent(
    found: Sequence[RunnerGaps], written: Mapping[str, RunnerOpinion]
) -> tuple[float | None, float | None]:
    """Line coverage of the changed files of every other runner, before and after the
    accepted tests (whole files; None: nothing measured)."""
    before = [gaps.lines() for gaps in found]
    after = [
        (
            opinion.after
            if (opinion := written.get(gaps.change.runner.name)) is not None
            and opinion.after is not None
            else gaps
        ).lines()
        for gaps in found
    ]

    def whole(counts: list[tuple[int, int]]) -> float | None:
        total = sum(count for _, count in counts)
        return round(100.0 * sum(ran for ran, _ in counts) / total, 2) if total else None

    return whole(before), whole(after)


def runners_headline(result: GenTestsResult, *, offline: bool) -> str:
    """The headline of a change with no Python to cover: each other runner's word (that its
    suite passed, where every suite did), and how the changed files' tests ran again."""
    parts = []
    green = result.suite_exit_code == 0 and result.test_command.split("; ")
    for report in result.runners:
        lines = sum(len(v) for v in report.uncovered_lines.values())
        coverage = f"line coverage of the changed files {percent_text(report.coverage)}"
        tried = [c for c in result.candidates if c.runner == report.runner]
        kept = sum(c.stopped_at is None for c in tried)
        said = [
            part
            for c in tried
            if c.stopped_at is None
            for part in c.reason.split("; ")
            if part.startswith("not shuffled")
        ]  # a kept one's reason names its mutant too
        unshuffled = f" ({len(said)} {said[0]})" if said else ""
        blank = (
            f"; {len(report.no_code)} changed file(s) hold no code (types alone)"
            if report.no_code and not report.problem
            else ""
        )
        passed = "its suite passed, but " if green and report.runner in green else ""
        parts.append(
            f"{report.runner}: {passed}coverage of the changed files "
            f"{could_not_run(report.problem[:200])}"
            if report.problem
            else f"{report.runner}: {kept} of {len(tried)} generated test(s) passed every gate "
            f"stage{unshuffled}; {coverage} → "
            f"{percent_text(report.coverage_after or report.coverage)}, "
            f"{lines} changed line(s) still not covered"
            if tried
            else f"{report.runner}: {lines} changed line(s) in {len(report.uncovered_lines)} "
            f"file(s) are not covered ({coverage})"
            if lines
            else f"{report.runner}: every changed line it counts as code ran in its tests "
            f"({coverage})"
        )
        parts[-1] += blank
    stable = [row.runs for row in result.pr_tests if row.verdict == "stable"]
    if parts and stable and len(stable) == len(result.pr_tests):  # what ran, beside what could not
        parts.append(
            f"1 test of the changed files passed every one of its {stable[0]:,} runs"
            if len(stable) == 1
            else f"{len(stable)} tests of the changed files passed "
            f"every one of their runs, at least {min(stable):,} each"
        )
    if not parts and not result.flaky:
        parts.append(reruns_said(result.pr_tests))
    if not parts:
        return ""
    # unmeasured targets (coverage could not run) are targets too: say why none was written
    missing = not result.candidates and any(
        r.uncovered_lines or UNMEASURED in r.problem for r in result.runners
    )
    why = "no model is configured" if offline else "no candidate was generated"
    return "; ".join(parts) + (f"; {why}, so no tests were written." if missing else ".")
