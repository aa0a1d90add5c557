"""``cicd-agent review``: a pull-request review that lands on the right lines and gates merges.

Wiring only; the work is in ``analysis.diff`` (what changed), ``analysis.findings`` (the
deterministic floor), ``analysis.packing`` (the token budget), ``decide``
(the model's schema and the guard-railed decision), ``analysis.placement`` (where comments can
go), ``sarif`` and ``publish``. The risk level is deploy-gate's analysis of the same
commits, so ``risk_level`` means the same in every mode.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import quote

from cicd_agent.modes.review import arguments
from cicd_agent.modes.review.options import (
    ReviewOptions,
)
from cicd_agent.severity import Severity, parse_severity

# The steps' modules are imported inside the methods below, not here: this module is what
# `cicd-agent review --help` loads, and the steps pull in pydantic, the SDK and PyGithub
# (several times the start-up budget; tests/project/test_mode_imports.py measures it).
if TYPE_CHECKING:
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.analysis.placement import LinkMaker
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.result import ModeResult
    from cicd_agent.modes.review.collect import ReviewFacts, ReviewFloor
    from cicd_agent.modes.review.prompt import ReviewOpinion
    from cicd_agent.modes.review.result import ReviewResult
    from cicd_agent.runner.errors import ExitCode


class Review:
    name = "review"
    help = "Review a pull request: inline comments, a check run, SARIF, and a merge gate."
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # No safe guess exists for a review that could not run: outputs stay empty, so a later
    # job testing ``decision == 'approve'`` can never pass by accident.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({})

    # ------------------------------------------------------------------------------ collect

    def collect(self, ctx: RunContext[ReviewOptions]) -> ReviewFacts:
        publish_from = ctx.mode_options.publish_from
        if publish_from is not None:
            from cicd_agent.modes.review.publish_from import collect_handoff

            return collect_handoff(ctx, publish_from)
        from cicd_agent.modes.review.collect import collect

        return collect(ctx)

    def analyse(self, ctx: RunContext[ReviewOptions], facts: ReviewFacts) -> ReviewFloor:
        from cicd_agent.analysis.findings import deterministic_audit, sort_findings
        from cicd_agent.local.zizmor import audit_each_if_needed
        from cicd_agent.modes.review.collect import ReviewFloor
        from cicd_agent.modes.review.publish_from import HandoffFacts

        audited, ignored = deterministic_audit(
            facts.diff, facts.workflow_texts, audit_each_if_needed, facts.exemptions
        )
        found = sort_findings(f for f in [*audited, *facts.linted] if facts.keeps(f))
        if isinstance(facts, HandoffFacts):  # publish-from: the file's claims join the floor
            return ReviewFloor(facts, facts.with_claims(found))
        floor = ReviewFloor(facts, found, [i for i in ignored if i.path not in facts.left_out])
        if ctx.mode_options.describe:
            from cicd_agent.analysis.description import describe_diff

            floor.change = describe_diff(facts.diff, facts.left_out)
        return floor

    def ask(
        self, ctx: RunContext[ReviewOptions], facts: ReviewFacts, verdict: ReviewFloor
    ) -> ReviewOpinion | None:
        from cicd_agent.modes.review.prompt import ask_model
        from cicd_agent.modes.review.publish_from import HandoffFacts

        if isinstance(facts, HandoffFacts):
            ctx.note("publish-from posts the review run's result; the model was not asked.")
            return None
        if verdict.change is not None:
            from cicd_agent.modes.review.describe import ask_about

            verdict.description = ask_about(ctx, facts, verdict.change)
        opinion = ask_model(ctx, facts, verdict.findings, _max_calls(ctx))
        if opinion is not None and opinion.answers and facts.repo is not None:
            texts = facts.repo.read_texts(facts.plan.head, sorted(opinion.shown))
            opinion.line_counts = {path: len(text.splitlines()) for path, text in texts.items()}
            opinion.texts = texts
        return opinion

    def decide(
        self, ctx: RunContext[ReviewOptions], verdict: ReviewFloor, opinion: ReviewOpinion | None
    ) -> ReviewResult:
        from cicd_agent.analysis.finding_text import marked
        from cicd_agent.analysis.findings import fingerprint_findings, line_source, sort_findings
        from cicd_agent.analysis.placement import place
        from cicd_agent.analysis.scale import RiskLevel
        from cicd_agent.modes.review.decide import decide, merged_summary, model_findings, track
        from cicd_agent.modes.review.publish_from import HandoffFacts
        from cicd_agent.modes.review.result import FileNote, IgnoredNote, InlineNote, ReviewResult

        facts = verdict.facts
        report_on = _report_on(ctx)
        fail_on = (
            parse_severity(ctx.options.fail_on, option="fail-on") if ctx.options.fail_on else None
        )
        found = list(verdict.findings)
        answers = opinion.answers if opinion else []
        if opinion is not None:
            extra, dropped = model_findings(
                answers, opinion.shown, ctx.redactor.redact, links=ctx.own_links
            )
            extra, invented = _on_existing_lines(opinion.line_counts, extra)
            dropped += invented
            found += extra
            if dropped:
                ctx.note(
                    f"{dropped} model finding(s) named files or lines not in the diff and were dropped."
                )
        line_text = line_source(facts.diff, opinion.texts if opinion else {})
        findings = sort_findings(fingerprint_findings(found, line_text, ctx.redactor.redact))
        decision = decide(
            findings,
            verdicts=[a.verdict for a in answers],
            complete=opinion is not None and opinion.complete,
            fail_on=fail_on,
            request_changes=ctx.mode_options.request_changes,
            risk=RiskLevel(facts.risk_level),
        )
        reported = [f for f in findings if f.severity >= report_on]
        tracking = track(
            reported,
            facts.plan.previous.findings,
            facts.plan.dismissed,
            model_saw_everything=opinion is not None
            and opinion.complete
            and facts.incremental_from is None,
        )
        postable = [f for f in tracking.postable if _new_in(f, facts)]
        limit = _max_findings(ctx)
        placement = place(postable[:limit], facts.diff, _link_maker(ctx, facts.plan.head))
        if answers:
            summary = merged_summary(answers, ctx.redactor.redact, links=ctx.own_links)
        elif isinstance(facts, HandoffFacts):
            summary = facts.summary
        else:
            summary = _plain_summary(facts, findings)
        result = ReviewResult(
            mode=self.name,
            headline="",
            decision=decision,
            risk_level=facts.risk_level,
            risk_reasons=facts.risk_reasons,
            summary=summary,
            report_on=report_on.label,
            fail_on=fail_on.label if fail_on else None,
            findings=findings,
            ignored=[IgnoredNote.of(honoured) for honoured in verdict.ignored],
            comments=[
                InlineNote(
                    path=c.path,
                    line=c.line,
                    start_line=c.start_line,
                    body=marked(c.body, c.finding.fingerprint),
                    moved_from=c.moved_from,
                )
                for c in placement.inline
            ],
            body_items=[item.text for item in placement.body],
            not_posted=max(len(postable) - limit, 0),
            not_reviewed=opinion.not_reviewed() if opinion else [],
            listed_only=[
                FileNote(path=f.path, reason=f.kind_note)
                for f in facts.review_diff.files
                if f.listed_only
            ],
            files_changed=len(facts.diff.files),
            reviewed_files=len(opinion.shown) if opinion else 0,
            model_calls=len(opinion.packing.parts) if opinion else 0,
            base=facts.diff.base,
            head=facts.diff.head,
            incremental_from=facts.incremental_from,
            pull_request=facts.plan.number,
            sarif_file=str(_sarif_path(ctx)),
            findings_new=tracking.new,
            findings_open=tracking.still_open,
            findings_resolved=tracking.resolved,
            findings_dismissed=tracking.dismissed,
            fingerprints={
                **tracking.carried,
                **{f.fingerprint: "m" if f.source == "model" else "d" for f in reported},
            },
            posted_fingerprints=[c.finding.fingerprint for c in placement.inline]
            + [item.finding.fingerprint for item in placement.body],
        )
        if verdict.change is not None:
            from cicd_agent.modes.review.describe import markdown_of

            result.description = markdown_of(facts, verdict.change, verdict.description)
            result.description_in = ctx.mode_options.describe_in
        result.headline = result.make_headline()
        if placement.moved:
            ctx.note(
                f"{placement.moved} comment(s) pointed just outside the diff and were moved "
                "to the nearest changed line."
            )
        return result

    def publish(
        self,
        ctx: RunContext[ReviewOptions],
        facts: ReviewFacts,
        verdict: ReviewFloor,
        result: ReviewResult,
    ) -> None:
        from cicd_agent.modes.review.publish import publish
        from cicd_agent.sarif import write_sarif

        write_sarif(Path(result.sarif_file), result.reported)
        ctx.note(
            f"SARIF 2.1.0 file of the {len(result.reported)} reported finding(s) written to "
            f"`{result.sarif_file}` (upload it with github/codeql-action/upload-sarif)."
        )
        plan = facts.plan
        result_file = ctx.mode_options.result_file
        if result_file is not None:
            _hand_off(ctx, result, result_file)
            plan.handed_off = True
        publish(ctx, result, plan)
        result.headline = result.make_headline()

    def run(self, ctx: RunContext[ReviewOptions]) -> tuple[ModeResult, ExitCode]:
        from cicd_agent.job.pipeline import run_mode

        return run_mode(self, ctx)

    def failure_outputs(self, ctx: RunContext[ReviewOptions]) -> dict[str, str]:
        return {}


def _hand_off(ctx: RunContext[ReviewOptions], result: ReviewResult, path: Path) -> None:
    """Step 1 of the fork-safe pattern: the result as a file for the publishing workflow."""
    from cicd_agent.modes.review.handoff import write_result_file

    omitted = write_result_file(path, result, ctx.redactor.redact)
    left_out = (
        f" ({omitted} lower-severity finding(s) left out to keep it small)" if omitted else ""
    )
    ctx.note(
        f"The result was written to {path}{left_out} for the publishing workflow "
        "(publish-from), which posts it with a write token."
    )


def _report_on(ctx: RunContext[ReviewOptions]) -> Severity:
    return ctx.mode_options.report_on


def _max_findings(ctx: RunContext[ReviewOptions]) -> int:
    return ctx.mode_options.max_findings


def _max_calls(ctx: RunContext[ReviewOptions]) -> int:
    return ctx.mode_options.max_model_calls


def _on_existing_lines(
    lengths: Mapping[str, int], found: list[Finding]
) -> tuple[list[Finding], int]:
    """Drop model findings on lines past the end of their file at head: the line was invented,
    and a finding there must neither be linked nor count towards ``fail-on``."""
    kept = [f for f in found if f.line is None or f.line <= lengths.get(f.path, f.line)]
    return kept, len(found) - len(kept)


def _new_in(finding: Finding, facts: ReviewFacts) -> bool:
    """Whether a finding is about what this run reviews (all of it, or the new commits)."""
    if facts.incremental_from is None or finding.source == "model":
        return True
    changed = facts.review_diff.file(finding.path)
    if changed is None:
        return False
    return finding.line is None or changed.hunk_at(finding.line) is not None


def _link_maker(ctx: RunContext[ReviewOptions], head: str) -> LinkMaker:
    """Links to a line of the reviewed commit on GitHub (or GHES), for the review body."""
    server = ctx.server_url
    repository = ctx.repository

    def link(path: str, line: int | None) -> str | None:
        if not repository or not head:
            return None
        anchor = f"#L{line}" if line else ""
        return f"{server}/{repository}/blob/{head}/{quote(path)}{anchor}"

    return link


def _sarif_path(ctx: RunContext[ReviewOptions]) -> Path:
    """``--sarif-file``, else ``$RUNNER_TEMP/cicd-agent-review.sarif`` (the runner empties
    RUNNER_TEMP after each job). Off a runner, a name of this process's own in the system temp
    folder, so two reviews on one machine never overwrite each other's file."""
    chosen = ctx.mode_options.sarif_file
    if chosen is not None:
        return chosen
    runner_temp = ctx.environ.get("RUNNER_TEMP")
    if runner_temp:
        return Path(runner_temp) / arguments.SARIF_NAME
    return Path(tempfile.gettempdir()) / f"cicd-agent-review-{os.getpid()}.sarif"


def _plain_summary(facts: ReviewFacts, findings: list[Finding]) -> str:
    diff = facts.diff
    deterministic = sum(1 for f in findings if f.source == "deterministic")
    return (
        f"{len(diff.files)} file(s) changed (+{diff.added} −{diff.removed}); "
        f"{deterministic} finding(s) from the deterministic checks; no model review."
    )


MODE = Review()
