"""Every write of the eval mode: the report file (what deploy-gate reads) and the sticky pull
request comment with the per-case table."""

from __future__ import annotations

import json

from cicd_agent.job.context import RunContext
from cicd_agent.job.pull_comment import comment_on_pull
from cicd_agent.modes.eval.options import EvalOptions
from cicd_agent.modes.eval.result import EvalResult

COMMENT_KEY = "eval"
REPORT = "cicd-agent-eval.json"


def publish(ctx: RunContext[EvalOptions], result: EvalResult) -> None:
    report = ctx.runner_file(REPORT)
    if report is not None:
        report.write_text(json.dumps(result.to_json(), indent=1), encoding="utf-8")
    comment_on_pull(ctx, COMMENT_KEY, result.summary_markdown())
