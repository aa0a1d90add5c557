"""``cicd-agent analyse-failure``: why a CI run failed, where, what to do, and whether it is flaky.

Wiring only: each step is a module of its own (``collect``, ``analyse``, ``ask``, ``decide``,
``publish``); the fix step's verifier goes from collect to ask through this wiring, never in the
facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.modes.analyse_failure import arguments
from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Mode
    from cicd_agent.job.result import ModeResult
    from cicd_agent.modes.analyse_failure.result import FailureResult
    from cicd_agent.modes.analyse_failure.types import (
        ExcerptFit,
        FailureFacts,
        FailureOpinion,
        FailureVerdict,
    )
    from cicd_agent.runner.errors import ExitCode
    from cicd_agent.verify.contract import Verifier


class AnalyseFailure:
    name = arguments.NAME
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # Nothing to fail closed on: a failed analysis changes nothing a later job branches on.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({})

    def __init__(self) -> None:
        self._verifier: Verifier | None = None
        """The fix step's verifier that collect opened (its sandbox in the run's resources),
        handed to the ask step: one run's, held by this run's wiring (:meth:`run` makes a fresh
        one), never in the facts, which are data."""

    def collect(self, ctx: RunContext[AnalyseFailureOptions]) -> FailureFacts:
        from cicd_agent.modes.analyse_failure.collect import collect

        facts, self._verifier = collect(ctx, ctx.resources)
        return facts

    def told(self, ctx: RunContext[AnalyseFailureOptions], facts: FailureFacts) -> ExcerptFit:
        from cicd_agent.modes.analyse_failure.collect import fit

        return fit(ctx)

    def analyse(self, told: ExcerptFit, facts: FailureFacts) -> FailureVerdict:
        from cicd_agent.modes.analyse_failure.analyse import analyse

        return analyse(facts, told)

    def ask(
        self, ctx: RunContext[AnalyseFailureOptions], facts: FailureFacts, verdict: FailureVerdict
    ) -> FailureOpinion | None:
        from cicd_agent.modes.analyse_failure.ask import ask

        return ask(ctx, facts, verdict, self._verifier)

    def decide(
        self, told: ExcerptFit, verdict: FailureVerdict, opinion: FailureOpinion | None
    ) -> FailureResult:
        from cicd_agent.modes.analyse_failure.decide import decide

        return decide(verdict, opinion, redact=told.redact)

    def publish(
        self,
        ctx: RunContext[AnalyseFailureOptions],
        facts: FailureFacts,
        verdict: FailureVerdict,
        result: FailureResult,
    ) -> None:
        from cicd_agent.modes.analyse_failure.publish import publish

        publish(ctx, facts, result)

    def run(self, ctx: RunContext[AnalyseFailureOptions]) -> tuple[ModeResult, ExitCode]:
        from cicd_agent.job.pipeline import run_mode

        # A fresh wiring per run: the verifier it hands from collect to ask is this run's alone.
        # The fix sandbox is in ctx.resources, closed after the run.
        return run_mode(AnalyseFailure(), ctx)

    def failure_outputs(self, ctx: RunContext[AnalyseFailureOptions]) -> dict[str, str]:
        return {}


MODE: Mode = AnalyseFailure()
