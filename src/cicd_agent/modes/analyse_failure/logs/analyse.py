"""From job logs to a LogAnalysis, deterministically and in bounded memory.

Each job is streamed once (``reader``). Jobs whose runner markers (or API conclusion) say they
failed are judged: their failed steps' findings ranked (``region``), classified
(``classify``), their files ranked (``files``). The job whose failure is most telling becomes
the run's root cause: a job that failed beats one cancelled because a sibling failed, a real
failure beats the runner's or the network's, then the weightier finding wins. Jobs that failed
the same way (a matrix) are named once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, partial
from pathlib import Path

from cicd_agent.analysis.redact import Redactor
from cicd_agent.modes.analyse_failure.log_facts import (
    FailedJob,
    FailureGroup,
    FailureType,
    LogAnalysis,
    ResponsibleFile,
)
from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex
from cicd_agent.modes.analyse_failure.logs.classify import (
    late_kills,
)
from cicd_agent.modes.analyse_failure.logs.doctests import doctest_placed
from cicd_agent.modes.analyse_failure.logs.excerpt import (
    MORE_END_LINES,
    STEP_END_LINES,
    ExcerptBuilder,
)
from cicd_agent.modes.analyse_failure.logs.files import (
    normalise_path,
    responsible_files,
)
from cicd_agent.modes.analyse_failure.logs.flaky import offline_evidence, own_evidence
from cicd_agent.modes.analyse_failure.logs.judge import Judged, judge
from cicd_agent.modes.analyse_failure.logs.labels import labelled
from cicd_agent.modes.analyse_failure.logs.mixed import (
    FOLD,
    MAX_GROUPS,
    failed_tests,
    groups,
    merge,
)
from cicd_agent.modes.analyse_failure.logs.noise import noise
from cicd_agent.modes.analyse_failure.logs.on_change import ChangePlaces
from cicd_agent.modes.analyse_failure.logs.pytest_reports import pytest_counts
from cicd_agent.modes.analyse_failure.logs.reader import JobScan, JobScanner, StepScan
from cicd_agent.modes.analyse_failure.logs.region import (
    LogFinding,
    completed_root,
)
from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_tests, step_ids
from cicd_agent.modes.analyse_failure.logs.signatures import Matcher
from cicd_agent.modes.analyse_failure.logs.source_lines import SourceLines
from cicd_agent.modes.analyse_failure.logs.sources import JobLog, iter_chunks
from cicd_agent.modes.analyse_failure.logs.syntax_place import syntax_placed
from cicd_agent.modes.analyse_failure.logs.test_messages import Source, with_message, with_values
from cicd_agent.runners.shapes import placing

_TEST_TYPES = (FailureType.TEST_FAILURE, FailureType.TIMEOUT)
MIN_EXCERPT_WEIGHT = 30
RECOGNISED_WEIGHT = 85
MAX_LISTED_JOBS = 10
MAX_ERROR_LINES = 20


@cache
def default_matcher() -> Matcher:
    """The matcher over all known signatures, built once per process."""
    return Matcher()


def scan_jobs(jobs: Iterable[JobLog]) -> list[JobScan]:
    """Stream each job's log once, every part in order: what :func:`analyse_scans` judges,
    without reading it again."""
    scans = []
    for job in jobs:
        scanner = JobScanner(default_matcher())
        for part in job.parts:
            scanner.scan_part(iter_chunks(part), part.step)
        scans.append(scanner.finish(job.name, job.conclusion))
    return scans


def fingerprint(failure_type: FailureType, root_cause: str) -> str:
    """A stable id for a failure: its type and its root line with numbers and ids folded."""
    words = (normalise_path(word) or word if "/" in word else word for word in root_cause.split())
    folded = " ".join(FOLD.sub("#", " ".join(words)).split())
    key = f"{failure_type.value}|{folded}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _explained(job: Judged, root: LogFinding, source: Source | None) -> str:
    """The root line, completed where cut short, with the failing test's message when the
    line is a runner's verdict on a test (``runners.with_message``; ``source`` reads the
    checkout's lines the message names)."""
    lines = job.report_lines()
    said = with_message(completed_root(root, job.ranked, lines), root.hit.line, lines, source)
    return with_values(said, root.hit.line, lines)


