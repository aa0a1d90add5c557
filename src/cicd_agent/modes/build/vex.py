"""An OpenVEX document (https://github.com/openvex/spec) applied to an image's vulnerabilities:
what a team has assessed as ``not_affected`` or ``fixed`` is set aside, the rest is kept.

A statement names a vulnerability (by id or alias) and products: purls of packages (a purl
without a version covers every version; its qualifiers must all be the package's), or the image
with the packages as ``subcomponents``; the image alone (an ``oci`` or ``docker`` purl, or a
product that is no purl) stands for all its packages. Statements are read in time order (a
statement's ``timestamp``, else the document's) and the latest one about a vulnerability of a
package decides. Both the 0.2 shape (``vulnerability: {name, aliases}``, products as objects)
and the first one (strings) are read. The document is outside JSON: read bounded, at most
:data:`MAX_STATEMENTS` statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from packageurl import PackageURL

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.modes.build import versions
from cicd_agent.modes.build.vulns import Vulnerability

MAX_STATEMENTS = 10_000
SUPPRESSING = frozenset({"not_affected", "fixed"})
_IMAGES = ("pkg:oci/", "pkg:docker/")
"""Purls of an image: a product named so, without subcomponents, is the whole image."""
_EPOCH = datetime.min.replace(tzinfo=UTC)


class VexError(ValueError):
    """The file is not an OpenVEX document; the message says why in a few words."""


@dataclass(frozen=True)
class Statement:
    ids: frozenset[str]
    products: tuple[str, ...]
    """Purls, or ``"*"`` for the whole image."""
    status: str
    justification: str
    when: datetime


@dataclass(frozen=True)
class Suppressed:
    """A vulnerability the document set aside, with the statement's status and reason."""

    vulnerability: Vulnerability
    status: str
    justification: str


@dataclass(frozen=True)
class VexResult:
    kept: tuple[Vulnerability, ...]
    suppressed: tuple[Suppressed, ...]


def apply_vex(vulns: Iterable[Vulnerability], document: bytes) -> VexResult:
    """``vulns`` with what the OpenVEX ``document`` assesses as not affected or fixed set aside."""
    statements = read_statements(document)
    kept, suppressed = [], []
    for vulnerability in vulns:
        deciding = None
        for statement in statements:
            if statement.ids & vulnerability.ids and any(
                _covers(product, vulnerability) for product in statement.products
            ):
                deciding = statement
        if deciding is not None and deciding.status in SUPPRESSING:
            suppressed.append(Suppressed(vulnerability, deciding.status, deciding.justification))
        else:
            kept.append(vulnerability)
    return VexResult(tuple(kept), tuple(suppressed))


def read_statements(document: bytes) -> list[Statement]:
    """The document's statements, oldest first; :class:`VexError` when it is not OpenVEX."""
    try:
        data = load_json(document)
    except JsonRefused as exc:
        raise VexError(f"the VEX file is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("statements"), list):
        raise VexError("the VEX file is not an OpenVEX document (no statements list)")
    if len(data["statements"]) > MAX_STATEMENTS:
        raise VexError(f"the VEX file holds more than {MAX_STATEMENTS} statements")
    default = _when(data.get("timestamp"))
    statements = [s for item in data["statements"] if (s := _statement(item, default))]
    return sorted(statements, key=lambda statement: statement.when)


def _statement(item: object, default: datetime) -> Statement | None:
    if not isinstance(item, dict):
        return None
    status = item.get("status")
    ids = frozenset(_names(item.get("vulnerability")))
    products = tuple(_products(item.get("products")))
    if not isinstance(status, str) or not ids or not products:
        return None
    justification = item.get("justification") or item.get("impact_statement") or ""
    when = _when(item.get("timestamp")) if item.get("timestamp") else default
    return Statement(ids, products, status, str(justification)[:200], when)


def _names(vulnerability: object) -> Iterator[str]:
    if isinstance(vulnerability, str):
        yield vulnerability
    elif isinstance(vulnerability, dict):
        for value in (vulnerability.get("name"), vulnerability.get("@id")):
            if isinstance(value, str):
                yield value
        aliases = vulnerability.get("aliases")
        yield from (a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else ()


def _products(products: object) -> Iterator[str]:
    for product in products if isinstance(products, list) else ():
        parts = product.get("subcomponents") if isinstance(product, dict) else None
        if isinstance(parts, list) and parts:
            yield from (p for part in parts if (p := _purl_of(part)))
        elif isinstance(product, str | dict):
            purl = _purl_of(product)
            yield "*" if not purl or purl.startswith(_IMAGES) else purl


def _purl_of(product: object) -> str:
    if isinstance(product, str):
        return product if product.startswith("pkg:") else ""
    if not isinstance(product, dict):
        return ""
    identifiers = product.get("identifiers")
    named = identifiers.get("purl") if isinstance(identifiers, dict) else None
    for value in (product.get("@id"), named):
        if isinstance(value, str) and value.startswith("pkg:"):
            return value
    return ""


def _when(value: object) -> datetime:
    if not isinstance(value, str):
        return _EPOCH
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _EPOCH
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _covers(product: str, vulnerability: Vulnerability) -> bool:
    if product == "*":
        return True
    try:
        wanted, have = (
            PackageURL.from_string(product),
            PackageURL.from_string(vulnerability.package),
        )
    except ValueError:
        return False
    if (wanted.type, wanted.namespace, wanted.name) != (have.type, have.namespace, have.name):
        return False
    if (
        wanted.version
        and wanted.version != have.version
        and versions.compare(vulnerability.ecosystem, wanted.version, str(have.version)) != 0
    ):
        return False
    mine = have.qualifiers if isinstance(have.qualifiers, dict) else {}
    theirs = wanted.qualifiers if isinstance(wanted.qualifiers, dict) else {}
    return all(mine.get(name) == value for name, value in theirs.items())
