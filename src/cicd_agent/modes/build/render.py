"""The build's summary and pull request comment: the table per instruction, a picture of the
layers (base beside head), the packages and vulnerabilities the change brings, and the advice
that building proved. Every word from the Dockerfile or the image is shown as code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.api import code_block, code_span

if TYPE_CHECKING:
    from cicd_agent.modes.build.result import BuildResult, LayerBar

BAR = 30
"""Characters of the longest bar in the picture."""
SHOWN = 30
"""Rows of a list shown before the rest is counted."""


def human(size: int | None) -> str:
    if size is None:
        return "-"
    sign = "-" if size < 0 else ""
    value = float(abs(size))
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{sign}{value:.0f} {unit}" if unit == "B" else f"{sign}{value:.1f} {unit}"
        value /= 1000
    return f"{sign}{value:.1f} GB"


def signed(size: int | None) -> str:
    return "-" if size is None else ("+" if size > 0 else "") + human(size)


def table(result: BuildResult) -> str:
    rows = [
        "| line | instruction | added | base | wasted | cached |",
        "|---:|---|---:|---:|---:|:-:|",
    ]
    for row in result.instructions:
        cell = code_span(row.instruction, limit=80).replace("|", "\\|")
        changed = "" if row.same_files is not False or row.base_added_bytes is None else " ≠"
        rows.append(
            f"| {row.line} | {cell} | {human(row.added_bytes)}{changed} | "
            f"{human(row.base_added_bytes)} | {human(row.wasted_bytes) if row.wasted_bytes else ''} "
            f"| {'yes' if row.cached else ''} |"
        )
    return "\n".join(rows)


def picture(base: list[LayerBar], head: list[LayerBar]) -> str:
    """Base beside head, one bar a layer, lengths to one scale: a text block any reader shows."""
    largest = max([bar.bytes for bar in (*base, *head)] or [1]) or 1

    def bar(layer: LayerBar | None) -> str:
        if layer is None:
            return " " * (BAR + 10)
        filled = round(BAR * layer.bytes / largest)
        return ("█" * filled or "▏").ljust(BAR) + f" {human(layer.bytes):>9}"

    width = max([len(layer.label) for layer in (*base, *head)] or [5])
    lines = [f"{'':{width}}  {'base':<{BAR + 10}}  head"]
    labels = list(dict.fromkeys([layer.label for layer in head] + [layer.label for layer in base]))
    by_base = {layer.label: layer for layer in base}
    by_head = {layer.label: layer for layer in head}
    lines += [
        f"{label:{width}}  {bar(by_base.get(label))}  {bar(by_head.get(label))}" for label in labels
    ]
    return code_block("\n".join(lines))


def _listed(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    more = [f"- and {len(items) - SHOWN} more (in the JSON report)"] if len(items) > SHOWN else []
    return [f"**{title}**", "", *items[:SHOWN], *more, ""]


def at(line: int | None) -> str:
    return f" (line {line})" if line else " (base image)"


def body(result: BuildResult) -> str:
    parts = [
        f"Image: **{human(result.image_size)}** ({signed(result.image_size_delta)} against the "
        f"base), {human(result.wasted_bytes)} wasted in layers, build strategy "
        f"**{result.build_strategy}**.",
        "",
        table(result),
        "",
        picture(result.base_layers, result.head_layers),
        "",
    ]
    parts += _listed(
        "Packages added", [f"- {code_span(p.purl)}{at(p.line)}" for p in result.packages_added]
    )
    parts += _listed(
        "Packages removed", [f"- {code_span(p.purl)}" for p in result.packages_removed]
    )
    parts += _listed(
        "Packages changed",
        [
            f"- {code_span(p.before)} → {code_span(p.purl)}{at(p.line)}"
            for p in result.packages_changed
        ],
    )
    parts += _listed(
        "New vulnerabilities",
        [
            f"- {code_span(v.id)} {v.severity} in {code_span(v.package)}{at(v.line)}"
            + (f", fixed in {code_span(v.fixed_version)}" if v.fixed_version else "")
            for v in result.new_vulnerabilities
        ],
    )
    parts += _listed(
        "Fixed vulnerabilities",
        [f"- {code_span(v.id)} in {code_span(v.package)}" for v in result.fixed_vulnerabilities],
    )
    if result.pre_existing_vulnerabilities:
        parts += [
            f"{result.pre_existing_vulnerabilities} vulnerabilities were already in the "
            "base's image.",
            "",
        ]
    parts += advice(result)
    return "\n".join(parts)


def advice(result: BuildResult) -> list[str]:
    """Verified advice as suggestion blocks with their numbers; the rest listed, unproven."""
    verified = [a for a in result.advice if a.status == "verified"]
    other = [a for a in result.advice if a.status != "verified"]
    parts: list[str] = []
    for item in verified:
        parts += [
            f"**Advice proven by building: {item.rule}** (line {item.line}): "
            f"{human(item.size_before)} → {human(item.size_after)}, the same files"
            + (", the cache kept on an application-only change" if item.cache_kept else "")
            + ".",
            "",
            code_block(item.suggestion, "suggestion"),
            "",
        ]
    parts += _listed(
        "Advice not shown (not proven)",
        [f"- {item.rule} (line {item.line}): {item.status}, {item.why}" for item in other],
    )
    return parts
