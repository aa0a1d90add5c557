"""Registry mirrors (``mirror``): every pull of a registry's image asks the mirror first.

Written into the ``registries.conf`` of each storage (:mod:`.store`), as containers' own
settings write a mirror, so buildah and skopeo read it for every pull: the base's, the head's,
every stage's and ``--from``'s, an advice build's. A mirror given as ``http://`` is spoken to in
plain HTTP (a mirror inside a network often is). The workflow or the settings file on the base
branch names it, never the pull request's files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cicd_agent.actions.errors import UsageError

HOST = r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?"
REGISTRY = re.compile(HOST)
LOCATION = re.compile(rf"(?:(https?)://)?({HOST}(?:/[a-z0-9._/-]{{1,200}})?)")
HINT = (
    "Give mirror as REGISTRY=MIRROR, one a line: docker.io=mirror.gcr.io, or "
    "docker.io=http://10.0.0.5:5000 for a mirror in plain HTTP."
)
SEARCH = """unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
"""
"""How a short image name (``python:3.11-slim``) resolves, as docker resolves it: on Docker
Hub, with no prompt (a build has no terminal to ask on)."""


@dataclass(frozen=True)
class Mirror:
    """Pulls from ``registry`` ask ``location`` first (``plain``: over HTTP)."""

    registry: str
    location: str
    plain: bool = False


def mirrors(text: str) -> tuple[Mirror, ...]:
    """``REGISTRY=MIRROR`` pairs, one a line or comma-separated; anything else is exit 2."""
    found: dict[str, Mirror] = {}
    for part in re.split(r"[\n,]", text):
        registry, equals, location = (word.strip() for word in part.partition("="))
        if not part.strip():
            continue
        where = LOCATION.fullmatch(location)
        if not equals or REGISTRY.fullmatch(registry) is None or where is None:
            raise UsageError(f"mirror {part.strip()[:200]!r} is not REGISTRY=MIRROR.", hint=HINT)
        if registry in found:
            raise UsageError(f"mirror names {registry!r} twice.", hint=HINT)
        found[registry] = Mirror(registry, where.group(2), where.group(1) == "http")
    return tuple(found.values())


def registries_conf(given: Sequence[Mirror]) -> str:
    """The ``registries.conf`` of every storage: short names on Docker Hub, and each mirror.
    Values are written as JSON strings, which TOML reads the same."""
    text = SEARCH
    for mirror in given:
        text += f"\n[[registry]]\nprefix = {json.dumps(mirror.registry)}\n"
        text += f"location = {json.dumps(mirror.registry)}\n"
        text += f"\n[[registry.mirror]]\nlocation = {json.dumps(mirror.location)}\n"
        text += "insecure = true\n" if mirror.plain else ""
    return text
