"""Where a test's canonical, dotted name leads in a checkout: the file whose CODEOWNERS own it
(the test step's issues of flaky tests). Each runner says how its names read in its folder
(its :class:`NamedFiles`); :func:`file_of_test` reads a name with what every runner says, since a
name does not say which runner made it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NamedFiles:
    """How a runner's dotted test names lead to its test files."""

    folders: tuple[str, ...] = ()
    """Folders its test files lie under beside the checkout's root (Maven's ``src/test/java``)."""
    left_out: str = ""
    """The suffix a dotted name leaves out of its file's (pytest's ``tests.test_a.test_b`` is
    ``tests/test_a.py``)."""
    package: str = ""
    """The files of a package folder a name ends at, the first of which stands for it (go's
    ``*_test.go``: ``example.com.m.calc.TestX`` is the package ``calc``'s)."""


def file_of_test(
    checkout: Path, test: str, runners: Sequence[tuple[tuple[str, ...], NamedFiles]]
) -> str:
    """The file of ``test`` (a canonical, dotted name) in ``checkout``, whichever of
    ``runners`` (each one's suffixes and :class:`NamedFiles`) named it: its dotted parts walked
    as folders and a file name of one or more parts (jest's ``src.calc.test.js.adds``), a
    prefix of them skipped (go's module path), under the checkout or a runner's folders; ""
    when none is there (CODEOWNERS' ``*`` still owns it)."""
    parts = [part for part in test.split("[", 1)[0].split(".") if part]
    walk = _Walk(
        checkout,
        tuple(dict.fromkeys(suffix for suffixes, _ in runners for suffix in suffixes)),
        tuple(dict.fromkeys(names.left_out for _, names in runners if names.left_out)),
        tuple(dict.fromkeys(names.package for _, names in runners if names.package)),
    )
    for root in ("", *dict.fromkeys(f for _, names in runners for f in names.folders)):
        for skip in range(len(parts)):
            if found := walk.first(root, parts[skip:]):
                return found
    return ""


@dataclass(frozen=True)
class _Walk:
    checkout: Path
    suffixes: tuple[str, ...]
    left_out: tuple[str, ...]
    packages: tuple[str, ...]

    def first(self, folder: str, parts: Sequence[str]) -> str:
        """The first file ``parts`` name under ``folder``, a name taking one or more parts
        joined by dots (a package folder: its first test file)."""
        for end in range(1, len(parts)):
            name = ".".join(parts[:end])
            path = f"{folder}/{name}" if folder else name
            whole = self.checkout / path
            if whole.is_file() and path.endswith(self.suffixes):
                return path
            if left := next(
                (s for s in self.left_out if (self.checkout / (path + s)).is_file()), ""
            ):
                return path + left
            if whole.is_dir() and not whole.is_symlink():
                if inner := self.first(path, parts[end:]):
                    return inner
                for pattern in self.packages:
                    if tests := sorted(whole.glob(pattern)):
                        return f"{path}/{tests[0].name}"
        return ""