def analyse_scans(
    scans: Sequence[JobScan],
    *,
    changed_files: Sequence[str] = (),
    changed_lines: Mapping[str, Collection[int]] | None = None,
    baseline: BaselineIndex | None = None,
    budget: int = 8000,
    measure: Callable[[str], int] = len,
    redact: Callable[[str], str] | None = None,
    checkout: Path | None = None,
) -> LogAnalysis:
    """Find why a run failed from its scanned job logs (:func:`scan_jobs`).

    ``budget`` is in the units of ``measure`` (characters by default; pass a token counter
    to budget tokens). ``changed_lines`` (path -> the change's added lines) lets the blame
    land on the changed line the failure leads to (:func:`responsible_files`). ``redact``
    defaults to redacting secret-shaped values; the mode passes a ``Redactor`` that also knows
    the run's own secrets. ``checkout`` (the run's checkout, when there is one) lets a test that
    Surefire's summary names by class alone be blamed on its source file, and tells a Go
    test's ``t.Log`` line from its ``t.Errorf`` line by the source line each names. Whether
    the failure is flaky is weighed after, by the analyse step, from the runs around this one
    (:func:`~cicd_agent.modes.analyse_failure.flakiness.weighed`).
    """
    redact = redact or Redactor().redact
    places = ChangePlaces(changed_files, changed_lines, checkout)
    judged = _judged_jobs(scans, baseline, changed_files, places)
    if not judged:
        return LogAnalysis(
            failed_jobs=(),
            failure_type=FailureType.UNKNOWN,
            root_cause="",
            error_line_numbers=(),
            excerpt="",
            responsible_files=(),
            signatures_hit=(),
            fingerprint=fingerprint(FailureType.UNKNOWN, ""),
        )
    primary = judged[0]
    source = SourceLines(checkout).line if checkout is not None else None
    report = primary.report_lines()
    tests = failing_tests((text for _, text in report), checkout, [n for n, _ in report])
    prints = [fingerprint(j.failure_type, j.root.hit.text if j.root else "") for j in judged]
    found = _root_causes(judged, source, redact)
    evidence = _test_evidence(primary, tests, baseline, source, redact)
    grouped = _groups(judged, places, source, redact, checkout)
    return LogAnalysis(
        failed_jobs=found.failed_jobs,
        failure_type=primary.failure_type,
        root_cause=found.root_cause,
        error_line_numbers=found.error_lines,
        excerpt=_excerpt(judged, prints, baseline, budget=budget, measure=measure, redact=redact),
        responsible_files=_blamed_files(primary, tests, changed_files, changed_lines, checkout),
        signatures_hit=found.signatures,
        fingerprint=prints[0],
        likely_flaky_evidence=evidence.likely_flaky,
        test_evidence=evidence.per_test,
        failed_tests=evidence.failed_tests,
        test_ids=evidence.test_ids,
        diff_dropped=evidence.diff_dropped,
        diff_lines=evidence.diff_lines,
        failures=grouped.failures,
        failure_groups=grouped.count,
        failed_count=grouped.failed_count,
        runner_failed=grouped.runner_failed,
        subtests_failed=grouped.subtests_failed,
    )


def _judged_jobs(
    scans: Sequence[JobScan],
    baseline: BaselineIndex | None,
    changed_files: Sequence[str],
    places: ChangePlaces,
) -> list[Judged]:
    """The jobs that failed, judged each on its own and ordered: the first is the root cause's.
    With no runner marker of a failed step in any log, every job's end is read as failed."""
    marked = any(step.failed for scan in scans for step in scan.steps)
    judged = [
        verdict
        for order, scan in enumerate(scans)
        if (
            verdict := judge(
                scan,
                order,
                assume_failed=not marked,
                baseline=baseline,
                changed_files=changed_files,
                places=places,
                matcher=default_matcher(),
            )
        )
        is not None
    ]
    judged.sort(key=Judged.sort_key)
    return judged


@dataclass(frozen=True)
class _RootCauses:
    root_cause: str
    failed_jobs: tuple[FailedJob, ...]
    error_lines: tuple[int, ...]
    signatures: tuple[str, ...]


