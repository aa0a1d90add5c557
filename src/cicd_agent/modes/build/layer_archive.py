"""Reading an image's layer archives into a :class:`~cicd_agent.modes.build.tree.ImageTree`:
each archive walked once, member by member, within the image's :class:`Bounds`, no link
followed and nothing unpacked onto the disk."""

from __future__ import annotations

import hashlib
import io
import posixpath
import tarfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from io import BytesIO
from pathlib import Path
from typing import IO

from cicd_agent.modes.build.merge import image_tree
from cicd_agent.modes.build.regular import regular
from cicd_agent.modes.build.tar_headers import IGNORED, RuntimeHeader
from cicd_agent.modes.build.tree import (
    DIRECTORY,
    FILE,
    HARDLINK,
    OPAQUE,
    OTHER,
    RECORD_LIMIT,
    SYMLINK,
    WHITEOUT,
    Bounds,
    Entry,
    ImageTree,
    Layer,
    LayerBytes,
    Rereader,
    TreeError,
    clean,
    is_record,
)

LINK_LIMIT = 4095
"""The most bytes of a link's target: the kernel makes none longer (``PATH_MAX``), so a runtime
refuses the layer; following one costs a pass over its bytes."""
BOUNDS = Bounds()
"""The bounds an image is read within unless a caller sets others."""

Known = dict[tuple[str, int], tuple[Path, Layer]]
"""Layers read before, by their blob's name (its digest) and position: the same layer at the
same place in another image of the run (the base image's, a step the cache gave) is not read
again."""


def read_tree(
    blobs: Sequence[Path], bounds: Bounds = BOUNDS, known: Known | None = None
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
            with regular(blob) as opened, open_archive(opened) as archive:
                plain = LayerBytes(blob) if isinstance(archive.fileobj, io.BufferedReader) else None
                layers.append(_read_layer(archive, index, budget, _reopen(blob), plain))
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise TreeError(
                f"layer {index + 1} ({blob.name}) is not a readable archive: {exc}"
            ) from exc
        if known is not None:
            for key in [key for key, (path, _) in known.items() if not path.is_file()]:
                del known[key]  # a layout removed since: hold no more of it
            known[(blob.name, index)] = (blob, layers[-1])
    return image_tree(layers)


def open_archive(opened: IO[bytes]) -> tarfile.TarFile:
    """A layer archive, maybe compressed, its headers read as a runtime reads them."""
    return tarfile.open(fileobj=opened, mode="r:*", tarinfo=RuntimeHeader)


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
        with open_archive(BytesIO(blob)) as archive:
            read.append(
                _read_layer(archive, index, budget, _reopen_bytes(blob), LayerBytes(data=blob))
            )
    return image_tree(read)


class _Budget:
    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.entries = 0
        self.bytes = 0
        self.records = 0
        self.names = 0

    def take(self, member: tarfile.TarInfo, index: int) -> None:
        self._count(1, max(member.size, 0), len(member.name) + len(member.linkname), index)

    def again(self, layer: Layer) -> None:
        """A layer read before counted in this image (its package records are shared, not
        kept twice)."""
        files = sum(entry.size for entry in layer.entries.values())
        names = sum(
            len(m.path) + len(m.link) if isinstance(m, Entry) else len(m) for m in layer.members
        )
        self._count(len(layer.members), files, names, layer.index)

    def _count(self, entries: int, size: int, names: int, index: int) -> None:
        self.entries += entries
        self.bytes += size
        self.names += names
        if self.names > self.bounds.names:
            raise TreeError(
                f"layer {index + 1} takes the image past {self.bounds.names} bytes of names "
                "(its paths and link targets); the build mode reads images of fewer"
            )
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
    reopen: Rereader,
    plain: LayerBytes | None,
) -> Layer:
    members: list[Entry | str] = []
    size = 0
    for member in _members(archive):
        budget.take(member, index)
        path = clean(member.name)
        if not path or member.type == IGNORED:
            continue
        folder, name = posixpath.split(path)
        if name == OPAQUE:
            members.append(folder + "/")
        elif name == WHITEOUT:
            raise TreeError(
                f"layer {index + 1} holds a whiteout that names no file "
                f"({WHITEOUT}), which a runtime does not unpack"
            )
        elif name.startswith(WHITEOUT):
            members.append(posixpath.join(folder, name[len(WHITEOUT) :]))
        else:
            members.append(
                _entry(
                    archive, member, path, index=index, budget=budget, reopen=reopen, plain=plain
                )
            )
            size += member.size if member.isreg() else 0
    return Layer(index, tuple(members), size)


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
    reopen: Rereader,
    plain: LayerBytes | None,
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
    if len(link.encode(errors="surrogateescape")) > LINK_LIMIT:
        raise TreeError(
            f"layer {index + 1} holds a link of more than {LINK_LIMIT} bytes, "
            "which a runtime cannot make"
        )
    content, digest, place = None, "", None
    if kind == FILE:
        fits = member.size <= RECORD_LIMIT and budget.records + member.size <= budget.bounds.records
        keep = fits and is_record(path)
        if keep or plain is None or member.issparse():
            digest, content = _hash(archive.extractfile(member), keep=keep)
        else:
            place = (plain, member.offset_data)
        budget.records += len(content or b"")
    opener = (reopen, member.offset) if kind == FILE and content is None else None
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


def _find(archive: tarfile.TarFile, places: Collection[int]) -> Iterator[tuple[int, bytes]]:
    """The bytes of each member whose header starts at one of ``places``, in one pass (none
    held by the archive)."""
    last = max(places, default=-1)
    for member in _members(archive):
        if member.offset > last:
            break
        if member.offset in places:
            yield member.offset, _bytes(archive.extractfile(member)) if member.isreg() else b""


def _reopen(blob: Path) -> Rereader:
    def read(places: Collection[int]) -> Iterator[tuple[int, bytes]]:
        with regular(blob) as opened, open_archive(opened) as archive:
            yield from _find(archive, places)

    return read


def _reopen_bytes(blob: bytes) -> Rereader:
    def read(places: Collection[int]) -> Iterator[tuple[int, bytes]]:
        with open_archive(BytesIO(blob)) as archive:
            yield from _find(archive, places)

    return read
