"""``cicd-agent analyse-failure``: why a CI run failed, where, what to do, and whether it is flaky.

:func:`run` reads top to bottom. Two steps do more than their names say: ``check`` (only with
``--fix``) is the one place asking the model and running code interleave, as the model's tool
loop runs the failing command in the sandbox; it is handed one :class:`~.fix.attempt.FixInput`
and returns one :class:`~.fix.attempt.Checks`, or None when there was nothing to check (no fix
asked for, or no job failed). ``decide`` also finds whether the failed jobs are
due a re-run (:mod:`.rerun`), which ``publish`` asks GitHub for.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import announce_analyse, ask_model, begin, finish
from cicd_agent.modes.analyse_failure.ask import ask
from cicd_agent.modes.analyse_failure.collect import collect
from cicd_agent.modes.analyse_failure.decide import decide
from cicd_agent.modes.analyse_failure.fix import check
from cicd_agent.modes.analyse_failure.fix.attempt import FixInput
from cicd_agent.modes.analyse_failure.publish import publish
from cicd_agent.modes.analyse_failure.rerun import rerun_rules
from cicd_agent.modes.analyse_failure.types import ExcerptFit
from cicd_agent.modes.analyse_failure.verdict import analyse, excerpt_budget

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Finished, Mode
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.modes.analyse_failure.result import FailureResult
    from cicd_agent.modes.analyse_failure.types import FailureFacts, FailureVerdict


def run(ctx: RunContext[AnalyseFailureOptions]) -> Finished[FailureResult]:
    """Analyse the failed run ``ctx`` names; the result with the exit code it earns."""
    begin(ctx)
    facts = collect(ctx)
    announce_analyse(ctx)
    fitted = fit(ctx)
    verdict = analyse(facts, fitted)
    opinion = ask_model(ctx, lambda model: ask(model, verdict, fitted.redact))
    checks = check(ctx, fix_input(ctx, facts, verdict))
    result = decide(verdict, opinion, checks, redact=fitted.redact, rerun=rerun_rules(ctx))
    return finish(ctx, result, lambda decided: publish(ctx, facts, decided))


def fit(ctx: RunContext[AnalyseFailureOptions]) -> ExcerptFit:
    """The excerpt fitted to the budget of the model that will read it, if any (the run's
    model and redactor: the wiring's, as ``analyse`` takes no run)."""
    model = ctx.model
    if model is None:
        return ExcerptFit(ctx.redactor.redact)
    budget = excerpt_budget(model.prompt_budget("model"))
    return ExcerptFit(ctx.redactor.redact, budget, model.counter("model").count)


def fix_input(
    ctx: RunContext[AnalyseFailureOptions], facts: FailureFacts, verdict: FailureVerdict
) -> FixInput:
    """What the check step reads of the failed run (the log's failed jobs and tests, its root
    cause, the failing command's scans) and of this one (the options, whose code it is)."""
    analysis = verdict.analysis
    return FixInput(
        ctx.mode_options.fix,
        ctx.mode_options.head or (facts.target.head_sha if facts.target else ""),
        facts.scans,
        tuple(job.name for job in analysis.failed_jobs),
        analysis.failed_tests,
        analysis.root_cause,
        facts.code_is_proof,
        ctx.options.repo_dir,
        local=not ctx.has_event,
    )


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
