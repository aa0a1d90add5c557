"""A unified diff between two copies of a checkout, written in Python, run on our side.

A fixer changes its own copy in the sandbox; the patch is what changed, read back as data.
``git diff --no-index`` would do it too, but it would read attributes and configuration that
the copy controls; :mod:`difflib` reads bytes and nothing else.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from cicd_agent.analysis.unified_diff import file_diff
from cicd_agent.sandbox import SKIPPED_NAMES
from cicd_agent.sandbox.walk import FOLDER_FLAGS, walk

MAX_FILE_BYTES = 2 << 20
"""A changed file larger than this is not read back (no offered patch could hold it anyway)."""


class UnreadableChange(ValueError):
    """A changed file that is not UTF-8 text: no patch of ours carries binary data."""


def tree_diff(before: Path, after: Path, *, changed_only: bool = False) -> str:
    """What turned ``before`` into ``after``, as a ``git apply``-able diff (paths a/ b/).

    Only regular files count: symbolic links (a linked ``.venv``, ``node_modules``) and cache
    folders are skipped on both sides. ``changed_only`` leaves out files that exist on one side
    only (a formatter's cache is not part of its fix). Both trees are walked and read by
    descriptors (:func:`cicd_agent.sandbox.walk`), never by whole paths: a path that fits under
    the checkout may be past the kernel's limit under the sandbox's longer folder.
    """
    old, new = _files(before), _files(after)
    chunks: list[str] = []
    for relative in sorted(old.keys() & new.keys() if changed_only else old.keys() | new.keys()):
        if old.get(relative) == new.get(relative):
            continue
        left = _read(before, relative) if relative in old else None
        right = _read(after, relative) if relative in new else None
        if left != right:
            chunks.append(file_diff(relative, _text(relative, left), _text(relative, right)))
    return "".join(chunks)


def _read(root: Path, relative: str) -> bytes:
    """The bytes of ``relative`` under ``root``, opened one name at a time (no link followed)."""
    *folders, name = relative.split("/")
    folder = os.open(root, FOLDER_FLAGS)
    try:
        for part in folders:
            deeper = os.open(part, FOLDER_FLAGS, dir_fd=folder)
            os.close(folder)
            folder = deeper
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    finally:
        os.close(folder)
    with os.fdopen(fd, "rb") as file:
        if os.fstat(file.fileno()).st_size > MAX_FILE_BYTES:
            raise UnreadableChange(f"{name} is larger than {MAX_FILE_BYTES >> 20} MiB")
        return file.read()


def _text(path: str, data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableChange(f"{path} changed and is not UTF-8 text") from exc


class _Files:
    """A walk's visitor: each regular file's path under the top and a digest of its bytes
    (read in chunks: a large unchanged file is never held whole); links, skipped folders and
    what cannot be read are left out."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[int, bytes]] = {}
        self._path: list[str] = []

    def entry(self, folder: int, name: str, found: os.stat_result) -> bool:
        if stat.S_ISDIR(found.st_mode):
            return name not in SKIPPED_NAMES
        if stat.S_ISREG(found.st_mode):
            digest = hashlib.sha256()
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
            with os.fdopen(fd, "rb") as file:
                while chunk := file.read(1 << 20):
                    digest.update(chunk)
            self.found["/".join([*self._path, name])] = (found.st_size, digest.digest())
        return False

    def enter(self, folder: int, name: str) -> None:
        self._path.append(name)

    def leave(self, folder: int) -> None:
        if self._path:
            self._path.pop()

    def failed(self, error: OSError) -> None:
        raise error


def _files(root: Path) -> dict[str, tuple[int, bytes]]:
    """Regular files under ``root`` (its own sizes and digests), links and skipped folders
    left out; walked without recursion (a fixer's run may nest folders thousands deep)."""
    files = _Files()
    walk(root, files)
    return files.found
