"""``cicd-agent build``: what a pull request does to its image.

The base and the head are built with one builder and one cache (collect), the report made from
the two images (analyse), advice checked by building it (advice), the comment and report file
written (publish). There is no model step: every number is measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cicd_agent.actions.errors import ExitCode
from cicd_agent.job.context import RunContext
from cicd_agent.job.pipeline import Mode, announce_analyse, begin, finish
from cicd_agent.modes.build.advice import prove
from cicd_agent.modes.build.analyse import analyse, decide
from cicd_agent.modes.build.collect import collect
from cicd_agent.modes.build.findings import gather
from cicd_agent.modes.build.lint import lint
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.publish import publish
from cicd_agent.modes.build.result import BuildResult
from cicd_agent.modes.build.smoke import smoke


def run(ctx: RunContext[BuildOptions]) -> tuple[BuildResult, ExitCode]:
    begin(ctx)
    options = ctx.mode_options
    facts = collect(ctx)
    smoked = smoke(ctx, facts.builds, facts.head, "the head's image")
    found = gather(ctx, facts.head, facts.base, facts.work, facts.trusted)
    advice = prove(ctx, facts) if options.advice else []
    linted = lint(ctx, facts)
    announce_analyse(ctx)
    verdict = analyse(facts.head, facts.base, found)
    result = decide(
        verdict,
        advice=advice,
        lint=linted,
        smoke=smoked,
        head=facts.head_sha,
        image=str(facts.head_layout),
        builder=facts.builds.name,
        dockerfile=options.dockerfile,
        size_limit=options.size_limit,
        growth_limit=options.growth_limit,
        sbom_path=str(facts.work / "sbom.cdx.json"),
        sarif_file=str(ctx.runner_file("cicd-agent-build.sarif") or ""),
    )
    return finish(ctx, result, lambda decided: publish(ctx, decided, found))


class Build:
    """The build mode as the registry sees it."""

    name = "build"
    fail_closed_outputs: Mapping[str, str] = MappingProxyType({"build_strategy": "full"})

    def run(self, ctx: RunContext[BuildOptions]) -> tuple[BuildResult, ExitCode]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[BuildOptions]) -> dict[str, str]:
        return {}


MODE: Mode = Build()
