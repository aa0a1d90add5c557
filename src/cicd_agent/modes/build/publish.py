"""Every write of the build mode: the report file, the SBOM, the SARIF log of the new
vulnerabilities and the sticky pull request comment."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.job.context import RunContext
from cicd_agent.job.pull_comment import comment_on_pull
from cicd_agent.modes.build.findings import Findings
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.packages import Package
from cicd_agent.modes.build.result import BuildResult
from cicd_agent.modes.build.sarif import sarif_log

if TYPE_CHECKING:
    from cyclonedx.model.bom import Bom

COMMENT_KEY = "build"


def write_sbom(path: Path, found: tuple[Package, ...]) -> None:
    """The head image's packages as a CycloneDX 1.5 JSON document."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot5
    from packageurl import PackageURL

    bom = Bom()
    for package in found:
        bom.components.add(
            Component(
                name=package.name,
                version=package.version,
                type=ComponentType.LIBRARY,
                purl=PackageURL.from_string(package.purl),
                bom_ref=package.purl,
            )
        )
    bom.register_dependency = _registered(bom)  # type: ignore[method-assign]
    path.write_text(JsonV1Dot5(bom).output_as_string(indent=1), encoding="utf-8")


def _registered(bom: Bom) -> Callable[..., None]:
    """``bom``'s ``register_dependency`` as its output calls it (once a component, naming no
    dependencies), in constant time: cyclonedx-python-lib's finds a component's entry by a scan
    of every entry, so an output took time quadratic in the components (8,000 took 24 CPU-s,
    the 100,000 packages an image may hold about 40 minutes). The entries written are the
    library's own: one a component, with no dependencies."""
    from cyclonedx.model.dependency import Dependable, Dependency

    seen: set[object] = set()

    def register(target: Dependable, depends_on: object = None) -> None:
        if depends_on:
            raise ValueError("the build mode's SBOM names no dependencies")
        if target.bom_ref not in seen:
            seen.add(target.bom_ref)
            bom.dependencies.add(Dependency(ref=target.bom_ref))

    return register


def publish(ctx: RunContext[BuildOptions], result: BuildResult, found: Findings) -> None:
    report = ctx.runner_file("cicd-agent-build.json")
    if report is not None:
        report.write_text(json.dumps(result.to_json(), indent=1), encoding="utf-8")
    if result.sbom_path:
        write_sbom(Path(result.sbom_path), found.head)
    if result.sarif_file:
        new = {v.id for v in result.new_vulnerabilities}
        lines = {row.layer: row.line for row in result.instructions if row.layer is not None}
        fresh = [v for v in found.head_vulns if v.id in new]
        Path(result.sarif_file).write_text(
            json.dumps(sarif_log(fresh, ctx.mode_options.dockerfile, lines)), encoding="utf-8"
        )
    comment_on_pull(ctx, COMMENT_KEY, result.summary_markdown())
