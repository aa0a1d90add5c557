"""``cicd-agent analyse-failure``: why a CI run failed, where, what to do, and whether it is flaky.

:func:`run` is the whole mode, read top to bottom:

- ``collect`` (:mod:`.collect`) reads the failed run: its logs, scanned once, the change it
  tested, the evidence about flakiness, and whose code wrote the log (``code_is_proof``);
- ``analyse`` (pure, :mod:`.verdict`) makes the deterministic verdict from those facts and the
  excerpt's fit to the model's budget (``fit``);
- ``ask`` (:mod:`.ask`) asks the model for its diagnosis, and only asks;
- ``check`` (:mod:`.fix`, only with ``--fix``) judges every fix claim in the sandbox: the
  repository's own fixer's patch, the model's patches from its tool loop (the one place asking
  and running interleave: the model runs the failing command as it works) and the test that
  shows a verified fix's bug; its sandbox closes when the step ends;
- ``decide`` (pure, :mod:`.decide`) merges the diagnosis with the verdict under guardrails,
  reads the check step's verdicts as data and decides whether the failed jobs are due a re-run
  (:mod:`.rerun`, from the settings ``rerun_rules`` reads);
- ``publish`` (:mod:`.publish`) writes the excerpt file, the comment, the fix's patch or pull
  request and the Slack message, and asks for the re-run decide found due; the outputs and the
  job summary are written by ``finish`` (:func:`cicd_agent.job.pipeline.finish`) around it, as
  in every mode.

Review's run has the same shape: its ``check`` judges each suggestion between ask and decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import announce_analyse, ask_model, begin, finish
from cicd_agent.modes.analyse_failure.ask import ask
from cicd_agent.modes.analyse_failure.collect import collect, fit
from cicd_agent.modes.analyse_failure.decide import decide
from cicd_agent.modes.analyse_failure.fix import check
from cicd_agent.modes.analyse_failure.fix.attempt import FixHanded
from cicd_agent.modes.analyse_failure.publish import publish
from cicd_agent.modes.analyse_failure.rerun import rerun_rules
from cicd_agent.modes.analyse_failure.verdict import analyse

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Finished, Mode
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.modes.analyse_failure.result import FailureResult


def run(ctx: RunContext[AnalyseFailureOptions]) -> Finished[FailureResult]:
    """Analyse the failed run ``ctx`` names; the result with the exit code it earns."""
    begin(ctx)
    facts = collect(ctx)
    announce_analyse(ctx)
    fitted = fit(ctx)
    verdict = analyse(facts, fitted)
    opinion = ask_model(ctx, lambda: ask(ctx.model, verdict, fitted.redact))
    handed = FixHanded(
        ctx.mode_options, ctx.model, ctx.options.repo_dir, local=not ctx.has_event, tool=ctx.tool
    )
    checks = check(ctx, verdict, handed)
    result = decide(verdict, opinion, checks, redact=fitted.redact, rerun=rerun_rules(ctx))
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
