"""Where a path a failed log names is in the checkout: the checkout walked once for its files by
name (:class:`Walked`), a relative, absolute or container path matched to one file
(:func:`_in_checkout`), and a JVM frame's file placed by its package's folders
(:func:`jvm_path`). A path no file fits is shown as the frame it is, never as a file."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import CheckoutFileError, is_file, walk_files

TEST_ROOT = re.compile(r"(?:^|/)(?:src/\w*[tT]est\w*|tests?)/")
_CLASS_SOURCES = (".java", ".kt", ".scala", ".groovy")
_NOT_SOURCES = frozenset({"node_modules", "target", "build", "out"})
MAX_WALKED_FILES = 200_000
"""Entries (files, links, folders) looked at for a frame's file at most: a checkout past it (a
pull request can add a million files or links) places no frame by it rather than hold the run."""
MAX_SUFFIXES = 12
"""Trailing parts of an absolute path tried as a checkout's file at most."""
MAX_CHANGE_LOOKS = 50
"""The change's files looked for to tell the checkout is the failed code's, at most."""
MAX_PLACED = 2_000
"""Distinct paths of one log looked for in the checkout at most (a log can name 100,000):
those past it are shown as the frames they are."""
_DRIVE = re.compile(r"[A-Za-z]:/")


class Walked:
    """The checkout's files by name, walked once, on the first path that needs it; none for a
    checkout of more than :data:`MAX_WALKED_FILES` entries."""

    def __init__(self, checkout: Path | None) -> None:
        self.checkout = checkout
        self.found: dict[str, list[str]] | None = None
        self.stems: dict[str, list[str]] | None = None
        self.placed: dict[str, tuple[str, bool]] = {}
        """Each path the log names, as :func:`_in_checkout` placed it."""

    def names(self) -> dict[str, list[str]]:
        """Every file by its name (``calc.go`` -> ``backend/pkg/calc.go``, …)."""
        if self.found is None:
            self.found = _files_by_name(self.checkout) if self.checkout is not None else {}
        return self.found

    def holds(self, changed: Sequence[str]) -> bool:
        """Whether the folder is the failed code's checkout: it holds a path the log names or
        a file of the change. A folder holding none (the directory a command ran in, not the
        project) tells nothing of what the log's paths are: they are shown as printed."""
        if self.checkout is None or any(found for _, found in self.placed.values()):
            return self.checkout is not None
        return any(is_file(self.checkout, path) for path in changed[:MAX_CHANGE_LOOKS])

    def jvm(self) -> dict[str, list[str]]:
        """The JVM sources by file stem (``src/test/java/x/FooTest.java`` under ``FooTest``)."""
        if self.stems is None:
            self.stems = {}
            for name, paths in self.names().items():
                if name.endswith(_CLASS_SOURCES):
                    self.stems.setdefault(PurePosixPath(name).stem, []).extend(paths)
        return self.stems

    def place(self, path: str, changed: Sequence[str]) -> tuple[str, bool]:
        """``path`` as a file of the checkout, and whether it is one (:func:`_in_checkout`),
        each path looked for once; past :data:`MAX_PLACED` paths, the path as printed."""
        if self.checkout is None:
            return path, True
        if path not in self.placed:
            if len(self.placed) >= MAX_PLACED:
                return path, False
            self.placed[path] = _in_checkout(path, changed, self.checkout, self.names)
        return self.placed[path]


def _in_checkout(
    path: str,
    changed: Sequence[str],
    checkout: Path,
    names: Callable[[], Mapping[str, Sequence[str]]],
) -> tuple[str, bool]:
    """``path`` as a file of the checkout, and whether it is one: as printed where the checkout
    holds it or the change names it; a path relative to a folder of the checkout (a step's
    ``working-directory``: ``pkg/calc.go`` for ``backend/pkg/calc.go``) as the one changed
    file, else the one checkout file (``names``: by file name), it ends; an absolute path (a
    container's ``/app/src/x.py``) or one longer than the checkout's (a checkout in a folder of
    the workspace: ``code/src/x.py``) as the changed file it ends with, else, under the
    checkout's own folder (a run on this machine: ``cicd-agent --repo ../app`` reading a log
    whose frames name ``/home/me/app/x.go``), the file of the checkout it names, a bare ``x.go``
    at its root too, else the longest tail of a folder or more that is a checkout file
    (``src/x.py``, never a bare ``x.py``). Else the path as printed and False, shown as the
    frame it is (a built ``dist/calc.js`` no map placed, a base name no runner placed)."""
    posix = PurePosixPath(path)
    if not posix.is_absolute() and not _DRIVE.match(path):
        if path in changed or is_file(checkout, path):
            return path, True
        if "/" not in path:
            return path, False
        inside = [c for c in changed if c.endswith("/" + path)] or [
            p for p in names().get(posix.name, ()) if p.endswith("/" + path)
        ]
        if inside:
            return (inside[0], True) if len(inside) == 1 else (path, False)
    fits = [c for c in changed if path.endswith("/" + c)]
    if fits:
        return max(fits, key=len), True
    for folder in dict.fromkeys((checkout.absolute().as_posix(), checkout.resolve().as_posix())):
        if path.startswith(folder + "/") and is_file(checkout, under := path[len(folder) + 1 :]):
            return under, True
    parts = posix.parts[1:]
    for start in range(max(len(parts) - MAX_SUFFIXES, 0), len(parts) - 1):  # a folder and a file
        if is_file(checkout, suffix := "/".join(parts[start:])):
            return suffix, True
    return path, False


def jvm_path(
    frame: str,
    file: str,
    changed: Sequence[str],
    sources: Callable[[], Mapping[str, Sequence[str]]],
) -> str | None:
    """The repository path of a JVM frame's file (``org.x.Converter.apply`` in
    ``Converter.java``): its package's folders under a source root (Maven's and Gradle's
    ``src/main/java``, ``src/test/kotlin``, a module's own), found among the change's files
    first, then the checkout's sources (``sources``: by file stem); a Kotlin, Scala or Groovy
    file, which may sit in any folder, as the one source of its name. None where no file or
    more than one fits: the frame is then shown as the log prints it, never as a file."""
    package = []
    for part in frame.split("."):
        if part[:1].isupper() or "$" in part or "<" in part:
            break
        package.append(part)
    relative = "/".join([*package, file])
    fits = [c for c in changed if c == relative or c.endswith("/" + relative)]
    if not fits:
        stem = PurePosixPath(file).stem
        fits = [p for p in sources().get(stem, ()) if p == relative or p.endswith("/" + relative)]
    if not fits and not file.endswith(".java"):  # Kotlin's, Scala's files need no package folders
        fits = [
            p for p in sources().get(PurePosixPath(file).stem, ()) if PurePosixPath(p).name == file
        ]
    if len(fits) > 1:  # a module's main and test copies: the main source is the frame's
        fits = [p for p in fits if not TEST_ROOT.search(p)] or fits
    return fits[0] if len(fits) == 1 else None


def _files_by_name(checkout: Path) -> dict[str, list[str]]:
    """The checkout's files by name, read through the walk that never enters a link nor names
    one, outside build and dependency folders (:data:`_NOT_SOURCES`)."""
    found: dict[str, list[str]] = {}
    if not checkout.is_dir():
        return found
    try:
        for path in walk_files(checkout, _NOT_SOURCES, MAX_WALKED_FILES):
            found.setdefault(PurePosixPath(path).name, []).append(path)
    except CheckoutFileError:
        return {}
    return found
