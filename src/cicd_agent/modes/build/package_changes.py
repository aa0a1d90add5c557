"""What changed between two images' packages (:mod:`.packages` reads each image's): added,
removed, and changed, each version compared by its ecosystem's rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cicd_agent.modes.build import versions
from cicd_agent.modes.build.packages import Package


@dataclass(frozen=True)
class Change:
    """A package both images hold at different versions; ``direction`` is ``upgraded``,
    ``downgraded``, or ``changed`` when the ecosystem's rules cannot order the two."""

    before: Package
    after: Package
    direction: str


@dataclass(frozen=True)
class PackageChanges:
    """What the head's packages add, remove and change against the base's. An added or changed
    package carries the head's layer, a removed one the base's."""

    added: tuple[Package, ...]
    removed: tuple[Package, ...]
    changed: tuple[Change, ...]


def compare_packages(base: Iterable[Package], head: Iterable[Package]) -> PackageChanges:
    """Packages paired by :attr:`Package.identity`; versions compared by their ecosystem's
    rules (``2.31`` and ``2.31.0`` are one PyPI version)."""
    before = _by_identity(base)
    after = _by_identity(head)
    changed = []
    for key in before.keys() & after.keys():
        old, new = before[key], after[key]
        order = versions.compare(new.ecosystem or old.ecosystem, old.version, new.version)
        if order is None and old.version != new.version:
            changed.append(Change(old, new, "changed"))
        elif order:
            changed.append(Change(old, new, "upgraded" if order < 0 else "downgraded"))
    return PackageChanges(
        tuple(after[key] for key in sorted(after.keys() - before.keys())),
        tuple(before[key] for key in sorted(before.keys() - after.keys())),
        tuple(sorted(changed, key=lambda change: change.after.identity)),
    )


def _by_identity(packages: Iterable[Package]) -> dict[tuple[str, str, str, str], Package]:
    found: dict[tuple[str, str, str, str], Package] = {}
    for package in packages:
        found.setdefault(package.identity, package)
    return found
