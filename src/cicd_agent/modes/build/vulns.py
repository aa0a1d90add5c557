"""Which of an image's packages OSV's records say are vulnerable, how badly, and what a pull
request changes about it.

:func:`match` follows the OSV schema's evaluation: a package version is affected when a record's
``versions`` list holds it or one of its ``ECOSYSTEM``/``SEMVER`` ranges does (``GIT`` ranges name
commits, not releases, and are not read), versions compared by the ecosystem's rules
(:mod:`.versions`). Debian's, Ubuntu's and Alpine's records name source packages, so a binary
package is matched by its source (``libssl3`` by ``openssl``) at the source's version. Records
that alias each other (PYSEC and GHSA for one flaw; a DLA and the DEBIAN-CVE it fixes) are one
vulnerability of a package.

The severity is the record's: the newest CVSS vector it carries (v4, then v3, then v2) scored by
the ``cvss`` library and rated on CVSS's own scale, else the word the database wrote
(GitHub's ``MODERATE`` is medium), else unknown (``None``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError
from univers.versions import Version

from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.build import versions
from cicd_agent.modes.build.osv import OsvDatabase, key
from cicd_agent.modes.build.packages import Package

MAX_SUMMARY = 300
"""The most characters of a record's summary carried (it is the database's text, shown as such)."""


@dataclass(frozen=True)
class Vulnerability:
    """One vulnerability of one package of the image. ``package`` is the package's purl,
    ``aliases`` the other ids the records give it (CVE ids among them), ``severity`` None when
    the record rates it nowhere, ``fixed_version`` ``""`` when no fix is known, ``layer`` the
    layer that brought the package (-1 when not known)."""

    id: str
    aliases: tuple[str, ...]
    package: str
    name: str
    ecosystem: str
    version: str
    severity: Severity | None
    score: float | None
    fixed_version: str
    layer: int
    summary: str = ""

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))

    @property
    def severity_label(self) -> str:
        return self.severity.label if self.severity is not None else "unknown"


def match(packages: Iterable[Package], db: OsvDatabase) -> list[Vulnerability]:
    """Every vulnerability of ``packages`` the records in ``db`` describe, one per package and
    flaw, ordered by package then id."""
    found: list[Vulnerability] = []
    for package in packages:
        if not package.ecosystem:
            continue
        by_source = versions.family(package.ecosystem) in {"Debian", "Ubuntu", "Alpine"}
        name = package.source_name if by_source else package.name
        version = (package.source_version or package.version) if by_source else package.version
        hits = []
        for record in db.for_package(package.ecosystem, name):
            for affected in record.get("affected") or ():
                here = affected.get("package") or {}
                if key(str(here.get("ecosystem", "")), str(here.get("name", ""))) != key(
                    package.ecosystem, name
                ):
                    continue
                hit, fixed = affects(affected, package.ecosystem, version)
                if hit:
                    hits.append(_vulnerability(record, affected, package, fixed))
                    break
        found.extend(_merged(hits))
    return sorted(found, key=lambda v: (v.package, v.id))


def affects(affected: dict[str, Any], ecosystem: str, version: str) -> tuple[bool, str]:
    """Whether ``version`` is affected by one ``affected`` entry, and the version that fixes it
    (``""`` when none is known)."""
    mine = versions.parse(ecosystem, version)
    if mine is None:
        return False, ""
    listed = affected.get("versions") or ()
    if any(versions.parse(ecosystem, str(item)) == mine for item in listed):
        return True, _fix_after(affected, ecosystem, mine)
    for each in affected.get("ranges") or ():
        if each.get("type") in {"ECOSYSTEM", "SEMVER"} and _in_range(each, ecosystem, mine):
            return True, _fix_after(affected, ecosystem, mine)
    return False, ""


def _events(each: dict[str, Any], ecosystem: str) -> list[tuple[Version | None, str, str]]:
    """The range's events as (version, kind, text), sorted; ``introduced: "0"`` (None) first;
    an event whose version the ecosystem cannot read is left out."""
    events: list[tuple[Version | None, str, str]] = []
    for event in each.get("events") or ():
        for kind, text in event.items():
            if kind == "introduced" and text == "0":
                events.append((None, kind, str(text)))
            elif (parsed := versions.parse(ecosystem, str(text))) is not None:
                events.append((parsed, kind, str(text)))
    lowest = [event for event in events if event[0] is None]
    rest = sorted((event for event in events if event[0] is not None), key=_order)
    return lowest + rest


def _order(event: tuple[Version | None, str, str]) -> Version:
    assert event[0] is not None
    return event[0]


def _in_range(each: dict[str, Any], ecosystem: str, mine: Version) -> bool:
    events = _events(each, ecosystem)
    limits = [v for v, kind, _ in events if kind == "limit" and v is not None]
    if limits and not any(mine < limit for limit in limits):
        return False
    vulnerable = False
    for at, kind, _ in events:
        if kind == "introduced" and (at is None or mine >= at):
            vulnerable = True
        elif at is not None and kind in {"fixed", "last_affected"}:
            vulnerable = vulnerable and (mine < at if kind == "fixed" else mine <= at)
    return vulnerable


def _fix_after(affected: dict[str, Any], ecosystem: str, mine: Version) -> str:
    """The lowest ``fixed`` version above ``mine`` in the entry's ranges."""
    fixes = [
        (at, text)
        for each in affected.get("ranges") or ()
        if each.get("type") in {"ECOSYSTEM", "SEMVER"}
        for at, kind, text in _events(each, ecosystem)
        if kind == "fixed" and at is not None and at > mine
    ]
    return min(fixes, key=lambda fix: fix[0])[1] if fixes else ""


