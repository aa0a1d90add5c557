"""Resource limits of a run: memory, processes, file size (set in the child) and disk (measured).

Processes are capped by ``RLIMIT_NPROC`` and, for root (which the kernel exempts), by a pids
cgroup of the run's own; the disk a run writes is measured from outside: its folders
(:func:`tree_bytes`) and what its processes hold outside them (:mod:`.held`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
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
