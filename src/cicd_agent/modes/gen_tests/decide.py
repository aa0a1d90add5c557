"""gen-tests' decide step, pure: the result from what was measured and generated.

The accepted tests and coverage before and after; with ``provider none`` (or nothing generated)
the coverage gaps alone. It reads no file and runs nothing: the sandbox outlives it, and the patch
it renders is written by publish.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from cicd_agent.actions.markdown import neutralise
from cicd_agent.modes.gen_tests import NAME
from cicd_agent.modes.gen_tests.collect import PR_TESTS_BUDGET
from cicd_agent.modes.gen_tests.conditions import MAX_REPEAT, varied
from cicd_agent.modes.gen_tests.contract_check import Contract, chosen
from cicd_agent.modes.gen_tests.coverage_gaps import percent
from cicd_agent.modes.gen_tests.line_segments import go_functions, line_segments
from cicd_agent.modes.gen_tests.not_run import could_not_run
from cicd_agent.modes.gen_tests.patch import AcceptedTest, describe_gain, render_patch
from cicd_agent.modes.gen_tests.rerun_words import first_sentences, reruns_said
from cicd_agent.modes.gen_tests.reruns import Reruns
from cicd_agent.modes.gen_tests.result import (
    AcceptedFile,
    CandidateReport,
    GenTestsResult,
    PossibleBug,
    PrTestReport,
    RunnerGapReport,
    SegmentReport,
    candidate_report,
    funnel,
    percent_text,
)
from cicd_agent.modes.gen_tests.runner_ask import RunnerOpinion
from cicd_agent.modes.gen_tests.runner_gaps import UNMEASURED, RunnerGaps
from cicd_agent.modes.gen_tests.suite import FAILED, failing_said
from cicd_agent.modes.gen_tests.targets import gaps
from cicd_agent.modes.gen_tests.types import GenTestsOpinion, GenTestsVerdict
from cicd_agent.runners.protocol import WritesTests
from cicd_agent.runners.table import PYTEST


def decide(
    verdict: GenTestsVerdict,
    opinion: GenTestsOpinion | None,
    *,
    redact: Callable[[str], str],
    offline: bool,
) -> GenTestsResult:
    """The result of the run: the deterministic verdict's gaps, and what the model's tests changed of them
    (``offline``: no model was configured; what it words is redacted with ``redact``)."""
    facts = verdict.facts
    result = GenTestsResult(
        mode=NAME,
        headline="",
        base=facts.targets.base,
        head=facts.targets.head,
        targets=facts.targets.paths,
        test_command=" ".join(facts.options.command.suite),
        shard=str(facts.options.shard) if facts.options.shard else None,
        proof=facts.code_is_proof,
    )
    if facts.isolation is not None:
        result.isolation = facts.isolation.describe()
    result.warnings = [*facts.warnings, *verdict.warnings]
    if facts.baseline is not None:
        result.suite_exit_code = facts.baseline.returncode
        result.failing_at_head = [redact(test) for test in sorted(facts.baseline.failed)]
    _pr_tests(
        result,
        facts.pr_tests,
        facts.options.pr_test_runs,
        redact,
        repeated=facts.targets.adds_tests,
        files={test.split("::", 1)[0] for test in facts.targets.tests},
    )  # pytest's ids
    written = {o.before.change.runner.name: o for o in (opinion.runners if opinion else ())}
    for word in facts.runner_gaps:
        _runner(
            result,
            word,
            written.get(word.change.runner.name),
            redact,
            facts.targets.written,
            offline=offline,
            repo=facts.repo,
        )
    _runner_commands(result, facts.runner_gaps, python=facts.coverage is not None)
    delivered = [test for o in written.values() for test in o.accepted]
    if facts.coverage is None and facts.runner_gaps:
        result.coverage_before, result.coverage_after = _runners_percent(facts.runner_gaps, written)
        result.headline = first_sentences(result.pr_tests) + _runners_headline(
            result, offline=offline
        )
        result.headline += _failing(result)
        _deliver(result, facts.patch_path, delivered)
        return result
    if facts.coverage is None:
        unmeasured = " (the warnings say which files were not measured)" if result.warnings else ""
        result.headline = first_sentences(result.pr_tests) + (
            f"No changed source file gen-tests could measure: nothing to do{unmeasured}."
        )
        result.test_command = ""  # nothing ran: no command to name
        return result
    result.coverage_before = percent(facts.coverage)
    result.coverage_after = result.coverage_before
    accepted = opinion.accepted if opinion else []
    after = facts.coverage
    if accepted and opinion is not None and opinion.coverage_after is not None:
        after = opinion.coverage_after
        result.coverage_after = percent(after)
        delivered = [*accepted, *delivered]
    _deliver(result, facts.patch_path, delivered)
    lines, arcs = gaps(after, facts.targets)
    result.uncovered_lines.update({p: sorted(v) for p, v in lines.items() if v})
    result.uncovered_branches = {p: sorted(v) for p, v in arcs.items() if v}
    result.segments = [*_segment_reports(verdict, opinion), *result.segments]
    if opinion is not None:
        result.candidates = [
            *(candidate_report(a, redact) for a in opinion.attempts),
            *result.candidates,
        ]
        result.possible_bugs = [*_possible_bugs(verdict, opinion, redact), *result.possible_bugs]
        result.funnel = funnel(a.verdict.stopped_at for a in opinion.attempts)
        result.accepted = [*(_accepted(t) for t in accepted), *result.accepted]
        result.stopped = opinion.stop_reason
    result.headline = first_sentences(result.pr_tests) + _headline(result, verdict, offline=offline)
    result.headline += _failing(result)
    return result


def _failing(result: GenTestsResult) -> str:
    """The headline's sentence on existing tests that failed at head ("" when none did)."""
    said = failing_said(result.failing_at_head)
    return f" {said}" if said else ""


