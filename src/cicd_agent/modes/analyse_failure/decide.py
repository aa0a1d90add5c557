"""analyse-failure's ``decide`` step: merge the model's opinion with the deterministic verdict
(``analyse``'s, :mod:`.verdict`), under guardrails, into the result. Pure: it reads the verdict
(with the facts it was judged on), the opinion and the check step's verdicts on the fix (the
deterministic fixer's, the model's after them, its test) only, as data.

What the tool reports as fact stays the tool's: ``failure_type`` and ``root_cause`` are the
deterministic ones (the model's type is used only when the logs gave none), and where the model
disagrees both are shown. The model adds an explanation, a fix, files and a commit, each checked
against what it was shown: a file must appear in the excerpt or the change, a commit must be one
of the change's commits. Flakiness has its own guardrail in the other direction, because calling a
real failure flaky is the costly mistake: the model may call a failure flaky only when the tool
found evidence of flakiness (another attempt passed, the same failure came and went on the
default branch, or every failed test is flaky by its test history); a failure the evidence shows
flaky stays flaky whatever the model says. Both are decided in :mod:`.flakiness`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cicd_agent.analysis.file_names import escaped
from cicd_agent.modes.analyse_failure.answer import FailureAnswer
from cicd_agent.modes.analyse_failure.arguments import NAME
from cicd_agent.modes.analyse_failure.fix.outcome import fix_outcome
from cicd_agent.modes.analyse_failure.flakiness import (
    apart_only,
    flaky_type,
    reported,
    with_model,
)
from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.classify import advice_for
from cicd_agent.modes.analyse_failure.logs.files import normalise_path, rank_changed, same_file
from cicd_agent.modes.analyse_failure.quarantine import QUARANTINED_FLAKY
from cicd_agent.modes.analyse_failure.rerun import RerunRules, decide_rerun
from cicd_agent.modes.analyse_failure.result import (
    Advice,
    FailureResult,
    JobOutcome,
    Responsible,
)
from cicd_agent.modes.analyse_failure.types import (
    ApiJob,
    Change,
    Evidence,
    FailureOpinion,
    FailureVerdict,
)

if TYPE_CHECKING:
    from cicd_agent.modes.analyse_failure.fix.attempt import Checks


MAX_RESPONSIBLE = 10
MAX_MODEL_TEXT = 1_500
MIN_SHA_PREFIX = 7
DISAGREEMENT_CONFIDENCE = 0.5
"""Confidence is capped here when the model contradicts the logs' classification."""
NO_RERUN = RerunRules()


