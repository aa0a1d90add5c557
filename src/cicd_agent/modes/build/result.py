"""The build mode's result: the report as JSON (these names are what workflows rely on), the
step outputs, and the summary and pull request comment: the table per instruction, a picture of
the layers (base beside head), the packages and vulnerabilities the change brings, and the
advice that building proved. Every word from the Dockerfile or the image is shown as code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from cicd_agent.actions.markdown import code_block, code_span, prose
from cicd_agent.job.pipeline import PlainResult

STATUSES = ("verified", "refuted", "unchecked")


@dataclass(frozen=True, kw_only=True)
class InstructionReport:
    """One instruction of the image's stage."""

    line: int
    instruction: str
    added_bytes: int
    wasted_bytes: int
    """Bytes of files this instruction wrote that a later one overwrote or deleted."""
    cached: bool
    layer: int | None = None
    """The index of the layer it wrote in the head image (None: it wrote none)."""
    base_added_bytes: int | None = None
    """What the same instruction added in the base build (None: the base has none)."""
    same_files: bool | None = None
    """Whether base and head wrote the same files here (None: nothing to compare with)."""


@dataclass(frozen=True, kw_only=True)
class PackageChange:
    purl: str
    line: int | None = None
    """The Dockerfile line whose layer brought it (None: the base image's own layers)."""
    before: str = ""
    """For a changed package, its purl in the base."""


@dataclass(frozen=True, kw_only=True)
class VulnerabilityReport:
    id: str
    aliases: list[str] = field(default_factory=list)
    package: str
    severity: str
    fixed_version: str = ""
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class AdviceReport:
    """One candidate change to the Dockerfile, and what building it showed."""

    rule: str
    line: int
    status: str
    size_before: int | None = None
    size_after: int | None = None
    same_files: bool | None = None
    cache_kept: bool | None = None
    """Whether an application-only change kept the layers below the application cached."""
    suggestion: str
    """The changed lines, as a suggestion block would post them."""
    suggestion_file: str = ""
    """When set, ``suggestion`` is this whole file as it would be (a ``.dockerignore``)."""
    why: str
    """Why the status is what it is, in one sentence (the measurement, or what stopped it)."""


@dataclass(frozen=True, kw_only=True)
class LintFinding:
    """One of hadolint's findings on a line the pull request changed."""

    line: int
    code: str
    level: str
    message: str


@dataclass(frozen=True, kw_only=True)
class SmokeReport:
    """The smoke command run in the head's image."""

    command: str
    exit_code: int
    passed: bool
    output: list[str] = field(default_factory=list)
    """Its last lines."""


@dataclass(frozen=True, kw_only=True)
class LayerBar:
    """One layer of the picture: its label and bytes."""

    label: str
    bytes: int


