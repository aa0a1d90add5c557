"""``cicd-agent eval``: whether a pull request makes the team's prompts or model worse.

Both sides' promptfoo configs are read from their commits (collect), each case asked of the
action's model ``repeats`` times and judged by its asserts (also collect: asking is how the
outcomes are measured, so there is no separate opinion to merge), the sides paired case by case
and tested (analyse), and the verdict published with its per-case table (publish). Or both
sides' outcomes are read from results files another tool wrote, and the same test judges them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cicd_agent.actions.errors import ExitCode
from cicd_agent.job.context import RunContext
from cicd_agent.job.pipeline import Mode, announce_analyse, begin, finish
from cicd_agent.modes.eval.analyse import analyse, decide
from cicd_agent.modes.eval.collect import collect
from cicd_agent.modes.eval.options import EvalOptions
from cicd_agent.modes.eval.publish import publish
from cicd_agent.modes.eval.result import EvalResult
from cicd_agent.modes.eval.stats import Limits


def run(ctx: RunContext[EvalOptions]) -> tuple[EvalResult, ExitCode]:
    begin(ctx)
    options = ctx.mode_options
    sides = collect(ctx)
    announce_analyse(ctx)
    limits = Limits(options.max_drop, options.max_detectable, options.min_pass_rate)
    judged = analyse(sides, limits, options.must_pass)
    cost = ctx.model.usage.cost_usd if ctx.model is not None else 0.0
    result = decide(judged, sides, cost=cost)
    return finish(ctx, result, lambda decided: publish(ctx, decided))


class Eval:
    """The eval mode as the registry sees it."""

    name = "eval"
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({"verdict": "insufficient"})

    def run(self, ctx: RunContext[EvalOptions]) -> tuple[EvalResult, ExitCode]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[EvalOptions]) -> dict[str, str]:
        return {}


MODE: Mode = Eval()
