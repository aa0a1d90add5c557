"""The one walk of a folder tree a pull request shaped: by descriptors, never by whole paths.

Every host-side walk of a checkout or a run's folders goes through :func:`walk` (the copy into
a sandbox, the disk measure, the search for nested ``.git``). A pull request chooses its
tree's shape, and two shapes broke walks that named entries by their whole path:

- depth: a file 1200 folders deep (git checks it out) made ``copytree`` recurse past
  Python's limit; the walk keeps its place in a list, never on the stack;
- length: a path that fits under a short checkout folder (4065 bytes under ``/tmp/c/c``) is
  past the longest path the kernel takes (4096) under the sandbox's longer folder, and every
  call naming the copy's entries failed with ENAMETOOLONG: no sandbox could be made. Here each
  call names one entry relative to its folder's descriptor (``openat``, ``fstatat``), which
  only the name's own length (255) bounds.

One descriptor is open at a time (two while a folder that cannot be searched is visited), not
one a level: a tree nested deeper than the descriptor limit (1024 by default) is walked too.
Going back up opens ``..`` and checks it is the folder we came down from (its device and
inode): the trees walked here hold still (a checkout, a copy, a run's folders while its
processes are stopped), and one that moved is an error, not a walk of somewhere else.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
"""How a folder is opened: never through a link."""


class Visitor:
    """What a walk does at each entry; each method may raise to end the walk. This base goes
    into every folder, leaves out what cannot be read, and keeps ``parts``: the names of the
    folders from the top down to the one being visited."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def entry(self, folder: int, name: str, found: os.stat_result) -> bool:
        """Entry ``name`` of the open ``folder`` (not followed if a link); True to go into
        it (only a folder is gone into)."""
        return True

    def enter(self, folder: int, name: str) -> None:
        """The walk went into folder ``name``, now open as ``folder``."""
        self.parts.append(name)

    def leave(self, folder: int) -> None:
        """Every entry of ``folder`` (open) and below was visited; the walk goes back up."""
        if self.parts:
            self.parts.pop()

    def failed(self, error: OSError) -> None:
        """An entry could not be read (gone, or not ours to open): raise to end the walk,
        return to leave it out."""


class Moved(OSError):
    """A folder moved while the walk was below it."""


def walk(top: Path, visitor: Visitor) -> None:
    """Visit every entry under ``top`` (a folder, not followed if a link), depth first, each
    folder's entries in name order, without recursion and one descriptor open at a time (two
    in a folder closed to search)."""
    try:
        folder = os.open(top, FOLDER_FLAGS)
    except OSError as error:
        visitor.failed(error)
        return
    levels: list[tuple[list[str], os.stat_result]] = []
    try:
        here = os.fstat(folder)
        names = _names(folder, visitor)
        while True:
            if names:
                name = names.pop()
                child = _descend(folder, name, visitor)
                if child < 0:
                    continue
                if not _searchable(child):
                    _visit_closed(child, name, visitor)
                    continue
                levels.append((names, here))
                os.close(folder)
                folder, here = child, os.fstat(child)
                visitor.enter(folder, name)
                names = _names(folder, visitor)
                continue
            visitor.leave(folder)
            if not levels:
                return
            names, here = levels.pop()
            parent = os.open("..", FOLDER_FLAGS, dir_fd=folder)
            os.close(folder)
            folder = parent
            now = os.fstat(folder)
            if (now.st_dev, now.st_ino) != (here.st_dev, here.st_ino):
                raise Moved(f"a folder under {top} moved while it was walked")
    finally:
        os.close(folder)


def _searchable(folder: int) -> bool:
    """Whether names can be looked up in open ``folder`` (``..`` among them)."""
    try:
        os.stat("..", dir_fd=folder, follow_symlinks=False)
    except PermissionError:
        return False
    return True


def _visit_closed(folder: int, name: str, visitor: Visitor) -> None:
    """Visit folder ``name``, open as ``folder``, which may be listed but not searched (no x
    bit for us: an owner may ``chmod 600`` a folder of their own), then close it. The walk's
    own folder stays open meanwhile: ``..`` cannot be looked up in this one. Each name it
    lists fails to the visitor, as nothing under it can be looked up."""
    try:
        visitor.enter(folder, name)
        for entry in reversed(_names(folder, visitor)):
            below = _descend(folder, entry, visitor)
            if below >= 0:  # looked up after all: the folder was opened to us meanwhile
                os.close(below)
        visitor.leave(folder)
    finally:
        os.close(folder)


def _names(folder: int, visitor: Visitor) -> list[str]:
    """The entries of ``folder``, last name first (popped in name order)."""
    try:
        return sorted(os.listdir(folder), reverse=True)
    except OSError as error:
        visitor.failed(error)
        return []


def _descend(folder: int, name: str, visitor: Visitor) -> int:
    """Visit entry ``name`` of ``folder``; the descriptor of it to go into, else -1."""
    try:
        found = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError as error:
        visitor.failed(error)
        return -1
    if not visitor.entry(folder, name, found) or not stat.S_ISDIR(found.st_mode):
        return -1
    try:
        child = os.open(name, FOLDER_FLAGS, dir_fd=folder)
    except OSError as error:
        visitor.failed(error)
        return -1
    opened = os.fstat(child)
    if (opened.st_dev, opened.st_ino) != (found.st_dev, found.st_ino):  # swapped since
        os.close(child)
        visitor.failed(Moved(f"folder {name!r} was replaced while it was walked"))
        return -1
    return child
