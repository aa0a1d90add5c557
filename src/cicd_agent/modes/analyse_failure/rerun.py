"""Whether analyse-failure asks GitHub to re-run a failed run's jobs (``rerun-infrastructure``).

The decision is policy, so it is made with the result (``decide``, pure, from the settings read
here before it): publish only asks GitHub and records whether GitHub accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.modes.analyse_failure.result import FailureResult
    from cicd_agent.modes.analyse_failure.types import FailureFacts, RunTarget

ASKED = "every failure was infrastructure, on code from someone who can push"
"""The reason recorded when GitHub accepted the re-run."""


@dataclass(frozen=True)
class RerunRules:
    """What the run's settings say of a re-run, read from the run so ``decide`` need not be."""

    allowed: int = 0
    """``rerun-infrastructure``: 0 never, else the last attempt that may be re-run."""
    dry_run: bool = False
    can_ask: bool = False
    """A token and a repository: GitHub can be asked (read without connecting, so reading the
    rules notes nothing)."""


def rerun_rules(ctx: RunContext[AnalyseFailureOptions]) -> RerunRules:
    return RerunRules(
        allowed=ctx.mode_options.rerun_infrastructure,
        dry_run=ctx.options.dry_run,
        can_ask=ctx.github_token is not None and ctx.repository is not None,
    )


def _refusal(result: FailureResult, target: RunTarget, allowed: int) -> str:
    """Why the failed jobs are not re-run under ``rerun-infrastructure`` ("" when they are):
    only when every failed job's failure is infrastructure (a test failure, a build error or
    anything else is never re-run), at most ``allowed`` times a run."""
    kinds = sorted({job.failure_type for job in result.failed_jobs})
    if not kinds or kinds != ["infrastructure"]:
        return f"not every failure is infrastructure ({', '.join(kinds) or 'none found'})"
    if target.attempt > allowed:
        return f"attempt {target.attempt} is already a re-run"
    return ""


def decide_rerun(result: FailureResult, facts: FailureFacts, rules: RerunRules) -> None:
    """Set ``result.rerun_due``, or why not (``rerun_reason`` and a note): a re-run is asked for
    only of a run whose every failure is infrastructure, on code from someone who can push
    (collect's one decision, ``code_is_proof``), outside a dry run, with GitHub to ask."""
    target = facts.target
    if not rules.allowed or target is None or target.run_id is None or not result.failed_jobs:
        return
    why_not = _refusal(result, target, rules.allowed)
    if not why_not and not facts.code_is_proof:
        why_not = "the failed run's code is not known to come from someone who can push"
    if not why_not and rules.dry_run:
        why_not = "dry run"
    if not why_not and not rules.can_ask:
        why_not = "no GitHub token"
    if why_not:
        result.rerun_reason = why_not
        result.notes.append(
            f"The failed jobs were not re-run (rerun-infrastructure: {rules.allowed}): {why_not}."
        )
        return
    result.rerun_due = True
