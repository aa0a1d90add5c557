"""Cache files that several runs share: written whole under a new name and renamed into place, read
strictly, and set aside when damaged.

Two runs appending to one gzip file break its CRC, and every later run would end in exit 3: a
cache may cost a run time, never the run. A reader sees the old file or the new one
(``os.replace`` is atomic); a damaged file keeps what could be read, is moved aside for a person,
and a note says so. Of two writers the last rename wins, and the other's additions are read again
by a later run."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import stat
import tempfile
import time
import zlib
from collections.abc import Iterable
from pathlib import Path

TEMPORARY_SUFFIX = ".tmp"
STALE_SECONDS = 3600
"""A temporary file older than this is a leftover of a killed run (a write takes seconds)."""
DAMAGED_SUFFIX = ".damaged"
MAX_DATA_BYTES = 1 << 30
"""Most a cache file may hold once decompressed (20,000 mined commits are tens of MB): a
planted gzip bomb is damage, not a run that swaps itself to death."""
DAMAGE = (OSError, EOFError, ValueError, zlib.error)
"""What reading a damaged gzip file raises: ``BadGzipFile`` (an ``OSError``: bad header or CRC),
``EOFError`` (truncated), ``zlib.error`` (corrupt deflate data), ``UnicodeDecodeError``."""


def read_gzip(path: Path) -> tuple[bytes, bytes, str]:
    """The file's raw bytes, its decompressed bytes up to the first damage, and what the
    damage was ("" for a whole file; a missing file reads as empty and whole)."""
    try:
        # O_NONBLOCK: a FIFO planted at the path must not wait for a writer that never comes
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return b"", b"", ""
    except OSError as exc:
        return b"", b"", f"unreadable: {exc.strerror or exc}"
    try:
        with os.fdopen(handle, "rb") as opened:
            if not stat.S_ISREG(os.fstat(opened.fileno()).st_mode):
                return b"", b"", "not a regular file"
            raw = opened.read(MAX_DATA_BYTES + 1)
    except OSError as exc:
        return b"", b"", f"unreadable: {exc.strerror or exc}"
    if len(raw) > MAX_DATA_BYTES:
        return b"", b"", f"more than {MAX_DATA_BYTES:,} bytes"
    data = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            while chunk := stream.read(1 << 20):
                data += chunk
                if len(data) > MAX_DATA_BYTES:
                    return raw, b"", f"more than {MAX_DATA_BYTES:,} bytes once decompressed"
    except DAMAGE as exc:
        return raw, bytes(data), describe(exc)
    return raw, bytes(data), ""


def describe(exc: BaseException) -> str:
    """A short reason for a note (the exception's class and message)."""
    return f"{type(exc).__name__}: {exc}"[:200]


def write(path: Path, data: bytes) -> bool:
    """Write ``data`` as ``path``, atomically (a new file renamed into place); False when the
    folder cannot be written (a read-only cache still serves what it holds)."""
    temporary = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent
        )
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError:
        if temporary:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return False
    return True


def set_aside(path: Path, reason: str) -> str:
    """Move a damaged ``path`` to ``<name>.damaged`` (one kept per cache file, so damage that
    recurs cannot fill the cache) and return the note that says so."""
    aside = path.with_name(path.name + DAMAGED_SUFFIX)
    try:
        os.replace(path, aside)
        where = f"set aside as {aside.name}"
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()
        where = "set aside (removed: it could not be moved)"
    return f"The risk cache file {path.name} was damaged ({reason}): {where} and rebuilt."


def sweep(folder: Path, now: float | None = None) -> None:
    """Remove temporary files that runs killed mid-write left in ``folder`` (older than
    :data:`STALE_SECONDS`; a younger one may be another run's write in progress)."""
    cutoff = (time.time() if now is None else now) - STALE_SECONDS
    with contextlib.suppress(OSError):
        for found in folder.glob(f".*{TEMPORARY_SUFFIX}"):
            with contextlib.suppress(OSError):
                if found.stat().st_mtime < cutoff:
                    found.unlink()


def prune(candidates: Iterable[Path], current: str, keep: int = 1) -> None:
    """Remove the cache files of ``candidates`` no run of this release is likely to read: another
    version's or prior's (not starting with ``current``), and all but the ``keep`` most recently
    used. The action saves the cache after every run, so without this they would be carried for
    ever."""
    kept = []
    for found in candidates:
        if found.name.startswith(current):
            kept.append(found)
        else:
            found.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # another run removed one first
        kept.sort(key=lambda found: found.stat().st_mtime, reverse=True)
        for old in kept[keep:]:
            old.unlink(missing_ok=True)
