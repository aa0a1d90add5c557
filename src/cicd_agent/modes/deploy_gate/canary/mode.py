"""deploy-gate ``--phase canary``: judge a running canary against its baseline and say promote,
continue or rollback. The action decides; the workflow acts (e.g. ``kubectl rollout undo``).

Wiring only: ``options`` reads the options once, ``config`` the metric specs; ``collect`` reads
the samples from Prometheus (the one network call); the analyse step judges them offline
(``judge``: a :class:`~cicd_agent.modes.deploy_gate.canary.types.CanaryVerdict`) and ``decide``
words the ``result``. No model is asked (``prompt``) and nothing is posted (``publish`` only
records the verdict when a database is configured): a statistical test over real samples is the
better judge, and nothing here should be talked into a promote.

Never promotes what it cannot see: Prometheus unreachable gives ``continue`` with
``healthy=false`` and exit 3 (outputs written); a canary with no data gives ``continue``,
``healthy=false`` and exit 0.

The steps are imported inside the methods: deploy-gate's mode module imports this one, and the
steps bring pydantic, scipy and the HTTP client, which importing a mode must not
(tests/project/test_mode_imports.py measures it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.modes import Wiring

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Told
    from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions
    from cicd_agent.modes.deploy_gate.canary.result import CanaryResult
    from cicd_agent.modes.deploy_gate.canary.types import CanaryFacts, CanaryVerdict


class CanaryPhase(Wiring):
    """The steps of the canary phase (a :class:`~cicd_agent.job.pipeline.Steps`)."""

    name = "deploy-gate --phase canary"
    fail_on_choices: tuple[str, ...] = ("rollback",)

    def collect(self, ctx: RunContext[CanaryOptions]) -> CanaryFacts:
        from cicd_agent.modes.deploy_gate.canary.collect import collect

        return collect(ctx)

    def analyse(self, told: Told, facts: CanaryFacts) -> CanaryVerdict:
        from cicd_agent.modes.deploy_gate.canary.decide import judge_samples

        return judge_samples(facts.samples, facts.config, facts.state)

    def ask(
        self, ctx: RunContext[CanaryOptions], facts: CanaryFacts, verdict: CanaryVerdict
    ) -> None:
        return None  # no model: see the prompt module

    def decide(self, told: Told, verdict: CanaryVerdict, opinion: None) -> CanaryResult:
        from cicd_agent.modes.deploy_gate.canary.decide import decide

        return decide(verdict, redact=told.redact)

    def publish(
        self,
        ctx: RunContext[CanaryOptions],
        facts: CanaryFacts,
        verdict: CanaryVerdict,
        result: CanaryResult,
    ) -> None:
        """Nothing to post; the verdict goes to the decision record when one is configured."""
        from cicd_agent.modes.deploy_gate.canary.publish import publish

        publish(ctx, result)

    def failure_outputs(self, ctx: RunContext[object]) -> dict[str, str]:
        """Fail safe: never promote, never roll back on our own failure."""
        return {"verdict": "continue", "rollback": "false", "healthy": "false", "canary_score": "0"}


PHASE = CanaryPhase()
