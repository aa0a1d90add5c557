"""``cicd-agent analyse-failure``: why a CI run failed, where, what to do, and whether it is flaky.

Wiring only. ``analysis.logs`` finds the error in the logs (deterministic, streaming);
``analyse_failure.collect`` gathers the logs, the change under test and flakiness evidence;
``analyse_failure.prompt`` asks the model; ``analyse_failure.decide`` merges its answer under
guardrails; ``analyse_failure.result`` renders; ``analyse_failure.publish`` comments and
notifies; ``analyse_failure.fix`` proposes, verifies and offers a patch when ``fix`` is on.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.modes.analyse_failure import arguments
from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions

if TYPE_CHECKING:
    from cicd_agent.analysis.logs import LogAnalysis
    from cicd_agent.analysis.logs.model import FlakyTest, Recurrence
    from cicd_agent.analysis.logs.reader import JobScan
    from cicd_agent.context import RunContext
    from cicd_agent.errors import ExitCode
    from cicd_agent.modes.analyse_failure.facts import FailureFacts, RunTarget
    from cicd_agent.modes.analyse_failure.fix.attempt import FixAttempt
    from cicd_agent.modes.analyse_failure.prompt import Evidence, FailureOpinion
    from cicd_agent.modes.analyse_failure.result import AnalyseFailureResult
    from cicd_agent.result import ModeResult

EXCERPT_NAME = "cicd-agent-failure-excerpt-{run}.txt"
PATCH_NAME = "cicd-agent-fix-{run}.patch"


@dataclass
class Verdict:
    """The deterministic analysis and the evidence it was judged with."""

    facts: FailureFacts
    analysis: LogAnalysis
    evidence: Evidence
    flaky_tests: list[FlakyTest]
    recurrence: Recurrence | None
    fix: FixAttempt | None = None
    """The fix step's candidates and verdicts (None when ``fix`` is off)."""


