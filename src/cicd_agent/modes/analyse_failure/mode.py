"""``cicd-agent analyse-failure``: why a CI run failed, where, what to do, and whether it is flaky.

:func:`run` is the whole mode, read top to bottom. Each step has a module of its own
(``collect``, ``fix``, ``ask``, ``publish``), except the two pure steps, ``analyse`` and
``decide``, which are both in the module ``decide`` (as review's are). The fix step (the
deterministic fixer, when ``--fix`` asks for it) runs between analyse and ask. The excerpt's fit
to the model's budget (``fit``) is what the pure steps are handed from the run; the fix step's
verifier goes to ask as a local of :func:`run`, never in the verdict, which is data.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import analysing, ask_model, begin, finish
from cicd_agent.modes.analyse_failure.ask import ask
from cicd_agent.modes.analyse_failure.collect import collect, fit
from cicd_agent.modes.analyse_failure.decide import analyse, decide
from cicd_agent.modes.analyse_failure.fix import fix
from cicd_agent.modes.analyse_failure.publish import publish

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Finished, Mode
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.modes.analyse_failure.result import FailureResult


def run(ctx: RunContext[AnalyseFailureOptions]) -> Finished[FailureResult]:
    """Analyse the failed run ``ctx`` names; the result with the exit code it earns."""
    begin(ctx)
    facts = collect(ctx)
    analysing(ctx)
    fitted = fit(ctx)
    verdict = analyse(facts, fitted)
    verdict, verifier = fix(ctx, verdict, ctx.resources)  # its sandbox closes with the run
    opinion = ask_model(ctx, lambda: ask(ctx, verdict, verifier))
    result = decide(verdict, opinion, redact=fitted.redact)
    return finish(ctx, result, lambda decided: publish(ctx, facts, decided))


class AnalyseFailure:
    """The analyse-failure mode as the registry sees it (a
    :class:`~cicd_agent.job.pipeline.Mode`)."""

    name = "analyse-failure"
    # Nothing to fail closed on: a failed analysis changes nothing a later job branches on.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({})

    def run(self, ctx: RunContext[AnalyseFailureOptions]) -> Finished[FailureResult]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[AnalyseFailureOptions]) -> dict[str, str]:
        return {}


MODE: Mode = AnalyseFailure()
