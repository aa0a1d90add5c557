"""The throw-away copies runs work in: a workspace's folders, copying, handing over, deleting."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.sandbox.environment import HOST_ENVIRONMENT

# Never copied into a sandbox: git metadata (it may hold credentials) and caches.
SKIPPED_NAMES = frozenset(
    {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox"}
)
_LEFT_BY_OTHER_STEPS = re.compile(r"gha-creds-[0-9a-f]+\.json")
"""Credential files an earlier step of the job leaves in the workspace, never the pull
request's to read: google-github-actions/auth writes ``gha-creds-<hex>.json`` there."""


@dataclass
class Workspace:
    """One workspace's folder: ``live`` (writable by its runs) and our own files beside it.

    ``live`` holds the repository copy, ``HOME`` and ``TMPDIR``; scratch files (coverage
    configuration, data of a suite run) sit in ``root``, read-only inside the sandbox.
    """

    root: Path
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    @property
    def live(self) -> Path:
        return self.root / "live"

    @property
    def repo(self) -> Path:
        return self.live / "repo"

    @property
    def home(self) -> Path:
        return self.live / "home"

    @property
    def tmp(self) -> Path:
        return self.live / "tmp"

    def scratch(self, stem: str, suffix: str) -> Path:
        """A new file name in the workspace (outside anything a run can write)."""
        return self.root / f"{stem}-{next(self._numbers)}{suffix}"


def copy_repository(source: Path, target: Path) -> list[Path]:
    """Copy a checkout without git metadata or caches; virtual environments are linked, not copied.

    A project's ``.venv`` (or any top-level folder holding ``pyvenv.cfg``) and ``node_modules``
    are symlinked: they are large, used read-only, and read-only inside the sandbox.
    Returns every ``.git`` left out, at any depth: a second checkout in a folder of the first
    (``actions/checkout`` with ``path:``) keeps its credential header in its own ``.git``. The
    linked folders are walked for them too: a ``pyvenv.cfg`` the pull request commits makes a
    folder "a virtualenv", and a checkout inside it would otherwise never be seen.
    """
    left_out: list[Path] = []
    linked = linked_folders(source)

    def skipped(folder: Path, names: list[str]) -> set[str]:
        top = folder == source
        left_out.extend(folder / name for name in names if name == ".git")
        return {
            name
            for name in names
            if name in SKIPPED_NAMES
            or name.startswith(".coverage")
            or _LEFT_BY_OTHER_STEPS.fullmatch(name)
            or (top and name in linked)
        }

    _copy_tree(source, target, skipped)
    open_folders(target)
    for name in linked:
        (target / name).symlink_to(source / name, target_is_directory=True)
        left_out.extend(_git_folders(source / name))
    return left_out


def linked_folders(source: Path) -> set[str]:
    """The top-level folders of ``source`` a copy links instead of copying: ``node_modules``
    and any folder holding ``pyvenv.cfg`` (never a link of the checkout's, nor ``.git``)."""
    return {
        entry.name
        for entry in source.iterdir()
        if entry.name not in SKIPPED_NAMES
        and entry.is_dir()
        and not entry.is_symlink()
        and (entry.name == "node_modules" or (entry.joinpath("pyvenv.cfg")).is_file())
    }


def _copy_tree(source: Path, target: Path, skipped: Callable[[Path, list[str]], set[str]]) -> None:
    """``shutil.copytree(source, target, symlinks=True)`` without recursion: ``copytree``
    recurses once a folder, and a pull request that commits a file 1200 folders deep (git
    checks it out) made it raise RecursionError, so no sandbox could be made. Links are copied
    as links, files with their modes and times, folders get theirs once filled (deepest
    first); what is neither (a FIFO, a socket: never in git) is left out, as reading a FIFO
    would wait for a writer."""
    folders, made = [(source, target)], []
    while folders:
        here, there = folders.pop()
        os.mkdir(there)
        made.append((here, there))
        names = sorted(os.listdir(here))
        left = skipped(here, names)
        for name in names:
            if name in left:
                continue
            found = os.lstat(here / name)
            if stat.S_ISLNK(found.st_mode):
                os.symlink(os.readlink(here / name), there / name)
            elif stat.S_ISDIR(found.st_mode):
                folders.append((here / name, there / name))
            elif stat.S_ISREG(found.st_mode):
                shutil.copy2(here / name, there / name, follow_symlinks=False)
    for here, there in reversed(made):
        shutil.copystat(here, there, follow_symlinks=False)


_FOLDER_MODE = 0o755
_FILE_MODE = 0o600


def open_folders(top: Path) -> None:
    """Give the copy's folders and files what a run needs, whatever modes the checkout had.

    ``copytree`` keeps each mode, and a checkout only its owner may enter (0700, as
    ``mkdtemp`` makes it, or a home folder closed to others) makes a copy that bwrap cannot
    enter: run as root, it keeps no capability to pass another's closed folder, and the run
    (``nobody`` once the copy is handed over) owns it only after. Folders get at least 0755,
    files at least 0600 (their owner's, the run's once handed over); links are left alone.
    No recursion: the pull request chooses how deep its folders go.
    """
    folders = [str(top)]
    while folders:
        folder = folders.pop()
        mode = stat.S_IMODE(os.lstat(folder).st_mode)
        if mode & _FOLDER_MODE != _FOLDER_MODE:
            os.chmod(folder, mode | _FOLDER_MODE)
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)
                if mode & _FILE_MODE != _FILE_MODE:
                    os.chmod(entry.path, mode | _FILE_MODE)  # a file of our own copy


def _git_folders(top: Path) -> Iterator[Path]:
    """Every ``.git`` (a folder, or a worktree's file) under ``top``, links not followed; no
    recursion (``os.walk`` recurses once a level before Python 3.12, and the pull request
    chooses how deep its folders go)."""
    folders = [str(top)]
    while folders:
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.name == ".git":
                yield Path(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)


def remove_tree(path: Path) -> None:
    """Delete ``path`` and whatever runs left in it. ``shutil.rmtree`` recurses once a level
    before Python 3.13, and a tree nested 1,000 deep raises RecursionError, which its
    ``ignore_errors`` does not cover; ``rm`` does not recurse on the stack."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        subprocess.run(["rm", "-rf", "--", str(path)], check=False, timeout=600)


def hand_over(paths: Iterable[Path], owner: int) -> None:
    """Make ``owner`` (uid and gid) own ``paths`` and everything in them, never through a link.

    ``chown -R`` without ``-L`` walks by file descriptor and changes links themselves (``-h``),
    so a link a run left behind (``x -> /etc/shadow``) cannot hand over a host file; it also
    walks trees nested deeper than Python's recursion allows.
    """
    folders = [str(path) for path in paths if path.exists()]
    if folders:
        subprocess.run(
            ["chown", "-R", "-P", "-h", f"{owner}:{owner}", "--", *folders],
            env=HOST_ENVIRONMENT,
            check=True,
            capture_output=True,
            timeout=600,
        )