def decide(
    verdict: FailureVerdict,
    opinion: FailureOpinion | None,
    checks: Checks | None = None,
    *,
    redact: Callable[[str], str],
    rerun: RerunRules = NO_RERUN,
) -> FailureResult:
    """The result: the verdict, the model's opinion merged under the guardrails of
    :class:`ModelFields`, and the check step's verdicts on the fix (``checks``: None when no fix was
    asked for) read as data; what it words is redacted with ``redact``; whether the failed
    jobs are due a re-run under the settings' ``rerun``."""
    facts, analysis = verdict.facts, verdict.analysis
    merged = ModelFields(analysis, facts.change, verdict.evidence, redact)
    if opinion is not None:
        merged.apply(opinion.answer)
    target = facts.target
    failed = jobs(analysis, facts.api_jobs)
    if facts.logs_error and not failed:
        failed = [
            JobOutcome(
                name=j.name,
                failed_step=j.failed_step,
                conclusion=j.conclusion,
                failure_type=analysis.failure_type.value,
                url=j.html_url,
            )
            for j in facts.api_jobs
        ]
    quarantine = verdict.quarantine
    is_flaky, flaky_evidence = reported(
        verdict,
        [job.name for job in failed],
        is_flaky=merged.is_flaky,
        evidence=merged.flaky_evidence,
    )
    result = FailureResult(
        mode=NAME,
        headline="",
        notes=list(verdict.notes),
        failure_type=QUARANTINED_FLAKY
        if quarantine and quarantine.applies
        else (merged.failure_type),
        quarantine=quarantine,
        deterministic_failure_type=analysis.failure_type.value,
        model_failure_type=merged.model_failure_type,
        root_cause=analysis.root_cause,
        failures=list(analysis.failures),
        failure_groups=analysis.failure_groups,
        failed_count=analysis.failed_count,
        runner_failed=analysis.runner_failed,
        subtests_failed=analysis.subtests_failed,
        explanation=merged.explanation,
        is_flaky=is_flaky,
        flaky_evidence=flaky_evidence,
        flaky_unread=facts.unread,
        flaky_apart=apart_only(verdict.facts.stored, analysis.failed_tests),
        flaky_tests=verdict.flaky_tests,
        recurrence=verdict.recurrence,
        diff_dropped=analysis.diff_dropped if analysis.diff_lines else None,
        diff_lines=analysis.diff_lines or None,
        baseline_url=facts.baseline_url,
        confidence=merged.confidence,
        failed_jobs=failed,
        responsible_files=merged.files,
        responsible_commit=merged.commit,
        advice=merged.advice,
        disagreements=merged.disagreements,
        signature=analysis.fingerprint,
        excerpt=analysis.excerpt,
        excerpt_file=facts.excerpt_path if analysis.excerpt else "",
        run_id=target.run_id if target else None,
        run_url=target.html_url if target else "",
        branch=target.branch if target else "",
        changed_files=len(facts.change.files) if facts.change else None,
        # Names as git wrote them may hold bytes that are not UTF-8, or control characters:
        # outputs, --json and the summary show them escaped, like every other file name.
        changed_paths=[
            escaped(path) for path in rank_changed(facts.change.files, analysis.responsible_files)
        ]
        if facts.change
        else [],
        baseline_used=facts.baseline is not None,
        logs_read=len(facts.scans),
        service_failure=facts.logs_error or None,
    )
    if checks is not None:
        result.fix = fix_outcome(
            checks.attempt, patch_path=facts.patch_path, redact=redact, test=checks.test
        )
    decide_rerun(result, facts, rerun)
    result.headline = result.make_headline()
    return result


def deterministic_confidence(analysis: LogAnalysis) -> float:
    """How far the logs alone can be trusted: an error line and a known type, or less."""
    if not analysis.root_cause:
        return 0.1
    if analysis.failure_type is FailureType.UNKNOWN:
        return 0.4
    return 0.8 if analysis.responsible_files or analysis.signatures_hit else 0.6


def jobs(analysis: LogAnalysis, api_jobs: Sequence[ApiJob] = ()) -> list[JobOutcome]:
    """The failed jobs; the API's step name wins (a whole-job log only shows the step's command)."""
    steps = {job.name: job.failed_step for job in api_jobs if job.failed_step}
    links = {job.name: job.html_url for job in api_jobs}
    return [
        JobOutcome(
            name=job.name,
            url=links.get(job.name, ""),
            failed_step=steps.get(job.name, job.failed_step),
            conclusion=job.conclusion,
            exit_code=job.exit_code,
            failure_type=job.failure_type.value,
            root_cause=job.root_cause,
        )
        for job in analysis.failed_jobs
    ]


def deterministic_commit(analysis: LogAnalysis, change: Change | None) -> str | None:
    """The commit of the change that wrote the first changed responsible file's first changed
    line (the line shown for it), else the newest that touched that file."""
    if change is None:
        return None
    touched = [*change.first_line_commit.items(), *change.last_touch.items()]
    changed = (item.path for item in analysis.responsible_files if item.changed)
    return next((sha for named in changed for path, sha in touched if same_file(path, named)), None)


