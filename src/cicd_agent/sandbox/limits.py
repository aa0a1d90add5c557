"""Resource limits of a run: memory, processes, file size (set in the child) and disk (measured).

Processes are capped by ``RLIMIT_NPROC`` and, for root (which the kernel exempts), by a pids
cgroup of the run's own; the disk a run writes is measured from outside: its folders
(:func:`tree_bytes`) and the files its processes hold after unlinking them (:func:`held_bytes`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

_GIB = 1 << 30

_ENTRY_BYTES = 4096
"""The least one file or folder counts against the disk limit (a block; an empty one holds an
inode, and millions of them exhaust a disk's inodes whatever their size)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of every run (per process for memory, per run for processes and disk)."""

    memory_bytes: int = 4 * _GIB
    processes: int = 512
    disk_bytes: int = 2 * _GIB
    """Room a run may write in its folder, on top of what is there when it starts."""
    file_bytes: int = _GIB

    def apply(self, pids_group: Path | None = None) -> None:
        """Set the limits in the calling process (run in the child before exec).

        The kernel does not apply ``RLIMIT_NPROC`` to root, so a run started by root also joins
        ``pids_group``, a pids cgroup of its own (see :func:`pids_group`).
        """
        if pids_group is not None:
            with contextlib.suppress(OSError):  # then only the rlimit applies
                (pids_group / "cgroup.procs").write_text("0")
        for limit, value in (
            (resource.RLIMIT_AS, self.memory_bytes),
            (resource.RLIMIT_NPROC, self.processes),
            (resource.RLIMIT_FSIZE, self.file_bytes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(limit, (value, value))


_PIDS_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))

_group_numbers = itertools.count(1)


def pids_group(limit: int) -> Path | None:
    """A new pids cgroup capped at ``limit`` tasks, when we are root and cgroups allow it."""
    if os.geteuid() != 0:
        return None  # RLIMIT_NPROC applies
    for root in _PIDS_ROOTS:
        if not (root / "cgroup.procs").is_file():
            continue
        group = root / f"cicd-agent-{os.getpid()}-{next(_group_numbers)}"
        try:
            group.mkdir()
            (group / "pids.max").write_text(str(limit))
        except OSError:
            remove_group(group)
            continue
        return group
    return None


def remove_group(group: Path | None) -> None:
    if group is None:
        return
    try:
        group.rmdir()
    except OSError:
        return


def tree_bytes(root: Path) -> int:
    """What ``root`` takes on disk: every file, folder and link, each at the larger of its size,
    its blocks and one block (empty folders and empty files take blocks or inodes too)."""
    total, folders = 0, [str(root)]
    while folders:  # no recursion: a run may nest folders thousands deep
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                found = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += max(found.st_size, found.st_blocks * 512, _ENTRY_BYTES)
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
    return total


def held_bytes(root: int, devices: Collection[int]) -> int:
    """What the files process ``root`` and those below it hold open or mapped after unlinking
    them take on ``devices`` (the run's writable folders' file systems). Such a file is in no
    folder, so :func:`tree_bytes` never sees it, yet its blocks stay on the disk until its
    holder ends: one process holds hundreds of files of up to the file limit each."""
    held: dict[tuple[int, int], int] = {}
    for pid in _processes_below(root):
        folder = f"/proc/{pid}/fd"
        try:
            names = os.listdir(folder)
        except OSError:  # ended, or not ours to look at
            names = []
        for name in names:
            try:
                found = os.stat(f"{folder}/{name}")
            except OSError:
                continue
            if stat.S_ISREG(found.st_mode) and found.st_nlink == 0 and found.st_dev in devices:
                key = (found.st_dev, found.st_ino)
                held[key] = max(held.get(key, 0), found.st_size, found.st_blocks * 512)
        for device, inode, size in _unlinked_mappings(pid):
            if device in devices:
                held[(device, inode)] = max(held.get((device, inode), 0), size)
    return sum(held.values())


def _processes_below(root: int) -> list[int]:
    """``root`` and every process below it, from each process's parent in ``/proc`` (a run's
    orphans are adopted inside its PID namespace, whose first process is below ``root``)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                line = handle.read()
        except OSError:
            continue
        fields = line[line.rfind(b")") + 2 :].split()  # the name in parentheses may hold ")"
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(name))
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, ()))
    return found


def _unlinked_mappings(pid: int) -> Iterator[tuple[int, int, int]]:
    """``(device, inode, bytes)`` of each mapping of an unlinked file in process ``pid``
    (a file mapped, closed and unlinked keeps its blocks as long as the mapping)."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as handle:
            lines = handle.readlines()
    except OSError:
        return
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) < 6 or not parts[5].rstrip("\n").endswith(" (deleted)"):
            continue
        start, _, end = parts[0].partition("-")
        major, _, minor = parts[3].partition(":")
        try:
            device = os.makedev(int(major, 16), int(minor, 16))
            yield device, int(parts[4]), int(end, 16) - int(start, 16)
        except ValueError:
            continue
