"""The throw-away copies runs work in: a workspace's folders, copying, handing over, deleting."""

from __future__ import annotations

import errno
import itertools
import os
import re
import shutil
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.analysis.file_names import folded
from cicd_agent.local import git, git_ops, processes
from cicd_agent.sandbox.environment import HOST_ENVIRONMENT
from cicd_agent.sandbox.moved_builds import NOTED, forget_moved_builds
from cicd_agent.sandbox.walk import FOLDER_FLAGS, Visitor, walk

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


def copy_repository(
    source: Path, target: Path, hidden: Sequence[str] = (), left_out: Sequence[str] = ()
) -> list[Path]:
    """Copy a checkout without git metadata, caches, ``hidden`` paths (a ``CARGO_HOME``
    cached in it) or ``left_out`` ones; virtual environments are linked, not copied; cargo
    builds its own packages again in the copy (:mod:`.moved_builds`).

    ``hidden`` paths are resolved; ``left_out`` ones, relative to ``source``, never are: a
    link left out (an ignored ``latest.log -> app.py``) is left out itself, never what it
    points at.

    A project's ``.venv`` (or any top-level folder holding ``pyvenv.cfg``) is symlinked: it is
    large, used read-only, and read-only inside the sandbox. ``node_modules`` is a folder of
    the copy's own whose entries link to the checkout's (:func:`_link_entries`): its packages
    stay read-only, while the caches tools write beside them are the run's to write.
    Returns every ``.git`` left out, at any depth: a second checkout in a folder of the first
    (``actions/checkout`` with ``path:``) keeps its credential header in its own ``.git``. The
    linked folders are walked for them too: a ``pyvenv.cfg`` the pull request commits makes a
    folder "a virtualenv", and a checkout inside it would otherwise never be seen.
    """
    try:
        linked = linked_folders(source)
    except OSError as exc:  # the checkout's top folder is closed to us
        raise CopyFailed("", exc) from exc
    os.mkdir(target)
    left = {os.path.relpath(Path(path).resolve(), source.resolve()) for path in hidden}  # ../ never
    left.update(os.path.normpath(path) for path in left_out if not os.path.isabs(path))
    copy = _Copy(source, target, linked, left)
    try:
        walk(source, copy)
    except OSError as exc:
        raise CopyFailed(copy.where(), exc) from exc
    finally:
        copy.close()
    forget_moved_builds(target, copy.noted)
    for name in linked:
        if name == "node_modules":
            _link_entries(source / name, target / name)
        else:
            (target / name).symlink_to(source / name, target_is_directory=True)
        nested = _GitFolders(source / name)  # what cannot be read is left out
        walk(source / name, nested)
        copy.left_out.extend(nested.found)
    for path in left - linked:  # not copied, but a checkout inside one is found all the same
        folder = source / path
        if path != ".git" and path.split("/")[0] != ".." and _real_folder(folder):
            nested = _GitFolders(folder)
            walk(folder, nested)
            copy.left_out.extend(nested.found)
    return copy.left_out


TOOL_CACHES = frozenset({".vite", ".vite-temp", ".cache"})
"""Folders of ``node_modules`` tools write on every run, never linked: vite's and vitest's
``.vite`` (vitest's results), ``.vite-temp`` (a bundled configuration), and the shared cache folder
of babel, eslint, webpack and terser. Linked read-only, vitest failed every passing suite with an
unhandled "read-only file system" error, after printing that each test passed."""


def _link_entries(source: Path, target: Path) -> None:
    """``target``, a new folder whose entries link to ``source``'s, but its tool caches
    (:data:`TOOL_CACHES`): a run may write those, and add entries, never change a package."""
    os.mkdir(target)
    with os.scandir(source) as entries:
        for entry in entries:
            if entry.name not in TOOL_CACHES:
                (target / entry.name).symlink_to(entry.path)


