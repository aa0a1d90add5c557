"""deploy-gate: whether and how a change ships (``--phase deploy``), or how its canary fares
(``--phase canary``, the :mod:`.canary` package).

Wiring only. ``options`` reads the options once; ``collect`` reads the change range, scores its
risk (:mod:`cicd_agent.risk`, refitted to the repository's own history), gathers the CI signals
(JUnit, coverage, GitHub) and, when a model is asked, the diff it is shown; ``decide`` holds the
deterministic floor (the policy's decision and the safety score) and merges the model's
opinion, which may only add caution; ``prompt`` builds what the model sees and holds its
answer's schema; ``result`` renders outputs, summary and ``--json``; ``publish`` appends the
audit record and tells Slack about a hold. The deploy phase fails closed: when it cannot
finish, the outputs say ``recommendation=hold`` and an audit line records the failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from cicd_agent.modes import Wiring
from cicd_agent.modes.deploy_gate import arguments
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions
from cicd_agent.modes.deploy_gate.options import DeployOptions, PhaseOptions
from cicd_agent.runner.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Mode, Told
    from cicd_agent.job.result import ModeResult
    from cicd_agent.modes.deploy_gate.canary.mode import CanaryPhase
    from cicd_agent.modes.deploy_gate.result import DeployResult
    from cicd_agent.modes.deploy_gate.types import DeployFacts, DeployOpinion, DeployVerdict
    from cicd_agent.runner.errors import ExitCode


def canary_phase() -> CanaryPhase:
    """The canary phase, imported only when it runs (it brings scipy)."""
    try:
        from cicd_agent.modes.deploy_gate.canary.mode import PHASE
    except ModuleNotFoundError as exc:
        raise UsageError("The canary phase is not part of this build of cicd-agent.") from exc
    return PHASE


class DeployGate:
    """The ``deploy-gate`` mode: dispatches every step to the selected phase."""

    name = "deploy-gate"
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # Before the phase is known (a bad flag), both phases' safe answers: hold, and never promote
    # or roll back a canary on our own failure.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType(
        {
            "recommendation": "hold",
            "requires_approval": "true",
            "verdict": "continue",
            "rollback": "false",
            "healthy": "false",
        }
    )

    def run(self, ctx: RunContext[PhaseOptions]) -> tuple[ModeResult, ExitCode]:
        """Run the selected phase's steps. Each phase is its own typed
        :class:`~cicd_agent.job.pipeline.Steps`, with the ``fail-on`` values it can produce:
        ``--phase deploy --fail-on rollback`` is refused before any work, not ignored."""
        from cicd_agent.job.pipeline import run_mode  # brings pydantic: see the module doc

        # Every option is typed and checked before any I/O; the options' type is the phase.
        if isinstance(ctx.mode_options, CanaryOptions):
            return run_mode(canary_phase(), cast("RunContext[CanaryOptions]", ctx))
        assert isinstance(ctx.mode_options, DeployOptions)
        return run_mode(DEPLOY_PHASE, cast("RunContext[DeployOptions]", ctx))

    def failure_outputs(self, ctx: RunContext[PhaseOptions]) -> dict[str, str]:
        if ctx.given.text("phase") == "canary":
            try:
                return canary_phase().failure_outputs(ctx)
            except UsageError:
                pass
        return DEPLOY_PHASE.failure_outputs(ctx)


class DeployPhase(Wiring):
    """Risk, signals and policy → proceed or hold, strategy, approval, routing."""

    name = "deploy-gate --phase deploy"
    fail_on_choices = arguments.DEPLOY_FAIL_ON

    def collect(self, ctx: RunContext[DeployOptions]) -> DeployFacts:
        from cicd_agent.modes.deploy_gate.collect import collect

        return collect(ctx)

    def analyse(self, told: Told, facts: DeployFacts) -> DeployVerdict:
        from cicd_agent.modes.deploy_gate.analyse import analyse

        return analyse(facts)

    def ask(
        self, ctx: RunContext[DeployOptions], facts: DeployFacts, verdict: DeployVerdict
    ) -> DeployOpinion:
        from cicd_agent.modes.deploy_gate.ask import ask

        return ask(ctx, facts, verdict)

    def decide(
        self, told: Told, verdict: DeployVerdict, opinion: DeployOpinion | None
    ) -> DeployResult:
        from cicd_agent.modes.deploy_gate.decide import decide

        return decide(verdict, opinion, redact=told.redact)

    def publish(
        self,
        ctx: RunContext[DeployOptions],
        facts: DeployFacts,
        verdict: DeployVerdict,
        result: DeployResult,
    ) -> None:
        from cicd_agent.modes.deploy_gate.publish import publish

        publish(ctx, facts, verdict, result)

    def failure_outputs(self, ctx: RunContext[object]) -> dict[str, str]:
        """Fail closed: a deploy that could not be judged is held, and the audit says why."""
        from cicd_agent.modes.deploy_gate.publish import fail_closed

        return fail_closed(ctx)


DEPLOY_PHASE = DeployPhase()
MODE: Mode = DeployGate()

__all__ = ["MODE", "DeployGate", "DeployPhase", "canary_phase"]
