"""The build mode's options as one frozen, typed object: the only place that reads them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.build.mirrors import Mirror, mirrors

if TYPE_CHECKING:
    from cicd_agent.job.options import Given

UNITS = {
    "": 1,
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
}
SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?I?B?)\s*", re.IGNORECASE)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REFERENCE = re.compile(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)
"""An image reference as docker reads one (``debian:bookworm-slim``, ``ghcr.io/team/app:1``),
never a transport (``oci:/path``) or a variable."""
HINT = (
    "Give --image NAME=PATH: NAME as the FROM line writes it, PATH an OCI layout folder, an "
    "OCI or docker-archive tar, or a root file system tar, outside the checkout."
)


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


def images(text: str) -> tuple[tuple[str, Path], ...]:
    """``NAME=PATH`` pairs, one a line (a repeated ``--image`` gives them so); a relative path
    is the working folder's. A name that is not an image reference, or no path, is exit 2."""
    pairs = []
    for part in text.splitlines():
        name, equals, path = part.strip().partition("=")
        if not part.strip():
            continue
        if not equals or not path.strip() or REFERENCE.fullmatch(name.strip()) is None:
            raise UsageError(f"--image {part.strip()[:200]!r} is not NAME=PATH.", hint=HINT)
        pairs.append((name.strip(), Path(path.strip()).absolute()))
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
    images: tuple[tuple[str, Path], ...] = ()
    """``--image``: the local image each ``FROM`` name is given (:mod:`.images`)."""
    mirrors: tuple[Mirror, ...] = ()
    """``mirror``: the mirror each registry's pulls ask first (:mod:`.mirrors`)."""

    @classmethod
    def from_given(cls, given: Given) -> BuildOptions:
        limit, grown = given.text("size_limit"), given.text("growth_limit")
        vuln_db = given.text("vuln_db") or "none"
        if vuln_db == "none" and given.text("fail_on") in ("new-critical", "new-high"):
            # a gate on vulnerabilities nothing looks for would pass every image
            raise UsageError(
                f"fail-on {given.text('fail_on')} needs vulnerability data, and vuln-db is none.",
                hint="Set vuln-db: osv (OSV's data, downloaded) or a folder of OSV records.",
            )
        return cls(
            base=given.text("base") or None,
            head=given.text("head") or None,
            dockerfile=given.text("dockerfile") or "Dockerfile",
            context=given.text("context") or ".",
            target=given.text("target") or None,
            build_args=build_args(given.text("build_arg") or ""),
            builder=given.text("builder") or "auto",
            vuln_db=vuln_db,
            vex=given.path("vex"),
            base_image=given.text("base_image") or None,
            size_limit=size(limit, "size-limit") if limit else None,
            growth_limit=growth(grown) if grown else None,
            advice=(given.text("advice") or "on") == "on",
            cache_dir=given.path("cache_dir"),
            smoke_command=given.text("smoke_command") or None,
            images=images(given.text("image") or ""),
            mirrors=mirrors(given.text("mirror") or ""),
        )