def relink(pristine: Path, repo: Path, names: Iterable[str]) -> None:
    """Make ``repo``'s links to the job's installs (``names``, :func:`linked_folders`) again
    as :func:`copy_repository` made them from ``pristine``: a run may write its copy, and one
    that put a folder of its own in place of ``.venv`` (or of a package of ``node_modules``)
    chose the program and modules the next run in that copy started. After a run: none is
    writing the copy, and nothing here follows a link it left; a copy it put a link in the
    place of (``repo -> <a folder of the host>``) is copied again, never written through."""
    if repo.is_symlink() or not repo.is_dir():
        _put_link(None, repo)
        copy_repository(pristine, repo)
        return
    for name in names:
        made, here = pristine / name, repo / name
        if made.is_symlink():
            _put_link(os.readlink(made), here)
        elif made.is_dir():
            if here.is_symlink() or not here.is_dir():
                _put_link(None, here)
                here.mkdir()
            with os.scandir(made) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        _put_link(os.readlink(entry.path), here / entry.name)


def _put_link(target: str | None, place: Path) -> None:
    """``place`` a link to ``target`` (removed only, when None) unless it is one already."""
    if target is not None and place.is_symlink() and os.readlink(place) == target:
        return
    if place.is_dir() and not place.is_symlink():
        remove_tree(place)
    else:
        place.unlink(missing_ok=True)
    if target is not None:
        place.symlink_to(target)


def linked_folders(source: Path) -> set[str]:
    """The top-level folders of ``source`` a copy links instead of copying: ``node_modules``
    and any folder holding ``pyvenv.cfg`` (never a link of the checkout's, nor ``.git``)."""
    return {
        entry.name
        for entry in source.iterdir()
        if entry.name not in SKIPPED_NAMES
        and entry.is_dir()
        and not entry.is_symlink()
        and (entry.name == "node_modules" or _holds_virtualenv(entry))
    }


def installed_folders(checkout: Path, linked: Sequence[str]) -> tuple[str, ...]:
    """Of the folders a copy links (:func:`linked_folders`: a virtualenv, ``node_modules``),
    those the checkout's index holds no file of: the job's installs (``uv sync`` into
    ``.venv``), whose modules are the job's as its interpreter's are, never the pull
    request's. None when git cannot say."""
    place = git.in_checkout(checkout, ceiling=checkout.parent)
    try:
        done = git_ops.index_entries(place, stages=True, timeout=60)
    except (OSError, git.GitTimedOut):
        return ()
    if done.returncode != 0:
        return ()
    entries = (entry.partition(b"\t")[2] for entry in done.stdout.split(b"\0"))
    tracked = {folded(os.fsdecode(name).split("/", 1)[0]) for name in entries if name}
    return tuple(name for name in linked if folded(name) not in tracked)


def ignored_untracked(checkout: Path) -> list[str]:
    """The untracked files and folders git ignores in ``checkout`` (build output, downloads,
    caches), relative to it; tracked files are never among them, whatever the ignore files
    say. Empty when git cannot say within ten seconds (a hostile ignore file can hold it: a
    FIFO, or thousands of backtracking patterns), and then the copy is whole, as it was before
    the listing saved it. A review's linters check tracked files only, and ignored downloads
    can be gigabytes."""
    place = git.in_checkout(checkout, ceiling=checkout.parent)
    try:
        done = git_ops.ignored_untracked(place, timeout=10)
    except (OSError, git.GitTimedOut):
        return []
    if done.returncode != 0:
        return []
    return [
        os.fsdecode(entry).rstrip("/") for entry in done.stdout.split(b"\0") if entry.strip(b"/")
    ]


