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
unseen, unless another process on the runner wrote them meanwhile (a parallel test worker,
a service container, the other jobs of a shared machine). Nothing tells the two apart, so
the unexplained fall counts only past the run's whole disk limit and past what others may
write meanwhile (:attr:`~cicd_agent.sandbox.limits.Limits.others_bytes`, 2 GiB, the disk
limit's default): a run takes at most twice its limit whatever it hides, and only others
writing more than that beside it while it runs kill a run that hid nothing, in words that
say what was seen. (On a machine shared by many jobs, others wrote 255 MiB in 3 s: a small
allowance is no allowance there.) A small disk limit with the default leaves ample room to
hide; the attack tests lower both. Inodes count too, one block each, as in the walk: empty
files in flight take no blocks, but a file system's inodes run out like its blocks.
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

    def fallen_to(self, now: Free) -> int:
        """What the file system lost since this count, in bytes: its blocks, or its inodes at
        one block each, whichever is more (as the walk counts each entry as at least a block:
        empty files held where no walk finds them take no blocks, but a file system's inodes
        run out like its blocks)."""
        return max(self.bytes - now.bytes, (self.inodes - now.inodes) * ENTRY_BYTES)


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

    def unseen(self, shown: int) -> int:
        """Bytes the run's file systems lost since its start that its counted use (``shown``
        now, its folders and held files) does not explain."""
        now = free_bytes(self.writable)
        fallen = sum(start.fallen_to(now.get(device, start)) for device, start in self.free.items())
        return fallen - (shown - self.shown)

    def hidden_past(self, limits: Limits, shown: int) -> int:
        """The unexplained fall (:meth:`unseen`) when it is past both the disk limit and what
        others may write meanwhile (``limits``), else 0."""
        unseen = self.unseen(shown)
        return unseen if unseen > max(limits.disk_bytes, limits.others_bytes) else 0

    def overrun(self, limits: Limits, shown: int) -> str:
        """Why a run whose counted use is now ``shown`` wrote past its disk limit, in words
        ("" when it did not): what it shows past the limit, or a fall it does not explain
        past the limit and what others may write (:meth:`hidden_past`)."""
        if shown > self.shown + limits.disk_bytes:
            return f"it wrote more than {limits.disk_bytes >> 20} MiB"
        hidden = self.hidden_past(limits, shown)
        if hidden:
            return (
                f"it wrote more than {limits.disk_bytes >> 20} MiB: its file systems lost "
                f"{hidden >> 20} MiB that none of its folders or open files hold (files it "
                "hides, unless other processes wrote as much beside it)"
            )
        return ""
