"""deploy-gate ``--phase canary``: judge a running canary against its baseline and say promote,
continue or rollback. The action decides; the workflow acts (e.g. ``kubectl rollout undo``).

:func:`run` is the phase, read top to bottom: ``options`` reads the options once, ``config``
the metric specs; ``collect`` reads the samples from Prometheus (the one network call); the
analyse step judges them offline (``judge``: a
:class:`~cicd_agent.modes.deploy_gate.canary.types.CanaryVerdict`) and ``decide`` words the
``result``. No model is asked and nothing is posted (``publish`` only records the verdict when
a database is configured): a statistical test over real samples is the better judge, and
nothing here should be talked into a promote.

Never promotes what it cannot see: Prometheus unreachable gives ``continue`` with
``healthy=false`` and exit 3 (outputs written); a canary with no data gives ``continue``,
``healthy=false`` and exit 0.

deploy-gate's mode module imports this one only when the canary phase runs: its steps bring
scipy and the HTTP client, which the deploy phase never needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import announce_analyse, begin, finish
from cicd_agent.modes.deploy_gate.canary.collect import collect
from cicd_agent.modes.deploy_gate.canary.decide import decide, judge_samples
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions
from cicd_agent.modes.deploy_gate.canary.publish import publish
from cicd_agent.modes.deploy_gate.canary.result import CanaryResult

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Finished

NAME = "deploy-gate --phase canary"
FAIL_ON_CHOICES: tuple[str, ...] = ("rollback",)
FAILURE_OUTPUTS: Mapping[str, str] = MappingProxyType(
    {"verdict": "continue", "rollback": "false", "healthy": "false", "canary_score": "0"}
)
"""Fail safe: never promote, never roll back on our own failure."""


def run(ctx: RunContext[CanaryOptions]) -> Finished[CanaryResult]:
    """The canary phase: samples → promote, continue or rollback; the result with the exit
    code it earns. No model is asked (see the module doc)."""
    begin(ctx, phase=NAME, fail_on_choices=FAIL_ON_CHOICES)
    facts = collect(ctx)
    announce_analyse(ctx)
    verdict = judge_samples(facts.samples, facts.config, facts.state)
    result = decide(verdict, redact=ctx.redactor.redact)
    # Nothing to post; the verdict goes to the decision record when one is configured.
    return finish(ctx, result, lambda decided: publish(ctx, decided))