def _pr_tests(
    result: GenTestsResult,
    found: Reruns | None,
    runs: int,
    redact: Callable[[str], str],
    *,
    repeated: bool,
    files: Collection[str],
) -> None:
    """The change's own tests, run again and again (their names are the PR's: redacted), each
    ``runs`` times as ``pr-test-runs`` set it (0: by its length); ``repeated``: each round's
    session repeated them (the change adds a test), else ran each once."""
    if found is None:
        return
    result.pr_tests = _rows(found, redact, files)
    stopped = f"; stopped early: {redact(found.stopped)}" if found.stopped else ""
    if (
        found.set_apart
    ):  # their own sessions gave no readable result: not run again, the others were
        test, why = next(iter(found.set_apart.items()))
        more = f" and {len(found.set_apart) - 1} more" if len(found.set_apart) > 1 else ""
        stopped += f"; set apart, unchecked: {redact(test)[:200]} ({redact(why)}){more}"
    planned = (
        f"{runs} round(s) a test (pr-test-runs)"
        if runs
        else f"{len(varied(0).conditions)} rounds a test, one per condition"
        if not repeated
        else f"{len(varied(0).conditions)} rounds for a test under 5 s, 5 under 30 s, 2 under "
        "5 min, none for a longer one"
    )
    shown = f"; {found.shown}" if found.shown else ""
    each = (
        f"up to {MAX_REPEAT:,} times"
        if repeated
        else "once, alone (the change adds no test: a new one is repeated for the budget)"
    )
    result.pr_tests_runs = (
        f"{found.runs} round(s) in {found.seconds:.0f} s of a {PR_TESTS_BUDGET:.0f} s budget, "
        f"each a pytest session that runs every test {each} (schedule seed "
        f"{found.seed}: in their files, shuffled, under CPU and memory load, another hash seed "
        f"and time zone, alone); {planned}{stopped}{shown}"
    )


