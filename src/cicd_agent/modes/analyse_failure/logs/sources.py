"""Where job logs come from: the API's per-job text, a run-logs zip, a folder or a file.

The run-logs zip that GitHub serves holds one ``<n>_<job name>.txt`` per job (the whole job)
and, for most runs, a ``<job name>/`` folder with one ``<n>_<step name>.txt`` per step (and a
``system.txt``). Step files are preferred when present: they name the steps and restart line
numbers per step as the web UI does. Since 2025 some archives carry only ``system.txt`` in the
folders; then the whole-job file is read and steps come from the runner's markers. Nothing is
extracted to disk and nothing is read until the analysis streams it.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.archive import DAMAGED

CHUNK_BYTES = 1 << 22
# At most nine ASCII digits: the runner numbers jobs and steps from 0, and int() refuses a name
# of thousands of digits (such a member is read as a loose log instead).
_JOB_FILE = re.compile(r"^(-?[0-9]{1,9})_(.+)\.txt$")
_STEP_FILE = re.compile(r"^([0-9]{1,9})_(.+)\.txt$")
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_TEXT_SUFFIXES = (".txt", ".log")
_PACKED = re.compile(rb"\x1f\x8b|\xfd7zXZ\x00|BZh[1-9]1AY&SY|\x28\xb5\x2f\xfd")
_PACKED_NAMES = {b"\x1f": "gzip", b"\xfd": "xz", b"B": "bzip2", b"\x28": "zstd"}
"""The magic numbers of compressed files, and each one's name by its first byte."""
_HINT = "Pass the run-logs zip as GitHub serves it, a folder, or a text file."


MAX_LINE_BYTES = 1 << 20
"""The longest raw log line kept whole (its tail is kept beyond this)."""


@dataclass(frozen=True)
class LogPart:
    """One file of a job's log; ``step`` names it when it holds a single step."""

    open: Callable[[], IO[bytes]]
    step: str | None = None
    source: str = ""


@dataclass(frozen=True)
class JobLog:
    """A job's log as parts to stream, with the conclusion the API reported if known."""

    name: str
    parts: tuple[LogPart, ...]
    conclusion: str | None = None

    @classmethod
    def from_path(cls, name: str, path: Path, *, conclusion: str | None = None) -> JobLog:
        """A job log in a file, read lazily."""
        return cls(name, (LogPart(lambda: path.open("rb"), source=str(path)),), conclusion)


