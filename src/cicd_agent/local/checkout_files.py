"""Open files of a checkout the pull request controls, never following a link it made.

Every file and link in a checkout is attacker input: ``tests/test_calc.py -> ../.git/config`` or
``-> /proc/self/environ`` would send the credential header or the agent's environment to a model. So
every host-side read goes through here:

- the path is relative, without ``..``, and never names ``.git`` (any case);
- each folder on the way is opened with ``O_NOFOLLOW | O_DIRECTORY`` relative to the one before, and
  the file with ``O_NOFOLLOW``: what is opened lies inside the checkout by construction;
- only a regular file is read (``O_NONBLOCK``: a FIFO cannot hang the open), at most ``max_bytes``
  of it.

A refusal is a :class:`CheckoutFileError` naming the path and the reason. :func:`create_file`
walks the same way and never replaces anything that exists."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Literal

Problem = Literal["path", "link", "missing", "not-a-file", "too-large", "exists"]

DEFAULT_MAX_BYTES = 4 << 20
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class CheckoutFileError(Exception):
    """A checkout file that was not opened; ``problem`` says why in one word."""

    def __init__(self, path: str, problem: Problem, detail: str) -> None:
        super().__init__(f"{path[:200]!r} {detail}")
        self.path = path
        self.problem = problem
        self.detail = detail


def checked_path(raw: str | PurePosixPath) -> PurePosixPath:
    """``raw`` as a relative path inside a checkout, or CheckoutFileError saying why not."""
    text = str(raw)
    if not text or "\0" in text:
        raise CheckoutFileError(text, "path", "is empty or holds a NUL")
    path = PurePosixPath(text)
    if path.is_absolute() or text.startswith("~"):
        raise CheckoutFileError(text, "path", "is absolute; paths are relative to the checkout")
    if ".." in path.parts:
        raise CheckoutFileError(text, "path", "climbs out with '..'")
    if any(part.lower() == ".git" for part in path.parts):
        raise CheckoutFileError(text, "path", "is inside .git")
    if not path.parts:
        raise CheckoutFileError(text, "path", "names the checkout itself, not a file in it")
    return path


def read_bytes(
    root: Path, relative: str | PurePosixPath, max_bytes: int = DEFAULT_MAX_BYTES
) -> bytes:
    """The bytes of a regular file in the checkout ``root``; too-large when over ``max_bytes``."""
    path = checked_path(relative)
    with _opened(root, path) as fd:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise CheckoutFileError(
                str(path), "too-large", f"is {size:,} bytes, more than the {max_bytes:,} read"
            )
        chunks, left = [], max_bytes + 1
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > max_bytes:  # it grew after fstat
        raise CheckoutFileError(
            str(path), "too-large", f"is more than the {max_bytes:,} bytes read"
        )
    return data


def read_text(root: Path, relative: str | PurePosixPath, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """:func:`read_bytes` decoded as UTF-8 (undecodable bytes replaced)."""
    return read_bytes(root, relative, max_bytes).decode("utf-8", "replace")


def folder_files(root: Path, folder: str | PurePosixPath) -> list[str]:
    """The names in the checkout's ``folder`` (``.``: its root), reached without a link; each
    is then read through :func:`read_text`, which refuses a link of its own."""
    fd = _folder(root, checked_path(PurePosixPath(folder) / "x"), make=False)
    try:
        return os.listdir(fd)
    finally:
        os.close(fd)


def is_file(root: Path, relative: str | PurePosixPath) -> bool:
    """Whether ``relative`` is a regular file reached without a link (any refusal is False)."""
    try:
        with _opened(root, checked_path(relative)):
            return True
    except (CheckoutFileError, OSError):  # OSError: no checkout at ``root``
        return False


def python_root(root: Path, path: str) -> Path:
    """The folder under ``root`` (a sandbox copy) that holds ``path``'s top package (``src``
    for ``src/shop/pricing.py``): first on a mutant run's ``PYTHONPATH``, as code installed in
    editable mode is imported from the checkout, where no mutant is."""
    folder = PurePosixPath(path).parent
    while folder != PurePosixPath(".") and is_file(root, folder / "__init__.py"):
        folder = folder.parent
    return root / folder


def lexists(root: Path, relative: str | PurePosixPath) -> bool:
    """Whether ``relative`` is not free for a new file: anything (a link included) sits there,
    a link or something other than a folder is on the way, or the path itself is refused."""
    try:
        path = checked_path(relative)
    except CheckoutFileError:
        return True
    if _first_link(root, path) is not None or os.path.lexists(root / path):
        return True
    here = root
    for part in path.parts[:-1]:  # a file named like a folder on the way: ENOTDIR on create
        here = here / part
        if not os.path.lexists(here):
            return False
        if not here.is_dir():
            return True
    return False


def unlinked(root: Path, relative: str | PurePosixPath) -> PurePosixPath:
    """``relative`` checked, when no part of it (file or folder) is a link; for paths handed
    to a tool (``git grep``, ``git blame``) rather than opened here."""
    path = checked_path(relative)
    link = _first_link(root, path)
    if link is not None:
        raise CheckoutFileError(
            str(path), "link", f"goes through a symbolic link ({link}), which is not followed"
        )
    return path


def _first_link(root: Path, path: PurePosixPath) -> str | None:
    """The first part of ``path`` that is a symbolic link, up to the first that is missing."""
    here = root
    for index, part in enumerate(path.parts):
        here = here / part
        if here.is_symlink():
            return "/".join(path.parts[: index + 1])
        if not here.exists():
            return None
    return None


def create_file(root: Path, relative: str | PurePosixPath, text: str) -> None:
    """Write a new file at ``relative``, making missing folders; refuses a link on the way and
    any entry already at that name (``O_EXCL``)."""
    path = checked_path(relative)
    fd = _folder(root, path, make=True)
    try:
        out = os.open(
            path.parts[-1],
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o644,
            dir_fd=fd,
        )
    except FileExistsError:
        raise CheckoutFileError(str(path), "exists", "exists already") from None
    except OSError as exc:
        raise _refusal(exc, str(path)) from None
    finally:
        os.close(fd)
    with os.fdopen(out, "w", encoding="utf-8") as handle:
        handle.write(text)


def replace_file(
    root: Path, relative: str | PurePosixPath, data: bytes, *, mtime_ns: int | None = None
) -> None:
    """Put ``data`` in place of the regular file at ``relative`` (a sandbox copy's source, a
    mutant of it): walked as :func:`create_file` walks, the old entry unlinked (a link itself,
    never its target) and a new file created in the same folder descriptor, its times set to
    ``mtime_ns`` when given (through the descriptor: no path is followed again)."""
    path = checked_path(relative)
    fd = _folder(root, path, make=False)
    try:
        with suppress(FileNotFoundError):
            os.unlink(path.parts[-1], dir_fd=fd)
        out = os.open(
            path.parts[-1],
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o644,
            dir_fd=fd,
        )
    except OSError as exc:
        raise _refusal(exc, str(path)) from None
    finally:
        os.close(fd)
    with os.fdopen(out, "wb") as handle:
        handle.write(data)
        handle.flush()
        if mtime_ns is not None:
            os.utime(handle.fileno(), ns=(mtime_ns, mtime_ns))


def remove_entry(root: Path, relative: str | PurePosixPath) -> None:
    """Take away the entry at ``relative`` (a link itself, never its target; a folder with all
    it holds, as a submodule's checked-out tree), walked as :func:`create_file` walks, removed
    through the descriptor of the folder holding it, never entering a link; nothing there is no
    error. Raises :class:`CheckoutFileError` for a link or a file on the way."""
    path = checked_path(relative)
    try:
        fd = _folder(root, path, make=False)
    except CheckoutFileError as exc:
        if exc.problem == "missing":
            return
        raise
    try:
        found = os.stat(path.parts[-1], dir_fd=fd, follow_symlinks=False)
        if stat.S_ISDIR(found.st_mode):
            shutil.rmtree(path.parts[-1], dir_fd=fd)
        else:
            os.unlink(path.parts[-1], dir_fd=fd)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _refusal(exc, str(path)) from None
    except RecursionError:  # shutil recurses once a level before Python 3.13
        raise CheckoutFileError(str(path), "too-large", "is nested too deep to take away") from None
    finally:
        os.close(fd)


def create_link(root: Path, relative: str | PurePosixPath, target: str) -> None:
    """Make a symbolic link at ``relative`` to ``target``, walked as :func:`create_file` walks
    (a sandbox copy's link as the base has it): the link is made, never followed here."""
    path = checked_path(relative)
    fd = _folder(root, path, make=True)
    try:
        os.symlink(target, path.parts[-1], dir_fd=fd)
    except FileExistsError:
        raise CheckoutFileError(str(path), "exists", "exists already") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the target
        raise CheckoutFileError(str(path), "not-a-file", f"cannot be made a link ({exc})") from None
    finally:
        os.close(fd)


def create_folder(root: Path, relative: str | PurePosixPath) -> None:
    """Make an empty folder at ``relative`` (a submodule not checked out, as git leaves it),
    walked as :func:`create_file` walks."""
    path = checked_path(relative)
    fd = _folder(root, path, make=True)
    try:
        os.mkdir(path.parts[-1], 0o755, dir_fd=fd)
    except OSError as exc:
        raise _refusal(exc, str(path)) from None
    finally:
        os.close(fd)


def modified_ns(root: Path, relative: str | PurePosixPath) -> int:
    """The modification time of the regular file at ``relative``, reached without a link."""
    with _opened(root, checked_path(relative)) as fd:
        return os.fstat(fd).st_mtime_ns


def write_output(checkout: Path, path: Path, data: bytes, *, append: bool = False) -> Path:
    """Write (``append``: add) ``data`` to ``path``, a file the workflow or settings named;
    returns ``path``. Inside the checkout the path is walked as :func:`create_file` walks it, so
    nothing is written outside through a link the pull request planted; elsewhere the folders are
    the runner's. Raises OSError (a refused link: ELOOP)."""
    root = Path(os.path.abspath(checkout))
    target = Path(os.path.abspath(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC
    flags |= os.O_APPEND if append else os.O_TRUNC
    if not target.is_relative_to(root) or target == root:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, flags, 0o644)
    else:
        inside = PurePosixPath(target.relative_to(root).as_posix())
        try:
            folder = _folder(root, inside, make=True)
        except CheckoutFileError as exc:
            raise OSError(errno.ELOOP, exc.detail, str(path)) from None
        try:
            fd = os.open(inside.parts[-1], flags | os.O_NOFOLLOW, 0o644, dir_fd=folder)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            raise OSError(
                errno.ELOOP, "is a symbolic link, which is not followed", str(path)
            ) from None
        finally:
            os.close(folder)
    with os.fdopen(fd, "ab" if append else "wb") as handle:
        handle.write(data)
    return path


MAX_WALK_DEPTH = 64
"""Folders below this many levels are not entered: ``os.fwalk`` recurses once per level and
holds a descriptor per level, so a checkout 1,100 folders deep (``d/d/…``, which git checks
out) raised RecursionError in every caller. Real trees stop far above it."""


def walk_files(
    root: Path, pruned: frozenset[str] = frozenset(), max_entries: int | None = None
) -> Iterator[str]:
    """Relative paths of the regular files under ``root``, sorted, never entering a linked
    folder, naming a link or going past :data:`MAX_WALK_DEPTH`; ``.git``, hidden folders,
    ``pruned`` names and names that are not UTF-8 are skipped. With ``max_entries``,
    CheckoutFileError once more entries were listed, links and folders counted too: they cost the
    walk as much as files."""
    return _walk(root, pruned, max_entries, _text)


def walk_every_name(root: Path) -> Iterator[str]:
    """As :func:`walk_files`, names that are not UTF-8 included (their bytes as the file
    system's escapes): only for a caller that names each such file as left out (gen-tests'
    sources), never one that writes the names into a report or a prompt."""
    return _walk(root, frozenset(), None, lambda name: True)


def _walk(
    root: Path, pruned: frozenset[str], max_entries: int | None, named: Callable[[str], bool]
) -> Iterator[str]:
    seen = 0
    for folder, dirs, files, dir_fd in os.fwalk(root, follow_symlinks=False):
        seen += len(dirs) + len(files)
        if max_entries is not None and seen > max_entries:
            raise CheckoutFileError(".", "too-large", f"holds more than {max_entries:,} entries")
        relative = Path(folder).relative_to(root)
        kept = [] if len(relative.parts) >= MAX_WALK_DEPTH else dirs
        dirs[:] = sorted(d for d in kept if d not in pruned and not d.startswith(".") and named(d))
        for name in sorted(filter(named, files)):
            try:
                mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                yield (relative / name).as_posix()


def _text(name: str) -> bool:
    """Whether a listed name is UTF-8 text (no byte escaped as a lone surrogate)."""
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    return True


@contextmanager
def _opened(root: Path, path: PurePosixPath) -> Iterator[int]:
    folder = _folder(root, path, make=False)
    try:
        fd = os.open(path.parts[-1], _FILE, dir_fd=folder)
    except OSError as exc:
        raise _refusal(exc, str(path)) from None
    finally:
        os.close(folder)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CheckoutFileError(str(path), "not-a-file", "is not a regular file")
        yield fd
    finally:
        os.close(fd)


def _folder(root: Path, path: PurePosixPath, *, make: bool) -> int:
    """A descriptor of the folder holding ``path``'s last part, each step opened inside the one
    before without following a link (``make``: missing folders are created on the way)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)  # ours: may be a link
    try:
        for part in path.parts[:-1]:
            if make:
                with suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
            try:
                inner = os.open(part, _DIRECTORY, dir_fd=fd)
            except OSError as exc:
                raise _refusal(exc, str(path), _is_link(part, fd)) from None
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _refusal(exc: OSError, shown: str, link: bool = False) -> CheckoutFileError:
    if link or exc.errno == errno.ELOOP:
        return CheckoutFileError(
            shown, "link", "goes through a symbolic link, which is not followed"
        )
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return CheckoutFileError(shown, "missing", "is not a file in the checkout")
    return CheckoutFileError(shown, "not-a-file", f"cannot be opened ({exc.strerror})")
