"""A checkout's source line that a log names by file name and number, read safely.

A runner may print a test's log lines and its error lines alike (go's ``t.Log`` and
``t.Errorf``: ``x_test.go:12: text``; its shape's ``log_call`` and ``fail_call``): with the
checkout at hand, the line a message names tells which call printed it. The file is
found by its name through the walk that never enters a link nor names one, and read through the
reader that never follows one; a name that several files share, or a file that cannot be read,
tells nothing.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import CheckoutFileError, read_text, walk_files

MAX_WALKED = 200_000
"""Entries (files, links, folders) listed at most: a larger checkout tells no line."""
MAX_READ = 1 << 20
"""A source file larger than this tells no line."""
_PRUNED = frozenset({"node_modules", "vendor", "target", "build"})


class SourceLines:
    """Lines of the checkout's files by file name, each file found and read at most once."""

    def __init__(self, checkout: Path) -> None:
        self._checkout = checkout
        self._by_name: dict[str, list[str]] | None = None
        self._lines: dict[str, list[str] | None] = {}

    def line(self, name: str, number: int) -> str | None:
        """Line ``number`` of the one file named ``name`` (or whose path ends with it); None
        when no file or several are, or it cannot be read."""
        found = [
            p
            for p in self._names().get(PurePosixPath(name).name, [])
            if p == name or p.endswith("/" + name)
        ]
        if len(found) != 1:
            return None
        lines = self._read(found[0])
        return lines[number - 1] if lines is not None and 0 < number <= len(lines) else None

    def _names(self) -> dict[str, list[str]]:
        if self._by_name is None:
            self._by_name = {}
            try:
                for path in walk_files(self._checkout, _PRUNED, MAX_WALKED):
                    self._by_name.setdefault(PurePosixPath(path).name, []).append(path)
            except (CheckoutFileError, OSError):
                self._by_name = {}
        return self._by_name

    def _read(self, path: str) -> list[str] | None:
        if path not in self._lines:
            try:
                text = read_text(self._checkout, path, MAX_READ).removesuffix("\n")
                # at "\n" alone, as compilers count: splitlines() also splits at U+2028 or "\f"
                self._lines[path] = text.split("\n")
            except (CheckoutFileError, OSError):
                self._lines[path] = None
        return self._lines[path]