def _root_causes(
    judged: Sequence[Judged], source: Source | None, redact: Callable[[str], str]
) -> _RootCauses:
    """The root cause, each failed job's own, the root job's error lines and the signatures
    every job hit."""
    primary = judged[0]
    root = primary.root
    root_cause = redact(_explained(primary, root, source)) if root else ""
    failed_jobs = tuple(
        FailedJob(
            name=j.scan.name,
            failed_step=j.step_name(j.steps[0]),
            conclusion=j.conclusion,
            exit_code=j.exit_code,
            root_cause=redact(_explained(j, j.root, source)) if j.root else "",
            root_cause_line=j.root.hit.line if j.root else None,
            failure_type=j.failure_type,
        )
        for j in judged
    )
    error_lines = [f.hit.line for f in primary.ranked if f.weight >= MIN_EXCERPT_WEIGHT]
    signatures = sorted(
        {
            f.hit.match.signature.name
            for j in judged
            for f in j.ranked
            if f.weight >= MIN_EXCERPT_WEIGHT
        }
    )
    return _RootCauses(
        root_cause,
        failed_jobs,
        tuple(dict.fromkeys(error_lines))[:MAX_ERROR_LINES],
        tuple(signatures),
    )


def _blamed_files(
    primary: Judged,
    tests: Sequence[str],
    changed_files: Sequence[str],
    changed_lines: Mapping[str, Collection[int]] | None,
    checkout: Path | None,
) -> tuple[ResponsibleFile, ...]:
    """The files the root job's failure is blamed on. A failure the test runner reported on a
    test (a suite that failed to import or type check, too) ran through the code under test:
    blamed as a test's failure is."""
    root = primary.root
    noisy = [primary.ranked[i] for i in noise(primary.ranked)]
    report = primary.report_lines()
    placed = syntax_placed(root, report) if root else None
    named = doctest_placed([placed if f is root and placed else f for f in primary.ranked], report)
    return responsible_files(
        named + labelled(primary.ranked, report),
        placed,
        changed_files,
        noisy,
        changed_lines,
        runtime=primary.failure_type in _TEST_TYPES or bool(tests),
        checkout=checkout,
        place=placing(report, checkout),
    )


@dataclass(frozen=True)
class _TestEvidence:
    likely_flaky: tuple[str, ...]
    per_test: tuple[tuple[str, tuple[str, ...]], ...]
    failed_tests: tuple[str, ...]
    test_ids: tuple[tuple[str, str, tuple[str, ...]], ...]
    diff_dropped: int
    diff_lines: int


def _test_evidence(
    primary: Judged,
    tests: Sequence[str],
    baseline: BaselineIndex | None,
    source: Source | None,
    redact: Callable[[str], str],
) -> _TestEvidence:
    """The root job's failed tests, their ids and what its log says of flakiness, and how
    many of its failed steps' lines the green run printed too, of how many compared."""
    lines = primary.failed_lines()
    compared = [text for text in lines if text.strip() and not text.startswith("##[")]
    dropped = sum(1 for text in compared if baseline is not None and text in baseline)
    testing = primary.failure_type in _TEST_TYPES
    return _TestEvidence(
        likely_flaky=tuple(
            redact(item)
            for item in offline_evidence(
                lines, test_failure=testing, failed_tests=len(tests), source=source
            )
        ),
        per_test=tuple(
            (redact(test), tuple(redact(item) for item in said))
            for test, said in own_evidence(
                lines, tests, test_failure=testing, source=source
            ).items()
        ),
        failed_tests=tuple(redact(name) for name in tests),
        test_ids=tuple(
            (redact(name), redact(one), tuple(map(redact, parents)))
            for name, one, parents in step_ids(primary.report_lines(), tests)
        ),
        diff_dropped=dropped,
        diff_lines=len(compared) if baseline is not None else 0,
    )


@dataclass(frozen=True)
class _Groups:
    failures: tuple[FailureGroup, ...]
    count: int
    failed_count: int
    runner_failed: int
    subtests_failed: int


