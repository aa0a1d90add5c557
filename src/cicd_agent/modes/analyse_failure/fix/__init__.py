"""analyse-failure's fix step (:func:`fix`): a patch proposed, by the repository's own fixer or
the model's tool loop, is offered only when the fix judge (:mod:`cicd_agent.verify.fixes`)
verified it in the sandbox.

A package of its own because it is optional, and the one part of the mode that runs the
checkout's code.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.modes.analyse_failure.fix.attempt import start

if TYPE_CHECKING:
    from contextlib import ExitStack

    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.modes.analyse_failure.types import FailureVerdict
    from cicd_agent.verify.fixes import SandboxVerifier


def fix(
    ctx: RunContext[AnalyseFailureOptions], verdict: FailureVerdict, resources: ExitStack
) -> tuple[FailureVerdict, SandboxVerifier | None]:
    """The fix step, between analyse and ask: the verdict with the deterministic fixer's
    attempt, and the verifier for the ask step (None: no fix asked, no job failed, or no
    verifier could be opened). The sandbox is entered into ``resources`` (the run's), closed
    when the run ends, however it ends."""
    options, facts = ctx.mode_options, verdict.facts
    if options.fix == "off" or not verdict.analysis.failed_jobs:
        return verdict, None
    ctx.progress.stage("fix: the deterministic fixer in the sandbox")
    head = options.head or (facts.target.head_sha if facts.target else "")
    attempt, verifier = start(
        ctx, facts.scans, verdict.analysis, head, facts.log_is_proof,
        resources=resources, requested=options.fix,
    )  # fmt: skip
    return replace(verdict, fix=attempt), verifier
