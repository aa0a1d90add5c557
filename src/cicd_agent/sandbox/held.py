"""What a run's processes hold that no folder shows: measured from outside, each poll.

A file a process keeps open (or mapped) after unlinking it is in no folder, so the walk of the
run's folders (:func:`cicd_agent.sandbox.limits.tree_bytes`) never sees it, yet its blocks stay
on the disk until the process ends; a memory file (``memfd_create``) holds the host's memory
and counts in no address space unless mapped. Each stops at the file limit, but one process
holds hundreds of them and a run 512 processes: unchecked, a test fills the runner's disk or
memory (the kernel's OOM killer cannot tell whose pages they are, and kills the agent).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass

_MEMORY_FILE = "/memfd:"
"""How ``/proc/PID/fd`` names a memory file (``memfd_create``)."""


@dataclass(frozen=True)
class Held:
    """Bytes a run's processes hold outside its folders."""

    disk: int = 0
    """Unlinked files on the run's writable folders' file systems."""
    memory: int = 0
    """Memory files the run's processes hold open."""


def held(root: int, devices: Collection[int]) -> Held:
    """What process ``root`` and those below it hold: unlinked files open or mapped on
    ``devices`` (the file systems of the run's writable folders), and open memory files."""
    disk: dict[tuple[int, int], int] = {}
    memory: dict[tuple[int, int], int] = {}
    for pid in _processes_below(root):
        folder = f"/proc/{pid}/fd"
        try:
            names = os.listdir(folder)
        except OSError:  # ended, or not ours to look at
            names = []
        for name in names:
            try:
                found = os.stat(f"{folder}/{name}")
                memory_file = os.readlink(f"{folder}/{name}").startswith(_MEMORY_FILE)
            except OSError:
                continue
            if not stat.S_ISREG(found.st_mode):
                continue
            key, size = (found.st_dev, found.st_ino), max(found.st_size, found.st_blocks * 512)
            if memory_file:
                memory[key] = size
            elif found.st_nlink == 0 and found.st_dev in devices:
                disk[key] = size
        for device, inode, size in _unlinked_mappings(pid):
            if device in devices:
                disk[(device, inode)] = max(disk.get((device, inode), 0), size)
    return Held(sum(disk.values()), sum(memory.values()))


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
