"""Build output a copy of the checkout cannot reuse: cargo's, of the checkout's own packages.

cargo takes a local package's build as fresh by its sources' times and its path relative to
the workspace, and a copy keeps both; but what it built holds the checkout's absolute paths,
as values cargo sets at build time and code reads then (``env!`` or ``option_env!`` of
``CARGO_TARGET_TMPDIR``, ``CARGO_MANIFEST_DIR``, a build script's ``OUT_DIR``). A test built
by an earlier ``cargo test`` on the host then wrote into the checkout's ``target/tmp``,
read-only from the sandbox: autocfg's 16 such tests failed in the sandbox, never on the runner.
So the copy drops those packages' fingerprints (``.fingerprint/<package>-<hash>``, each
unit's record that it is built), and cargo builds them again in the copy; packages from a
registry or git, whose paths did not move, stay built (a cache of them is what saves time).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from cicd_agent.analysis import bounded_toml

NOTED = frozenset({"Cargo.toml", ".fingerprint"})
"""The names a copy notes as it goes (:func:`forget_moved_builds` reads them)."""
MAX_MANIFEST = 1 << 20
"""The largest ``Cargo.toml`` read for its package's name; a larger one is left as it is."""
MAX_MANIFESTS = 8 << 20
"""The most bytes of manifests read at one copy (each copy reads them again: the sandbox's and
every run's folder); past it the others name no package, their builds kept."""
_UNIT = re.compile(r"(.+)-[0-9a-f]{16}")
"""A unit's fingerprint folder: its package's name, then the unit's hash."""


def forget_moved_builds(copy: Path, noted: Iterable[str]) -> None:
    """Remove from ``copy`` the fingerprints of the packages its ``Cargo.toml`` files name, in
    every ``.fingerprint`` folder of it (``noted``: both kinds of path, relative to ``copy``, as
    the copy met them; never a link's)."""
    paths = [copy / path for path in noted]
    folders = [p for p in paths if p.name == ".fingerprint" and _real(p, stat.S_ISDIR)]
    if not folders:  # no build to forget: no manifest is read
        return
    names: set[str] = set()
    budget = MAX_MANIFESTS
    for path in (path for path in paths if path.name == "Cargo.toml"):
        if (size := _size(path)) > min(budget, MAX_MANIFEST):
            continue  # left as it is
        budget -= size
        if name := _package(path):
            names.add(name)
    for folder in folders if names else ():
        with contextlib.suppress(OSError):  # gone, or closed to us: nothing to forget there
            for entry in os.scandir(folder):
                unit = _UNIT.fullmatch(entry.name)
                if unit is not None and unit[1] in names:
                    _remove(Path(entry.path))


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def _package(manifest: Path) -> str:
    """The package name of ``manifest`` ("" when it names none, or cannot be read)."""
    if not _real(manifest, stat.S_ISREG) or _size(manifest) > MAX_MANIFEST:
        return ""
    try:
        package = bounded_toml.load(manifest.read_text("utf-8")).get("package")
    except (OSError, UnicodeDecodeError, bounded_toml.TomlRefused):  # nested past recursion too
        return ""
    name = package.get("name") if isinstance(package, dict) else None
    return name if isinstance(name, str) else ""


def _real(path: Path, kind: Callable[[int], bool]) -> bool:
    """Whether ``path`` is, itself and not through a link, of ``kind`` (``stat.S_ISDIR``)."""
    try:
        return kind(os.lstat(path).st_mode)
    except OSError:
        return False


def _remove(path: Path) -> None:
    """Delete one fingerprint (a folder of the copy's; a link is unlinked, never followed)."""
    if _real(path, stat.S_ISDIR):
        shutil.rmtree(path, ignore_errors=True)  # removes the links inside, never follows
    else:
        path.unlink(missing_ok=True)
