"""Which file of the checkout a ``go test`` message names: a test's message names its file by
its base name alone (``version_test.go:12:``), and the package whose closing line follows it
places it under the folder of the ``go.mod`` declaring its module; a frame of a ``-trimpath``
build names its import path, which the checkout's modules place.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import is_file
from cicd_agent.runners.go.modules import GoModules, toolchain_or_dependency
from cicd_agent.runners.shape import OUTSIDE, Frame, Place

PACKAGE_RESULT = re.compile(r"^(?:FAIL|ok)\s+(?P<package>[\w.~-]+(?:/[\w.~-]+)*)\s+(?:\d|\(|\[)")
"""go test's closing line for one package, ``FAIL\tgithub.com/x/mod/pkg\t0.01s``: the tests'
lines above it (up to the previous such line) are that package's, and their messages name a
file by its base name alone (``version_test.go:12:``), which the package's folder places."""


MAX_TAIL_FOLDERS = 12
"""Trailing folders of an import path tried as the checkout's folder at most: a log can name a
package of thousands of folders, each tail a walk of the checkout."""
MAX_PLACED = 2_000
"""Distinct files and packages of one log placed at most (a log can name 100,000): those past
it keep their base names."""


def go_path(file: str, package: str, changed: Sequence[str], modules: GoModules) -> str:
    """A Go file a test's message names by its base name (``version_test.go``), in its
    package's folder: under the folder of the ``go.mod`` declaring the longest module path the
    package is in (the root's, a nested module's in ``tools/lint``), where the checkout holds
    it (a :class:`~cicd_agent.runners.shape.Frame` where two modules of that path do), else
    the changed file whose folder ends the import path, else (no ``go.mod`` found) the
    longest tail of the import path (its last :data:`MAX_TAIL_FOLDERS` folders at most) whose
    folder holds the file; the base name alone where none places it (shown as the frame)."""
    held = modules.holding(f"{package}/{file}")
    if len(held) > 1:
        return Frame(file)
    if held:
        return held[0]
    fits = [
        c
        for c in changed
        if PurePosixPath(c).name == file
        and (package + "/").endswith(f"/{PurePosixPath(c).parent}/".replace("/./", "/"))
    ]
    if len(fits) == 1:
        return fits[0]
    checkout = modules.checkout
    if checkout is None or modules.modules():
        return file
    # no go.mod found (none, or a checkout too large to walk): the longest tail held
    parts = package.split("/")[1:][-MAX_TAIL_FOLDERS:]
    held_tail = (
        r for i in range(len(parts)) if is_file(checkout, r := "/".join([*parts[i:], file]))
    )
    return next(held_tail, file)


def go_packages(lines: Sequence[tuple[int, str]]) -> Callable[[int], str | None]:
    """For a line of the log, the Go package whose closing ``FAIL``/``ok`` line is the first
    below it: the package it is output of."""
    closing = [(n, m["package"]) for n, t in lines if (m := PACKAGE_RESULT.match(t.strip()))]
    numbers = [number for number, _ in closing]

    def package(line: int) -> str | None:
        index = bisect_right(numbers, line)
        return closing[index][1] if index < len(closing) else None

    return package


def trimmed_path(
    frame: str, changed: Sequence[str], checkout: Path | None, modules: GoModules
) -> str | None:
    """The repository path of a ``-trimpath`` frame (``example.com/shop/calc/calc.go``): the
    checkout's file its module places, else the one changed file it ends with;
    :data:`~cicd_agent.runners.shape.OUTSIDE` for the standard library's or a dependency's
    file; None for a path as printed (absolute, changed, or a file of the checkout) or one
    nothing places (shown as the frame it is)."""
    if (
        frame.startswith("/")
        or frame in changed
        or (checkout is not None and is_file(checkout, frame))
    ):
        return None
    found = modules.file(frame)
    if found is not None:
        return found
    fits = [c for c in changed if frame.endswith("/" + c)]
    if len(fits) == 1:
        return fits[0]
    return OUTSIDE if toolchain_or_dependency(frame) else None


def go_places(report: Sequence[tuple[int, str]], checkout: Path | None) -> Place:
    """Where a ``.go`` file a log names lies: a base name in the folder of the package whose
    output holds the line, a path by the checkout's modules; None for any other file, or a base
    name of no package's output."""
    package = go_packages(report)
    modules = GoModules(checkout)  # the checkout's go.mod files are read at the first file to place
    placed: dict[tuple[str, str], str | None] = {}

    def place(file: str, line: int, changed: Sequence[str]) -> str | None:
        if "/" in file and file.endswith(".go"):
            if (file, "") not in placed:
                if len(placed) >= MAX_PLACED:
                    return None
                placed[file, ""] = trimmed_path(file, changed, checkout, modules)
            return placed[file, ""]
        named = package(line) if file.endswith(".go") else None
        if named is None:
            return None
        if (file, named) not in placed:  # a test can print the same message thousands of times
            if len(placed) >= MAX_PLACED:
                return None
            placed[file, named] = go_path(file, named, changed, modules)
        return placed[file, named]

    return place
