"""Layers applied one after another as a runtime unpacks them, into an image's tree
(:class:`~cicd_agent.modes.build.tree.ImageTree`): each layer's members in its order, each
placed through the links as they stand when it comes, within a bound of work."""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from cicd_agent.modes.build.tree import (
    DIRECTORY,
    FILE,
    HARDLINK,
    LINK_WORK,
    STEP,
    SYMLINK,
    Entry,
    ImageTree,
    Layer,
    TreeError,
    clean,
    follow,
    walk,
)

UNPACK_HOPS = 255
"""The most links followed to place one entry of a layer (the bound of the Go libraries
containerd and umoci unpack with)."""


def image_tree(layers: Sequence[Layer]) -> ImageTree:
    """The tree of ``layers``, bottom first (:func:`merge`)."""
    merged = _Merge(layers)
    return ImageTree(tuple(layers), merged.files, merged.moved, merged.linked, merged.placed)


def merge(layers: Sequence[Layer]) -> dict[str, Entry]:
    """The tree the layers make, bottom first, each layer's members applied in its order, as a
    runtime unpacks it (:class:`_Merge`)."""
    return _Merge(layers).files


class _Merge:
    """Layers applied one after another, each member where a runtime unpacking the layer puts
    it: the folders on its way followed through the links as they stand when it comes. An entry
    replaces what was at its place, a folder with everything under it (a folder written over a
    folder keeps it); a whiteout takes out what it names and everything under it, but what its
    own layer wrote before it and the folders above that (whiteouts apply to lower layers).

    Every path is also filed under its folder, so a whiteout takes out what it names by walking
    that folder alone, never the whole tree (a layer may hold a whiteout for each of a million
    files). A folder's place through the links is kept until a link is written over a folder
    (every folder a place was found through is filed; a place found by leaving a folder through
    ``..``, or for a whiteout, is not kept) or a link is replaced or taken out, or written
    where a folder was filed (or was, until it was taken out); the links
    followed, the paths of its own a layer's whiteouts walk again, and the folders filed (again,
    after one is taken out) over the whole merge are bound by :data:`LINK_WORK` per entry."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.files: dict[str, Entry] = {}
        self.below: dict[str, set[str]] = {}
        self.moved: dict[tuple[int, str], str] = {}
        self.placed: dict[tuple[int, str], Entry] = {}
        self.linked: dict[str, Entry] = {}
        self._places: dict[str, str] = {}
        self._emptied: set[str] = set()  # folders taken out since the places were last dropped
        self._work = [LINK_WORK]
        for layer in layers:
            self.add(layer)

    def add(self, layer: Layer) -> None:
        members = layer.members
        self._work[0] += LINK_WORK * len(members)
        last = next((n for n in range(len(members) - 1, -1, -1) if isinstance(members[n], str)), -1)
        twice = Counter(member.path for member in members if isinstance(member, Entry))
        twice.subtract(twice.keys())  # a name the layer writes at most once counts 0
        upper: set[str] = set()  # what it wrote before its last whiteout, and the folders above
        for number, member in enumerate(members):
            if isinstance(member, str):
                self._take_out(self._place(member, keep=False), upper)
                continue
            real = self._place(member.path)
            if real != member.path or twice[member.path] or (layer.index, real) in self.placed:
                self.moved[layer.index, member.path] = real
                self.placed[layer.index, real] = member
            self._write(real, self._link(real, member) if member.kind == HARDLINK else member)
            while number < last and real and real not in upper:
                upper.add(real)
                real = posixpath.dirname(real)

    def _write(self, real: str, entry: Entry) -> None:
        """``entry`` at ``real``, over what was there: a runtime removes it first (a folder
        with everything under it), unless both are folders."""
        before = self.files.get(real)
        folder = real in self.below if before is None else before.kind == DIRECTORY
        relinked = entry.kind == SYMLINK and (real in self.below or real in self._emptied)
        if (before is not None or folder) and not (folder and entry.kind == DIRECTORY):
            relinked |= _remove(self.files, self.below, real, self._emptied)
        if relinked:
            self._forget()
        _file(self.files, self.below, real, self._work)
        self.files[real] = entry

    def _take_out(self, gone: str, upper: set[str]) -> None:
        """A whiteout placed at ``gone``: it and everything under it taken out (``"folder/"``:
        what is under the folder), but for ``upper``, what its own layer wrote before it and
        the folders above that, which are walked through (each at :data:`STEP` of the work)."""
        top = gone.rstrip("/")
        pending = list(self.below.get(top, ())) if gone.endswith("/") else [top]
        relinked = False
        while pending:
            path = pending.pop()
            if path not in upper:
                relinked |= _remove(self.files, self.below, path, self._emptied)
                continue
            self._work[0] -= STEP
            if self._work[0] < 0:
                raise TreeError(
                    "a layer's whiteouts walk its own folders too many times to be merged"
                )
            pending.extend(self.below.get(path, ()))
        if relinked:
            self._forget()

    def _forget(self) -> None:
        """The places kept dropped: a link on the way to one of them changed."""
        self._places.clear()
        self._emptied.clear()

    def _place(self, path: str, *, keep: bool = True) -> str:
        """Where ``path`` lands: its folder followed through links, as the runtime resolves
        it inside the image (``"folder/"``, a folder made opaque, is itself followed: the
        runtime finds the whiteout's folder, and keeps its slash); the folder's place kept
        when ``keep`` (nothing filed under a whiteout's folder would tell when it is stale)."""
        opaque = path.endswith("/")
        folder, _, name = (path[:-1], "", "") if opaque else path.rpartition("/")
        real = self._places.get(folder)
        if real is None:
            if not folder:
                return path
            real, left = walk(self.files, folder, UNPACK_HOPS, self._work)
            if keep and not left:
                self._places[folder] = real
        if real == folder:
            return path
        return "/".join(part for part in (real, name) if part) + ("/" if opaque else "")

    def _link(self, path: str, entry: Entry) -> Entry:
        """A hard link shares the bytes of the file it names as its layer is unpacked; one to a
        symbolic link is that link (the name's folder is followed, the link itself is not: a
        runtime links the link); one to nothing or to a folder is refused, as a runtime
        refuses it."""
        folder, _, name = clean(entry.link).rpartition("/")
        real = follow(self.files, folder, UNPACK_HOPS, self._work) if folder else ""
        named = "/".join(part for part in (real, name) if part)
        target = self.files.get(named)
        if target is None or target.kind == DIRECTORY:
            raise TreeError(
                f"a hard link names {'a folder' if target else 'nothing'} "
                "(a runtime makes no such link)"
            )
        if target.kind == SYMLINK:
            self.linked.pop(path, None)
            return replace(entry, kind=SYMLINK, link=target.link)
        if target.kind == HARDLINK:
            target = self.linked.get(named)
        if target is not None and target.kind == FILE:
            self.linked[path] = target
        else:
            self.linked.pop(path, None)
        return entry


def _file(files: dict[str, Entry], below: dict[str, set[str]], path: str, work: list[int]) -> None:
    """``path`` filed under its folder, and each folder above it under its own, up to the
    first one filed before, each at :data:`STEP` of ``work`` (a deep folder taken out and its
    path written again, a thousand times, filed two million folders: 4.5 s for 16 KB of
    gzip). A "folder" the image holds as anything but a folder is refused: a runtime makes
    no folder over a file (``var/lib/dpkg`` a file, ``var/lib/dpkg/status`` is no file)."""
    while path:
        folder = posixpath.dirname(path)
        children = below.setdefault(folder, set())
        if path in children:
            return
        work[0] -= STEP
        if work[0] < 0:
            raise TreeError(
                "the image's layers write and take out folders too many times to be merged"
            )
        above = files.get(folder)
        if above is not None and above.kind != DIRECTORY:
            raise TreeError(
                f"a layer writes {path!r} under what is not a folder (a runtime "
                "makes no folder there)"
            )
        children.add(path)
        path = folder


def _remove(
    files: dict[str, Entry], below: dict[str, set[str]], gone: str, emptied: set[str]
) -> bool:
    """Take ``gone`` and everything under it out of ``files``, each folder that held anything
    added to ``emptied``; whether a link was among them."""
    if not gone:
        return False
    entry = files.pop(gone, None)
    linked = entry is not None and entry.kind == SYMLINK
    below.get(posixpath.dirname(gone), set()).discard(gone)
    pending = [gone]
    while pending:
        folder = pending.pop()
        children = below.pop(folder, ())
        if children:
            emptied.add(folder)
        for child in children:
            entry = files.pop(child, None)
            linked |= entry is not None and entry.kind == SYMLINK
            pending.append(child)
    return linked
