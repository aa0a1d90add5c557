"""analyse-failure's own options as one frozen, typed object: the only place that reads them.

The run's resolver (:mod:`cicd_agent.job.resolve`) has already checked each value's type; this
turns the values into typed fields, once, before any GitHub or model work (the core's ``begin``
builds it first, so a bad value stops the run there).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.options import Given

FixRequest = Literal["off", "suggest", "pr"]


@dataclass(frozen=True)
class AnalyseFailureOptions:
    """What ``cicd-agent analyse-failure`` was asked to do."""

    logs: Path | None
    run_id: int | None
    base: str | None
    head: str | None
    slack_webhook_url: str | None
    fix: FixRequest = "off"
    """``suggest``: a verified patch as a file and on the pull request; ``pr``: also a draft PR."""
    rerun_infrastructure: int = 0
    """Re-runs of the failed jobs asked for when every failure is infrastructure (0 or 1)."""

    @classmethod
    def from_given(cls, given: Given) -> AnalyseFailureOptions:
        run_id = given.whole("run_id")
        if run_id is not None and run_id < 1:
            raise UsageError(f"run-id must be a workflow run id (1 or more), got {run_id}.")
        return cls(
            logs=given.path("logs"),
            run_id=run_id,
            base=given.text("base") or None,
            head=given.text("head") or None,
            slack_webhook_url=given.text("slack_webhook_url") or None,
            # the resolver checked the choice (``arguments.FIX_CHOICES``), as for every option
            fix=cast("FixRequest", given.text("fix") or "off"),
            rerun_infrastructure=given.whole("rerun_infrastructure") or 0,
        )
