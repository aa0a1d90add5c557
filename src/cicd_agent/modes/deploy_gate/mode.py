"""deploy-gate: whether and how a change ships (``--phase deploy``), or how its canary fares
(``--phase canary``, issue 4).

This module is wiring: the analysis lives in ``analysis/changes``, ``history``, ``risk``,
``signals`` and ``policy``; GitHub reads in ``signals``; rendering in
``result``. The deploy phase fails closed: when it cannot finish, the outputs say
``recommendation=hold`` and an audit line records the failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cicd_agent.errors import ExternalServiceError, UsageError
from cicd_agent.modes.deploy_gate import arguments
from cicd_agent.modes.deploy_gate.options import (
    DeployOptions,
)

if TYPE_CHECKING:
    from pathlib import Path

    from cicd_agent.analysis.changes import ChangeSet
    from cicd_agent.analysis.gitrepo import GitRepo
    from cicd_agent.analysis.history import HistoryFeatures
    from cicd_agent.analysis.policy import ChangeWindow, Decision, Policy, Routing
    from cicd_agent.analysis.risk import Reason, RiskAssessment, RiskLevel
    from cicd_agent.analysis.signals import CoverageReport, JUnitCounts, PullReview, SignalName
    from cicd_agent.context import RunContext
    from cicd_agent.errors import ExitCode
    from cicd_agent.modes.deploy_canary.mode import CanaryPhase
    from cicd_agent.modes.deploy_gate.result import DeployGateResult, DeployOpinion, ModelAdvice
    from cicd_agent.result import ModeResult

DIFF_FILES_FOR_MODEL = 40


def canary_phase() -> CanaryPhase:
    """The canary phase (issue 4), imported only when it runs."""
    try:
        from cicd_agent.modes.deploy_canary.mode import PHASE
    except ModuleNotFoundError as exc:
        raise UsageError("The canary phase is not part of this build of cicd-agent.") from exc
    return PHASE


@dataclass
class DeployFacts:
    """What the deploy phase collected."""

    options: DeployOptions
    repo_dir: Path
    change: ChangeSet
    history: HistoryFeatures
    assessment: RiskAssessment
    routing: Routing
    tests: JUnitCounts | None
    coverage_head: CoverageReport | None
    coverage_base: CoverageReport | None
    coverage_reason: str
    """Why the coverage reports given are not used (they describe another tree), else ""."""
    pulls: list[PullReview] | None
    pulls_reason: str
    conclusions: list[str | None] | None
    conclusions_reason: str
    window: ChangeWindow
    policy: Policy
    weights: dict[SignalName, float]
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class DeployVerdict:
    facts: DeployFacts
    decision: Decision
    safety: float | None
    signals: list[Any]


class DeployGate:
    """The ``deploy-gate`` mode: dispatches every step to the selected phase."""

    name = "deploy-gate"
    help = "Score change risk, pick a rollout strategy and decide proceed or hold."
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # Before the phase is known (a bad flag), both phases' safe answers: hold, and never promote
    # or roll back a canary on our own failure.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType(
        {
            "recommendation": "hold",
            "requires_approval": "true",
            "verdict": "continue",
            "rollback": "false",
            "healthy": "false",
        }
    )

    def run(self, ctx: RunContext) -> tuple[ModeResult, ExitCode]:
        """Run the selected phase's steps. Each phase is its own typed
        :class:`~cicd_agent.pipeline.Steps`, with the ``fail-on`` values it can produce:
        ``--phase deploy --fail-on rollback`` is refused before any work, not ignored."""
        from cicd_agent.pipeline import run_mode

        if _is_canary(ctx):
            from cicd_agent.modes.deploy_canary.options import CanaryOptions

            ctx.mode_options(CanaryOptions)  # every option typed and checked before any I/O
            return run_mode(canary_phase(), ctx)
        ctx.mode_options(DeployOptions)  # every option typed and checked before any I/O
        return run_mode(DEPLOY_PHASE, ctx)

    def failure_outputs(self, ctx: RunContext) -> dict[str, str]:
        if _is_canary(ctx):
            try:
                return canary_phase().failure_outputs(ctx)
            except UsageError:
                pass
        return DEPLOY_PHASE.failure_outputs(ctx)


def _is_canary(ctx: RunContext) -> bool:
    return getattr(ctx.args, "phase", None) == "canary"


class DeployPhase:
    """Risk, signals and policy → proceed or hold, strategy, approval, routing."""

    name = "deploy-gate --phase deploy"
    fail_on_choices: tuple[str, ...] = ("hold",)

    def collect(self, ctx: RunContext) -> DeployFacts:
        from cicd_agent.analysis import policy as policies
        from cicd_agent.analysis import signals
        from cicd_agent.analysis.changes import read_change_set
        from cicd_agent.analysis.gitrepo import GitRepo
        from cicd_agent.analysis.history import read_history
        from cicd_agent.analysis.mining import default_cache_dir
        from cicd_agent.analysis.risk import read_evidence
        from cicd_agent.analysis.risk_fit import assess_for_deploy

        options = ctx.mode_options(DeployOptions)  # every option checked before any I/O
        moment = options.deploy_time or policies.now_utc()
        if options.slack_webhook_url:
            ctx.runner.mask(options.slack_webhook_url)

        repo = GitRepo.open(ctx.options.repo_dir)
        base, head = self._range(ctx, options, repo)
        change = read_change_set(repo, head, base)
        ctx.progress.say(
            f"the change: {len(change.files):,} file(s) in {len(change.commits):,} commit(s)"
        )
        history = read_history(repo, change)
        # The detectors and priors are review's (one implementation); the score is refitted to
        # this repository's history when it has enough, and secrets and workflows count here.
        evidence = read_evidence(repo, change, with_security=True)
        cache = options.cache_dir or default_cache_dir(ctx.environ)
        cache_notes: list[str] = []
        assessment = assess_for_deploy(
            repo, change, history, cache, evidence, notes=cache_notes, progress=ctx.progress
        )
        for note in cache_notes:
            ctx.note(note)
        if change.base_note:
            ctx.note(f"Change range: {change.base_note}.")
        if change.commits_truncated:
            ctx.note("More than 250 commits in the range: messages and authors of the first 250.")
        tracked = repo.tracked_files(change.head)
        routing = policies.route(change.files, tracked)

        root = ctx.options.repo_dir
        junit_files = signals.find_reports(options.junit, root)
        tests = signals.read_junit(junit_files) if junit_files else None
        coverage_head = _coverage(options.coverage, root)
        coverage_base = _coverage(options.base_coverage, root)
        base_tracked = repo.tracked_files(change.base) if coverage_base and change.base else tracked
        foreign = [
            signals.foreign_tree(report, files)
            for report, files in ((coverage_head, tracked), (coverage_base, base_tracked))
            if report is not None
        ]
        coverage_reason = "; ".join(reason for reason in foreign if reason)
        pulls, pulls_reason, conclusions, conclusions_reason = self._github_signals(
            ctx, options, change, moment
        )
        inputs = {
            "base": change.base,
            "head": change.head,
            "environment": options.environment,
            "policy": options.policy.model_dump(mode="json"),
            "weights": {k.value: v for k, v in options.weights.items()},
            "approval_confidence": options.approval_confidence,
            "deploy_time": moment.isoformat(),
            "freeze_windows": options.freeze_windows_text,
            "business_hours": options.business_hours_text,
            "timezone": options.timezone_text,
            "reports": _report_digests(
                [*junit_files, *_paths(options.coverage, options.base_coverage, root)]
            ),
        }
        return DeployFacts(
            options=options,
            repo_dir=root,
            change=change,
            history=history,
            assessment=assessment,
            routing=routing,
            tests=tests,
            coverage_head=coverage_head,
            coverage_base=coverage_base,
            coverage_reason=coverage_reason,
            pulls=pulls,
            pulls_reason=pulls_reason,
            conclusions=conclusions,
            conclusions_reason=conclusions_reason,
            window=policies.change_window(moment, options.zone, options.hours, options.freezes),
            policy=options.policy,
            weights=options.weights,
            inputs=inputs,
        )

    def _range(
        self, ctx: RunContext, options: DeployOptions, repo: GitRepo
    ) -> tuple[str | None, str]:
        """``--base``/``--head``, else the event's: push before/after (a new branch: the head
        alone), pull request merge-base/head, deployment and its predecessor, dispatch inputs."""
        from cicd_agent.analysis.gitrepo import is_null_sha

        base, head = options.base, options.head
        if ctx.has_event and (base is None or head is None):
            event_base, event_head = self._event_range(ctx, repo)
            base = base or event_base
            head = head or event_head
        if is_null_sha(base):
            ctx.note("The push created the branch (before is all zeros): judging the head commit.")
            base = None
        return base, head or ctx.environ.get("GITHUB_SHA") or "HEAD"

    def _event_range(self, ctx: RunContext, repo: GitRepo) -> tuple[str | None, str | None]:
        event = ctx.event
        if event.push is not None:
            return event.push.before, event.push.after
        if event.pull_request is not None:
            pull = event.pull_request
            return repo.merge_base(pull.base.sha, pull.head.sha), pull.head.sha
        if event.deployment is not None:
            return self._previous_deployment(ctx), event.deployment.sha
        if event.dispatch is not None:
            inputs = event.dispatch.inputs or {}
            base, head = inputs.get("base"), inputs.get("head")
            return (str(base) if base else None), (str(head) if head else None)
        if event.workflow_run is not None:
            return None, event.workflow_run.head_sha
        return None, None

    def _previous_deployment(self, ctx: RunContext) -> str | None:
        from cicd_agent.modes.deploy_gate.signals import previous_deployment_sha

        deployment = ctx.event.deployment
        assert deployment is not None
        client = ctx.github
        if client is None:
            ctx.note("No GitHub access: the deployment is compared with its first parent.")
            return None
        try:
            sha = previous_deployment_sha(
                client, deployment.environment, deployment.id, deployment.sha
            )
        except ExternalServiceError as exc:
            ctx.note(f"Could not read earlier deployments ({exc}); compared with the first parent.")
            return None
        if sha is None:
            ctx.note("No earlier deployment to this environment: compared with the first parent.")
        return sha

    def _github_signals(
        self, ctx: RunContext, options: DeployOptions, change: ChangeSet, moment: datetime
    ) -> tuple[list[PullReview] | None, str, list[str | None] | None, str]:
        client = ctx.github
        if client is None:
            reason = "no GitHub token or repository"
            return None, reason, None, reason
        from cicd_agent.modes.deploy_gate.signals import (
            pull_reviews,
            workflow_conclusions,
            workflow_from_env,
        )

        pulls: list[PullReview] | None = None
        pulls_reason = ""
        try:
            pulls = pull_reviews(client, [c.sha for c in change.commits] or [change.head])
        except ExternalServiceError as exc:
            pulls_reason = f"GitHub: {exc.message}"
            ctx.note(f"Review decisions unavailable: {exc}")
        workflow = options.workflow or workflow_from_env(ctx.environ)
        branch = options.branch or ctx.environ.get("GITHUB_REF_NAME") or self._push_branch(ctx)
        days = options.failure_window_days
        if not workflow or not branch:
            return pulls, pulls_reason, None, "unknown workflow or branch (--workflow, --branch)"
        try:
            conclusions = workflow_conclusions(client, workflow, branch, days, moment)
        except ExternalServiceError as exc:
            ctx.note(f"Workflow failure rate unavailable: {exc}")
            return pulls, pulls_reason, None, f"GitHub: {exc.message}"
        return pulls, pulls_reason, conclusions, ""

    def _push_branch(self, ctx: RunContext) -> str | None:
        if ctx.has_event and ctx.event.push is not None:
            ref = ctx.event.push.ref
            return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
        return None

    def analyse(self, ctx: RunContext, facts: DeployFacts) -> DeployVerdict:
        return self._verdict(ctx, facts, facts.assessment.risk_level, None)

    def _verdict(
        self,
        ctx: RunContext,
        facts: DeployFacts,
        level: RiskLevel,
        opinion: DeployOpinion | None,
    ) -> DeployVerdict:
        from cicd_agent.analysis import policy as policies
        from cicd_agent.analysis import signals

        weights = facts.weights
        listed = [
            signals.pass_rate_signal(
                facts.tests, weights[signals.SignalName.TESTS], facts.options.junit
            ),
            signals.coverage_signal(
                facts.coverage_head,
                facts.coverage_base,
                weights[signals.SignalName.COVERAGE],
                facts.coverage_reason,
            ),
            signals.review_signal(
                facts.pulls, weights[signals.SignalName.REVIEW], facts.pulls_reason
            ),
            signals.failure_rate_signal(
                facts.conclusions,
                weights[signals.SignalName.FAILURE_RATE],
                facts.options.failure_window_days,
                facts.conclusions_reason,
            ),
            signals.model_signal(
                opinion.risk_level if opinion else None,
                opinion.confidence if opinion else None,
                weights[signals.SignalName.MODEL],
            ),
        ]
        safety, weighted = signals.safety_score(listed)
        failed = (facts.tests.failed + facts.tests.errors) if facts.tests else 0
        evidence = policies.Evidence(
            change_types=frozenset(facts.assessment.change_types),
            safety_score=safety,
            failed_tests=failed,
            changes_requested=any(p.verdict == "changes_requested" for p in facts.pulls or []),
            any_signal=any(not s.missing for s in weighted if s.name != signals.SignalName.MODEL),
            window=facts.window,
            model_confidence=opinion.confidence if opinion else None,
            blocking=tuple(facts.assessment.hold_reasons),
        )
        decision = policies.decide(
            level, evidence, facts.policy, approval_confidence=facts.options.approval_confidence
        )
        return DeployVerdict(facts, decision, safety, weighted)

    def ask(self, ctx: RunContext, facts: DeployFacts, verdict: DeployVerdict) -> DeployOpinion:
        from cicd_agent.modes.deploy_gate.prompt import build_prompt
        from cicd_agent.modes.deploy_gate.result import DeployOpinion

        model = ctx.model
        assert model is not None
        system, user = build_prompt(ctx, facts, verdict, model)
        answer = model.ask(DeployOpinion, system=system, user=user, tier="model", temperature=0)
        return _clean_opinion(ctx, answer)

    def decide(
        self, ctx: RunContext, verdict: DeployVerdict, opinion: DeployOpinion | None
    ) -> DeployGateResult:
        from cicd_agent.analysis.risk import Reason, RiskLevel, higher
        from cicd_agent.modes.deploy_gate.result import ModelAdvice

        facts = verdict.facts
        floor = facts.assessment.risk_level
        level, score = floor, facts.assessment.risk_score
        reasons = list(facts.assessment.reasons)
        advice = None
        final = verdict
        if opinion is not None:
            model_level = RiskLevel(opinion.risk_level)
            level = higher(floor, model_level)
            if level is not floor:
                score = max(score, level.lower_bound)
                reasons.append(
                    Reason(
                        signal="model",
                        message=f"The model raised the risk from {floor.value} to {level.value}.",
                        evidence=opinion.risk_factors[:5],
                    )
                )
            elif model_level.rank < floor.rank:
                ctx.note(
                    f"The model rated the risk {model_level.value}; the deterministic floor "
                    f"{floor.value} stands."
                )
            advice = ModelAdvice(
                risk_level=model_level,
                confidence=opinion.confidence,
                risk_factors=opinion.risk_factors,
                pre_deploy_checks=opinion.pre_deploy_checks,
                monitoring_focus=opinion.monitoring_focus,
            )
            final = self._verdict(ctx, facts, level, opinion)
        decision = _merge_decisions(verdict.decision, final.decision)
        return self._result(
            ctx, facts, final, decision, level=level, score=score, reasons=reasons, advice=advice
        )

    def _result(
        self,
        ctx: RunContext,
        facts: DeployFacts,
        verdict: DeployVerdict,
        decision: Decision,
        *,
        level: RiskLevel,
        score: float,
        reasons: list[Reason],
        advice: ModelAdvice | None,
    ) -> DeployGateResult:
        from cicd_agent.modes.deploy_gate.result import DeployGateResult, headline_for

        redact = ctx.redactor.redact
        safe_reasons = [
            r.model_copy(
                update={
                    "message": redact(r.message),
                    "evidence": [redact(item) for item in r.evidence],
                }
            )
            for r in reasons
        ]
        holds = [redact(h) for h in decision.hold_reasons]
        window = facts.window
        window_text = window.local_time + (
            f", freeze {window.freeze}"
            if window.freeze
            else (" (weekend)" if window.weekend else " (off-hours)" if window.off_hours else "")
        )
        result = DeployGateResult(
            mode="deploy-gate",
            headline=headline_for(decision, level, score, holds),
            base=facts.change.base,
            head=facts.change.head,
            range_note=facts.change.base_note,
            environment=facts.options.environment,
            risk_level=level,
            risk_score=round(score, 4),
            deterministic_level=facts.assessment.risk_level,
            recommendation=decision.recommendation,
            strategy=decision.strategy,
            canary_percentage=decision.canary_percentage,
            requires_approval=decision.requires_approval,
            approval_reasons=decision.approval_reasons,
            hold_reasons=holds,
            safety_score=verdict.safety,
            signals=verdict.signals,
            test_scope=facts.routing.test_scope,
            test_paths=facts.routing.test_paths,
            test_reason=facts.routing.test_reason,
            build_strategy=facts.routing.build_strategy,
            build_reason=facts.routing.build_reason,
            change_types=facts.assessment.change_types,
            reasons=safe_reasons,
            features=facts.assessment.features,
            files_changed=len(facts.change.files),
            change_window=window_text,
            advice=advice,
        )
        result._audit_inputs = facts.inputs
        return result

    def publish(
        self, ctx: RunContext, facts: DeployFacts, verdict: DeployVerdict, result: DeployGateResult
    ) -> None:
        from cicd_agent.analysis.policy import Recommendation
        from cicd_agent.notify import post_message

        options = ctx.mode_options(DeployOptions)
        result.audit_file = _write_audit(ctx, result, options.audit_file)
        url = options.slack_webhook_url
        if not url:
            return
        if result.recommendation is not Recommendation.HOLD and not result.requires_approval:
            return
        if ctx.options.dry_run:
            ctx.note("Dry run: the Slack message was not sent.")
            return
        try:
            post_message(url, _slack_text(ctx, result))
        except ExternalServiceError as exc:
            ctx.note(f"The Slack message could not be sent: {exc}")

    def failure_outputs(self, ctx: RunContext) -> dict[str, str]:
        """Fail closed: a deploy that could not be judged is held, and the audit says why."""
        outputs = {"recommendation": "hold", "requires_approval": "true"}
        record = {
            "mode": "deploy-gate",
            "phase": "deploy",
            "verdict": {"recommendation": "hold", "finished": False},
            "notes": [ctx.redactor.redact(note) for note in ctx.notes],
        }
        from pathlib import Path

        # Options may not have parsed (a bad value is one reason to be here): the raw input.
        explicit = getattr(ctx.args, "audit_file", None)
        path = _audit_path(ctx, Path(explicit) if explicit else None)
        try:
            from cicd_agent import audit

            outputs["audit_file"] = str(audit.append(path, record))
        except OSError as exc:
            ctx.note(f"The audit file {path} could not be written: {exc.strerror}.")
        return outputs


def _merge_decisions(floor: Decision, final: Decision) -> Decision:
    """The model's pass may only add caution: holds and approvals are kept from both passes
    and the more cautious strategy wins."""
    from cicd_agent.analysis.policy import Recommendation

    holds = list(dict.fromkeys([*floor.hold_reasons, *final.hold_reasons]))
    approvals = list(dict.fromkeys([*floor.approval_reasons, *final.approval_reasons]))
    strategy = final.strategy if final.strategy.rank >= floor.strategy.rank else floor.strategy
    percentage = min(floor.canary_percentage, final.canary_percentage)
    return final.model_copy(
        update={
            "recommendation": Recommendation.HOLD if holds else Recommendation.PROCEED,
            "hold_reasons": holds,
            "approval_reasons": approvals,
            "requires_approval": bool(approvals),
            "strategy": strategy,
            "canary_percentage": percentage if strategy.value == "canary" else 100,
        }
    )


def _clean_opinion(ctx: RunContext, opinion: DeployOpinion) -> DeployOpinion:
    """Model text is shaped by untrusted input: redact, bound and neutralise it (no mentions,
    HTML or links) before anyone sees it."""
    from cicd_agent.modes.deploy_gate.result import DeployOpinion

    def clean(items: list[str]) -> list[str]:
        from cicd_agent.markdown import neutralise

        return [
            neutralise(ctx.redactor.redact(item.strip())[:300])
            for item in items[:8]
            if item.strip()
        ]

    return DeployOpinion(
        risk_factors=clean(opinion.risk_factors),
        risk_level=opinion.risk_level,
        pre_deploy_checks=clean(opinion.pre_deploy_checks),
        monitoring_focus=clean(opinion.monitoring_focus),
        confidence=min(1.0, max(0.0, float(opinion.confidence))),
    )


def _coverage(path_text: str | None, root: Path) -> CoverageReport | None:
    from pathlib import Path

    from cicd_agent.analysis.signals import read_coverage

    if not path_text:
        return None
    path = Path(path_text)
    return read_coverage(path if path.is_absolute() else root / path)


def _paths(head: str | None, base: str | None, root: Path) -> list[Path]:
    from pathlib import Path

    found = []
    for text in (head, base):
        if text:
            path = Path(text)
            found.append(path if path.is_absolute() else root / path)
    return found


def _report_digests(paths: list[Path]) -> dict[str, str]:
    from cicd_agent.audit import file_digest

    return {str(path): file_digest(path) for path in paths if path.is_file()}


def _audit_path(ctx: RunContext, explicit: Path | None) -> Path:
    from cicd_agent.audit import default_audit_path

    if explicit is not None:
        return explicit
    return default_audit_path(ctx.environ, "deploy-gate", ctx.options.repo_dir)


def _write_audit(ctx: RunContext, result: DeployGateResult, explicit: Path | None) -> str:
    from cicd_agent import audit

    usage = ctx.usage_report()
    record = {
        "mode": "deploy-gate",
        "phase": "deploy",
        "repository": ctx.repository,
        "event": ctx.options.event_name,
        "inputs_digest": audit.digest(result._audit_inputs),
        "inputs": result._audit_inputs,
        "signals": [s.model_dump(mode="json") for s in result.signals],
        "features": result.features.model_dump(mode="json"),
        "verdict": {
            "finished": True,
            "recommendation": result.recommendation.value,
            "strategy": result.strategy.value,
            "canary_percentage": result.canary_percentage,
            "requires_approval": result.requires_approval,
            "risk_level": result.risk_level.value,
            "risk_score": result.risk_score,
            "deterministic_level": result.deterministic_level.value,
            "safety_score": result.safety_score,
            "hold_reasons": result.hold_reasons,
            "approval_reasons": result.approval_reasons,
            "change_types": [kind.value for kind in result.change_types],
        },
        "model": usage.model_dump(mode="json"),
    }
    path = _audit_path(ctx, explicit)
    try:
        return str(audit.append(path, record))
    except OSError as exc:
        ctx.note(f"The audit file {path} could not be written: {exc.strerror}.")
        return ""


def _slack_text(ctx: RunContext, result: DeployGateResult) -> str:
    where = ctx.repository or str(ctx.options.repo_dir.name)
    env = f" to {result.environment}" if result.environment else ""
    run = ""
    server, run_id = ctx.environ.get("GITHUB_SERVER_URL"), ctx.environ.get("GITHUB_RUN_ID")
    if server and run_id and ctx.repository:
        run = f"{server}/{ctx.repository}/actions/runs/{run_id}"
    from cicd_agent.notify import slack_text

    return slack_text(
        ctx.redactor.redact(
            f"deploy-gate{env} for {where} @ {result.head[:12]}: {result.headline}"
        ),
        run,
    )


DEPLOY_PHASE = DeployPhase()
MODE = DeployGate()

__all__ = ["MODE", "DeployGate", "DeployPhase", "canary_phase"]