class AnalyseFailure:
    name = "analyse-failure"
    help = "Find the error in a failed run's logs, say why it failed and whether it is flaky."
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # Nothing to fail closed on: a failed analysis changes nothing a later job branches on.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({})

    def __init__(self) -> None:
        # The fix step's sandbox, opened in analyse: ``run`` closes it when the run ends,
        # however it ends, so ``decide`` stays pure and the copies are always deleted.
        self._resources = ExitStack()

    def collect(self, ctx: RunContext) -> FailureFacts:
        from cicd_agent.modes.analyse_failure.collect import collect

        options = ctx.mode_options(AnalyseFailureOptions)
        if options.slack_webhook_url:
            ctx.runner.mask(options.slack_webhook_url)
        return collect(ctx, options)

    def analyse(self, ctx: RunContext, facts: FailureFacts) -> Verdict:
        from cicd_agent.analysis.logs import scan_jobs

        try:
            scans = scan_jobs(facts.jobs)  # the one reading of the logs
            verdict = _analyse(ctx, facts, scans)
            requested = ctx.mode_options(AnalyseFailureOptions).fix
            if requested != "off" and verdict.analysis.failed_jobs:
                from cicd_agent.modes.analyse_failure.fix.attempt import start

                head = ctx.mode_options(AnalyseFailureOptions).head or (
                    facts.target.head_sha if facts.target else ""
                )
                verdict.fix = start(
                    ctx, scans, verdict.analysis, head,
                    resources=self._resources, requested=requested,
                )  # fmt: skip
            return verdict
        finally:
            facts.cleanup()

    def ask(self, ctx: RunContext, facts: FailureFacts, verdict: Verdict) -> FailureOpinion | None:
        from cicd_agent.modes.analyse_failure.prompt import ask

        return ask(ctx, facts, verdict.analysis, verdict.evidence, verdict.fix)

    def decide(
        self, ctx: RunContext, verdict: Verdict, opinion: FailureOpinion | None
    ) -> AnalyseFailureResult:
        from cicd_agent.modes.analyse_failure.decide import Merged, jobs
        from cicd_agent.modes.analyse_failure.result import AnalyseFailureResult

        facts, analysis = verdict.facts, verdict.analysis
        merged = Merged(analysis, facts.change, verdict.evidence, ctx.redactor.redact)
        if opinion is not None:
            merged.apply(opinion)
        target = facts.target
        failed = jobs(analysis, facts.api_jobs)
        if facts.logs_error and not failed:
            from cicd_agent.modes.analyse_failure.result import JobOutcome

            failed = [
                JobOutcome(name=j.name, failed_step=j.failed_step, conclusion=j.conclusion,
                           failure_type=analysis.failure_type.value, url=j.html_url)
                for j in facts.api_jobs
            ]  # fmt: skip
        result = AnalyseFailureResult(
            mode=self.name,
            headline="",
            failure_type=merged.failure_type,
            deterministic_failure_type=analysis.failure_type.value,
            model_failure_type=merged.model_failure_type,
            root_cause=analysis.root_cause,
            explanation=merged.explanation,
            is_flaky="true"
            if merged.is_flaky
            else ("likely" if analysis.likely_flaky_evidence else "false"),
            flaky_evidence=merged.flaky_evidence or list(analysis.likely_flaky_evidence),
            flaky_tests=verdict.flaky_tests,
            recurrence=verdict.recurrence,
            diff_dropped=analysis.diff_dropped if analysis.diff_lines else None,
            diff_lines=analysis.diff_lines or None,
            baseline_url=facts.baseline_url,
            confidence=merged.confidence,
            failed_jobs=failed,
            responsible_files=merged.files,
            responsible_commit=merged.commit,
            fix=merged.fix,
            disagreements=merged.disagreements,
            signature=analysis.fingerprint,
            excerpt=analysis.excerpt,
            excerpt_file=_excerpt_path(ctx, analysis.excerpt, target),
            run_id=target.run_id if target else None,
            run_url=target.html_url if target else "",
            branch=target.branch if target else "",
            changed_files=len(facts.change.files) if facts.change else None,
            baseline_used=facts.baseline is not None,
            service_failure=facts.logs_error or None,
        )
        if verdict.fix is not None:
            from cicd_agent.modes.analyse_failure.fix.outcome import fix_outcome

            result.fix_attempt = fix_outcome(
                verdict.fix,
                patch_path=_temp_path(ctx, PATCH_NAME, target),
                redact=ctx.redactor.redact,
            )
        result.headline = result.make_headline()
        return result

    def publish(
        self, ctx: RunContext, facts: FailureFacts, verdict: Verdict, result: AnalyseFailureResult
    ) -> None:
        from cicd_agent.modes.analyse_failure.publish import publish

        if result.excerpt_file:
            text = result.excerpt if result.excerpt.endswith("\n") else result.excerpt + "\n"
            Path(result.excerpt_file).write_text(text, encoding="utf-8")
        target = facts.target
        fix, offered = result.fix_attempt, verdict.fix.offered if verdict.fix else None
        if fix is not None and fix.status == "verified" and offered is not None:
            from cicd_agent.modes.analyse_failure.fix.publish import publish_fix

            publish_fix(ctx, fix, target, offered.files)
        publish(ctx, result, target)

    def run(self, ctx: RunContext) -> tuple[ModeResult, ExitCode]:
        from cicd_agent.pipeline import run_mode

        ctx.mode_options(AnalyseFailureOptions)  # every option typed and checked before any I/O
        steps = AnalyseFailure()  # one per run: it owns that run's fix sandbox
        with steps._resources:
            return run_mode(steps, ctx)

    def failure_outputs(self, ctx: RunContext) -> dict[str, str]:
        return {}


