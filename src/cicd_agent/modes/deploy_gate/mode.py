"""deploy-gate: whether and how a change ships (``--phase deploy``), or how its canary fares
(``--phase canary``, the :mod:`.canary` package).

:func:`deploy` is the deploy phase, read top to bottom: ``collect`` reads the change range,
scores its risk (:mod:`cicd_agent.risk`, refitted to the repository's own history), gathers the
CI signals (JUnit, coverage, GitHub) and, when a model is asked, the diff it is shown;
``analyse`` weighs the signals into the policy's decision and the safety score, the
deterministic verdict; ``ask`` asks the model (``prompt`` builds what it sees and holds its
answer's schema); ``decide`` merges its opinion, which may only add caution; ``publish``
appends the audit record and tells Slack about a hold; ``result`` renders outputs, summary and
``--json``. The deploy phase fails closed: when it cannot finish, the outputs say
``recommendation=hold`` and an audit line records the failure.

This module is imported only when deploy-gate runs (``--help`` reads ``arguments`` alone), so it
imports the deploy phase's steps at the top; the canary phase's are imported when it runs
(:func:`canary`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.pipeline import announce_analyse, ask_model, begin, finish
from cicd_agent.modes.deploy_gate import arguments
from cicd_agent.modes.deploy_gate.analyse import analyse
from cicd_agent.modes.deploy_gate.ask import ask
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions
from cicd_agent.modes.deploy_gate.collect import collect
from cicd_agent.modes.deploy_gate.decide import decide
from cicd_agent.modes.deploy_gate.options import DeployOptions, PhaseOptions
from cicd_agent.modes.deploy_gate.publish import fail_closed, publish
from cicd_agent.modes.deploy_gate.result import DeployResult

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Finished, Mode, PlainResult


def deploy(ctx: RunContext[DeployOptions]) -> Finished[DeployResult]:
    """The deploy phase: risk, signals and policy → proceed or hold, strategy, approval,
    routing; the result with the exit code it earns."""
    begin(ctx, phase="deploy-gate --phase deploy", fail_on_choices=arguments.DEPLOY_FAIL_ON)
    facts = collect(ctx)
    announce_analyse(ctx)
    verdict = analyse(facts)
    opinion = ask_model(ctx, lambda model: ask(ctx, model, facts, verdict))
    result = decide(verdict, opinion, redact=ctx.redactor.redact)
    return finish(ctx, result, lambda decided: publish(ctx, facts, verdict, decided))


def canary(ctx: RunContext[CanaryOptions]) -> Finished[PlainResult]:
    """The canary phase (:func:`.canary.mode.run`), imported only when it runs (it brings
    scipy)."""
    try:
        from cicd_agent.modes.deploy_gate.canary.mode import run
    except ModuleNotFoundError as exc:
        raise UsageError("The canary phase is not part of this build of cicd-agent.") from exc
    return run(ctx)


class DeployGate:
    """The ``deploy-gate`` mode: runs the selected phase (:func:`deploy` or :func:`canary`)."""

    name = "deploy-gate"
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

    def run(self, ctx: RunContext[PhaseOptions]) -> Finished[PlainResult]:
        """Run the selected phase, with the ``fail-on`` values it can produce: ``--phase deploy
        --fail-on rollback`` is refused before any work, not ignored."""
        # Every option is typed and checked before any I/O; the options' type is the phase.
        if isinstance(ctx.mode_options, CanaryOptions):
            return canary(cast("RunContext[CanaryOptions]", ctx))
        assert isinstance(ctx.mode_options, DeployOptions)
        return deploy(cast("RunContext[DeployOptions]", ctx))

    def failure_outputs(self, ctx: RunContext[PhaseOptions]) -> dict[str, str]:
        if ctx.given.text("phase") == "canary":
            try:
                from cicd_agent.modes.deploy_gate.canary.mode import FAILURE_OUTPUTS
            except ModuleNotFoundError:  # not in this build: the deploy phase's answer
                pass
            else:
                return dict(FAILURE_OUTPUTS)
        # Fail closed: a deploy that could not be judged is held, and the audit says why.
        return fail_closed(ctx)


MODE: Mode = DeployGate()

__all__ = ["MODE", "DeployGate", "canary", "deploy"]
