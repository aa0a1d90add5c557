"""Builds what a run hands review's analyse and decide steps (:class:`.types.Rules`): the
options that shape the result, and the run's own redaction, links and whether it posts.
Built here from the run's context, so those steps read none; shared by the review and the
hand-off phase.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from cicd_agent.api import parse_severity
from cicd_agent.modes.review import arguments
from cicd_agent.modes.review.options import ReviewOptions
from cicd_agent.modes.review.types import ReviewFacts, Rules

if TYPE_CHECKING:
    from cicd_agent.api import Finding, RunContext
    from cicd_agent.modes.review.placement import LinkMaker
    from cicd_agent.modes.review.types import Checks, PublishPlan


def rules(
    ctx: RunContext[ReviewOptions],
    plan: PublishPlan,
    *,
    summary: str | None = None,
    check: Callable[[ReviewFacts, Sequence[Finding]], Checks] | None = None,
) -> Rules:
    """The rules of this run for the review ``plan`` says where to post."""
    chosen = ctx.mode_options
    fail_on = ctx.options.fail_on
    sarif = sarif_path(ctx)
    return Rules(
        describe=chosen.describe,
        report_on=chosen.report_on,
        fail_on=parse_severity(fail_on, option="fail-on") if fail_on else None,
        request_changes=chosen.request_changes,
        max_findings=chosen.max_findings,
        describe_in=chosen.describe_in,
        sarif_file=str(sarif or ""),
        redact=ctx.redactor.redact,
        links=ctx.own_links,
        link=line_links(ctx.server_url, ctx.repository, plan.head),
        posts=plan.number is not None
        and not plan.read_only
        and not ctx.options.dry_run
        and ctx.github is not None,
        max_model_calls=chosen.max_model_calls,
        summary=summary,
        check=check,
    )


def line_links(server: str, repository: str | None, head: str) -> LinkMaker:
    """Links to a line of the reviewed commit on GitHub (or GHES), for the review body."""

    def link(path: str, line: int | None) -> str | None:
        if not repository or not head:
            return None
        anchor = f"#L{line}" if line else ""
        return f"{server}/{repository}/blob/{head}/{quote(path)}{anchor}"

    return link


def sarif_path(ctx: RunContext[ReviewOptions]) -> Path | None:
    """``--sarif-file``, else ``$RUNNER_TEMP/cicd-agent-review.sarif`` on a runner, else none
    (``RunContext.runner_file``)."""
    chosen = ctx.mode_options.sarif_file
    return chosen if chosen is not None else ctx.runner_file(arguments.SARIF_NAME)
