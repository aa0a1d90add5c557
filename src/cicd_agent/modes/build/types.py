"""The build mode's step types: what collect read (the two built images), and what analyse
measured of them (the verdict decide turns into the result)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.modes.build.builder import Builder
from cicd_agent.modes.build.dockerfile import Parsed
from cicd_agent.modes.build.findings import Changes
from cicd_agent.modes.build.images import LocalImage
from cicd_agent.modes.build.layers import Built
from cicd_agent.modes.build.result import InstructionReport, LayerBar


@dataclass(frozen=True)
class Source:
    """One commit's files as a build reads them."""

    root: Path
    context: Path
    dockerfile: Path
    text: str
    parsed: Parsed


@dataclass(frozen=True)
class BuildFacts:
    """The head built (and the base, unless it could not be), with where they are."""

    head: Built
    base: Built | None
    head_layout: Path
    head_source: Source
    builds: Builder
    """The builder the head was built with: the advice and the smoke command use it (the
    head's image and its cache are in its storage)."""
    work: Path
    trusted: str | None = None
    """The base commit (None: not in the checkout): what the team's own files are read from,
    so a pull request cannot bring assessments of its own vulnerabilities."""
    base_text: str | None = None
    """The base's Dockerfile as written (None: the base was not read from a commit)."""
    head_sha: str = ""
    """The commit the head image was built from."""
    started: float = 0.0
    """When the mode began (``time.monotonic``)."""
    longest_build: float = 0.0
    """Seconds the longest of the base's and the head's builds took, reading it included
    (what a plain build of the Dockerfile takes here, as this run saw it)."""
    images: Mapping[str, LocalImage] = field(default_factory=dict)
    """The local image each ``FROM`` name was given (``--image``)."""


@dataclass(frozen=True)
class BuildVerdict:
    """What the two images measure: per instruction, in total, and what the packages and
    vulnerabilities changed (None: no package was read)."""

    instructions: tuple[InstructionReport, ...]
    image_size: int
    base_size: int | None
    wasted_bytes: int
    strategy: str
    head_layers: tuple[LayerBar, ...]
    base_layers: tuple[LayerBar, ...]
    changes: Changes | None
    vulnerabilities_read: bool
    notes: tuple[str, ...] = ()
