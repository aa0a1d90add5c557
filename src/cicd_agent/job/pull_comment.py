"""The sticky comment on the run's pull request that the modes with one report post (build,
eval): one call from a mode's publish step, so each such comment is neutralised, skipped on a
dry run and recorded alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import posted

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext

COMMENT_LIMIT = 60_000
"""The most characters of a sticky comment (GitHub takes 65,536)."""


def comment_on_pull(ctx: RunContext[object], key: str, markdown: str) -> None:
    """The run's sticky comment ``key``, written or updated in place and neutralised for posting;
    nothing on a dry run or without a pull request or client. Its address is recorded
    (``comment_url``); why it was not written is a note."""
    if ctx.options.dry_run or not ctx.has_event:
        return
    pull, client = ctx.event.pull_request, ctx.github
    if pull is None or client is None:
        return
    body = posted(markdown, allowed_links=ctx.own_links, limit=COMMENT_LIMIT)
    outcome = client.upsert_issue_comment(pull.number, key, body)
    if outcome.done:
        ctx.posted.record(comment_url=outcome.url)
    elif outcome.reason:
        ctx.note(f"The pull request comment was not written: {outcome.reason}")
