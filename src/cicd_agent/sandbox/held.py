"""What a run's processes hold that no folder shows: measured from outside, each poll.

A file a process keeps open (or mapped) after unlinking it is in no folder, so the walk of the
run's folders (:func:`cicd_agent.sandbox.limits.tree_bytes`) never sees it, yet its blocks stay
on the disk until the process ends; a memory file (``memfd_create``) holds the host's memory
and counts in no address space unless mapped. Each stops at the file limit, but one process
holds hundreds of them and a run 512 processes: unchecked, a test fills the runner's disk or
memory (the kernel's OOM killer cannot tell whose pages they are, and kills the agent).

A process's memory limit (``RLIMIT_DATA``) counts its private writable mappings only: shared
memory (``mmap(-1, n)`` in Python, a memory file mapped and its descriptor closed) and
mappings that grow down as stacks (``MAP_GROWSDOWN``, the main stack under a raised
``RLIMIT_STACK``) are outside it, and where no memory cgroup bounds the run nothing else
counts them. Both are read here, the
shared ones from the mappings as memory files, the stacks from each process's ``VmStk``.

What one measure reads is bounded (:data:`MAX_DESCRIPTORS`, :data:`MAX_MAPPINGS`): each
descriptor costs a ``stat`` and a ``readlink``, and a run chooses how many it holds (one open
file copied into every slot the descriptor limit allows, in each of its processes) and how
many mappings (tens of thousands a process); unbounded, one measure took as long as the run
wished, the disk limit was blind meanwhile and the timeout waited for it. A run holding more
than a measure reads is killed for it (:attr:`Held.beyond`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import time
from collections.abc import Collection, Iterator, Sequence
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
    """Memory files the run's processes hold open or mapped, and shared memory they map."""
    stack: int = 0
    """The most one of the run's processes maps as stacks (its ``VmStk``)."""
    written: int | None = None
    """Bytes the run's processes, live and reaped, wrote to storage (None: one could not be
    read): the most they can hold anywhere."""
    beyond: str = ""
    """What the run holds more of than one measure reads ("" when none): the run is
    killed for it, as its disk and memory files were not all counted."""


def held(root: int, devices: Collection[int], processes: Sequence[int] | None = None) -> Held:
    """What process ``root`` and those below it (``processes``, if :func:`still` listed them)
    hold: unlinked files open or mapped on ``devices`` (the file systems of the run's writable
    folders), and open memory files; reading no more than :data:`MAX_DESCRIPTORS` descriptors
    and :data:`MAX_MAPPINGS` mappings (past either, :attr:`Held.beyond` says so)."""
    disk: dict[tuple[int, int], int] = {}
    memory: dict[tuple[int, int], int] = {}
    descriptors, mappings, stack = 0, 0, 0
    written: int | None = 0
    marks = [f" {os.major(d):02x}:{os.minor(d):02x} ".encode() for d in devices]
    for pid in _processes_below(root) if processes is None else processes:
        wrote = _write_bytes(pid)
        written = None if wrote is None or written is None else written + wrote
        stack = max(stack, _stack_bytes(pid))
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
        read = _unlinked_mappings(pid, MAX_MAPPINGS - mappings, marks)
        if read is None:
            return Held(beyond=f"more than {MAX_MAPPINGS} memory mappings")
        unlinked, lines = read
        mappings += lines
        for device, inode, size, shared_memory in unlinked:
            found_in = memory if shared_memory else disk if device in devices else None
            if found_in is not None:  # a file mapped in pieces, or twice, counts once
                found_in[(device, inode)] = max(found_in.get((device, inode), 0), size)
    return Held(sum(disk.values()), sum(memory.values()), stack, written)


def _stack_bytes(pid: int) -> int:
    """What process ``pid`` maps as stacks (``VmStk``; 0 once it is gone)."""
    status = _read(f"/proc/{pid}/status")
    at = status.find(b"\nVmStk:")
    fields = status[at + 7 : status.find(b"\n", at + 1)].split() if at >= 0 else []
    return int(fields[0]) << 10 if fields and fields[0].isdigit() else 0


