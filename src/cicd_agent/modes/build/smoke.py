"""The smoke command: a team's own check that the image still works (``--smoke-command``), run
in the head's image and in every image advice proposes, by the builder, with no network and
nothing of the job's environment."""

from __future__ import annotations

from cicd_agent.job.context import RunContext
from cicd_agent.modes.build.builder import Builder
from cicd_agent.modes.build.layers import Built
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.result import SmokeReport

TIMEOUT = 300.0
"""Seconds a smoke command may run."""
LINES = 20
"""Its last lines kept."""


def smoke(
    ctx: RunContext[BuildOptions], builder: Builder, built: Built, what: str
) -> SmokeReport | None:
    """The smoke command run in ``built`` (None: there is no smoke command)."""
    command = ctx.mode_options.smoke_command
    if not command:
        return None
    if not built.image:
        ctx.note(f"The smoke command was not run in the {what}: it runs with buildah only.")
        return None
    ctx.progress.stage(f"smoke: {what}")
    status, tail = builder.smoke(built.image, command, TIMEOUT)
    kept = [line[:400] for line in tail[-LINES:]]
    return SmokeReport(command=command, exit_code=status, passed=status == 0, output=kept)
