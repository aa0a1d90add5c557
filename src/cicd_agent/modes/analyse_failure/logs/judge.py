"""One job's log judged on its own: its failed steps, their findings ranked, its failure type
and conclusion. :mod:`.analyse` judges every job of a run this way, then picks the root cause
among them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex
from cicd_agent.modes.analyse_failure.logs.classify import (
    classify,
    killed_after_report,
    local_module_roots,
)
from cicd_agent.modes.analyse_failure.logs.noise import real_first
from cicd_agent.modes.analyse_failure.logs.on_change import ChangePlaces
from cicd_agent.modes.analyse_failure.logs.reader import JobScan
from cicd_agent.modes.analyse_failure.logs.region import (
    LogFinding,
    failed_steps,
    rank,
    step_findings,
)
from cicd_agent.modes.analyse_failure.logs.signatures import Matcher
from cicd_agent.modes.analyse_failure.logs.stylish import placed_under_files

FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "startup_failure"})
PASSED_CONCLUSIONS = frozenset({"success", "skipped", "neutral"})


@dataclass
class Judged:
    """One failed job, judged."""

    scan: JobScan
    steps: list[int]
    ranked: list[LogFinding]
    failure_type: FailureType
    conclusion: str
    order: int
    exit_code: int | None
    """The first failed step's exit code that the runner reported."""

    @property
    def root(self) -> LogFinding | None:
        return self.ranked[0] if self.ranked else None

    def step_name(self, index: int) -> str:
        name = self.scan.steps[index].name
        return name or ("Set up job" if len(self.scan.steps) > 1 else "log")

    def failed_lines(self) -> list[str]:
        """The failed steps' text as kept: the hits before each tail, then the tail."""
        lines: list[str] = []
        for index in self.steps:
            step = self.scan.steps[index]
            tail_start = step.tail[0][0] if step.tail else step.end_line + 1
            lines += [hit.text for hit in step.hits if hit.line < tail_start]
            lines += [text for number, text in step.tail if number > step.header_end]
        return lines

    def report_lines(self) -> list[tuple[int, str]]:
        """The failed steps' lines a runner's report can be read from: each hit before a
        step's tail with the lines kept around it (a verbose runner's failures can sit far
        above the tail), then the tail."""
        lines: dict[int, str] = {}
        for index in self.steps:
            step = self.scan.steps[index]
            tail_start = step.tail[0][0] if step.tail else step.end_line + 1
            for hit in (h for h in step.hits if h.line < tail_start):
                lines.update(
                    {n: t for n, t in (*hit.context, (hit.line, hit.text)) if n < tail_start}
                )
            lines.update((n, t) for n, t in step.tail if n > step.header_end)
        return sorted(lines.items())

    def sort_key(self) -> tuple[bool, bool, int, int]:
        """Cancelled jobs last, then those that failed on the runner or the network: a job
        that broke a test is the one to fix, whatever a sibling's network lines weigh."""
        weight = self.root.weight if self.root else 0
        infra = self.failure_type is FailureType.INFRASTRUCTURE
        return (self.conclusion == "cancelled", infra, -weight, self.order)


def _conclusion(scan: JobScan, ranked: Sequence[LogFinding], exit_codes: Sequence[int]) -> str:
    if scan.conclusion:
        return scan.conclusion
    names = {finding.hit.match.signature.name for finding in ranked}
    if "runner.timeout" in names:
        return "timed_out"
    if "runner.canceled" in names and not exit_codes:
        return "cancelled"
    return "failure"


def judge(
    scan: JobScan,
    order: int,
    *,
    assume_failed: bool,
    baseline: BaselineIndex | None,
    changed_files: Sequence[str],
    places: ChangePlaces,
    matcher: Matcher,
) -> Judged | None:
    """``scan`` judged, or None when it did not fail: a passed conclusion, no failed step, or
    a plain log with nothing error-shaped. ``order``: its place in the run, the last tie-break
    between jobs that failed alike."""
    if scan.conclusion in PASSED_CONCLUSIONS:
        return None
    known_failed = scan.conclusion in FAILED_CONCLUSIONS
    steps = failed_steps(scan, assume_failed=assume_failed or known_failed)
    if not steps:
        return None

    def keep(text: str) -> bool:
        return baseline is None or text.startswith("##[") or text not in baseline

    findings = [
        finding
        for index in steps
        for finding in step_findings(scan.steps[index], index, matcher, keep)
    ]
    findings = placed_under_files(findings, {index: scan.steps[index] for index in steps})
    ranked = killed_after_report(places.first(real_first(rank(findings))))
    paths = [f.hit.match.path for f in findings if f.hit.match.path]
    codes = [code for code in (scan.steps[i].exit_code for i in steps) if code is not None]
    if not (ranked or codes or known_failed or any(scan.steps[i].failed for i in steps)):
        return None  # a plain log with nothing error-shaped is green, not an unknown error
    failure_type = classify(
        ranked,
        exit_codes=codes,
        conclusion=scan.conclusion,
        step_names=[scan.steps[i].name for i in steps],
        local_roots=local_module_roots([*paths, *changed_files]),
        lines=[text for index in steps for _, text in scan.steps[index].tail],
    )
    conclusion = _conclusion(scan, ranked, codes)
    return Judged(scan, steps, ranked, failure_type, conclusion, order, next(iter(codes), None))