def _write_bytes(pid: int) -> int | None:
    """What process ``pid`` and the children it reaped wrote to storage, counted as pages
    are dirtied (``write_bytes``); None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/io", "rb") as handle:
            return int(next(line for line in handle if line.startswith(b"write_bytes:"))[12:])
    except (OSError, StopIteration, ValueError):
        return None


_STOP_ROUNDS = 20
"""Passes over a run's processes to stop those forked during the pass before."""

_STOP_WAIT = 1.0
"""Seconds :func:`still` waits in all for the processes it signalled to stop (one inside a call
that cannot be interrupted stops when it returns; the measure goes on without it)."""


@contextlib.contextmanager
def still(root: int) -> Iterator[list[int] | None]:
    """Process ``root`` and those below it stopped (``SIGSTOP``) while inside, continued after;
    yields them as listed once all had stopped (none forked since; None if one had not) for
    the measure: a list reads every process's ``/proc/PID/stat``, ~10 ms beside 400.

    A run's folders are walked by name, and a run renaming them back and forth as they are
    walked hides what lies below from the walk. Stopped, nothing renames, moves,
    writes or closes while it is measured. Each process is signalled through a pidfd opened
    while its parent is still one of the run's (a reaped pid reused outside the run is never
    signalled); one the run had stopped itself is left stopped. A program sees nothing of it
    but time, and calls Linux fails with EINTR after a stop (``epoll_wait``, ``semop``), as
    after any signal, which event loops retry."""
    stopped: dict[int, int] = {}
    deadline, settled = time.monotonic() + _STOP_WAIT, None
    try:
        for _ in range(_STOP_ROUNDS):
            found = _processes_below(root)
            fresh = [pid for pid in found if pid not in stopped and pid != os.getpid()]
            if not fresh:
                settled = found if time.monotonic() < deadline else None  # each wait ended
                break
            run = set(found)
            for pid in fresh:
                _stop(pid, root, run, stopped)
            waiting = [pid for pid in fresh if stopped.get(pid, -1) >= 0]
            while waiting and time.monotonic() < deadline:
                time.sleep(0.001)  # a stop is delivered when the process is next scheduled
                waiting = [pid for pid in waiting if _state(pid)[0] not in "TtZX"]
        yield settled
    finally:
        for handle in stopped.values():
            if handle >= 0:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(handle, signal.SIGCONT)
                os.close(handle)


def _stop(pid: int, root: int, run: Collection[int], stopped: dict[int, int]) -> None:
    """Stop ``pid`` through a pidfd and note it in ``stopped`` (its pidfd; -1: seen, not ours
    to continue), when it is still one of the ``run``'s processes, ``root`` or a child of one."""
    try:
        handle = os.pidfd_open(pid)
    except OSError:
        return  # gone
    state, parent = _state(pid)
    if pid != root and parent not in run:  # reaped, its pid since taken outside the run
        os.close(handle)
        return
    try:
        if state in "TtZX":  # stopped by the run itself, or ending: not ours to continue
            raise ProcessLookupError
        signal.pidfd_send_signal(handle, signal.SIGSTOP)
    except OSError:
        os.close(handle)
        stopped[pid] = -1
        return
    stopped[pid] = handle


def _state(pid: int) -> tuple[str, int]:
    """Process ``pid``'s state letter and parent (``("X", 0)`` once it is gone)."""
    line = _read(f"/proc/{pid}/stat")
    fields = line[line.rfind(b")") + 2 :].split()  # the name in parentheses may hold ")"
    if len(fields) < 2:
        return "X", 0
    return fields[0].decode("ascii", "replace"), int(fields[1])


def _processes_below(root: int) -> list[int]:
    """``root`` and every process below it (a run's orphans are adopted inside its PID
    namespace, whose first process is below ``root``): from the children each of their threads
    has, where the kernel lists them (:func:`_children_below`), else from every process's
    parent in ``/proc``."""
    return _children_below(root) if _CHILDREN_LISTED else _parents_below(root)