def _analyse(ctx: RunContext, facts: FailureFacts, scans: Sequence[JobScan]) -> Verdict:
    """The scanned logs judged with the excerpt budget of the model that will read it (if
    any), and judged again, not read again, when there is evidence of flakiness."""
    from cicd_agent.analysis.logs import FlakinessEvidence, analyse_logs, analyse_scans
    from cicd_agent.modes.analyse_failure.prompt import EXCERPT_CHARS, Evidence, excerpt_budget

    model = ctx.model
    budget = EXCERPT_CHARS
    measure: Callable[[str], int] = len
    if model is not None:
        budget = excerpt_budget(model.prompt_budget("model"))
        measure = model.counter("model").count
    changed = facts.change.files if facts.change else ()

    def run(evidence: FlakinessEvidence | None) -> LogAnalysis:
        return analyse_scans(
            scans,
            changed_files=changed,
            baseline=facts.baseline,
            budget=budget,
            measure=measure,
            redact=ctx.redactor.redact,
            flakiness_evidence=evidence,
        )

    analysis = run(None)
    same = [
        recent
        for recent in facts.recent_failures
        if analyse_logs(recent.jobs, changed_files=changed, budget=1_000).fingerprint
        == analysis.fingerprint
    ]
    intermittent = sum(1 for recent in same if recent.recovered)
    if intermittent and _explained_by_changes(facts, analysis):
        ctx.note(
            "The same failure came and went on the default branch, but each time together "
            "with a change to the failing test's file: that is not counted as flakiness."
        )
        intermittent = 0
    broken = [recent for recent in same if not recent.recovered]
    if broken and facts.target and facts.target.branch != facts.target.default_branch:
        ctx.note(
            f"The default branch fails the same way and has not passed since "
            f"({broken[0].html_url or broken[0].run_id}): this change is probably not the cause."
        )
    flaky_tests, recurring = _test_history(facts, analysis)
    proven = [t for t in flaky_tests if t.verdict == "true"]
    every_test_flaky = bool(proven) and len(proven) >= len(analysis.failed_tests)
    evidence = FlakinessEvidence(
        other_attempt_passed=facts.other_attempt_passed,
        recent_default_branch_failures=intermittent,
        flaky_tests=tuple(f"{t.name} {t.evidence[0]}" for t in proven) if every_test_flaky else (),
    )
    if evidence.other_attempt_passed or intermittent or evidence.flaky_tests:
        analysis = run(evidence)
    return Verdict(
        facts,
        analysis,
        Evidence(
            other_attempt_passed=facts.other_attempt_passed,
            intermittent_on_default_branch=intermittent,
            broken_on_default_branch=len(broken),
            touches_changed_files=any(f.changed for f in analysis.responsible_files),
            flaky_by_test_history=len(proven) if every_test_flaky else 0,
        ),
        flaky_tests,
        recurring,
    )


def _explained_by_changes(facts: FailureFacts, analysis: LogAnalysis) -> bool:
    from cicd_agent.analysis.logs.history import changed_when_flipped

    history = facts.history
    if history is None:
        return False
    return changed_when_flipped(analysis.failed_tests, history.default_branch, history.unchanged)


def _test_history(
    facts: FailureFacts, analysis: LogAnalysis
) -> tuple[list[FlakyTest], Recurrence | None]:
    """Flaky tests from the runs around this one (or likely ones from this log) and repeats."""
    from cicd_agent.analysis.logs.history import (
        RunTests,
        canonical_test,
        flaky_from_history,
        recurrence,
    )
    from cicd_agent.analysis.logs.model import FlakyTest

    history, target = facts.history, facts.target
    found: list[FlakyTest] = []
    recurring = None
    if history is not None and target is not None and target.run_id is not None:
        here = RunTests(
            target.run_id,
            target.attempt,
            target.head_sha,
            "this run",
            target.html_url,
            {canonical_test(name): False for name in analysis.failed_tests},
        )
        found = flaky_from_history(
            analysis.failed_tests, here, history.attempts, history.default_branch,
            history.unchanged,
        )  # fmt: skip
        recurring = recurrence(analysis.fingerprint, history.past)
    if analysis.likely_flaky_evidence:
        named = {t.name for t in found}
        found += [
            FlakyTest(name=name, verdict="likely", evidence=analysis.likely_flaky_evidence)
            for name in analysis.failed_tests[:20]
            if name not in named
        ]
    return found, recurring


def _excerpt_path(ctx: RunContext, excerpt: str, target: RunTarget | None) -> str:
    return _temp_path(ctx, EXCERPT_NAME, target) if excerpt else ""


def _temp_path(ctx: RunContext, pattern: str, target: RunTarget | None) -> str:
    """Where ``publish`` writes a file for later steps (the excerpt, the fix's patch): under
    ``$RUNNER_TEMP``, never in the checkout; off a runner, a name of this process's own in
    the system temp folder."""
    run = target.run_id if target and target.run_id is not None else "local"
    name = pattern.format(run=run)
    runner_temp = ctx.environ.get("RUNNER_TEMP")
    if runner_temp:
        return str(Path(runner_temp) / name)
    stem, dot, suffix = name.rpartition(".")
    return str(Path(tempfile.gettempdir()) / f"{stem}-{os.getpid()}{dot}{suffix}")


MODE = AnalyseFailure()