def _groups(
    judged: Sequence[Judged],
    places: ChangePlaces,
    source: Source | None,
    redact: Callable[[str], str],
    checkout: Path | None = None,
) -> _Groups:
    """Every job's failures grouped by cause across the run, with the failed tests counted
    per job and the root job's runner's own counts."""
    counted = pytest_counts([text for _, text in judged[0].report_lines()])
    per_job = [failed_tests(j.report_lines(), source, checkout) for j in judged]
    every_group = merge(
        [
            groups(
                [f for f in j.ranked if f not in late_kills(j.ranked)],
                j.failure_type,
                job_tests,
                partial(places.untouched, ranked=j.ranked),
            )
            for j, job_tests in zip(judged, per_job, strict=True)
        ]
    )
    return _Groups(
        failures=tuple(
            replace(group, line=redact(group.line), test=redact(group.test))
            for group in every_group[:MAX_GROUPS]
        ),
        count=len(every_group),
        failed_count=sum(not test.subtests for job_tests in per_job for test in job_tests),
        runner_failed=counted[0],
        subtests_failed=counted[1],
    )


def _excerpt(
    judged: Sequence[Judged],
    prints: Sequence[str],
    baseline: BaselineIndex | None,
    *,
    budget: int,
    measure: Callable[[str], int],
    redact: Callable[[str], str],
) -> str:
    """The budgeted excerpt: each distinct failure once, its root cause and step end first."""
    builder = ExcerptBuilder(budget=budget, measure=measure, redact=redact)
    summary = []
    for rank_index, (job, mark) in enumerate(zip(judged, prints, strict=True)):
        first = prints.index(mark)
        same = f", same failure as {judged[first].scan.name}" if first != rank_index else ""
        code = f", exit code {job.exit_code}" if job.exit_code is not None else ""
        summary.append(
            f"- {job.scan.name}: step {job.step_name(job.steps[0])!r} {job.conclusion}{code}"
            f" ({job.failure_type.value}{same})"
        )
        if first == rank_index:  # each distinct failure offers its lines once
            _offer_job(builder, job, rank_index, baseline)
    if len(summary) > MAX_LISTED_JOBS:
        summary[MAX_LISTED_JOBS:] = [f"- and {len(summary) - MAX_LISTED_JOBS} more"]
    builder.preamble = ["Failed jobs:", *summary, ""]
    return builder.render()


def _offer_job(
    builder: ExcerptBuilder, job: Judged, job_rank: int, baseline: BaselineIndex | None
) -> None:
    """Offer a failed job's lines and windows to the excerpt, ranked by how telling they are.

    The root cause and the end of its step come first; a job whose tool was not recognised
    (no strong finding) also offers more of its step's end, as the naive approach would.
    """
    sections: dict[int, int] = {}
    recognised = job.root is not None and job.root.weight >= RECOGNISED_WEIGHT
    for index in job.steps:
        step = job.scan.steps[index]
        section = sections[index] = builder.section(
            f"=== job: {job.scan.name} | step: {job.step_name(index)} ==="
        )

        def keep(line: tuple[int, str], step: StepScan = step) -> bool:
            number, text = line
            if not step.start_line <= number <= step.end_line:
                return False  # context read past the step's end
            return baseline is None or text.startswith("##[") or text not in baseline

        builder.offer(section, [line for line in step.tail if keep(line)])
        for hit in step.hits:
            builder.offer(section, [ln for ln in ((hit.line, hit.text), *hit.context) if keep(ln)])
        if not step.tail:
            continue
        last = step.tail[-1][0]
        builder.window(
            section, last, STEP_END_LINES - 1, 0, (1,) if job_rank == 0 else (3, job_rank)
        )
        if not recognised:
            for chunk, end in enumerate(range(last - STEP_END_LINES, last - MORE_END_LINES, -10)):
                builder.window(section, end, 9, 0, (5, job_rank, chunk))
    for position, finding in enumerate(job.ranked):
        if finding.weight < MIN_EXCERPT_WEIGHT:
            continue
        if position == 0:
            tier: tuple[int, ...] = (0,) if job_rank == 0 else (2, job_rank)
        else:
            tier = (4, job_rank, -finding.weight, position)
        signature = finding.hit.match.signature
        section = sections[finding.step_index]
        builder.offer(section, [(finding.hit.line, finding.hit.text)])
        builder.window(section, finding.hit.line, signature.before, signature.after, tier)
