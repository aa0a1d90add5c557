"""What a run takes on disk, measured from outside: what it shows, and what its file systems lost.

What a run shows: every entry of its folders (:func:`cicd_agent.sandbox.limits.tree_bytes`)
and the unlinked files its processes hold open or mapped (:mod:`.held`). What it hides from
both (an unlinked file whose only descriptor is in flight in a Unix socket, a file mapped one
page at a time, a process's own program) still
leaves the free count of its file systems (``statvfs``), read against the run's start. A fall
its counted growth does not explain is blocks it hides, or blocks others wrote meanwhile (a
parallel test worker, the other jobs of a busy machine: more than 2 GiB beside one run).
Blocks come only from writes (``fallocate`` and ``io_uring`` are refused, :mod:`.syscalls`),
which the kernel counts for each process as it dirties pages, its reaped children's included
(:attr:`.held.Held.written`; a tmpfs counts none): on a disk the fall counts no more than the
run wrote, and only past its disk limit and what others may write (``Limits.others_bytes``).
Inodes count at a block each, as in the walk: empty files in flight take no blocks and no
writes, but inodes run out like blocks. Once its processes are gone a run holds nothing its
folders do not show (descriptors in flight go with their last socket, mappings and programs
with their process). :func:`overrun` says, between two polls of a run, why it must be killed
now; :func:`left_past`, once it ended, whether it wrote past its limit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.sandbox.held import held, still
from cicd_agent.sandbox.limits import ENTRY_BYTES, Limits, RunGroups, tree_bytes
from cicd_agent.sandbox.walk import Moved


def free_bytes(writable: Sequence[Path]) -> dict[int, tuple[int, int]]:
    """What each file system (by device) holding one of ``writable`` has free: bytes in
    blocks, and inodes at a block each."""
    free: dict[int, tuple[int, int]] = {}
    for folder in writable:
        device = os.stat(folder).st_dev
        if device not in free:
            found = os.statvfs(folder)
            free[device] = (found.f_bfree * found.f_frsize, found.f_ffree * ENTRY_BYTES)
    return free


@dataclass(frozen=True)
class DiskStart:
    """What a run's writable folders showed, and their file systems had free, at its start."""

    writable: tuple[Path, ...]
    shown: int
    free: dict[int, tuple[int, int]]
    unwritten: bool = False
    """A folder is on a file system without a disk (tmpfs): the kernel counts no writes to it."""

    @classmethod
    def of(cls, writable: Sequence[Path], shown: int) -> DiskStart:
        """The start of a run that may write ``writable``, whose folders take ``shown``."""
        free = free_bytes(writable)
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as table:
            kinds = {line.split()[2]: line.partition(" - ")[2][:6] for line in table}  # type, space
        unwritten = any(
            kinds.get(f"{os.major(d)}:{os.minor(d)}") in ("tmpfs ", "ramfs ") for d in free
        )
        return cls(tuple(writable), shown, free, unwritten)

    def unseen(self, shown: int, written: int | None) -> int:
        """Bytes the run's file systems lost since its start that its counted use (``shown``
        now) does not explain: blocks, no more than its processes ``written`` (None: not
        known) on disks, or inodes, whichever is more."""
        now, blocks, inodes = free_bytes(self.writable), 0, 0
        for device, start in self.free.items():
            later = now.get(device, start)
            blocks, inodes = blocks + start[0] - later[0], inodes + start[1] - later[1]
        capped = blocks if written is None or self.unwritten else min(blocks, written)
        return max(capped, inodes) - (shown - self.shown)

    def overrun(self, limits: Limits, shown: int, written: int | None) -> str:
        """Why a run whose counted use is now ``shown`` wrote past its disk limit, in words
        ("" when it did not): what it shows past the limit, or a fall of free space it does
        not explain (:meth:`unseen`) past the limit and what others may write."""
        past = self.left(limits, shown)
        unseen = self.unseen(shown, written)
        if past or unseen <= max(limits.disk_bytes, limits.others_bytes):
            return past
        return (
            f"it wrote more than {limits.disk_bytes >> 20} MiB: its file systems lost "
            f"{unseen >> 20} MiB that none of its folders or open files hold, and it wrote "
            "as much (files it hides)"
        )

    def left(self, limits: Limits, shown: int) -> str:
        """Why a run whose folders now take ``shown`` wrote past its disk limit ("" when it
        did not): all a run that ended can hold."""
        if shown > self.shown + limits.disk_bytes:
            return f"it wrote more than {limits.disk_bytes >> 20} MiB"
        return ""


def written(writable: Sequence[Path]) -> int:
    """What the folders a run may write take on disk."""
    return sum(map(tree_bytes, writable))


def overrun(start: DiskStart, pid: int, groups: RunGroups, limits: Limits) -> str:
    """Why the run (``pid`` and below) must be killed now: it wrote past its disk limit
    since its ``start`` (:meth:`DiskStart.overrun`: its folders, files its processes hold
    unlinked on their file systems, and blocks its file systems lost that neither shows),
    holds more memory files and shared memory than a process may have memory, or a process
    maps more as stack than it may write (:mod:`.held`); "" when none."""
    writable = start.writable
    with still(pid) as processes:  # nothing renamed, moved or closed while it is measured
        outside = held(pid, start.free.keys(), processes)  # its folders' devices, at start
        if outside.beyond:
            return f"it held {outside.beyond} (what one measure of its disk reads)"
        try:
            past = start.overrun(limits, written(writable) + outside.disk, outside.written)
        except Moved:  # a process the stop missed (one stuck in the kernel) renamed it
            return "it moved a folder while its disk was measured"
    if past:
        return past
    if outside.memory > limits.memory_bytes:
        return f"it held more than {limits.memory_bytes >> 20} MiB in memory files or shared memory"
    stack = limits.writable_bytes(bounded=groups.memory is not None)
    if outside.stack > stack:
        return f"a process of it mapped more than {stack >> 20} MiB as stack"
    if groups.out_of_memory():
        return memory_words(limits)
    return ""


def memory_words(limits: Limits) -> str:
    """Why a run whose memory group ran out was killed, in words."""
    return (
        f"it held more than {limits.memory_bytes >> 20} MiB in memory "
        "(its processes' and the kernel's for it)"
    )


def left_past(start: DiskStart, limits: Limits) -> str:
    """Why a run that ended wrote past its disk limit ("" when it did not): what it left in
    its folders, measured once its processes are gone (a run that fills the disk at once and
    exits is done before the first poll; :meth:`DiskStart.left`)."""
    try:
        return start.left(limits, written(start.writable))
    except Moved:  # nothing of the run is left to move it
        return "it moved a folder while its disk was measured"
