"""deploy-gate's publish step: the audit record, and a Slack message when a deploy is held or
needs a human.

Every write of the deploy phase happens here, from the facts (the inputs the verdict saw, the
options) and the decided result. The audit is a JSON line appended to ``audit-file`` (default:
under ``RUNNER_TEMP``, else the checkout's ``.git``); a run that cannot finish appends one too
(:func:`fail_closed`), so every deploy the gate saw leaves a line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.actions.notify import SlackText, post_message, slack_text
from cicd_agent.job.decisions import record_decision
from cicd_agent.job.pipeline import as_json
from cicd_agent.local.audit import append, default_audit_path, digest
from cicd_agent.modes.deploy_gate.policy import Decision, Recommendation

# Types only: :func:`fail_closed` runs when a step failed, perhaps while importing, so this
# module loads none of the steps before it.
if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.deploy_gate.options import DeployOptions
    from cicd_agent.modes.deploy_gate.result import DeployResult
    from cicd_agent.modes.deploy_gate.types import DeployFacts, DeployVerdict


VERDICT_FIELDS = (
    *(item.name for item in fields(Decision)),
    "risk_level",
    "risk_score",
    "deterministic_level",
    "safety_score",
    "change_types",
)
"""The result's fields the audit record keeps as its verdict: the policy's decision, and the
risk, safety and change types it was made at."""


def publish(
    ctx: RunContext[DeployOptions],
    facts: DeployFacts,
    verdict: DeployVerdict,
    result: DeployResult,
) -> None:
    """Append the audit record (its path goes into the run's record, ``ctx.posted``, as the
    ``audit_file`` output), then tell Slack about a hold or an approval (never on a dry
    run)."""
    options = facts.options
    written = _write_audit(ctx, facts, result)
    if written:
        ctx.posted.record(audit_file=written)
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


def fail_closed(ctx: RunContext[object]) -> dict[str, str]:
    """The outputs of a deploy that could not be judged: held, with an audit line that says
    why."""
    outputs = {"recommendation": "hold", "requires_approval": "true"}
    record = {
        "mode": "deploy-gate",
        "phase": "deploy",
        "verdict": {"recommendation": "hold", "finished": False},
        "notes": [ctx.redactor.redact(note) for note in ctx.notes],
    }
    # Options may not have parsed (a bad value is one reason to be here): the raw input.
    explicit = ctx.given.text("audit_file")
    written = _append(ctx, Path(explicit) if explicit else None, record)
    if written:
        outputs["audit_file"] = written
    record_decision(
        ctx,
        ctx.given.text("audit_database_url"),
        phase="deploy",
        decision="hold",
        record=record,
        environment=ctx.given.text("environment"),
    )
    return outputs


def _append(ctx: RunContext[object], explicit: Path | None, record: Mapping[str, Any]) -> str:
    """Append ``record`` to the audit file (``explicit``, else the runner's temporary folder);
    the path written, or "" with a note when there is none or it could not be written."""
    path = explicit or default_audit_path(ctx.environ, "deploy-gate")
    if path is None:
        ctx.note(
            "No audit file was written: off a runner it is kept only where --audit-file "
            "(the audit-file input) names."
        )
        return ""
    try:
        return str(append(path, record, ctx.options.repo_dir, redact=ctx.redactor.redact))
    except OSError as exc:
        ctx.note(f"The audit file {path} could not be written: {exc.strerror}.")
        return ""


def _verdict(result: DeployResult) -> dict[str, object]:
    """The result's :data:`VERDICT_FIELDS` as ``--json`` shows them, in that order."""
    return {name: as_json(getattr(result, name)) for name in VERDICT_FIELDS}


def _write_audit(ctx: RunContext[DeployOptions], facts: DeployFacts, result: DeployResult) -> str:
    usage = ctx.usage_report()
    record = {
        "mode": "deploy-gate",
        "phase": "deploy",
        "repository": ctx.repository,
        "event": ctx.options.event_name,
        "inputs_digest": digest(facts.inputs),
        "inputs": facts.inputs,
        "signals": [as_json(s) for s in result.signals],
        "features": result.features.to_json(),
        "verdict": {"finished": True, **_verdict(result)},
        "model": usage.to_json(),
    }
    record_decision(
        ctx,
        facts.options.audit_database_url,
        phase="deploy",
        decision=result.recommendation.value,
        record=record,
        risk_level=result.risk_level.value,
        head_sha=str(facts.inputs.get("head") or "") or None,
        environment=facts.options.environment,
    )
    return _append(ctx, facts.options.audit_file, record)


def _slack_text(ctx: RunContext[DeployOptions], result: DeployResult) -> SlackText:
    where = ctx.repository or str(ctx.options.repo_dir.name)
    env = f" to {result.environment}" if result.environment else ""
    run = ""
    server, run_id = ctx.environ.get("GITHUB_SERVER_URL"), ctx.environ.get("GITHUB_RUN_ID")
    if server and run_id and ctx.repository:
        run = f"{server}/{ctx.repository}/actions/runs/{run_id}"
    return slack_text(
        ctx.redactor.redact(
            f"deploy-gate{env} for {where} @ {result.head[:12]}: {result.headline}"
        ),
        link=run,
    )