def _real_folder(path: Path) -> bool:
    """Whether ``path`` is a folder, not a link to one (False where it cannot be seen)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _holds_virtualenv(folder: Path) -> bool:
    """Whether ``folder`` holds ``pyvenv.cfg``; a folder we may list but not enter holds
    none here (``is_file`` raised PermissionError, an internal error where the copy's walk
    names the folder in one usage error)."""
    try:
        return folder.joinpath("pyvenv.cfg").is_file()
    except OSError:
        return False


def skipped(name: str) -> bool:
    return (
        name in SKIPPED_NAMES
        or name.startswith(".coverage")
        or _LEFT_BY_OTHER_STEPS.fullmatch(name) is not None
    )


_FOLDER_MODE = 0o755
_FILE_MODE = 0o600

_FILE_FLAGS = os.O_CLOEXEC | os.O_NOFOLLOW
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FILE_FLAGS


class CopyFailed(OSError):
    """A tree the sandbox could not copy: where, and the system's words. An ``OSError`` still
    (with the system's error number), so a caller that copes with a sandbox that could not
    start (the fix step's tools) copes with this too."""

    def __init__(self, where: str, error: OSError) -> None:
        super().__init__(error.errno, f"{_one_line(where) or '.'}: {error.strerror or error}")


def _one_line(name: str) -> str:
    """A path of the pull request's, shown on one line: bytes that are not UTF-8 and every
    character that is not printable (a line end, then a workflow command, in a folder's
    name made the usage error two lines, the second the pull request's) escaped."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class _Copy(Visitor):
    """``shutil.copytree(source, target, symlinks=True)`` by descriptors, as :func:`walk` goes
    (``copytree`` fails on a tree too deep or paths too long for the sandbox's folder).

    Links are copied as links, files with their times, folders get their times once filled;
    what is neither (a FIFO, a socket: never in git) is left out, as reading a FIFO would wait
    for a writer. Modes are opened up to what a run needs, whatever the checkout had: a
    checkout only its owner may enter (0700, as ``mkdtemp`` makes it, or a home folder closed
    to others) made a copy that bwrap, run as root without the capability to pass another's
    closed folder, could not enter, nor the run (``nobody`` once the copy is handed over).
    Folders get at least 0755, files at least 0600 (their owner's, the run's once handed
    over)."""

    def __init__(self, source: Path, target: Path, linked: set[str], hidden: set[str]) -> None:
        super().__init__()
        self.source = source
        self.left_out: list[Path] = []
        self.noted: list[str] = []  # :data:`.moved_builds.NOTED`
        self._linked = linked
        self._hidden = hidden
        self._names: dict[tuple[int, int], tuple[tuple[str, ...], str]] = {}
        self._top = os.open(target, FOLDER_FLAGS)
        self._target = os.open(".", FOLDER_FLAGS, dir_fd=self._top)

    def close(self) -> None:
        os.close(self._target)
        os.close(self._top)

    def where(self) -> str:
        """The folder being copied, relative to the source ("" at its top)."""
        return "/".join(self.parts)

    def entry(self, folder: int, name: str, found: os.stat_result) -> bool:
        if name == ".git":
            self.left_out.append(self.source.joinpath(*self.parts, name))
        here = "/".join((*self.parts, name))
        if skipped(name) or (here == name and name in self._linked) or here in self._hidden:
            return False
        if name in NOTED:
            self.noted.append(here)
        if stat.S_ISLNK(found.st_mode):
            os.symlink(os.readlink(name, dir_fd=folder), name, dir_fd=self._target)
            os.utime(name, ns=_times(found), dir_fd=self._target, follow_symlinks=False)
        elif stat.S_ISDIR(found.st_mode):
            os.mkdir(name, 0o700, dir_fd=self._target)
            return True
        elif stat.S_ISREG(found.st_mode):
            self._file(folder, name, found)
        return False

    def _file(self, folder: int, name: str, found: os.stat_result) -> None:
        """Copy file ``name``; a further name of a file already copied becomes a name of the
        copy (50 names of a 1 MiB file made a 50 MiB copy: 65000 of a GiB fill any disk)."""
        file = (found.st_dev, found.st_ino)
        first = self._names.get(file) if found.st_nlink > 1 else None
        if first is None:
            _copy_file(folder, name, self._target)
            if found.st_nlink > 1:
                self._names[file] = (tuple(self.parts), name)
            return
        parts, first_name = first
        below = os.open(".", FOLDER_FLAGS, dir_fd=self._top)  # down to it by descriptors
        try:
            for part in parts:
                inner = os.open(part, FOLDER_FLAGS, dir_fd=below)
                os.close(below)
                below = inner
            os.link(
                first_name, name, src_dir_fd=below, dst_dir_fd=self._target, follow_symlinks=False
            )
        finally:
            os.close(below)

    def enter(self, folder: int, name: str) -> None:
        below = os.open(name, FOLDER_FLAGS, dir_fd=self._target)
        os.close(self._target)
        self._target = below
        super().enter(folder, name)

    def leave(self, folder: int) -> None:
        found = os.fstat(folder)
        os.chmod(self._target, stat.S_IMODE(found.st_mode) | _FOLDER_MODE)
        os.utime(self._target, ns=_times(found))
        if self.parts:
            above = os.open("..", FOLDER_FLAGS, dir_fd=self._target)
            os.close(self._target)
            self._target = above
        super().leave(folder)

    def failed(self, error: OSError) -> None:
        raise error


def _copy_file(folder: int, name: str, target: int) -> None:
    """Copy regular file ``name`` of ``folder`` into ``target`` with its mode (at least
    :data:`_FILE_MODE`) and times; never through a link, never a FIFO put in its place."""
    source = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _FILE_FLAGS, dir_fd=folder)
    try:
        found = os.fstat(source)
        if not stat.S_ISREG(found.st_mode):
            return
        mode = stat.S_IMODE(found.st_mode) | _FILE_MODE
        copy = os.open(name, _NEW_FILE_FLAGS, mode, dir_fd=target)
        try:
            _copy_data(source, copy, found.st_size)
            os.chmod(copy, mode)  # the umask took bits from the one given at creation
            os.utime(copy, ns=_times(found))
        finally:
            os.close(copy)
    finally:
        os.close(source)


def _copy_data(source: int, copy: int, size: int) -> None:
    """Copy the first ``size`` bytes of ``source`` into ``copy``, holes kept as holes: a file
    of a terabyte holding two words (a step before ours can make one; git never does) was
    written out as zeros and filled the runner's disk before any run started."""
    offset = 0
    while offset < size:
        try:
            data = os.lseek(source, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # nothing but a hole is left
                break
            raise
        hole = min(os.lseek(source, data, os.SEEK_HOLE), size)
        os.lseek(copy, data, os.SEEK_SET)
        while data < hole:
            sent = os.sendfile(copy, source, data, hole - data)
            if not sent:  # the file shrank meanwhile
                break
            data += sent
        offset = max(hole, offset + 1)
    os.ftruncate(copy, size)


def _times(found: os.stat_result) -> tuple[int, int]:
    return found.st_atime_ns, found.st_mtime_ns


class _GitFolders(Visitor):
    """Finds every ``.git`` (a folder, or a worktree's file), links not followed."""

    def __init__(self, top: Path) -> None:
        super().__init__()
        self.found: list[Path] = []
        self._top = top

    def entry(self, folder: int, name: str, found: os.stat_result) -> bool:
        if name == ".git":
            self.found.append(self._top.joinpath(*self.parts, name))
            return False
        return True


def remove_tree(path: Path) -> None:
    """Delete ``path`` and whatever runs left in it. ``shutil.rmtree`` recurses once a level
    before Python 3.13, and a tree nested 1,000 deep raises RecursionError, which its
    ``ignore_errors`` does not cover; ``rm`` does not recurse on the stack."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        processes.run(
            ["rm", "-rf", "--", str(path)], env=HOST_ENVIRONMENT, check=False, timeout=600
        )


def hand_over(paths: Iterable[Path], owner: int) -> None:
    """Make ``owner`` (uid and gid) own ``paths`` and everything in them, never through a link.

    ``chown -R`` without ``-L`` walks by file descriptor and changes links themselves (``-h``),
    so a link a run left behind (``x -> /etc/shadow``) cannot hand over a host file; it also
    walks trees nested deeper than Python's recursion allows.
    """
    folders = [str(path) for path in paths if path.exists()]
    if folders:
        processes.run(
            ["chown", "-R", "-P", "-h", f"{owner}:{owner}", "--", *folders],
            env=HOST_ENVIRONMENT,
            check=True,
            capture_output=True,
            timeout=600,
        )
