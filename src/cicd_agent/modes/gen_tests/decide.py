"""gen-tests' decide step, pure: the result from what was measured and generated.

The accepted tests and coverage before and after; with ``provider none`` (or nothing generated)
the coverage gaps alone. It reads no file and runs nothing: the sandbox outlives it, and the patch
it renders is written by publish.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from cicd_agent.modes.gen_tests import NAME
from cicd_agent.modes.gen_tests.collect import PR_TESTS_BUDGET
from cicd_agent.modes.gen_tests.conditions import MAX_REPEAT, varied
from cicd_agent.modes.gen_tests.contract_check import chosen
from cicd_agent.modes.gen_tests.coverage_gaps import percent
from cicd_agent.modes.gen_tests.decide_runners import (
    add_runner,
    runner_commands,
    runners_headline,
    runners_percent,
)
from cicd_agent.modes.gen_tests.patch import AcceptedTest, render_patch
from cicd_agent.modes.gen_tests.reports import (
    PossibleBug,
    SegmentReport,
    accepted_file,
    bug_report,
    candidate_report,
    pr_test_rows,
)
from cicd_agent.modes.gen_tests.rerun_counts import Reruns
from cicd_agent.modes.gen_tests.rerun_words import first_sentences, stopped_said
from cicd_agent.modes.gen_tests.result import GenTestsResult, funnel, percent_text
from cicd_agent.modes.gen_tests.suite import failing_said
from cicd_agent.modes.gen_tests.targets import gaps
from cicd_agent.modes.gen_tests.types import GenTestsOpinion, GenTestsVerdict
from cicd_agent.runners.table import PYTEST


def decide(
    verdict: GenTestsVerdict,
    opinion: GenTestsOpinion | None,
    *,
    redact: Callable[[str], str],
    offline: bool,
) -> GenTestsResult:
    """The result of the run: the deterministic verdict's gaps, and what the model's tests
    changed of them
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
        add_runner(
            result,
            word,
            written.get(word.change.runner.name),
            redact,
            facts.targets.written,
            offline=offline,
            repo=facts.repo,
        )
    runner_commands(result, facts.runner_gaps, python=facts.coverage is not None)
    delivered = [test for o in written.values() for test in o.accepted]
    if facts.coverage is None and facts.runner_gaps:
        result.coverage_before, result.coverage_after = runners_percent(facts.runner_gaps, written)
        result.headline = first_sentences(result.pr_tests) + runners_headline(
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
        result.accepted = [*(accepted_file(t) for t in accepted), *result.accepted]
        result.stopped = opinion.stop_reason
    result.headline = first_sentences(result.pr_tests) + _headline(result, verdict, offline=offline)
    result.headline += _failing(result)
    return result


def _failing(result: GenTestsResult) -> str:
    """The headline's sentence on existing tests that failed at head ("" when none did)."""
    said = failing_said(result.failing_at_head, result.failing_at_head_why)
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
    result.pr_tests = pr_test_rows(found, redact, files)
    stopped = stopped_said(found, redact)
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
            found[attempt.segment] = bug_report(
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


def _deliver(result: GenTestsResult, patch_path: Path, tests: Sequence[AcceptedTest]) -> None:
    """The accepted tests of every runner as the one patch publish writes (none: no patch)."""
    if tests:
        result.patch_path = str(patch_path)
        result.patch = render_patch(tests)


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
