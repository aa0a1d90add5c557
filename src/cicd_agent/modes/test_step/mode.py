"""``cicd-agent test-step -- COMMAND...`` (or the action's ``mode: test-step`` with its
``command`` input): the job's test step, its failed tests retried, the quarantine honoured.

The wiring, top to bottom: collect (:mod:`.collect`: whom the code came from, the base's
quarantine, the command run with its retries), the verdict (:func:`.judge.analyse`, pure), with
``fix-flaky`` each flaky test classified and an order-dependent one fixed in the sandbox and with
``quarantine-pr`` the rest proposed for quarantine (:mod:`.flaky_step`), decide, and publish
(:mod:`.publish`: suggestions, the test history, issues). The step exits 0 when it passes, 1 when
it fails, 2 on bad usage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cicd_agent.actions.errors import ExitCode
from cicd_agent.job.pipeline import announce_analyse, begin, finish
from cicd_agent.modes.test_step.collect import collect
from cicd_agent.modes.test_step.flaky_step import fix, quarantine
from cicd_agent.modes.test_step.judge import analyse
from cicd_agent.modes.test_step.publish import publish
from cicd_agent.modes.test_step.result import TestStepResult, decide

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.test_step.options import TestStepOptions

NAME = "test-step"


def run(ctx: RunContext[TestStepOptions]) -> tuple[TestStepResult, ExitCode]:
    begin(ctx)
    options = ctx.mode_options
    facts = collect(ctx)
    announce_analyse(ctx)
    verdict = analyse(facts, ctx.today, options.flaky)
    fixes = fix(ctx, facts, verdict) if options.fix_flaky != "off" else []
    if options.quarantine_pr:
        quarantine(ctx, facts, verdict, fixes)
    result = decide(verdict, options.command, fixes)
    result, code = finish(ctx, result, lambda decided: publish(ctx, facts, decided))
    if code is ExitCode.OK and not result.passed:
        code = ExitCode.POLICY  # the step's own verdict: its tests failed
    return result, code


class TestStepMode:
    """The test step as the CLI runs it."""

    __test__ = False
    name = NAME
    fail_closed_outputs: Mapping[str, str] = {"step_result": "failed"}

    def run(self, ctx: RunContext[Any]) -> tuple[TestStepResult, ExitCode]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[Any]) -> dict[str, str]:
        return {}


MODE = TestStepMode()
