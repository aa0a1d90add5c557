"""An image's files, read from its layers without unpacking anything onto the disk.

An image is a stack of layer archives (tar, maybe gzip-compressed). :func:`read_tree` walks each
once, in order, and keeps for every path the version each layer wrote, so a reader can ask what
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
import io
import posixpath
import tarfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO

from cicd_agent.modes.build.regular import regular

RECORD_LIMIT = 4 * 1024 * 1024
"""The most bytes kept of one package record (a dpkg status of 5,000 packages is about 3 MB)."""

RECORDS = frozenset(
    {"var/lib/dpkg/status", "lib/apk/db/installed", "etc/os-release", "usr/lib/os-release"}
)

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
    _place: tuple[_Blob, int] | None = field(default=None, repr=False)
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
    opaque removes what lower layers had under it and is listed as ``"<folder>/"``)."""

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
    """Take ``gone`` (a path, or ``"folder/"`` for everything under it) and its children out of
    ``files``."""
    folder = gone.rstrip("/")
    if not folder:
        return
    if not gone.endswith("/"):
        files.pop(folder, None)
        below.get(posixpath.dirname(folder), set()).discard(folder)
    walk = [folder]
    while walk:
        for child in below.pop(walk.pop(), ()):
            files.pop(child, None)
            walk.append(child)


class _Blob:
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


Known = dict[tuple[str, int], tuple[Path, Layer]]
"""Layers read before, by their blob's name (its digest) and position: the same layer at the
same place in another image of the run (the base image's, a step the cache gave) is not read
again."""


def read_tree(
    blobs: Sequence[Path], bounds: Bounds = Bounds(), known: Known | None = None
) -> ImageTree:
    """The tree of an image whose layer archives are ``blobs``, bottom first. A layer ``known``
    holds is taken from it while the blob it was read from is still there (a file it did not
    keep is read again from that blob); each layer read is added to it."""
    budget = _Budget(bounds)
    layers = []
    for index, blob in enumerate(blobs):
        seen = known.get((blob.name, index)) if known is not None else None
        if seen is not None and seen[0].is_file():
            budget.again(seen[1])
            layers.append(seen[1])
            continue
        try:
            with regular(blob) as opened, tarfile.open(fileobj=opened, mode="r:*") as archive:
                plain = _Blob(blob) if isinstance(archive.fileobj, io.BufferedReader) else None
                layers.append(_read_layer(archive, index, budget, _reopen(blob), plain))
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise TreeError(
                f"layer {index + 1} ({blob.name}) is not a readable archive: {exc}"
            ) from exc
        if known is not None:
            for key in [key for key, (path, _) in known.items() if not path.is_file()]:
                del known[key]  # a layout removed since: hold no more of it
            known[(blob.name, index)] = (blob, layers[-1])
    return ImageTree(tuple(layers), merge(layers))


def from_memory(layers: Sequence[Mapping[str, bytes | str | None]]) -> ImageTree:
    """A tree from layers given as ``path → bytes`` (a file), ``str`` (a symlink to it) or None
    (a whiteout: deleted): for tests of the readers built on a tree."""
    blobs = []
    for files in layers:
        buffer = BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, value in files.items():
                if value is None:
                    head, tail = posixpath.split(name)
                    info = tarfile.TarInfo(posixpath.join(head, WHITEOUT + tail))
                    archive.addfile(info, BytesIO(b""))
                elif isinstance(value, str):
                    info = tarfile.TarInfo(name)
                    info.type, info.linkname = tarfile.SYMTYPE, value
                    archive.addfile(info)
                else:
                    info = tarfile.TarInfo(name)
                    info.size, info.mode = len(value), 0o644
                    archive.addfile(info, BytesIO(value))
        blobs.append(buffer.getvalue())
    budget = _Budget(Bounds())
    read = []
    for index, blob in enumerate(blobs):
        with tarfile.open(fileobj=BytesIO(blob), mode="r:") as archive:
            read.append(_read_layer(archive, index, budget, _reopen_bytes(blob), _Blob(data=blob)))
    return ImageTree(tuple(read), merge(read))


