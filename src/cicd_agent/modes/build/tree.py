"""An image's files, read from its layers without unpacking anything onto the disk.

An image is a stack of layer archives (tar, maybe gzip-compressed). :func:`.layer_archive.read_tree`
walks each once, in order, and keeps for every path the version each layer wrote, so a reader can
ask what the image held after any layer: the merged tree (:attr:`ImageTree.files`), where a path
came from (:attr:`Entry.layer`), and every version of it (:meth:`ImageTree.versions`, how a package
reader finds the layer that first listed a package in a status file rewritten by every layer).
A file's sha256 (:attr:`Entry.digest`) is taken when a comparison first asks for it, from its
place in an uncompressed layer (most files are never asked for: a layer two images share is one
object, and files of different sizes differ); a compressed layer's are taken as it is read.

Everything in a layer is the pull request's: names are normalised lexically (no ``..`` above the
root, no leading ``/``), links are followed only inside the image (a layer's entry is placed
where a runtime unpacking it puts it, through the links lower layers made, within a bound of
work: :func:`.merge.merge`), contents are kept only for small package records
(:data:`RECORD_LIMIT`), and a layer of too many entries or bytes stops the read
with :class:`TreeError` (:class:`Bounds`).
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cicd_agent.modes.build.regular import regular

RECORD_LIMIT = 4 * 1024 * 1024
"""The most bytes kept of one package record (a dpkg status of 5,000 packages is about 3 MB)."""

RECORDS = frozenset(
    {"var/lib/dpkg/status", "lib/apk/db/installed", "etc/os-release", "usr/lib/os-release"}
)

LINK_HOPS = 40
"""The most links followed to open one path (Linux's own bound)."""
LINK_WORK = 1024
"""What following links may cost, per entry of the image, when it is merged (:mod:`.merge`): each
folder looked up costs :data:`STEP` and the bytes of its path (a walk through a link of ten thousand
folders is a hundred million bytes)."""
STEP = 64
READ_WORK = 4 * LINK_WORK
"""What the paths readers open may cost in links to follow, per file of the image (a record
deep in ``node_modules`` takes about a thousand; a path into a loop of 4 KB links, 166,000)."""

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"

FILE, DIRECTORY, SYMLINK, HARDLINK, OTHER = "file", "dir", "symlink", "hardlink", "other"


Rereader = Callable[[Collection[int]], Iterator[tuple[int, bytes]]]
"""What reads a layer's members again, in one pass of the layer: given where their headers
start, each of those places with its member's bytes (a package record's first
:data:`RECORD_LIMIT`), in the order they lie in the layer."""


class Readable(Protocol):
    """What :func:`read_each` reads: an :class:`Entry`, or anything else with its bytes."""

    def read(self) -> bytes: ...


class TreeError(Exception):
    """A layer that cannot be read, or one past the bounds."""


@dataclass(frozen=True)
class Bounds:
    """What one image may hold before the read stops (a hostile layer of a billion files)."""

    entries: int = 2_000_000
    bytes: int = 64 * 1024**3
    records: int = 256 * 1024 * 1024
    """The most bytes of package records kept in memory, over the whole image."""
    names: int = 256 * 1024 * 1024
    """The most bytes of paths and link targets, over the whole image: each is held several
    times while it is read (50,000 paths of 4 KB took 708 MB). A real image's paths are under
    100 bytes on average, so even ``entries`` of them stay far below."""
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


@dataclass(frozen=True, eq=False, slots=True)
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
    _opener: tuple[Rereader, int] | None = field(default=None, repr=False)
    """What reads the file again from its layer, and where its member's header starts there
    (its name may be a layer's twice: a runtime keeps the last; one reader a layer, not one a
    file: two million are kept)."""
    _place: tuple[LayerBytes, int] | None = field(default=None, repr=False)
    """Where the file's bytes start in its uncompressed layer, for :attr:`digest`."""
    _taken: str | None = field(default=None, repr=False)
    """:attr:`digest` once taken (an entry has no ``__dict__``: two million are kept)."""

    @property
    def digest(self) -> str:
        """sha256 of a regular file's bytes ("" for anything else): how two layers' files are
        compared, whatever their times. Taken once, the first time it is asked for."""
        if self._place is None:
            return self.hashed
        if self._taken is None:
            blob, offset = self._place
            object.__setattr__(self, "_taken", blob.sha256(offset, self.size))
        return self._taken or ""

    def read(self) -> bytes:
        """The file's bytes. A package record's are in memory; any other regular file's are
        read again from its layer (slow: the layer is decompressed up to it; to read many,
        :func:`read_each`). A link, folder or device reads as ``b""``."""
        if self._content is not None:
            return self._content
        if self._opener is None:
            return b""
        reader, offset = self._opener
        return next((data for _, data in reader((offset,))), b"")


def read_each(entries: Sequence[Readable]) -> Iterator[tuple[int, bytes]]:
    """Each entry's bytes (:meth:`Entry.read`) with its place in ``entries``, those a layer
    gives again read in one pass of that layer, in the order they lie there (a pass each was
    work that grew as the square of the records behind a link)."""
    again: dict[Rereader, dict[int, list[int]]] = {}
    for number, entry in enumerate(entries):
        if isinstance(entry, Entry) and entry._content is None and entry._opener is not None:
            reader, offset = entry._opener
            again.setdefault(reader, {}).setdefault(offset, []).append(number)
        else:
            yield number, entry.read()
    for reader, places in again.items():
        for offset, data in reader(places):
            for number in places[offset]:
                yield number, data


@dataclass(frozen=True)
class Layer:
    """What one layer holds, in its order (``members``): an :class:`Entry` for each path it
    writes (a name written twice has two), a path for each whiteout (a folder made opaque as
    ``"<folder>/"``, the root as ``"/"``). A runtime applies them in that order
    (:func:`.merge.merge`)."""

    index: int
    members: tuple[Entry | str, ...]
    size: int
    """Bytes of regular files the layer writes (what the layer adds, uncompressed)."""

    @functools.cached_property
    def entries(self) -> Mapping[str, Entry]:
        """Each path the layer writes → its last version (a runtime writes each over the one
        before)."""
        return {member.path: member for member in self.members if isinstance(member, Entry)}

    @functools.cached_property
    def deleted(self) -> frozenset[str]:
        """What the layer's whiteouts remove."""
        return frozenset(member for member in self.members if isinstance(member, str))


@dataclass(frozen=True)
class ImageTree:
    """An image's files after each of its layers."""

    layers: tuple[Layer, ...]
    files: Mapping[str, Entry]
    """The merged tree after the last layer: path → the version that is in the image."""
    moved: Mapping[tuple[int, str], str] = field(default_factory=dict)
    """A layer's name whose entry is not simply at that name (layer, its name) → where its last
    copy is: written through a link a lower layer made, or a name the layer writes more than
    once (:func:`.merge.merge`)."""
    linked: Mapping[str, Entry] = field(default_factory=dict)
    """A hard link of the merged tree → the file it named when its layer was unpacked."""
    placed: Mapping[tuple[int, str], Entry] = field(default_factory=dict)
    """(layer, path) → the last entry that layer wrote at the path, for what :attr:`moved`
    names and whatever else the layer wrote at the same path."""

    def versions(self, path: str) -> list[Entry]:
        """Every layer's version of ``path`` (the last entry it wrote there), bottom first (one
        that a later layer deleted and another wrote again included)."""
        found = []
        for layer in self.layers:
            entry = self.placed.get((layer.index, path))
            if entry is None and (layer.index, path) not in self.moved:
                entry = layer.entries.get(path)
            if entry is not None:
                found.append(entry)
        return found

    def read(self, path: str) -> bytes | None:
        """The bytes of ``path`` as the image holds it; None when absent or not a file."""
        entry = self.files.get(path)
        if entry is not None and entry.kind == HARDLINK:  # the file it named, as unpacked
            entry = self.linked.get(path)
        if entry is None or entry.kind != FILE:
            return None
        return entry.read()

    def under(self, folder: str) -> Iterator[Entry]:
        """The merged tree's entries below ``folder`` (``""`` for all)."""
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        return (entry for path, entry in self.files.items() if path.startswith(prefix))

    @property
    def size(self) -> int:
        """Bytes of regular files in the merged tree."""
        return sum(entry.size for entry in self.files.values() if entry.kind == FILE)

    def resolve(self, path: str) -> str:
        """``path`` as a process in the container opens it: every symbolic link on the way
        followed inside the image (a target from the folder holding the link, an absolute one
        from the image's root, ``..`` never above it), and a hard link at the end taken to the
        file it names; at most :data:`LINK_HOPS` links, and all the paths a reader resolves
        within :data:`READ_WORK` per file of the image (:class:`TreeError` past it: a thousand
        links each into a loop of 4 KB targets). Nothing outside the image is read."""
        done = follow(self.files, clean(path), LINK_HOPS, self._resolving)
        entry = self.files.get(done)
        if entry is not None and entry.kind == HARDLINK and clean(entry.link) in self.files:
            return clean(entry.link)
        return done

    def opened(self, path: str) -> Entry | None:
        """The entry a process reads opening ``path`` (:meth:`resolve`): a hard link's is the
        file it shared bytes with when its layer was unpacked, even one a later layer took
        out (the link keeps them, as the runtime's inode does)."""
        real = self.resolve(path)
        entry = self.files.get(real)
        if entry is not None and entry.kind == HARDLINK:
            return self.linked.get(real)
        return entry

    @functools.cached_property
    def _resolving(self) -> list[int]:
        return [READ_WORK * (len(self.files) + 16)]


def clean(name: str) -> str:
    """A layer's member name as a path relative to the root: ``./a/../b/`` → ``b``; ``..``
    never climbs above the root."""
    return posixpath.normpath("/" + name).lstrip("/") if name else ""


def follow(files: Mapping[str, Entry], path: str, hops: int, work: list[int] | None = None) -> str:
    """``path`` with every symbolic link of ``files`` on its way followed (:func:`walk`)."""
    return walk(files, path, hops, work)[0]


def walk(
    files: Mapping[str, Entry], path: str, hops: int, work: list[int] | None = None
) -> tuple[str, bool]:
    """``path`` with every symbolic link of ``files`` on its way followed, at most ``hops``
    links: a target from the folder holding the link, an absolute one from the root, and each
    ``..`` taken from the folder reached so far, through the links before it (as the kernel
    and a runtime unpacking a layer take it: ``q/../dpkg`` with ``q`` a link to ``var/lib/x``
    is ``var/lib/dpkg``), never above the root; and whether a ``..`` left a folder it looked
    up (the answer then rests on a path that is not one of its folders). ``work``, when given,
    is what is left of :data:`LINK_WORK`, taken down as each folder is looked up and by each
    target's bytes. ``path`` is clean (:func:`clean`)."""
    parts, done, left = path.split("/") if path else [], "", False
    parts.reverse()
    while parts:
        part = parts.pop()
        if part in ("", "."):
            continue
        if part == "..":
            left, done = left or bool(done), posixpath.dirname(done)
            continue
        here = f"{done}/{part}" if done else part
        entry = files.get(here)
        link = entry.link if entry is not None and entry.kind == SYMLINK and hops > 0 else None
        if work is not None:
            work[0] -= STEP + len(here) + len(link or "")
            if work[0] < 0:
                raise TreeError("the image's links lead through too many folders to be followed")
        if link is None:
            done = here
            continue
        hops -= 1
        done = "" if link.startswith("/") else done
        parts.extend(reversed([part for part in link.split("/") if part not in ("", ".")]))
    return done, left


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