class ModelFields:
    """The fields of the result that the model may influence, after the guardrails."""

    def __init__(
        self,
        analysis: LogAnalysis,
        change: Change | None,
        evidence: Evidence,
        redact: Callable[[str], str],
    ) -> None:
        self.analysis = analysis
        self.change = change
        self.evidence = evidence
        self.redact = redact
        self.failure_type = analysis.failure_type.value
        self.model_failure_type: str | None = None
        self.explanation = ""
        self.is_flaky = analysis.flaky_by_evidence
        self.flaky_evidence = list(analysis.flaky_evidence)
        self.confidence = deterministic_confidence(analysis)
        self.files = [
            Responsible(
                path=f.path,
                lines=list(f.lines[:10]),
                changed=f.changed,
                source="change" if f.from_change else "frame" if f.frame else "logs",
                line_changed=f.line_changed,
            )
            for f in analysis.responsible_files[:MAX_RESPONSIBLE]
        ]
        self.commit = deterministic_commit(analysis, change)
        kind, words = advice_for(analysis.failure_type)
        self.advice: Advice | None = Advice(type=kind, description=words, source="deterministic")
        self.disagreements: list[str] = []
        if not analysis.failed_jobs:
            self.advice = None

    def apply(self, opinion: FailureAnswer) -> None:
        """Take what the model may decide; record where it contradicts the logs."""
        logs_type = self.analysis.failure_type
        self.model_failure_type = opinion.failure_type.value
        self.explanation = self._text(opinion.root_cause)
        self._flakiness(opinion)
        if logs_type is FailureType.UNKNOWN and opinion.failure_type is not FailureType.FLAKY_TEST:
            self.failure_type = opinion.failure_type.value
        elif opinion.failure_type is not logs_type and not (
            opinion.failure_type is FailureType.FLAKY_TEST and self.is_flaky
        ):
            self.disagreements.append(
                f"The model classifies the failure as {opinion.failure_type.value}; the logs "
                f"say {logs_type.value}."
            )
        confidence = min(max(opinion.confidence, 0.0), 1.0)
        if self.disagreements:
            confidence = min(confidence, DISAGREEMENT_CONFIDENCE)
        self.confidence = round(confidence, 2)
        self._files(opinion.responsible_files)
        self._commit(opinion.responsible_commit)
        self.advice = Advice(
            type=opinion.fix.type, description=self._text(opinion.fix.description), source="model"
        )

    def _text(self, text: str) -> str:
        return self.redact(" ".join(text.split()))[:MAX_MODEL_TEXT]

    def _flakiness(self, opinion: FailureAnswer) -> None:
        said = [self._text(e) for e in opinion.flaky_evidence[:3]]
        flaky, added, disagreement = with_model(
            self.analysis, self.evidence, opinion.is_flaky, said
        )
        if flaky and not self.is_flaky:
            self.failure_type = flaky_type(self.analysis.failure_type, True).value
        self.is_flaky = flaky
        self.flaky_evidence += added
        if disagreement:
            self.disagreements.append(disagreement)

    def _files(self, named: list[str]) -> None:
        known = {f.path for f in self.files}
        changed = self.change.files if self.change else ()
        for raw in named[:5]:
            path = normalise_path(raw)
            if not path or path in known or len(self.files) >= MAX_RESPONSIBLE:
                continue
            in_change = path in changed
            if not in_change and path not in self.analysis.excerpt:
                continue
            self.files.append(Responsible(path=path, changed=in_change, source="model"))
            known.add(path)

    def _commit(self, named: str | None) -> None:
        if not named or self.change is None or len(named) < MIN_SHA_PREFIX:
            return
        match = next((sha for sha, _ in self.change.commits if sha.startswith(named.lower())), None)
        if match is None:
            return
        if self.commit is None:
            self.commit = match
        elif match != self.commit:
            self.disagreements.append(
                f"The model points at commit {match[:12]}; the newest commit touching the file "
                f"named in the error is {self.commit[:12]}."
            )
