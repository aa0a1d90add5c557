"""The build mode's result: the report as JSON (these names are what workflows rely on), the
step outputs, and the summary and pull request comment (:mod:`render`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.api import ModeResult

STATUSES = ("verified", "refuted", "unchecked")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InstructionReport(_Frozen):
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


class PackageChange(_Frozen):
    purl: str
    line: int | None = None
    """The Dockerfile line whose layer brought it (None: the base image's own layers)."""
    before: str = ""
    """For a changed package, its purl in the base."""


class VulnerabilityReport(_Frozen):
    id: str
    aliases: list[str] = Field(default_factory=list)
    package: str
    severity: str
    fixed_version: str = ""
    line: int | None = None


class AdviceReport(_Frozen):
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
    why: str
    """Why the status is what it is, in one sentence (the measurement, or what stopped it)."""


class LayerBar(_Frozen):
    """One layer of the picture: its label and bytes."""

    label: str
    bytes: int


class BuildResult(ModeResult):
    mode: str = "build"
    image_size: int = 0
    """Bytes of the files the head's layers hold, uncompressed."""
    image_size_delta: int | None = None
    base_image_size: int | None = None
    wasted_bytes: int = 0
    instructions: list[InstructionReport] = Field(default_factory=list)
    build_strategy: str = "full"
    packages_added: list[PackageChange] = Field(default_factory=list)
    packages_removed: list[PackageChange] = Field(default_factory=list)
    packages_changed: list[PackageChange] = Field(default_factory=list)
    new_vulnerabilities: list[VulnerabilityReport] = Field(default_factory=list)
    fixed_vulnerabilities: list[VulnerabilityReport] = Field(default_factory=list)
    pre_existing_vulnerabilities: int = 0
    advice: list[AdviceReport] = Field(default_factory=list)
    image: str = ""
    """Where the head's OCI layout was written."""
    sbom_path: str = ""
    sarif_file: str = ""
    """Where the SARIF log of the new vulnerabilities is written ("" when there are none, or
    off a runner)."""
    builder: str = ""
    size_limit: int | None = None
    growth_limit_exceeded: bool = False
    base_layers: list[LayerBar] = Field(default_factory=list)
    head_layers: list[LayerBar] = Field(default_factory=list)
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
        from cicd_agent.modes.build.render import body

        return body(self)
