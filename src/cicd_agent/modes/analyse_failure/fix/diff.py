"""A unified diff between two copies of a checkout, written in Python, run on our side.

A fixer changes its own copy in the sandbox; the patch is what changed, read back as data.
``git diff --no-index`` would do it too, but it would read attributes and configuration that
the copy controls; :mod:`difflib` reads bytes and nothing else.
"""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

from cicd_agent.analysis.unified_diff import file_diff
from cicd_agent.sandbox import SKIPPED_NAMES

MAX_FILE_BYTES = 2 << 20
"""A changed file larger than this is not read back (no offered patch could hold it anyway)."""


class UnreadableChange(ValueError):
    """A changed file that is not UTF-8 text: no patch of ours carries binary data."""


def tree_diff(before: Path, after: Path, *, changed_only: bool = False) -> str:
    """What turned ``before`` into ``after``, as a ``git apply``-able diff (paths a/ b/).

    Only regular files count: symbolic links (a linked ``.venv``, ``node_modules``) and cache
    folders are skipped on both sides. ``changed_only`` leaves out files that exist on one side
    only (a formatter's cache is not part of its fix).
    """
    old, new = _files(before), _files(after)
    chunks: list[str] = []
    for relative in sorted(old & new if changed_only else old | new):
        if relative in old and relative in new and _same(before / relative, after / relative):
            continue
        left = _read(before / relative) if relative in old else None
        right = _read(after / relative) if relative in new else None
        if left != right:
            chunks.append(file_diff(relative, _text(relative, left), _text(relative, right)))
    return "".join(chunks)


def _same(left: Path, right: Path) -> bool:
    """Byte-equal, compared in chunks (a large unchanged file is never read whole)."""
    return filecmp.cmp(left, right, shallow=False)


def _read(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UnreadableChange(f"{path.name} is larger than {MAX_FILE_BYTES >> 20} MiB")
    return path.read_bytes()


def _text(path: str, data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableChange(f"{path} changed and is not UTF-8 text") from exc


def _files(root: Path) -> set[str]:
    """Regular files under ``root``, links and skipped folders left out; walked without
    recursion (a fixer's run may nest folders thousands deep)."""
    found: set[str] = set()
    folders = [str(root)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_NAMES:
                        folders.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    found.add(Path(entry.path).relative_to(root).as_posix())
    return found
