"""What a run takes on disk, measured from outside: what it shows, and what its file systems lost.

A run's disk use is counted twice over, each measure covering what the other cannot see.
What it shows: every entry of its folders (:func:`cicd_agent.sandbox.limits.tree_bytes`) and
the unlinked files its processes hold open or mapped (:mod:`.held`). What it hides from both:
an unlinked file whose only descriptor is in flight in a Unix socket (``SCM_RIGHTS``, sent
and never received) is in no folder and in no process's descriptor table, yet the kernel
keeps its blocks for the queued message; a run held 128 MiB that way under a 4 MiB limit.
The kernel bounds such files per user by the sender's descriptor limit and each by the file
limit, a product no test run could live under (a thousand descriptors of a GiB each). Nothing
names the files, but their blocks leave the file system's free count (``statvfs``), as do
those of every other way to hold a file nobody can list (a file mapped one page at a time,
a process's own program).

So each measure also reads the free blocks of the file systems the run may write, against
those at its start: a fall the run's own counted growth does not explain is blocks it holds
unseen, or blocks another process on the runner wrote meanwhile (a parallel test worker, a
service container, the other jobs of a shared machine; on a busy machine others wrote more
than 2 GiB beside one run). The two are told apart by what the run's processes wrote: blocks
come only from writes (``fallocate`` and ``io_uring`` are refused, :mod:`.syscalls`), and the
kernel counts each process's writes as it dirties the pages, its reaped children's included
(``write_bytes``, :mod:`.held`), so the unexplained fall counts no more than the run wrote.
What is left counts only past the run's whole disk limit and past what others may write
(:attr:`~cicd_agent.sandbox.limits.Limits.others_bytes`, 2 GiB): the run's own writes that
it deleted again are in that count too. A run takes at most twice its limit whatever it
hides. Inodes count too, one block each, as in the walk: empty files in flight take no blocks
and no writes, but a file system's inodes run out like its blocks. Once the run's processes
are gone, nothing of it is held where its folders do not show it (descriptors in flight go
with their last socket, mappings and programs with their processes): what it left is what its
folders show.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.sandbox.limits import ENTRY_BYTES, Limits


@dataclass(frozen=True)
class Free:
    """What one file system has free: bytes in blocks, and inodes."""

    bytes: int
    inodes: int


def free_bytes(writable: Sequence[Path]) -> dict[int, Free]:
    """What each file system (by device) holding one of ``writable`` has free."""
    free: dict[int, Free] = {}
    for folder in writable:
        device = os.stat(folder).st_dev
        if device not in free:
            found = os.statvfs(folder)
            free[device] = Free(found.f_bfree * found.f_frsize, found.f_ffree)
    return free


@dataclass(frozen=True)
class DiskStart:
    """What a run's writable folders showed, and their file systems had free, at its start."""

    writable: tuple[Path, ...]
    shown: int
    free: dict[int, Free]

    @classmethod
    def of(cls, writable: Sequence[Path], shown: int) -> DiskStart:
        """The start of a run that may write ``writable``, whose folders take ``shown``."""
        return cls(tuple(writable), shown, free_bytes(writable))

    def unseen(self, shown: int, written: int | None) -> int:
        """Bytes the run's file systems lost since its start that its counted use (``shown``
        now, its folders and held files) does not explain: blocks, no more than its processes
        ``written`` (None: not known, every block), or inodes at a block each, whichever is
        more (as the walk counts each entry as at least a block)."""
        now = free_bytes(self.writable)
        pairs = [(start, now.get(device, start)) for device, start in self.free.items()]
        blocks = sum(start.bytes - later.bytes for start, later in pairs)
        inodes = sum(start.inodes - later.inodes for start, later in pairs) * ENTRY_BYTES
        if written is not None:
            blocks = min(blocks, written)
        return max(blocks, inodes) - (shown - self.shown)

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
