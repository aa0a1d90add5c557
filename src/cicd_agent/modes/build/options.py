"""The build mode's options as one frozen, typed object: the only place that reads them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.options import Given

UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3,
         "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}  # fmt: skip
SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?I?B?)\s*", re.IGNORECASE)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def size(text: str, option: str) -> int:
    """``500MB`` → 500,000,000 bytes (``MiB`` for powers of two)."""
    found = SIZE.fullmatch(text)
    if found is None:
        raise UsageError(f"--{option} {text!r} is not a size.", hint="Write it as 500MB or 2GiB.")
    return int(float(found.group(1)) * UNITS[found.group(2).upper()])


@dataclass(frozen=True)
class Growth:
    """A growth limit: bytes, or a share of the base image's size."""

    bytes: int | None = None
    percent: float | None = None

    def exceeded(self, base_size: int, delta: int) -> bool:
        if self.bytes is not None:
            return delta > self.bytes
        return self.percent is not None and base_size > 0 and delta * 100 > self.percent * base_size


def growth(text: str) -> Growth:
    if text.strip().endswith("%"):
        try:
            return Growth(percent=float(text.strip()[:-1]))
        except ValueError:
            raise UsageError(
                f"--growth-limit {text!r} is not a share.", hint="Write it as 10% or 50MB."
            ) from None
    return Growth(bytes=size(text, "growth-limit"))


def build_args(text: str) -> tuple[tuple[str, str], ...]:
    """``A=1, B=2`` (or one a line) → pairs; every argument needs its value (a bare name would
    make docker read it from the job's environment)."""
    pairs = []
    for part in re.split(r"[\n,]", text):
        if not part.strip():
            continue
        name, equals, value = part.strip().partition("=")
        if not equals or NAME.fullmatch(name) is None:
            raise UsageError(
                f"--build-arg {part.strip()!r} is not NAME=VALUE.",
                hint="Give every build argument its value.",
            )
        pairs.append((name, value))
    return tuple(pairs)


@dataclass(frozen=True)
class BuildOptions:
    """What ``cicd-agent build`` was asked to do."""

    base: str | None
    head: str | None
    dockerfile: str
    context: str
    target: str | None
    build_args: tuple[tuple[str, str], ...]
    builder: str
    vuln_db: str
    vex: Path | None
    base_image: str | None
    size_limit: int | None
    growth_limit: Growth | None
    advice: bool
    cache_dir: Path | None
    smoke_command: str | None = None

    @classmethod
    def from_given(cls, given: Given) -> BuildOptions:
        limit, grown = given.text("size_limit"), given.text("growth_limit")
        return cls(
            base=given.text("base") or None,
            head=given.text("head") or None,
            dockerfile=given.text("dockerfile") or "Dockerfile",
            context=given.text("context") or ".",
            target=given.text("target") or None,
            build_args=build_args(given.text("build_arg") or ""),
            builder=given.text("builder") or "auto",
            vuln_db=given.text("vuln_db") or "none",
            vex=given.path("vex"),
            base_image=given.text("base_image") or None,
            size_limit=size(limit, "size-limit") if limit else None,
            growth_limit=growth(grown) if grown else None,
            advice=(given.text("advice") or "on") == "on",
            cache_dir=given.path("cache_dir"),
            smoke_command=given.text("smoke_command") or None,
        )
