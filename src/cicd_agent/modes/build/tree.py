"""An image's files, read from its layers without unpacking anything onto the disk.

An image is a stack of layer archives (tar, maybe gzip-compressed). :func:`.layer_archive.read_tree`
walks each once, in order, and keeps for every path the version each layer wrote, so a reader can ask what
the image held after any layer: the merged tree (:attr:`ImageTree.files`), where a path came
from (:attr:`Entry.layer`), and every version of it (:meth:`ImageTree.versions`, how a package
reader finds the layer that first listed a package in a status file rewritten by every layer).
A file's sha256 (:attr:`Entry.digest`) is taken when a comparison first asks for it, from its
place in an uncompressed layer (most files are never asked for: a layer two images share is one
object, and files of different sizes differ); a compressed layer's are taken as it is read.

Everything in a layer is the pull request's: names are normalised lexically (no ``..`` above the
root, no leading ``/``), links are recorded and never followed, contents are kept only for small
package records (:data:`RECORD_LIMIT`), and a layer of too many entries or bytes stops the read
with :class:`TreeError` (:class:`Bounds`).
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.modes.build.regular import regular

RECORD_LIMIT = 4 * 1024 * 1024
"""The most bytes kept of one package record (a dpkg status of 5,000 packages is about 3 MB)."""

RECORDS = frozenset(
    {"var/lib/dpkg/status", "lib/apk/db/installed", "etc/os-release", "usr/lib/os-release"}
)

LINK_HOPS = 40
"""The most links followed to open one path (Linux's own bound)."""

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"

FILE, DIRECTORY, SYMLINK, HARDLINK, OTHER = "file", "dir", "symlink", "hardlink", "other"


class TreeError(Exception):
    """A layer that cannot be read, or one past the bounds."""


@dataclass(frozen=True)
class Bounds:
    """What one image may hold before the read stops (a hostile layer of a billion files)."""

    entries: int = 2_000_000
    bytes: int = 64 * 1024**3
    records: int = 256 * 1024 * 1024
    """The most bytes of package records kept in memory, over the whole image."""
    members: int = 65_536
    """The most members of an image layout given as a tar (a blob apiece: an image of 127
    layers has about 130); its files' bytes are bound by ``bytes``."""
    reserve: int = 2 * 1024**3
    """The bytes an image layout unpacked from a tar leaves free on the disk it is written to:
    ``bytes`` is as large as a hosted runner's whole disk, so a tar within it could still fill
    the disk the job writes to."""


def is_record(path: str) -> bool:
    """Whether ``path`` is a file a package reader asks for, whose bytes are kept while reading:
    dpkg's and apk's databases, Python's distribution metadata, npm's ``package.json`` under
    ``node_modules``, and the release file naming the distribution."""
    name = posixpath.basename(path)
    parent = posixpath.dirname(path)
    return (
        path in RECORDS
        or parent == "var/lib/dpkg/status.d"
        or (name in {"METADATA", "PKG-INFO"} and parent.endswith((".dist-info", ".egg-info")))
        or (name == "package.json" and "node_modules/" in path)
    )


@dataclass(frozen=True, eq=False)
class Entry:
    """One path as one layer wrote it.

    ``kind`` is one of ``file``, ``dir``, ``symlink``, ``hardlink``, ``other``; ``link`` is the
    target of a link (as written, never followed), ``""`` otherwise; ``layer`` is the index of
    the layer (0 = the bottom one) that wrote this version."""

    path: str
    size: int
    mode: int
    kind: str
    link: str
    layer: int
    hashed: str = ""
    """The sha256 taken as the layer was read ("" when it is taken on demand, or for anything
    but a regular file): read :attr:`digest`."""
    _content: bytes | None = field(default=None, repr=False)
    _opener: Callable[[], bytes] | None = field(default=None, repr=False)
    _place: tuple[LayerBytes, int] | None = field(default=None, repr=False)
    """Where the file's bytes start in its uncompressed layer, for :attr:`digest`."""

    @functools.cached_property
    def digest(self) -> str:
        """sha256 of a regular file's bytes ("" for anything else): how two layers' files are
        compared, whatever their times. Taken once, the first time it is asked for."""
        if self._place is None:
            return self.hashed
        blob, offset = self._place
        return blob.sha256(offset, self.size)

    def read(self) -> bytes:
        """The file's bytes. A package record's are in memory; any other regular file's are
        read again from its layer (slow: the layer is decompressed up to it). A link, folder
        or device reads as ``b""``."""
        if self._content is not None:
            return self._content
        if self._opener is None:
            return b""
        return self._opener()


@dataclass(frozen=True)
class Layer:
    """What one layer wrote (``entries``) and removed (``deleted``: whiteouts; a folder made
    opaque removes what lower layers had under it and is listed as ``"<folder>/"``, the root
    as ``"/"``)."""

    index: int
    entries: Mapping[str, Entry]
    deleted: frozenset[str]
    size: int
    """Bytes of regular files the layer writes (what the layer adds, uncompressed)."""


@dataclass(frozen=True)
class ImageTree:
    """An image's files after each of its layers."""

    layers: tuple[Layer, ...]
    files: Mapping[str, Entry]
    """The merged tree after the last layer: path → the version that is in the image."""

    def versions(self, path: str) -> list[Entry]:
        """Every layer's version of ``path``, bottom first (one that a later layer deleted and
        another wrote again included)."""
        return [layer.entries[path] for layer in self.layers if path in layer.entries]

    def read(self, path: str) -> bytes | None:
        """The bytes of ``path`` as the image holds it; None when absent or not a file."""
        entry = self.files.get(path)
        if entry is not None and entry.kind == HARDLINK:  # the file it names, in the image
            entry = self.files.get(clean(entry.link))
        if entry is None or entry.kind != FILE:
            return None
        return entry.read()

    def under(self, folder: str) -> Iterator[Entry]:
        """The merged tree's entries below ``folder`` (``""`` for all)."""
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        return (entry for path, entry in self.files.items() if path.startswith(prefix))

    def after(self, index: int) -> dict[str, Entry]:
        """The merged tree as it stood after layer ``index``."""
        return merge(self.layers[: index + 1])

    @property
    def size(self) -> int:
        """Bytes of regular files in the merged tree."""
        return sum(entry.size for entry in self.files.values() if entry.kind == FILE)

    def resolve(self, path: str) -> str:
        """``path`` as a process in the container opens it: every symbolic link on the way
        followed inside the image (a target from the folder holding the link, an absolute one
        from the image's root, ``..`` never above it), and a hard link at the end taken to the
        file it names; at most :data:`LINK_HOPS` links. Nothing outside the image is read."""
        parts, done, hops = clean(path).split("/"), "", 0
        while parts:
            here = posixpath.join(done, parts.pop(0))
            entry = self.files.get(here)
            if entry is not None and entry.kind == SYMLINK and hops < LINK_HOPS:
                hops += 1
                start = "" if entry.link.startswith("/") else done
                parts, done = clean(posixpath.join(start, entry.link)).split("/") + parts, ""
                continue
            done = clean(here)
        entry = self.files.get(done)
        if entry is not None and entry.kind == HARDLINK and clean(entry.link) in self.files:
            return clean(entry.link)
        return done


def clean(name: str) -> str:
    """A layer's member name as a path relative to the root: ``./a/../b/`` → ``b``; ``..``
    never climbs above the root."""
    return posixpath.normpath("/" + name).lstrip("/") if name else ""


def merge(layers: Sequence[Layer]) -> dict[str, Entry]:
    """The tree the layers make, bottom first: each layer's whiteouts remove, then its entries
    add or replace. Every path is also filed under its folder, so a whiteout takes out what it
    names by walking that folder alone, never the whole tree (a layer may hold a whiteout for
    each of a million files)."""
    files: dict[str, Entry] = {}
    below: dict[str, set[str]] = {}
    for layer in layers:
        for gone in layer.deleted:
            _remove(files, below, gone)
        for path in layer.entries:
            _file(below, path)
        files.update(layer.entries)
    return files


def _file(below: dict[str, set[str]], path: str) -> None:
    """``path`` filed under its folder, and each folder above it under its own, up to the
    first one filed before."""
    while path:
        folder = posixpath.dirname(path)
        children = below.setdefault(folder, set())
        if path in children:
            return
        children.add(path)
        path = folder


def _remove(files: dict[str, Entry], below: dict[str, set[str]], gone: str) -> None:
    """Take ``gone`` (a path, or ``"folder/"`` for everything under it: ``"/"``, the root made
    opaque, for every file) and its children out of ``files``."""
    if not gone:
        return
    folder = gone.rstrip("/")
    if not gone.endswith("/"):
        files.pop(folder, None)
        below.get(posixpath.dirname(folder), set()).discard(folder)
    walk = [folder]
    while walk:
        for child in below.pop(walk.pop(), ()):
            files.pop(child, None)
            walk.append(child)


class LayerBytes:
    """An uncompressed layer archive, on the disk or in memory, whose members' bytes are read
    from their place in it (a tar holds a regular file's bytes in one run after its header)."""

    def __init__(self, path: Path | None = None, data: bytes = b"") -> None:
        self.path = path
        self.data = data

    def sha256(self, offset: int, size: int) -> str:
        digest = hashlib.sha256()
        if self.path is None:
            digest.update(self.data[offset : offset + size])
            return digest.hexdigest()
        left = size
        try:
            with regular(self.path) as handle:
                handle.seek(offset)
                while left > 0 and (chunk := handle.read(min(left, 1 << 20))):
                    digest.update(chunk)
                    left -= len(chunk)
        except OSError as exc:
            raise TreeError(f"the layer {self.path.name} cannot be read again: {exc}") from exc
        if left:
            raise TreeError(f"the layer {self.path.name} ends inside a file")
        return digest.hexdigest()