_CHILDREN_LISTED = os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
"""Whether the kernel lists each thread's children (``CONFIG_PROC_CHILDREN``)."""


def _children_below(root: int) -> list[int]:
    """``root`` and every process below it, read down from ``root`` through each thread's
    ``children`` file (the processes whose parent it is, as ``stat`` gives it): a poll reads
    the run's processes only, not every process of the machine (3 ms a poll with 180)."""
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:  # ended
            continue
        for thread in threads:
            waiting.extend(map(int, _read(f"/proc/{pid}/task/{thread}/children").split()))
    return found


def _read(path: str) -> bytes:
    """The whole of a ``/proc`` file (b"" once its process or thread is gone). ``os.read``,
    not ``open()``: 40 % less CPU, for every process of the machine each poll."""
    parts = []
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return b""
    try:
        while part := os.read(handle, 1 << 16):
            parts.append(part)
    except OSError:
        return b""
    finally:
        os.close(handle)
    return b"".join(parts)


def _parents_below(root: int) -> list[int]:
    """``root`` and every process below it, from each process's parent in ``/proc``."""
    children: dict[int, list[int]] = {}
    for pid in (int(name) for name in os.listdir("/proc") if name.isdigit()):
        children.setdefault(_state(pid)[1], []).append(pid)  # parent 0: gone, never a root
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, ()))
    return found


_SHARED_MEMORY = (b"/dev/zero (deleted)", b"/memfd:")
"""How ``/proc/PID/maps`` names shared memory (``MAP_SHARED | MAP_ANONYMOUS``) and a memory
file (the kernel's own tmpfs holds both, on no device of the run's)."""


def _unlinked_mappings(
    pid: int, room: int, marks: list[bytes]
) -> tuple[list[tuple[int, int, int, bool]], int] | None:
    """``(device, inode, bytes, shared memory or not)`` of each mapping of an unlinked file in
    process ``pid`` (a file mapped, closed and unlinked keeps its blocks as long as the
    mapping), and how many mappings were read; None once more than ``room`` were (the rest is
    not read). Read in blocks as they come (the run chooses how many lines there are; a
    path's newline is escaped), only blocks naming an unlinked file on a device ``marks``
    gives, or shared memory, parsed: 500,000 lines of shared memory, parsed, took 0.7 CPU-s a
    poll (a cost :data:`MAX_MAPPINGS` bounds; an honest process maps a few)."""
    found: list[tuple[int, int, int, bool]] = []
    marks = [*marks, *_SHARED_MEMORY]
    lines, rest = 0, b""
    try:
        with open(f"/proc/{pid}/maps", "rb") as handle:
            while block := handle.read(1 << 16):
                lines += block.count(b"\n")
                if lines > room:
                    return None
                whole, _, rest = (rest + block).rpartition(b"\n")
                if b" (deleted)" in whole and any(mark in whole for mark in marks):
                    found += filter(
                        None, map(_unlinked, whole.decode(errors="replace").split("\n"))
                    )
    except OSError:
        pass
    return found, lines


def _unlinked(line: str) -> tuple[int, int, int, bool] | None:
    """``(device, inode, bytes, shared memory or not)`` of one ``maps`` line naming an
    unlinked file, else None."""
    parts = line.split(maxsplit=5)
    if len(parts) < 6 or not parts[5].endswith(" (deleted)"):
        return None
    start, _, end = parts[0].partition("-")
    major, _, minor = parts[3].partition(":")
    try:
        device = os.makedev(int(major, 16), int(minor, 16))
        shared = parts[5].encode().startswith(_SHARED_MEMORY)  # its size: at least its end
        reach = int(end, 16) - int(start, 16) + (int(parts[2], 16) if shared else 0)
        return device, int(parts[4]), reach, shared
    except ValueError:
        return None