def _rows(
    found: Reruns, redact: Callable[[str], str], files: Collection[str]
) -> list[PrTestReport]:
    """Each rerun test's counts and verdict (its name, condition and replay redacted), and its
    file: the one of ``files`` (the change's test files) its id starts with, as every runner's
    does (``file::name``, ``file › name``); none where the id names none of them (cargo's
    ``module::test``, a Go test named by its package), never a guessed one."""
    return [
        PrTestReport(
            test=redact(test),
            passed=c.passed,
            runs=c.runs,
            verdict=c.verdict,
            failed_under=redact(found.failed_under.get(test, ("",))[0]),
            replay=redact(found.replays.get(test, "")),
            file=redact(
                next((f for f in files if test == f or test.startswith((f"{f}::", f"{f} › "))), "")
            ),
        )
        for test, c in found.tests.items()
    ]


def _possible_bugs(
    verdict: GenTestsVerdict, opinion: GenTestsOpinion, redact: Callable[[str], str]
) -> list[PossibleBug]:
    """The first candidate per segment that failed on the same assertion twice (gate)."""
    where = {segment.key: segment for segment in verdict.segments}
    found: dict[str, PossibleBug] = {}
    for attempt in opinion.attempts:
        segment = where.get(attempt.segment)
        contract = chosen(attempt.verdict.contracts, verdict.facts.targets.written)
        if (
            attempt.verdict.possible_bug
            and contract is not None
            and segment is not None
            and attempt.segment not in found
        ):
            found[attempt.segment] = _bug(
                segment=attempt.segment,
                path=segment.path,
                line=segment.start,
                test_path=attempt.test_path,
                failure=attempt.verdict.possible_bug,
                rationale=attempt.rationale,
                test=attempt.source,
                runner=PYTEST.runner.name,
                tests=PYTEST.tests,
                contract=contract,
                redact=redact,
            )
    return list(found.values())


def _bug(
    *,
    segment: str,
    path: str,
    line: int,
    test_path: str,
    failure: str,
    rationale: str,
    test: str,
    runner: str,
    tests: WritesTests,
    contract: Contract,
    redact: Callable[[str], str],
) -> PossibleBug:
    """A possible bug: the failure, the candidate and the contract it follows, redacted and
    neutralised (the candidate is the model's, the contract the pull request's), with the
    command that reruns it (the runner's own, :meth:`~cicd_agent.runners.protocol.WritesTests.rerun_file`)."""
    return PossibleBug(
        segment=segment,
        path=path,
        line=line,
        test_path=test_path,
        failure=redact(failure),
        rationale=rationale,
        test=redact(test),
        runner=runner,
        contract=neutralise(redact(contract.describe())),
        contract_changed=contract.changed,
        reproduce=neutralise(redact(tests.rerun_file(test_path))),
    )


def _deliver(result: GenTestsResult, patch_path: Path, tests: Sequence[AcceptedTest]) -> None:
    """The accepted tests of every runner as the one patch publish writes (none: no patch)."""
    if tests:
        result.patch_path = str(patch_path)
        result.patch = render_patch(tests)


def _accepted(test: AcceptedTest) -> AcceptedFile:
    gained = describe_gain(test.gained_lines, test.gained_arcs)
    return AcceptedFile(path=test.path, target=test.target, gained=gained)