def iter_chunks(part: LogPart) -> Iterator[bytes]:
    """The bytes of ``part`` in chunks; a damaged archive member becomes a UsageError.

    A file that opens with a UTF-16 byte order mark (Windows PowerShell 5.1 writes a redirect or
    ``Tee-Object`` so) comes as UTF-8, decoded as it streams; a compressed one (gzip, xz, bzip2,
    zstd) is refused: read as bytes, no line of either is an error, and a failing run's log
    would read as green."""
    try:
        with part.open() as stream:
            chunk = stream.read(CHUNK_BYTES)
            packed = _PACKED.match(chunk)
            if packed:
                raise UsageError(
                    f"The log {part.source or '(unnamed)'} is compressed "
                    f"({_PACKED_NAMES[packed.group(0)[:1]]}): its bytes are no text to read.",
                    hint="Decompress it first, or pass the run-logs zip as GitHub serves it.",
                )
            bom = chunk[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
            utf16 = codecs.getincrementaldecoder("utf-16")("replace") if bom else None
            while chunk:
                yield utf16.decode(chunk).encode() if utf16 else chunk
                chunk = stream.read(CHUNK_BYTES)
            if utf16:
                yield utf16.decode(b"", final=True).encode()
    except DAMAGED as exc:
        raise UsageError(
            f"Could not read the log {part.source or '(unnamed)'}: {exc}.",
            hint="Download the run's logs again; the archive looks damaged or truncated.",
        ) from exc


def iter_lines(part: LogPart) -> Iterator[bytes]:
    """The raw lines of ``part`` (no newline). A line longer than :data:`MAX_LINE_BYTES` keeps
    its last :data:`MAX_LINE_BYTES`: a log with no newline in it cannot grow one line, and
    the time to split it, without bound."""
    leftover = b""
    for chunk in iter_chunks(part):
        lines = (leftover + chunk).split(b"\n")
        leftover = lines.pop()[-MAX_LINE_BYTES:]
        for line in lines:
            yield line[-MAX_LINE_BYTES:]
    if leftover:
        yield leftover


def load_logs(path: Path) -> list[JobLog]:
    """The job logs at ``path``: a run-logs zip, a folder laid out like one, or one text file."""
    if not path.exists():
        raise UsageError(f"The logs path {path} does not exist.", hint="Pass --logs PATH.")
    if path.is_dir():
        return _load_folder(path)
    with path.open("rb") as stream:
        magic = stream.read(4)
    if magic in (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC) or path.suffix == ".zip":
        return _load_zip(path)
    return [JobLog.from_path(path.stem, path)]


def _load_zip(path: Path) -> list[JobLog]:
    try:
        with zipfile.ZipFile(path) as archive:
            # Not ZipInfo.is_dir(): it raises IndexError on a member with an empty name.
            names = [
                i.filename for i in archive.infolist() if i.filename.rstrip("/") == i.filename != ""
            ]
    except DAMAGED as exc:
        raise UsageError(f"{path} is not a readable zip archive ({exc}).", hint=_HINT) from exc
    return _layout(
        names,
        lambda member: lambda: _open_member(path, member),
        source=f"{path}:",
        none=f"The zip archive {path} holds no job logs (no .txt files).",
    )


def _open_member(path: Path, member: str) -> IO[bytes]:
    # The member keeps the archive's file open until it is closed itself (zipfile counts
    # references), so closing the ZipFile here leaks nothing.
    with zipfile.ZipFile(path) as archive:
        return archive.open(member)


def _load_folder(path: Path) -> list[JobLog]:
    names = sorted(
        file.relative_to(path).as_posix()
        for file in path.rglob("*")
        if file.is_file() and file.suffix in _TEXT_SUFFIXES
    )
    return _layout(
        names,
        lambda member: lambda: (path / member).open("rb"),
        source=f"{path}/",
        none=f"The folder {path} holds no log files (.txt or .log).",
    )


def _layout(
    names: list[str], opener: Callable[[str], Callable[[], IO[bytes]]], *, source: str, none: str
) -> list[JobLog]:
    """Group the files of a run-logs layout into jobs, in the order the runner numbered them;
    a UsageError saying ``none`` when there is no job."""
    top = [name for name in names if "/" not in name]
    folders: dict[str, list[tuple[int, str, str]]] = {}
    for name in names:
        parent, _, file = name.rpartition("/")
        step = _STEP_FILE.match(file)
        if parent and step and "/" not in parent:
            folders.setdefault(parent, []).append((int(step.group(1)), step.group(2), name))
    jobs: list[tuple[int, JobLog]] = []

    def add(order: int, job: str, whole: str | None) -> None:
        """The job, from its step files when it has them, else from its whole-job file."""
        steps = sorted(folders.get(job, ()))
        parts = tuple(
            LogPart(opener(member), step=step, source=f"{source}{member}")
            for _, step, member in steps
        ) or (LogPart(opener(whole or ""), source=f"{source}{whole}"),)
        jobs.append((order, JobLog(job, parts)))

    for name in top:
        match = _JOB_FILE.match(name)
        job = match.group(2) if match else PurePosixPath(name).stem
        add(int(match.group(1)) if match else len(jobs), job, name)
    seen = {job.name for _, job in jobs}
    for job in folders:
        if job not in seen:
            add(len(jobs) + 10**9, job, None)
    loose = [name for name in names if "/" in name and not _in_job_folder(name, folders)]
    for name in loose:
        jobs.append((len(jobs) + 2 * 10**9, JobLog(name, (LogPart(opener(name), source=name),))))
    if not jobs:
        raise UsageError(none, hint=_HINT)
    return [job for _, job in sorted(jobs, key=lambda pair: pair[0])]


def _in_job_folder(name: str, folders: dict[str, list[tuple[int, str, str]]]) -> bool:
    parent = name.rpartition("/")[0]
    return parent in folders or (parent.count("/") == 0 and name.endswith("/system.txt"))
