"""syft's CycloneDX JSON read into the image's :class:`.packages.Package` list.

The SBOM is a file a job tool wrote about an image the pull request built, so it is read like
any outside JSON (bounded, :func:`cicd_agent.api.load_json`) and then cut to what this reader
uses before cyclonedx-python-lib sees it: the components (nested ones too, at most
:data:`MAX_COMPONENTS`), each with its type, name, version, purl and its first
:data:`MAX_PROPERTIES` properties, each read on its own (one that is not CycloneDX is counted
and left out). A package's layer is the lowest layer of the image that wrote
one of the files syft found it by (``syft:location:N:path``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from cyclonedx.exception import CycloneDxException
from cyclonedx.model.component import Component
from packageurl import PackageURL

from cicd_agent.api import JsonRefused, load_json
from cicd_agent.modes.build.packages import Inventory, Package, RecordTree

MAX_SBOM = 64 * 1024 * 1024
"""The largest SBOM read (syft's CycloneDX for an image of 5,000 packages is about 15 MB)."""
MAX_COMPONENTS = 20_000
"""The most components read: cyclonedx-python-lib builds each as a typed object, about a
millisecond apiece on a busy runner."""
MAX_PROPERTIES = 64
"""The most properties read of one component (syft writes about ten)."""
_KEPT = ("type", "name", "version", "purl", "properties")
_ECOSYSTEMS = {"pypi": "PyPI", "npm": "npm"}
_END = object()
_NOT_CYCLONEDX = (CycloneDxException, TypeError, ValueError, AttributeError, KeyError)


class SbomError(ValueError):
    """The file is not a CycloneDX JSON document this reader reads; the message says why."""


def read_sbom(data: bytes, tree: RecordTree | None = None) -> Inventory:
    """The packages a CycloneDX JSON SBOM lists, with their layers in ``tree`` when given."""
    if len(data) > MAX_SBOM:
        raise SbomError(f"the SBOM is larger than {MAX_SBOM} bytes: not read")
    try:
        document = load_json(data)
    except JsonRefused as exc:
        raise SbomError(f"the SBOM is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise SbomError("the SBOM is not a CycloneDX JSON document (no bomFormat CycloneDX)")
    items = list(itertools.islice(_flat(document.get("components")), MAX_COMPONENTS + 1))
    cut = []
    if len(items) > MAX_COMPONENTS:
        cut.append(f"the SBOM lists more than {MAX_COMPONENTS} components: the rest were not read")
    packages, unread = [], 0
    for item in items[:MAX_COMPONENTS]:
        try:
            component = Component.from_json(item)  # type: ignore[attr-defined]
        except _NOT_CYCLONEDX:
            unread += 1
            continue
        package = _package(component, tree)
        if package is not None:
            packages.append(package)
    if unread:
        cut.append(f"{unread} of the SBOM's components are not CycloneDX: not read")
    return Inventory(tuple(packages), tuple(cut))


def _flat(components: object) -> Iterator[dict[str, Any]]:
    """The components and those nested in them (depth first, without recursion: nesting is
    the SBOM's), each as a dictionary of the kept keys."""
    stack = [iter(components if isinstance(components, list) else ())]
    while stack:
        component = next(stack[-1], _END)
        if component is _END:
            stack.pop()
            continue
        if not isinstance(component, dict):
            continue
        item = {key: component[key] for key in _KEPT if key in component}
        if isinstance(item.get("properties"), list):
            item["properties"] = item["properties"][:MAX_PROPERTIES]
        yield item
        nested = component.get("components")
        if isinstance(nested, list):
            stack.append(iter(nested))


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