def _runner(
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
    if word.change.sources:
        left = (after or word).uncovered()
        shown = {redact(p): sorted(v) for p, v in left.items()}
        suite = word.suite
        if suite is not None and not suite.problem:
            result.failing_at_head += [
                redact(test)
                for test, outcome in sorted(suite.outcomes.items())
                if outcome in FAILED
            ]
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
    result.pr_tests += _rows(found, redact, word.change.tests)
    stopped = f"; stopped early: {redact(found.stopped)}" if found.stopped else ""
    if (
        found.set_apart
    ):  # their own sessions gave no readable result: not run again, the others were
        test, why = next(iter(found.set_apart.items()))
        more = f" and {len(found.set_apart) - 1} more" if len(found.set_apart) > 1 else ""
        stopped += f"; set apart, unchecked: {redact(test)[:200]} ({redact(why)}){more}"
    stable = f"; {found.shown}" if found.shown else ""
    once = "" if word.change.adds_tests else ", each test once a round (the change adds no test)"
    said = (
        f"{name}: {found.runs} round(s) in {found.seconds:.0f} s, {word.rerun_order()}"
        f"{once}{stopped}{stable}"
    )
    result.pr_tests_runs = f"{result.pr_tests_runs}; {said}" if result.pr_tests_runs else said


def _runner_commands(result: GenTestsResult, words: Sequence[RunnerGaps], *, python: bool) -> None:
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
                _bug(
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
    result.accepted += [_accepted(test) for test in written.accepted]


def _runners_percent(
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


def _runners_headline(result: GenTestsResult, *, offline: bool) -> str:
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
            f"stage{unshuffled}; {coverage} → {percent_text(report.coverage_after or report.coverage)}, "
            f"{lines} changed line(s) still not covered"
            if tried
            else f"{report.runner}: {lines} changed line(s) in {len(report.uncovered_lines)} "
            f"file(s) are not covered ({coverage})"
            if lines
            else f"{report.runner}: every changed line it counts as code ran in its tests ({coverage})"
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


def _segment_reports(
    verdict: GenTestsVerdict, outcome: GenTestsOpinion | None
) -> list[SegmentReport]:
    chosen = {job.segment.key for job in verdict.jobs}
    accepted = {test.target for test in outcome.accepted} if outcome else set()
    tried = Counter(attempt.segment for attempt in (outcome.attempts if outcome else []))
    reports = []
    for segment in verdict.segments:
        key = segment.key
        if key in accepted:
            status = "accepted a test"
        elif outcome is not None and key in outcome.not_tried:
            status = outcome.not_tried[key]
        elif key in tried:
            status = f"no candidate passed the gate in {tried[key]} attempt(s)"
        elif key not in chosen:
            status = "another shard's"
        else:
            status = "no model configured" if outcome is None else "not tried"
            isolation = verdict.facts.isolation
            if outcome is None and isolation is not None and not isolation.sandboxed:
                status = "not tried: no sandbox on this runner"
        reports.append(
            SegmentReport(
                path=segment.path,
                qualname=segment.qualname,
                start=segment.start,
                end=segment.end,
                missing_lines=sorted(segment.missing_lines),
                missing_branches=sorted(segment.missing_arcs),
                status=status,
            )
        )
    return reports


def _headline(result: GenTestsResult, verdict: GenTestsVerdict, *, offline: bool) -> str:
    lines, branches = (
        sum(len(v) for v in verdict.missing_lines.values()),
        sum(len(v) for v in verdict.missing_arcs.values()),
    )
    before = percent_text(result.coverage_before)
    unimported = verdict.facts.unimported
    prefix = (
        f"The tests never imported {len(unimported)} of the {len(result.targets)} changed "
        "file(s) from this checkout (install it before gen-tests); "
        if unimported
        else ""
    )
    if not verdict.segments:
        return prefix + f"Every changed line and branch is already covered by the tests ({before})."
    gap = (
        f"{lines} changed line(s) and {branches} branch(es) in {len(verdict.segments)} "
        f"segment(s) are not covered (coverage of the changed files {before})"
    )
    if not result.candidates:
        isolation = verdict.facts.isolation
        if offline:
            why = "no model is configured"
        elif isolation is not None and not isolation.sandboxed:
            why = "no sandbox could be built on this runner and allow-unsandboxed is not set"
        else:
            why = "no candidate was generated"
        return prefix + f"{gap}; {why}, so no tests were written."
    after = percent_text(result.coverage_after)
    return prefix + (
        f"{result.funnel['accepted']} of {result.funnel['generated']} generated test(s) "
        f"passed every gate stage; coverage of the changed files {before} → {after}."
    )
