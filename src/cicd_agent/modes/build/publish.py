"""Every write of the build mode: the report file and the sticky pull request comment."""

from __future__ import annotations

import json

from cicd_agent.api import RunContext, posted
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.result import BuildResult

COMMENT_KEY = "build"


def publish(ctx: RunContext[BuildOptions], result: BuildResult) -> None:
    report = ctx.runner_file("cicd-agent-build.json")
    if report is not None:
        report.write_text(json.dumps(result.to_json(), indent=1), encoding="utf-8")
    if ctx.options.dry_run or not ctx.has_event:
        return
    pull = ctx.event.pull_request
    client = ctx.github
    if pull is None or client is None:
        return
    body = posted(result.summary_markdown(), allowed_links=ctx.own_links, limit=60_000)
    outcome = client.upsert_issue_comment(pull.number, COMMENT_KEY, body)
    if outcome.done:
        ctx.posted.record(comment_url=outcome.url)
    elif outcome.reason:
        ctx.note(f"The pull request comment was not written: {outcome.reason}")
