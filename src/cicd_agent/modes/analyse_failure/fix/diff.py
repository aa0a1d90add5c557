"""A unified diff between two copies of a checkout, written in Python, run on our side.

A fixer changes its own copy in the sandbox; the patch is what changed, read back as data.
``git diff --no-index`` would do it too, but it would read attributes and configuration that
the copy controls; :mod:`difflib` reads bytes and nothing else.
"""

from __future__ import annotations

import difflib
import filecmp
import os
from pathlib import Path

_SKIPPED_DIRS = frozenset(
    {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox"}
)
_NO_NEWLINE = "\\ No newline at end of file\n"
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


def file_diff(path: str, old: str | None, new: str | None) -> str:
    """One file's diff; ``None`` on a side means the file does not exist there."""
    header = f"diff --git a/{path} b/{path}\n"
    if old is None:
        header += "new file mode 100644\n"
    elif new is None:
        header += "deleted file mode 100644\n"
    lines = difflib.unified_diff(
        _lines(old or ""),
        _lines(new or ""),
        fromfile="/dev/null" if old is None else f"a/{path}",
        tofile="/dev/null" if new is None else f"b/{path}",
        n=3,
    )
    body = []
    for line in lines:
        if line.endswith("\n"):
            body.append(line)
        else:
            body.append(line + "\n" + _NO_NEWLINE)
    return header + "".join(body)


def _lines(text: str) -> list[str]:
    """Lines split at ``\n`` only, as git does (``str.splitlines`` also splits at ``\r``)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


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
    found: set[str] = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            name
            for name in dirs
            if name not in _SKIPPED_DIRS and not os.path.islink(os.path.join(folder, name))
        ]
        for name in files:
            full = os.path.join(folder, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            found.add(Path(full).relative_to(root).as_posix())
    return found
