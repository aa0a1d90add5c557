"""What a run's processes hold that no folder shows: measured from outside, each poll.

A file a process keeps open (or mapped) after unlinking it is in no folder, so the walk of the
run's folders (:func:`cicd_agent.sandbox.limits.tree_bytes`) never sees it, yet its blocks stay
on the disk until the process ends; a memory file (``memfd_create``) holds the host's memory
and counts in no address space unless mapped. Each stops at the file limit, but one process
holds hundreds of them and a run 512 processes: unchecked, a test fills the runner's disk or
memory (the kernel's OOM killer cannot tell whose pages they are, and kills the agent).

What one measure reads is bounded (:data:`MAX_DESCRIPTORS`, :data:`MAX_MAPPINGS`): each
descriptor costs a ``stat`` and a ``readlink``, and a run chooses how many it holds (one open
file copied into every slot the descriptor limit allows, in each of its processes) and how
many mappings (tens of thousands a process); unbounded, one measure took as long as the run
wished, the disk limit was blind meanwhile and the timeout waited for it. A run holding more
than a measure reads is killed for it (:attr:`Held.beyond`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass

MAX_DESCRIPTORS = 1 << 16
"""Open descriptors one measure reads across a run's processes; a run holding more is killed
(a test suite holds hundreds; the hard limit lets each process hold tens of thousands)."""

MAX_MAPPINGS = 1 << 19
"""Memory mappings one measure reads across a run's processes (an interpreter has hundreds,
a JVM a few thousand; ``vm.max_map_count`` lets each process make 65530)."""

_MEMORY_FILE = "/memfd:"
"""How ``/proc/PID/fd`` names a memory file (``memfd_create``)."""


@dataclass(frozen=True)
class Held:
    """Bytes a run's processes hold outside its folders."""

    disk: int = 0
    """Unlinked files on the run's writable folders' file systems."""
    memory: int = 0
    """Memory files the run's processes hold open."""
    beyond: str = ""
    """What the run holds more of than one measure reads ("" when none): the run is
    killed for it, as its disk and memory files were not all counted."""


def held(root: int, devices: Collection[int]) -> Held:
    """What process ``root`` and those below it hold: unlinked files open or mapped on
    ``devices`` (the file systems of the run's writable folders), and open memory files;
    reading no more than :data:`MAX_DESCRIPTORS` descriptors and :data:`MAX_MAPPINGS`
    mappings (past either, :attr:`Held.beyond` says so and the rest is not read)."""
    disk: dict[tuple[int, int], int] = {}
    memory: dict[tuple[int, int], int] = {}
    descriptors, mappings = 0, 0
    for pid in _processes_below(root):
        folder = f"/proc/{pid}/fd"
        try:
            names = os.listdir(folder)
        except OSError:  # ended, or not ours to look at
            names = []
        descriptors += len(names)
        if descriptors > MAX_DESCRIPTORS:
            return Held(beyond=f"more than {MAX_DESCRIPTORS} open descriptors")
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
        read = _unlinked_mappings(pid, MAX_MAPPINGS - mappings)
        if read is None:
            return Held(beyond=f"more than {MAX_MAPPINGS} memory mappings")
        unlinked, lines = read
        mappings += lines
        for device, inode, size in unlinked:
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


def _unlinked_mappings(pid: int, room: int) -> tuple[list[tuple[int, int, int]], int] | None:
    """``(device, inode, bytes)`` of each mapping of an unlinked file in process ``pid``
    (a file mapped, closed and unlinked keeps its blocks as long as the mapping), and how
    many mappings were read; None once more than ``room`` were (the rest is not read)."""
    found: list[tuple[int, int, int]] = []
    lines = 0
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as handle:
            for line in handle:  # read as it comes: the run chooses how many lines there are
                lines += 1
                if lines > room:
                    return None
                mapping = _unlinked(line)
                if mapping is not None:
                    found.append(mapping)
    except OSError:
        pass
    return found, lines


def _unlinked(line: str) -> tuple[int, int, int] | None:
    """``(device, inode, bytes)`` of one ``maps`` line naming an unlinked file, else None."""
    parts = line.split(maxsplit=5)
    if len(parts) < 6 or not parts[5].rstrip("\n").endswith(" (deleted)"):
        return None
    start, _, end = parts[0].partition("-")
    major, _, minor = parts[3].partition(":")
    try:
        device = os.makedev(int(major, 16), int(minor, 16))
        return device, int(parts[4]), int(end, 16) - int(start, 16)
    except ValueError:
        return None
