"""Where a Go frame of a binary built with ``-trimpath`` lies in the checkout.

``go build -trimpath`` (and ``go test -trimpath``) print a frame by its package's import path
and file (``example.com/shop/calc/calc.go:7``) instead of the file's path on the machine: the
module path a ``go.mod`` declares stands for that file's folder. A checkout can hold several
modules (one at the root, one in ``tools/lint`` declaring ``example.com/lint``, a monorepo's
``backend/`` with none at the root): the longest module path the frame starts with names the
folder. The standard library's frames read ``testing/testing.go`` and a dependency's
``github.com/x/y@v1.2.3/z.go``: neither is a file of the project.

Every ``go.mod`` and every frame is the pull request's: the files are read with no link
followed, never ``.git``, bounded; a path that climbs out with ``..`` is refused, and a frame
two modules could hold is placed nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    checked_path,
    is_file,
    read_text,
    walk_files,
)

MAX_WALKED = 200_000
"""Entries listed at most looking for ``go.mod`` files: a larger checkout's nested modules
place nothing (its root module still does)."""
MAX_MODULES = 200
MAX_GO_MOD = 64 << 10
MAX_LOOKS = 4_000
"""Checkout files looked for in one run at most placing trimmed frames (many ``go.mod`` files
can declare one module path, a log can name thousands of frames): past it, frames stay as
printed."""
_PRUNED = frozenset({"node_modules", "vendor", "testdata", "target", "build"})
_MODULE = re.compile(r"^module\s+\"?([^\s\"]+)", re.MULTILINE)
_MODULE_PATH = re.compile(r"[\w~+-][\w.~+-]*(?:/[\w~+-][\w.~+-]*)*")
"""A module path go accepts: slash-separated elements, none empty, none starting with a dot
(so none is ``.`` or ``..``)."""
_DEPENDENCY = re.compile(r"@v\d+\.\d+\.\d+")
STANDARD = frozenset(
    {
        "archive",
        "bufio",
        "builtin",
        "bytes",
        "cmp",
        "compress",
        "container",
        "context",
        "crypto",
        "database",
        "debug",
        "embed",
        "encoding",
        "errors",
        "expvar",
        "flag",
        "fmt",
        "go",
        "hash",
        "html",
        "image",
        "index",
        "internal",
        "io",
        "iter",
        "log",
        "maps",
        "math",
        "mime",
        "net",
        "os",
        "path",
        "plugin",
        "reflect",
        "regexp",
        "runtime",
        "slices",
        "sort",
        "strconv",
        "strings",
        "sync",
        "syscall",
        "testing",
        "text",
        "time",
        "unicode",
        "unique",
        "unsafe",
        "weak",
    }
)
"""The standard library's top folders: a trimmed frame under one is the toolchain's."""


def module_path(checkout: Path, go_mod: str) -> str:
    """The module path ``go_mod`` (a checkout path) declares; "" where none, unreadable, or
    no path go accepts (``example.com/m/../..``)."""
    try:
        found = _MODULE.search(read_text(checkout, go_mod, MAX_GO_MOD))
    except CheckoutFileError:
        return ""
    return found[1] if found and _MODULE_PATH.fullmatch(found[1]) else ""


def toolchain_or_dependency(path: str) -> bool:
    """Whether a trimmed frame (``testing/testing.go``, ``github.com/x/y@v1.2.3/z.go``) is the
    standard library's or a downloaded module's file, none of the project's."""
    return path.split("/", 1)[0] in STANDARD or bool(_DEPENDENCY.search(path))


class GoModules:
    """The checkout's modules (module path -> folders), found on the first frame to place."""

    def __init__(self, checkout: Path | None) -> None:
        self.checkout = checkout
        self._modules: dict[str, list[str]] | None = None
        self._looks = MAX_LOOKS

    def modules(self) -> dict[str, list[str]]:
        if self._modules is None:
            self._modules = {}
            if self.checkout is not None:
                for go_mod in _go_mods(self.checkout):
                    declared = module_path(self.checkout, go_mod)
                    if declared:
                        folder = str(PurePosixPath(go_mod).parent)
                        self._modules.setdefault(declared, []).append(
                            "" if folder == "." else folder
                        )
        return self._modules

    def file(self, frame: str) -> str | None:
        """The checkout's file a trimmed frame (``example.com/shop/calc/calc.go``) names: its
        rest under the folder of the longest module path it starts with, where that is a
        regular file reached without a link; None where no module holds it, or two do, or the
        run's :data:`MAX_LOOKS` are spent."""
        held = self.holding(frame)
        return held[0] if len(held) == 1 else None

    def holding(self, frame: str) -> list[str]:
        """The checkout's files that could be the one ``frame`` names: those under the folders
        of every module path it starts with (two or more: the frame is ambiguous; go builds a
        nested module's package only where the build list holds that module, which a log does
        not say, so ``evil/go.mod`` declaring the root's ``example.com/app/calc`` makes the
        root's ``calc`` frames ambiguous, never its own); none where no module holds it or the
        run's :data:`MAX_LOOKS` are spent."""
        if self.checkout is None:
            return []
        fits = [m for m in self.modules() if frame.startswith(m + "/")]
        looks = sum(len(self.modules()[module]) for module in fits)
        if looks > self._looks:
            return []
        self._looks -= looks
        found = (
            _inside(folder, frame[len(module) + 1 :])
            for module in fits
            for folder in self.modules()[module]
        )
        return list(dict.fromkeys(p for p in found if p and is_file(self.checkout, p)))


def _inside(folder: str, rest: str) -> str | None:
    try:
        return str(checked_path(f"{folder}/{rest}" if folder else rest))
    except CheckoutFileError:
        return None


def _go_mods(checkout: Path) -> list[str]:
    """The checkout's ``go.mod`` files (at most :data:`MAX_MODULES`): the root's alone where
    the checkout is too large to walk."""
    found: list[str] = []
    try:
        for path in walk_files(checkout, _PRUNED, MAX_WALKED):
            if PurePosixPath(path).name == "go.mod":
                found.append(path)
                if len(found) >= MAX_MODULES:
                    break
    except CheckoutFileError:
        return ["go.mod"] if is_file(checkout, "go.mod") else []
    return found
