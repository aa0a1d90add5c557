"""The packages an image holds, read from the image's own records, each with its purl and the
layer that brought it (what changed between two images' packages: :mod:`.package_changes`).

:func:`read_packages` reads dpkg's status (and distroless's ``status.d``), apk's installed
database, Python's distribution metadata and npm's ``package.json`` files under
``node_modules`` (the parsers are in :mod:`.records`). A status file is rewritten by every
layer that installs: a package's layer is the lowest layer from which each later version of the
file lists it at the same version.
A record is read where the links on its way lead inside the image, as dpkg, apk, Python and
node open it (:meth:`.tree.ImageTree.resolve`): a status file moved and linked back, a release
file that is a link, a ``.dist-info`` folder or a ``node_modules`` package that is a link; a
``status.d`` or ``node_modules`` folder that is a link has at most :data:`LINKED_RECORDS` read.

Everything is bounded: a record larger than :data:`MAX_RECORD` is not read, one record gives at
most :data:`records.MAX_ENTRIES` packages, the image at most :data:`MAX_PACKAGES`; each cut is a
sentence in :attr:`Inventory.cut`, a path of the image in it on one line as inert text (it is
the pull request's, shown in the summary).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Protocol

from packageurl import PackageURL

from cicd_agent.actions.markdown import prose
from cicd_agent.modes.build import records, versions
from cicd_agent.modes.build.records import Listing
from cicd_agent.modes.build.tree import TreeError, read_each

MAX_RECORD = 4 * 1024 * 1024
"""The largest package record read (a dpkg status of 5,000 packages is about 3 MB)."""
MAX_PACKAGES = 100_000
"""The most packages kept of one image."""
LINKED_RECORDS = 64
"""The most records read under one folder that is a link (``status.d``, a ``node_modules``):
a file not named as a record is read again from its layer, and the link may name any folder."""

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
APK_INSTALLED = "lib/apk/db/installed"
OS_RELEASE = ("etc/os-release", "usr/lib/os-release")


class RecordEntry(Protocol):
    """A path of an image as one layer wrote it (:class:`.tree.Entry`)."""

    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def layer(self) -> int: ...
    def read(self) -> bytes: ...


class RecordTree(Protocol):
    """What the readers take of an image's files (:class:`.tree.ImageTree`)."""

    @property
    def files(self) -> Mapping[str, RecordEntry]: ...
    def versions(self, path: str) -> Sequence[RecordEntry]: ...
    def resolve(self, path: str) -> str: ...
    def opened(self, path: str) -> RecordEntry | None: ...


@dataclass(frozen=True)
class Package:
    """One package of an image. ``ecosystem`` is OSV's name (``Debian:12``, ``PyPI``) or ``""``
    when the image does not say which release it is; ``source_name`` and ``source_version``
    name the package it was built from (dpkg's ``Source``, apk's origin; the package itself
    elsewhere); ``path`` is the record that lists it; ``layer`` the index of the layer that
    brought it (0 = the bottom one; -1 when not known)."""

    purl: str
    name: str
    version: str
    ecosystem: str
    source_name: str
    path: str
    layer: int
    source_version: str = ""

    @cached_property
    def identity(self) -> tuple[str, str, str, str]:
        """What stays the same when only its version changes: the ecosystem's family, the
        name, the architecture and the record."""
        arch = PackageURL.from_string(self.purl).qualifiers.get("arch", "")
        return versions.family(self.ecosystem), self.name, str(arch), self.path


@dataclass(frozen=True)
class Inventory:
    """The packages of one image, and what was not read (one sentence each)."""

    packages: tuple[Package, ...]
    cut: tuple[str, ...] = ()


@dataclass(frozen=True)
class Distribution:
    """Which distribution the image is, from its os-release: the namespace of its purls
    (``debian``), OSV's ecosystem (``Debian:12``) and the purl's ``distro`` (``debian-12``)."""

    namespace: str = ""
    ecosystem: str = ""
    distro: str = ""