class _Budget:
    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.entries = 0
        self.bytes = 0
        self.records = 0

    def take(self, member: tarfile.TarInfo, index: int) -> None:
        self._count(1, max(member.size, 0), index)

    def again(self, layer: Layer) -> None:
        """A layer read before counted in this image (its package records are shared, not
        kept twice)."""
        files = sum(entry.size for entry in layer.entries.values())
        self._count(len(layer.entries) + len(layer.deleted), files, layer.index)

    def _count(self, entries: int, size: int, index: int) -> None:
        self.entries += entries
        self.bytes += size
        if self.entries > self.bounds.entries:
            raise TreeError(
                f"layer {index + 1} takes the image past {self.bounds.entries} "
                "files; the build mode reads images of fewer"
            )
        if self.bytes > self.bounds.bytes:
            raise TreeError(
                f"layer {index + 1} takes the image past {self.bounds.bytes} bytes; "
                "the build mode reads images of fewer"
            )


def _read_layer(
    archive: tarfile.TarFile,
    index: int,
    budget: _Budget,
    reopen: Callable[[str], Callable[[], bytes]],
    plain: _Blob | None,
) -> Layer:
    entries: dict[str, Entry] = {}
    deleted: set[str] = set()
    size = 0
    for member in _members(archive):
        budget.take(member, index)
        path = clean(member.name)
        if not path:
            continue
        folder, name = posixpath.split(path)
        if name == OPAQUE:
            deleted.add(folder + "/")
            continue
        if name.startswith(WHITEOUT):
            deleted.add(posixpath.join(folder, name[len(WHITEOUT) :]))
            continue
        entries[path] = _entry(
            archive, member, path, index=index, budget=budget, reopen=reopen, plain=plain
        )
        if member.isreg():
            size += member.size
    return Layer(index, entries, frozenset(deleted), size)


def _members(archive: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The archive's members in order, none held by it: tarfile lists every member it reads,
    for a lookup by name this reader never makes (400 bytes apiece, 800 MB at the bound)."""
    while (member := archive.next()) is not None:
        archive.members.clear()  # type: ignore[attr-defined]  # the list next() appends to
        yield member


def _entry(
    archive: tarfile.TarFile,
    member: tarfile.TarInfo,
    path: str,
    *,
    index: int,
    budget: _Budget,
    reopen: Callable[[str], Callable[[], bytes]],
    plain: _Blob | None,
) -> Entry:
    """One member as an entry. A regular file's sha256 is left to :attr:`Entry.digest` when
    ``plain`` (the layer, uncompressed) holds its bytes in one run; else it is taken now."""
    kind = (
        FILE
        if member.isreg()
        else DIRECTORY
        if member.isdir()
        else SYMLINK
        if member.issym()
        else HARDLINK
        if member.islnk()
        else OTHER
    )
    link = member.linkname if kind in (SYMLINK, HARDLINK) else ""
    content, digest, place = None, "", None
    if kind == FILE:
        fits = member.size <= RECORD_LIMIT and budget.records + member.size <= budget.bounds.records
        keep = fits and is_record(path)
        if keep or plain is None or member.issparse():
            digest, content = _hash(archive.extractfile(member), keep=keep)
        else:
            place = (plain, member.offset_data)
        budget.records += len(content or b"")
    opener = reopen(member.name) if kind == FILE and content is None else None
    size = max(member.size, 0)
    return Entry(path, size, member.mode, kind, link, index, digest, content, opener, place)


def _hash(handle: IO[bytes] | None, *, keep: bool) -> tuple[str, bytes | None]:
    """The sha256 of a member's bytes, and the bytes themselves when ``keep``."""
    digest = hashlib.sha256()
    kept = bytearray() if keep else None
    if handle is not None:
        with handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                if kept is not None:
                    kept += chunk
    return digest.hexdigest(), bytes(kept) if kept is not None else None


def _bytes(handle: IO[bytes] | None) -> bytes:
    if handle is None:
        return b""
    with handle:
        return handle.read(RECORD_LIMIT + 1)[:RECORD_LIMIT]


def _find(archive: tarfile.TarFile, name: str) -> bytes:
    for member in archive:
        if member.name == name and member.isreg():
            return _bytes(archive.extractfile(member))
    return b""


def _reopen(blob: Path) -> Callable[[str], Callable[[], bytes]]:
    def opener(name: str) -> Callable[[], bytes]:
        def read() -> bytes:
            with regular(blob) as opened, tarfile.open(fileobj=opened, mode="r:*") as archive:
                return _find(archive, name)

        return read

    return opener


def _reopen_bytes(blob: bytes) -> Callable[[str], Callable[[], bytes]]:
    def opener(name: str) -> Callable[[], bytes]:
        def read() -> bytes:
            with tarfile.open(fileobj=BytesIO(blob), mode="r:") as archive:
                return _find(archive, name)

        return read

    return opener
