"""The fix step in the mode's wiring: between analyse and ask, the deterministic fixer tries
the failed command in the sandbox (:func:`.attempt.start`) when ``--fix`` asks for it and a job
failed, and its attempt joins the verdict."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.modes.analyse_failure.fix.attempt import start

if TYPE_CHECKING:
    from contextlib import ExitStack

    from cicd_agent.api import RunContext
    from cicd_agent.api.verify import SandboxVerifier
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.modes.analyse_failure.types import FailureVerdict


def fix(
    ctx: RunContext[AnalyseFailureOptions], verdict: FailureVerdict, resources: ExitStack
) -> tuple[FailureVerdict, SandboxVerifier | None]:
    """The verdict with the deterministic fixer's attempt, and the verifier for the ask step
    (None: no fix asked, no job failed, or no verifier could be opened). The sandbox is
    entered into ``resources`` (the run's), closed when the run ends, however it ends."""
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