def distribution(tree: RecordTree) -> Distribution:
    for path in OS_RELEASE:
        entry = tree.opened(path)
        if entry is not None and entry.kind == "file" and entry.size <= MAX_RECORD:
            release = records.os_release(entry.read())
            break
    else:
        return Distribution()
    name, number = release.get("ID", "").lower(), release.get("VERSION_ID", "")
    if name == "alpine":
        minor = ".".join(number.split(".")[:2])
        return Distribution("alpine", f"Alpine:v{minor}" if minor else "", f"alpine-{number}")
    if name in {"debian", "ubuntu"}:
        ecosystem = f"{name.capitalize()}:{number}" if number else ""
        return Distribution(name, ecosystem, f"{name}-{number}" if number else "")
    return Distribution(re.sub(r"[^a-z0-9.-]", "", name))


def read_packages(tree: RecordTree) -> Inventory:
    """Every package the image's records list, with the layer that brought it."""
    reader = _Reader(tree, Distribution())
    try:
        reader.distro = distribution(tree)
        _read_all(tree, reader)
    except TreeError as exc:  # the image's links cost more to follow than its files allow
        reader.cut.append(f"{exc}: the image's records past that point were not read")
    return reader.inventory()


def _read_all(tree: RecordTree, reader: _Reader) -> None:
    reader.layered(DPKG_STATUS, records.dpkg, reader.deb)
    reader.layered(APK_INSTALLED, records.apk, reader.apk)
    reader.read_records(_wanted(tree, reader))


def _wanted(tree: RecordTree, reader: _Reader) -> Iterator[Wanted]:
    """The records to read, beside dpkg's and apk's databases, in the order read: each with
    its reader, and the folder that is a link it is reached through (``""``: none)."""
    status_d, modules = _linked_folders(tree)
    for path, entry in sorted(tree.files.items()):
        folder = posixpath.dirname(path)
        above = posixpath.dirname(folder)
        if path.startswith(DPKG_STATUS_D):
            yield path, records.dpkg, reader.deb, ""
        elif folder in status_d:
            yield status_d[folder] + path[len(folder) :], records.dpkg, reader.deb, status_d[folder]
        elif _is_python_metadata(path):
            yield path, records.python_metadata, reader.pypi, ""
        elif _is_npm_manifest(path):
            yield path, records.npm_manifest, reader.npm, ""
        elif path.endswith("/package.json") and (
            above in modules
            or (posixpath.basename(above).startswith("@") and posixpath.dirname(above) in modules)
        ):
            real = above if above in modules else posixpath.dirname(above)
            link = modules[real]
            yield link + path[len(real) :], records.npm_manifest, reader.npm, link
        elif entry.kind == "symlink" and path.endswith((".dist-info", ".egg-info")):
            name = "METADATA" if path.endswith(".dist-info") else "PKG-INFO"
            yield f"{path}/{name}", records.python_metadata, reader.pypi, ""
        elif entry.kind == "symlink" and _is_npm_manifest(f"{path}/package.json"):
            yield f"{path}/package.json", records.npm_manifest, reader.npm, ""


def _linked_folders(tree: RecordTree) -> tuple[dict[str, str], dict[str, str]]:
    """The folder ``status.d`` is, and each ``node_modules`` or scope in one
    (``node_modules/@scope``, whose packages are its folders), when a link: where it leads →
    the link."""
    status_d: dict[str, str] = {}
    real = tree.resolve(DPKG_STATUS_D.rstrip("/"))
    if real != DPKG_STATUS_D.rstrip("/"):
        status_d[real] = DPKG_STATUS_D.rstrip("/")
    modules: dict[str, str] = {}
    for path, entry in tree.files.items():
        folder, name = posixpath.split(path)
        scope = name.startswith("@") and posixpath.basename(folder) == "node_modules"
        if entry.kind == "symlink" and (name == "node_modules" or scope):
            modules.setdefault(tree.resolve(path), path)
    return status_d, modules