@dataclass(kw_only=True)
class BuildResult(PlainResult):
    mode: str = "build"
    head: str = ""
    """The commit the head image was built from (a reader uses a report only for its head:
    deploy-gate's ``read_build_report``)."""
    image_size: int = 0
    """Bytes of the files the head's layers hold, uncompressed."""
    image_size_delta: int | None = None
    base_image_size: int | None = None
    wasted_bytes: int = 0
    instructions: list[InstructionReport] = field(default_factory=list)
    build_strategy: str = "full"
    packages_added: list[PackageChange] = field(default_factory=list)
    packages_removed: list[PackageChange] = field(default_factory=list)
    packages_changed: list[PackageChange] = field(default_factory=list)
    new_vulnerabilities: list[VulnerabilityReport] = field(default_factory=list)
    fixed_vulnerabilities: list[VulnerabilityReport] = field(default_factory=list)
    pre_existing_vulnerabilities: int = 0
    advice: list[AdviceReport] = field(default_factory=list)
    lint: list[LintFinding] = field(default_factory=list)
    """hadolint's findings on the lines the pull request changed."""
    smoke: SmokeReport | None = None
    """The smoke command's run in the head's image (None: no smoke command)."""
    image: str = ""
    """Where the head's OCI layout was written."""
    sbom_path: str = ""
    sarif_file: str = ""
    """Where the SARIF log of the new vulnerabilities is written ("" when there are none, or
    off a runner)."""
    builder: str = ""
    size_limit: int | None = None
    growth_limit_exceeded: bool = False
    base_layers: list[LayerBar] = field(default_factory=list)
    head_layers: list[LayerBar] = field(default_factory=list)
    dockerfile: str = ""
    comment_url: str = ""

    POSTED: ClassVar[frozenset[str]] = frozenset({"comment_url"})

    def counted(self, severity: str) -> int:
        return sum(1 for v in self.new_vulnerabilities if v.severity.lower() == severity)

    def mode_outputs(self) -> dict[str, object]:
        return {
            "image_size": self.image_size,
            "image_size_delta": self.image_size_delta,
            "wasted_bytes": self.wasted_bytes,
            "new_critical_cves": self.counted("critical"),
            "new_high_cves": self.counted("high"),
            "fixed_cves": len(self.fixed_vulnerabilities),
            "verified_advice": sum(1 for a in self.advice if a.status == "verified"),
            "build_strategy": self.build_strategy,
            "sbom_path": self.sbom_path,
            "sarif_file": self.sarif_file,
            "comment_url": self.comment_url,
        }

    def policy_failure(self, fail_on: str | None) -> str | None:
        critical, high = self.counted("critical"), self.counted("high")
        if fail_on == "smoke" and self.smoke is not None and not self.smoke.passed:
            return f"the smoke command exited {self.smoke.exit_code} in the head's image"
        if fail_on == "new-critical" and critical:
            return f"the head brings {critical} new critical vulnerabilities"
        if fail_on == "new-high" and critical + high:
            return f"the head brings {critical + high} new high or critical vulnerabilities"
        if (
            fail_on == "size-limit"
            and self.size_limit is not None
            and (self.image_size > self.size_limit)
        ):
            return f"the image is {self.image_size:,} bytes, over the limit of {self.size_limit:,}"
        if fail_on == "growth-limit" and self.growth_limit_exceeded:
            return f"the image grew by {self.image_size_delta or 0:,} bytes, over the growth limit"
        return None

    def summary_body(self) -> str:
        return body(self)


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
            f"{human(row.base_added_bytes)} | "
            f"{human(row.wasted_bytes) if row.wasted_bytes else ''} "
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
    parts = [  # the size, waste and strategy are the headline's, just above
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
    if result.smoke is not None:
        parts += [
            f"Smoke command {code_span(result.smoke.command)}: "
            + (
                "passed." if result.smoke.passed else f"**failed** (exit {result.smoke.exit_code})."
            ),
            "",
            *(
                [code_block("\n".join(result.smoke.output[-10:])), ""]
                if not result.smoke.passed
                else []
            ),
        ]
    parts += advice(result)
    parts += _listed(
        "Lint on the lines this change wrote (hadolint)",
        [
            f"- line {f.line}: {code_span(f.code)} {f.level}: {code_span(f.message)}"
            for f in result.lint
        ],
    )
    return "\n".join(parts)


PROVEN_ON_ITS_OWN_LINES = (
    "These builds ran this pull request's own `RUN` lines, which decide what they write and "
    "what the builder prints: the sizes this report gives, in its table and its advice, are "
    "what its Dockerfile did when built, not a check it could not sway."
)
"""Said above verified advice, after the layers' table: the evidence of both is the pull
request's own build."""


def _difference(before: int | None, after: int | None) -> str:
    """The bytes between two sizes, exact: a saving of a few hundred bytes (a ``.dockerignore``
    leaving out a small file) showed as ``120.0 MB → 120.0 MB``, a saving of nothing."""
    if before is None or after is None:
        return ""
    if before == after:
        return ", the same size"
    return f", {abs(before - after):,} bytes {'smaller' if after < before else 'larger'}"


def advice(result: BuildResult) -> list[str]:
    """Verified advice as suggestion blocks with their numbers; the rest listed, unproven."""
    verified = [a for a in result.advice if a.status == "verified"]
    other = [a for a in result.advice if a.status != "verified"]
    parts: list[str] = [PROVEN_ON_ITS_OWN_LINES, ""] if verified else []
    for item in verified:
        parts += [
            f"**Advice proven by building: {item.rule}** (line {item.line}): "
            f"{human(item.size_before)} → {human(item.size_after)}"
            f"{_difference(item.size_before, item.size_after)}: {prose(item.why)}.",
            "",
            *([f"The whole {code_span(item.suggestion_file)}:"] if item.suggestion_file else []),
            code_block(item.suggestion, "text" if item.suggestion_file else "suggestion"),
            "",
        ]
    parts += _listed(
        "Advice not shown (not proven)",
        [f"- {item.rule} (line {item.line}): {item.status}, {prose(item.why)}" for item in other],
    )
    return parts