def _vulnerability(
    record: dict[str, Any], affected: dict[str, Any], package: Package, fixed: str
) -> Vulnerability:
    aliases = [str(a) for a in [*(record.get("aliases") or ()), *(record.get("upstream") or ())]]
    severity, score = rating(
        [*(affected.get("severity") or ()), *(record.get("severity") or ())],
        _word(affected) or _word(record),
    )
    summary = str(record.get("summary") or record.get("details") or "")[:MAX_SUMMARY]
    return Vulnerability(
        str(record["id"]),
        tuple(dict.fromkeys(aliases)),
        package.purl,
        package.name,
        package.ecosystem,
        package.version,
        severity,
        score,
        fixed,
        package.layer,
        summary,
    )


def _word(part: dict[str, Any]) -> str:
    for place in ("database_specific", "ecosystem_specific"):
        value = part.get(place)
        if isinstance(value, dict) and isinstance(value.get("severity"), str):
            return str(value["severity"])
    return ""


_CVSS = (("CVSS_V4", CVSS4), ("CVSS_V3", CVSS3), ("CVSS_V2", CVSS2))
_WORDS = {
    "low": Severity.LOW,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def rating(
    scores: Sequence[dict[str, Any]], word: str = ""
) -> tuple[Severity | None, float | None]:
    """The severity and base score of the newest CVSS vector among ``scores`` (OSV's
    ``severity`` entries); else the database's ``word``; else (None, None)."""
    for kind, calculator in _CVSS:
        for entry in scores:
            if entry.get("type") != kind:
                continue
            try:
                score = float(calculator(str(entry.get("score", ""))).base_score)
            except (CVSSError, ValueError, TypeError, KeyError, IndexError):
                continue
            return from_score(score, version2=kind == "CVSS_V2"), score
    for entry in scores:  # Ubuntu's own rating: {"type": "Ubuntu", "score": "medium"}
        if entry.get("type") == "Ubuntu" and str(entry.get("score", "")).lower() in _WORDS:
            return _WORDS[str(entry["score"]).lower()], None
    return _WORDS.get(word.strip().lower()), None


def from_score(score: float, *, version2: bool = False) -> Severity | None:
    """CVSS's rating of a base score: 9.0 and up critical (v3 and v4; v2 stops at high), 7.0
    high, 4.0 medium, above 0 low; 0 rates nothing."""
    if score >= 9.0 and not version2:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW if score > 0 else None


def _merged(hits: list[Vulnerability]) -> list[Vulnerability]:
    """Records of one package that alias each other, as one vulnerability: the id first in
    order, every alias, the highest severity, the lowest known fix."""
    groups: list[list[Vulnerability]] = []
    for hit in sorted(hits, key=lambda v: v.id):
        joined = [group for group in groups if any(hit.ids & other.ids for other in group)]
        for group in joined:
            groups.remove(group)
        groups.append([hit, *(item for group in joined for item in group)])
    return [_one(sorted(group, key=lambda v: v.id)) for group in groups]


def _one(group: list[Vulnerability]) -> Vulnerability:
    first = group[0]
    ids = dict.fromkeys(i for v in group for i in sorted(v.ids))
    ids.pop(first.id, None)
    rated = [v for v in group if v.severity is not None]
    worst = max(rated, key=lambda v: (v.severity, v.score or 0.0)) if rated else first
    fixes = [v.fixed_version for v in group if v.fixed_version]
    known = [(at, f) for f in fixes if (at := versions.parse(first.ecosystem, f)) is not None]
    fix = min(known, key=lambda pair: pair[0])[1] if known else next(iter(fixes), "")
    return Vulnerability(
        first.id,
        tuple(ids),
        first.package,
        first.name,
        first.ecosystem,
        first.version,
        worst.severity,
        worst.score,
        fix,
        first.layer,
        first.summary or worst.summary,
    )


@dataclass(frozen=True)
class VulnerabilityChanges:
    """What the head's vulnerabilities add (``new``), leave behind (``fixed``: the base's that
    the head no longer has) and keep (``pre_existing``: the head's the base had too)."""

    new: tuple[Vulnerability, ...]
    fixed: tuple[Vulnerability, ...]
    pre_existing: tuple[Vulnerability, ...]


def compare(base: Iterable[Vulnerability], head: Iterable[Vulnerability]) -> VulnerabilityChanges:
    """A head vulnerability is pre-existing when the base has one of the same package name and
    ecosystem family sharing an id or alias (an upgrade that keeps a flaw keeps it), else new."""
    before, after = list(base), list(head)
    had, has = _ids_by_package(before), _ids_by_package(after)

    def seen(item: Vulnerability, ids: dict[tuple[str, str], set[str]]) -> bool:
        return bool(item.ids & ids.get((versions.family(item.ecosystem), item.name), set()))

    return VulnerabilityChanges(
        tuple(v for v in after if not seen(v, had)),
        tuple(v for v in before if not seen(v, has)),
        tuple(v for v in after if seen(v, had)),
    )


def _ids_by_package(found: list[Vulnerability]) -> dict[tuple[str, str], set[str]]:
    ids: dict[tuple[str, str], set[str]] = {}
    for item in found:
        ids.setdefault((versions.family(item.ecosystem), item.name), set()).update(item.ids)
    return ids