def _is_python_metadata(path: str) -> bool:
    folder, name = posixpath.split(path)
    return (name, folder.endswith(".dist-info")) == ("METADATA", True) or (
        (name, folder.endswith(".egg-info")) == ("PKG-INFO", True)
    )


def _is_npm_manifest(path: str) -> bool:
    """``…/node_modules/<name>/package.json`` or ``…/node_modules/@scope/<name>/package.json``:
    a package's own manifest, not one of the files inside it."""
    parts = path.split("/")
    if len(parts) < 3 or parts[-1] != "package.json":
        return False
    return parts[-3] == "node_modules" or (
        len(parts) >= 4 and parts[-3].startswith("@") and parts[-4] == "node_modules"
    )


Parse = Callable[[bytes], Listing]
Purl = Callable[[records.Entry, str], Package | None]
Wanted = tuple[str, Parse, Purl, str]
"""A record to read: its path, its parser, its package's purl, and the folder that is a link
it is reached through (``""``: none)."""


class _Reader:
    def __init__(self, tree: RecordTree, distro: Distribution) -> None:
        self.tree, self.distro = tree, distro
        self.packages: list[Package] = []
        self.cut: list[str] = []
        self._parsed: dict[bytes, Listing] = {}
        self._said: set[bytes] = set()
        self._read_at: set[str] = set()
        """The records read, where the links to them lead (one a link names is read once)."""

    def inventory(self) -> Inventory:
        unplaced = sum(1 for p in self.packages if not p.ecosystem)
        if unplaced:
            self.cut.append(
                f"{unplaced} distribution packages are not matched against "
                "vulnerability data: the image's os-release names no Debian, "
                "Ubuntu or Alpine release"
            )
        if len(self.packages) > MAX_PACKAGES:
            self.cut.append(
                f"{len(self.packages) - MAX_PACKAGES} packages past the first "
                f"{MAX_PACKAGES} were not read"
            )
        return Inventory(tuple(self.packages[:MAX_PACKAGES]), tuple(dict.fromkeys(self.cut)))

    def _read(self, entry: RecordEntry, parse: Parse, key: bytes | None = None) -> Listing | None:
        """What ``entry`` lists (``key``: the digest of its bytes, parsed before)."""
        if entry.kind != "file":
            self.cut.append(f"{prose(entry.path)} is not a regular file: not read")
            return None
        if entry.size > MAX_RECORD:
            self.cut.append(
                f"{prose(entry.path)} holds {entry.size} bytes, past the {MAX_RECORD} "
                "read: its packages are not listed"
            )
            return None
        key = key or self._parse(entry.read(), parse)
        if self._parsed[key].cut and key not in self._said:
            self._said.add(key)
            self.cut.append(
                f"{prose(entry.path)} lists more than {records.MAX_ENTRIES} packages: "
                "the rest were not read"
            )
        return self._parsed[key]

    def _parse(self, data: bytes, parse: Parse) -> bytes:
        """The digest of ``data``, parsed once (a record read again from its layer is not
        kept)."""
        key = hashlib.sha256(data).digest()
        if key not in self._parsed:
            self._parsed[key] = parse(data)
        return key

    def read_records(self, wanted: Iterable[Wanted]) -> None:
        """Each record ``wanted`` names, read where the links on its way lead (a package manager
        opens it through them), once; at most :data:`LINKED_RECORDS` through one link. Those a
        layer gives again are read first, in one pass of that layer."""
        steps: list[tuple[str, Parse, Purl, RecordEntry] | str] = []
        taken: dict[str, int] = {}
        try:
            for path, parse, purl, link in wanted:
                taken[link] = taken.get(link, 0) + 1
                if link and taken[link] > LINKED_RECORDS:
                    steps.append(
                        f"records past the first {LINKED_RECORDS} under {prose(link)}, "
                        "a link, were not read"
                    )
                    continue
                real, entry = self.tree.resolve(path), self.tree.opened(path)
                if entry is not None and real not in self._read_at:
                    self._read_at.add(real)
                    steps.append((path, parse, purl, entry))
        except TreeError as exc:  # the image's links cost more to follow than its files allow
            steps.append(f"{exc}: the image's records past that point were not read")
        read = [
            (n, step)
            for n, step in enumerate(steps)
            if not isinstance(step, str) and step[3].kind == "file" and step[3].size <= MAX_RECORD
        ]
        keys = {
            read[at][0]: self._parse(data, read[at][1][1])
            for at, data in read_each([step[3] for _, step in read])
        }
        for number, step in enumerate(steps):
            if isinstance(step, str):
                self.cut.append(step)
            elif len(self.packages) <= MAX_PACKAGES:
                path, parse, purl, entry = step
                listing = self._read(entry, parse, keys.get(number))
                for item in listing.entries if listing else ():
                    self._add(purl(item, path), entry.layer)

    def layered(self, path: str, parse: Parse, purl: Purl) -> None:
        """A record every installing layer rewrites: each package's layer is where it last
        appeared at the version it has in the image."""
        real = self.tree.resolve(path)
        final = self.tree.opened(path)
        if final is None:
            return
        brought: dict[tuple[str, str], tuple[str, int]] = {}
        listing = None
        for entry in self.tree.versions(real):
            listing = self._read(entry, parse) if entry.kind == "file" else None
            current = {}
            for item in listing.entries if listing else ():
                before = brought.get((item.name, item.arch))
                same = before is not None and before[0] == item.version
                current[item.name, item.arch] = (
                    item.version,
                    before[1] if before and same else entry.layer,
                )
            brought = current
        final_listing = self._read(final, parse)
        for item in final_listing.entries if final_listing else ():
            layer = brought.get((item.name, item.arch), (item.version, final.layer))[1]
            self._add(purl(item, path), layer)

    def _add(self, package: Package | None, layer: int) -> None:
        if package is not None:
            self.packages.append(replace(package, layer=layer))

    def deb(self, item: records.Entry, path: str) -> Package | None:
        qualifiers = {"arch": item.arch, "distro": self.distro.distro}
        if item.source != item.name:
            qualifiers["upstream"] = item.source
        return _package(
            "deb",
            self.distro.namespace or "debian",
            item,
            path=path,
            ecosystem=self.distro.ecosystem,
            qualifiers=qualifiers,
        )

    def apk(self, item: records.Entry, path: str) -> Package | None:
        qualifiers = {"arch": item.arch, "distro": self.distro.distro}
        if item.source != item.name:
            qualifiers["upstream"] = item.source
        return _package(
            "apk",
            self.distro.namespace or "alpine",
            item,
            path=path,
            ecosystem=self.distro.ecosystem,
            qualifiers=qualifiers,
        )

    def pypi(self, item: records.Entry, path: str) -> Package | None:
        name = re.sub(r"[-_.]+", "-", item.name).lower()
        return _package(
            "pypi",
            "",
            records.Entry(name, item.version),
            path=posixpath.dirname(path),
            ecosystem="PyPI",
            qualifiers={},
        )

    def npm(self, item: records.Entry, path: str) -> Package | None:
        return _package(
            "npm", "", item, path=posixpath.dirname(path), ecosystem="npm", qualifiers={}
        )


def _package(
    kind: str,
    namespace: str,
    item: records.Entry,
    *,
    path: str,
    ecosystem: str,
    qualifiers: dict[str, str],
) -> Package | None:
    """The package with its purl; None when the name cannot be one (``@scope`` alone)."""
    name, space = item.name, namespace
    if kind == "npm" and name.startswith("@"):
        space, _, name = name.partition("/")
    if not name or "/" in name:
        return None
    purl = PackageURL(
        type=kind,
        namespace=space or None,
        name=name,
        version=item.version,
        qualifiers={k: v for k, v in qualifiers.items() if v} or None,
    )
    return Package(
        purl.to_string(),
        item.name,
        item.version,
        ecosystem,
        item.source or item.name,
        path,
        -1,
        item.source_version or item.version,
    )
