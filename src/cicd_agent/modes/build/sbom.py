"""syft's CycloneDX JSON read into the image's :class:`.packages.Package` list.

The SBOM is a file a job tool wrote about an image the pull request built, so it is read like
any outside JSON (bounded, :func:`cicd_agent.api.load_json`) and then cut to what this reader
uses before cyclonedx-python-lib sees it: the components (nested ones too, at most
:data:`.packages.MAX_PACKAGES`), each with its type, name, version, purl and its first
:data:`MAX_PROPERTIES` properties. A package's layer is the lowest layer of the image that wrote
one of the files syft found it by (``syft:location:N:path``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cyclonedx.exception import CycloneDxException
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component
from packageurl import PackageURL

from cicd_agent.api import JsonRefused, load_json
from cicd_agent.modes.build.packages import MAX_PACKAGES, Inventory, Package, RecordTree

MAX_PROPERTIES = 64
"""The most properties read of one component (syft writes about ten)."""
_KEPT = ("type", "name", "version", "purl", "properties", "components")
_ECOSYSTEMS = {"pypi": "PyPI", "npm": "npm"}


class SbomError(ValueError):
    """The file is not a CycloneDX JSON document this reader reads; the message says why."""


def read_sbom(data: bytes, tree: RecordTree | None = None) -> Inventory:
    """The packages a CycloneDX JSON SBOM lists, with their layers in ``tree`` when given."""
    try:
        document = load_json(data)
    except JsonRefused as exc:
        raise SbomError(f"the SBOM is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise SbomError("the SBOM is not a CycloneDX JSON document (no bomFormat CycloneDX)")
    budget = [MAX_PACKAGES]
    components = _trimmed(document.get("components"), budget)
    try:
        bom = Bom.from_json({"components": components})  # type: ignore[attr-defined]
    except (CycloneDxException, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise SbomError(f"the SBOM's components are not CycloneDX: {exc}") from None
    cut = () if budget[0] > 0 else (f"the SBOM lists more than {MAX_PACKAGES} components: "
                                    "the rest were not read",)  # fmt: skip
    packages = (_package(component, tree) for component in _flat(bom.components if bom else []))
    return Inventory(tuple(package for package in packages if package is not None), cut)


def _trimmed(components: object, budget: list[int]) -> list[dict[str, Any]]:
    """The components as plain dictionaries of the kept keys, until the budget is spent."""
    if not isinstance(components, list):
        return []
    kept = []
    for component in components:
        if budget[0] <= 0:
            break
        if not isinstance(component, dict):
            continue
        budget[0] -= 1
        item = {key: component[key] for key in _KEPT if key in component}
        if isinstance(item.get("properties"), list):
            item["properties"] = item["properties"][:MAX_PROPERTIES]
        if "components" in item:
            item["components"] = _trimmed(item["components"], budget)
        kept.append(item)
    return kept


def _flat(components: Any) -> Iterator[Component]:
    for component in components:
        yield component
        yield from _flat(component.components)


def _package(component: Component, tree: RecordTree | None) -> Package | None:
    purl = component.purl
    if not isinstance(purl, PackageURL) or not purl.version:
        return None
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    name = f"{purl.namespace}/{purl.name}" if purl.type == "npm" and purl.namespace else purl.name
    source, _, source_version = str(qualifiers.get("upstream", "")).partition("@")
    paths = [str(prop.value) for prop in component.properties
             if str(prop.name).startswith("syft:location:") and str(prop.name).endswith(":path")]  # fmt: skip
    layers = [entry.layer for path in paths
              if tree is not None and (entry := tree.files.get(path.lstrip("/"))) is not None]  # fmt: skip
    return Package(purl.to_string(), name, purl.version, _ecosystem(purl, qualifiers),
                   source or name, paths[0].lstrip("/") if paths else "", min(layers, default=-1),
                   source_version or purl.version)  # fmt: skip


def _ecosystem(purl: PackageURL, qualifiers: dict[str, str]) -> str:
    """OSV's ecosystem for a purl: ``pkg:deb/debian/…?distro=debian-12`` → ``Debian:12``,
    ``pkg:apk/alpine/…?distro=alpine-3.18.4`` → ``Alpine:v3.18``; ``""`` when not known."""
    if purl.type in _ECOSYSTEMS:
        return _ECOSYSTEMS[purl.type]
    distro = str(qualifiers.get("distro", ""))
    name, _, number = distro.rpartition("-")
    if purl.type == "deb" and name in {"debian", "ubuntu"} and number:
        return f"{name.capitalize()}:{number}"
    if purl.type == "apk" and name == "alpine" and number:
        minor = ".".join(number.split(".")[:2])
        return f"Alpine:v{minor}"
    return ""
