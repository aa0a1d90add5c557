"""Every write of the eval mode: the report file (what deploy-gate reads) and the sticky pull
request comment with the per-case table."""

from __future__ import annotations

import json

from cicd_agent.api import RunContext, posted
from cicd_agent.modes.eval.options import EvalOptions
from cicd_agent.modes.eval.result import EvalResult

COMMENT_KEY = "eval"
REPORT = "cicd-agent-eval.json"


def publish(ctx: RunContext[EvalOptions], result: EvalResult) -> None:
    report = ctx.runner_file(REPORT)
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
