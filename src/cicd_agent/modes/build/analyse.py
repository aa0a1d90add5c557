"""The report from the two builds: :func:`analyse` measures the images, :func:`decide` makes
the result (both pure: values in, values out)."""

from __future__ import annotations

from collections.abc import Sequence

from cicd_agent.modes.build.findings import Findings, changes
from cicd_agent.modes.build.layers import Built, Row, compare, rows, strategy, wasted_by_layer
from cicd_agent.modes.build.options import Growth
from cicd_agent.modes.build.result import (
    AdviceReport,
    BuildResult,
    InstructionReport,
    LayerBar,
    LintFinding,
    SmokeReport,
    human,
    signed,
)
from cicd_agent.modes.build.types import BuildVerdict


def bars(built: Built) -> tuple[LayerBar, ...]:
    """The image's layers for the picture: the base image's own as one bar, then one a
    layer-writing instruction, labelled by line."""
    found = [row for row in rows(built) if row.layer is not None]
    own = {row.layer for row in found}
    below = sum(layer.size for layer in built.tree.layers if layer.index not in own)
    return (
        LayerBar(label="FROM (base image)", bytes=below),
        *(
            LayerBar(label=f"L{row.instruction.line} {row.instruction.keyword}", bytes=row.added)
            for row in found
        ),
    )


def layer_line(head_rows: Sequence[Row]) -> dict[int, int]:
    """layer index → the Dockerfile line whose instruction wrote it."""
    return {row.layer: row.instruction.line for row in head_rows if row.layer is not None}


def analyse(head: Built, base: Built | None, found: Findings | None) -> BuildVerdict:
    comparison = compare(base, head)
    head_lines = layer_line(comparison.head)
    base_lines = layer_line(rows(base)) if base is not None else {}
    instructions = tuple(
        InstructionReport(
            line=row.instruction.line,
            instruction=row.instruction.short,
            added_bytes=row.added,
            wasted_bytes=row.wasted,
            cached=row.cached,
            layer=row.layer,
            base_added_bytes=comparison.base_added.get(row.index),
            same_files=comparison.same_files.get(row.index),
        )
        for row in comparison.head
    )
    return BuildVerdict(
        instructions=instructions,
        image_size=head.size,
        base_size=base.size if base is not None else None,
        wasted_bytes=sum(wasted_by_layer(head.tree).values()),
        strategy=strategy(comparison.head) if base is not None else "full",
        head_layers=bars(head),
        base_layers=bars(base) if base is not None else (),
        changes=changes(found, head_lines, base_lines) if found is not None else None,
        vulnerabilities_read=found is not None and bool(found.head_vulns or found.base_vulns),
        notes=found.notes if found is not None else (),
    )


def decide(
    verdict: BuildVerdict,
    *,
    advice: Sequence[AdviceReport],
    lint: Sequence[LintFinding] = (),
    smoke: SmokeReport | None = None,
    head: str = "",
    image: str,
    builder: str,
    dockerfile: str,
    size_limit: int | None,
    growth_limit: Growth | None,
    sbom_path: str,
    sarif_file: str,
) -> BuildResult:
    size, base = verdict.image_size, verdict.base_size
    delta = size - base if base is not None else None
    grown = bool(
        growth_limit
        and base is not None
        and delta is not None
        and growth_limit.exceeded(base, delta)
    )
    moved = verdict.changes
    headline = (
        f"The image is {human(size)} ({signed(delta)} against the base); "
        f"{human(verdict.wasted_bytes)} wasted; build strategy {verdict.strategy}."
    )
    if moved is not None and verdict.vulnerabilities_read:
        critical = sum(1 for v in moved.new if v.severity == "critical")
        headline += f" {len(moved.new)} new vulnerabilities ({critical} critical)."
    return BuildResult(
        headline=headline,
        head=head,
        image_size=size,
        image_size_delta=delta,
        base_image_size=base,
        wasted_bytes=verdict.wasted_bytes,
        instructions=list(verdict.instructions),
        build_strategy=verdict.strategy,
        advice=list(advice),
        lint=list(lint),
        smoke=smoke,
        packages_added=moved.added if moved else [],
        packages_removed=moved.removed if moved else [],
        packages_changed=moved.changed if moved else [],
        new_vulnerabilities=moved.new if moved else [],
        fixed_vulnerabilities=moved.fixed if moved else [],
        pre_existing_vulnerabilities=moved.pre_existing if moved else 0,
        sbom_path=sbom_path if moved is not None else "",
        sarif_file=sarif_file if moved is not None and moved.new else "",
        notes=list(verdict.notes),
        image=image,
        builder=builder,
        size_limit=size_limit,
        growth_limit_exceeded=grown,
        base_layers=list(verdict.base_layers),
        head_layers=list(verdict.head_layers),
        dockerfile=dockerfile,
    )
