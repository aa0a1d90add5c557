"""Where a gate's verdict is recorded beyond its outputs: one call for review, deploy-gate and
the canary, so none can forget that a record never fails a gate. A database that is down or
refuses us is a note ("not written"), never an exit code. The URL carries a password: it is
masked before any connection is tried, and no message names it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cicd_agent import __version__

if TYPE_CHECKING:
    from cicd_agent.job.run import Run


def record_decision(
    ctx: Run,
    database_url: str | None,
    *,
    phase: str,
    decision: str,
    record: Mapping[str, Any],
    risk_level: str | None = None,
    head_sha: str | None = None,
    environment: str | None = None,
) -> int | None:
    """Write one verdict to the audit database when one is configured; the row id, or None
    when none is configured or the write failed (then the summary says so)."""
    if not database_url:
        return None
    from cicd_agent.local import audit_db

    for secret in audit_db.secrets_of(database_url):
        ctx.runner.mask(secret)
    row = audit_db.Decision(
        tool=f"cicd-agent {__version__}",
        mode=ctx.mode_name,
        phase=phase,
        decision=decision,
        record=record,
        repository=ctx.repository,
        head_sha=head_sha or ctx.environ.get("GITHUB_SHA") or None,
        run_url=_run_url(ctx),
        risk_level=risk_level,
        environment=environment,
    )
    ctx.progress.stage("recording the decision in the audit database")
    try:
        return audit_db.write(database_url, row)
    except audit_db.AuditDatabaseError as exc:
        ctx.note(
            f"The decision was not recorded in the audit database ({exc}); it stands as "
            "written here."
        )
        return None


def _run_url(ctx: Run) -> str | None:
    run_id = ctx.environ.get("GITHUB_RUN_ID")
    if not (run_id and ctx.repository):
        return None
    return f"{ctx.server_url}/{ctx.repository}/actions/runs/{run_id}"
