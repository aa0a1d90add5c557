"""Resource limits of a run: memory, processes, file size (set in the child) and disk (measured).

The child gets them from a small exec'd chain of the system's own programs (:meth:`Limits.
start`), not from Python code run between fork and exec: that code would forbid the ``vfork``
start, and each run would copy the whole agent's page tables (25 ms a start in a 400 MB process,
against 2.5 ms). The system shell joins the run's groups, ``prlimit`` sets the limits, and
only then is the run's own program exec'd, so nothing of the checkout runs without them.

Processes are capped by ``RLIMIT_NPROC`` and, for root (which the kernel exempts), by a pids
cgroup of the run's own; a run's memory, the kernel's for it included, by a memory cgroup of
its own where one can be made (:class:`RunGroups`); the disk a run writes is measured from
outside: its folders (:func:`tree_bytes`) and what its processes hold outside them
(:mod:`.held`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import resource
import signal
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.sandbox.environment import system_program
from cicd_agent.sandbox.walk import Visitor, walk

_GIB = 1 << 30

WRITABLE_FACTOR = 4
"""A process's writable memory, in memory limits, where the run's memory group bounds what it
touches: vitest 3 with V8 coverage (rollup's native parser, built with mimalloc, which maps
its arenas writable) aborted in 3 of 6 starts under a 4 GiB limit and in 0 of 6 under 16 GiB."""

ENTRY_BYTES = 4096
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
    others_bytes: int = 2 * _GIB
    """What other processes may write to a run's file systems while it runs, unblamed: a fall
    of free space the run's own folders and files do not explain counts against it only past
    this and :attr:`disk_bytes` (:mod:`cicd_agent.sandbox.disk`)."""

    def writable_bytes(self, *, bounded: bool) -> int:
        """The writable memory one process may map, with a memory group (``bounded``) or not."""
        return self.memory_bytes * (WRITABLE_FACTOR if bounded else 1)

    def start(self, groups: RunGroups) -> list[str]:
        """The argv prefix that starts a command in ``groups`` and under these limits (empty
        where the system lacks a shell or ``prlimit`` in its own folders: the caller then
        sets them in the child with :meth:`apply`, slower and alike). The chain holds no
        Python code, so the child is started with ``vfork``."""
        tools = limit_tools()
        if tools is None:
            return []
        shell, prlimit = tools
        memory = str(groups.memory / "cgroup.procs") if groups.memory is not None else ""
        others = [str(group / "cgroup.procs") for group in groups.paths if group != groups.memory]
        numbers = (
            self.processes,
            self.file_bytes,
            *(self.writable_bytes(bounded=bounded) for bounded in (False, True)),
        )
        return [
            shell,
            "-c",
            _STUB,
            "cicd-agent-limits",
            prlimit,
            *map(str, numbers),
            memory,
            *others,
            "--",
        ]

    def apply(self, groups: RunGroups) -> None:
        """Set the limits in the calling process (run in the child before exec where
        :meth:`start` finds no tools), after joining the run's ``groups``
        (:class:`RunGroups`). Memory is bounded as writable memory (``RLIMIT_DATA``), not
        address space: each WebAssembly memory of V8 reserves about 10 GiB it never touches,
        made inaccessible, which an address-space limit counts and refuses. It is the memory
        limit where no memory group bounds the run, :data:`WRITABLE_FACTOR` times it where one
        does (the group counts what is touched)."""
        bounded = groups.join()
        for limit, value in (
            (resource.RLIMIT_DATA, self.writable_bytes(bounded=bounded)),
            (resource.RLIMIT_NPROC, self.processes),
            (resource.RLIMIT_FSIZE, self.file_bytes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(limit, (value, value))


_STUB = """\
prlimit=$1 nproc=$2 fsize=$3 data=$4 bounded=$5 memory=$6
shift 6
if [ -n "$memory" ]; then { echo 0 >"$memory" && data=$bounded; } 2>/dev/null; fi
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do { echo 0 >"$1"; } 2>/dev/null; shift; done
shift
exec "$prlimit" --data="$data" --nproc="$nproc" --fsize="$fsize" --core=0 -- "$@"
"""
"""What :meth:`Limits.start` runs: the run's groups joined (a group it cannot join leaves the
rlimits alone, as :meth:`RunGroups.join`), the writable-memory limit chosen by whether it is in
the memory group, then ``prlimit`` sets every limit, soft and hard, and execs the command. Only
builtins and quoted expansions: no ``PATH`` look-up, no field splitting (an unconfined run's
environment, ``IFS`` included, is the job's)."""


@functools.cache
def limit_tools() -> tuple[str, str] | None:
    """The system's shell (``dash`` where there is one: it starts fastest) and ``prlimit``
    (util-linux), found by :func:`system_program`; None when either is missing (a minimal
    image without util-linux)."""
    shell = system_program("dash") or system_program("sh")
    prlimit = system_program("prlimit")
    return (shell, prlimit) if shell is not None and prlimit is not None else None


_SHORT = re.compile(
    r"MemoryError|Cannot allocate memory|out of memory|memory allocation of \d+ bytes failed|"
    r"std::bad_alloc|ENOMEM|Cannot allocate Wasm memory",
    re.IGNORECASE,
)
"""What a process prints when an allocation fails (Python, libc, node and V8, Rust, C++)."""


def short_of_memory(output: str, limits: Limits, *, bounded: bool) -> str:
    """The sandbox's memory limit in words when a failed run's ``output`` says it ran short of
    memory ("" when it does not say so): the limit may be what refused it, and the reader
    must know it exists to tell."""
    if _SHORT.search(output[-20_000:]) is None:
        return ""
    writable = limits.writable_bytes(bounded=bounded) >> 20
    return (
        f"it ran short of memory; the sandbox lets each process map {writable} MiB of writable "
        "memory (RLIMIT_DATA), a limit of cicd-agent's own that no setting raises"
    )


_CGROUPS = Path("/sys/fs/cgroup")

_group_numbers = itertools.count(1)


@dataclass(frozen=True)
class RunGroups:
    """The cgroups a run joins: its processes (for root, whom ``RLIMIT_NPROC`` exempts) and
    its memory, processes' and the kernel's for them alike (data queued in sockets is in no
    address space, so ``RLIMIT_AS`` never sees it). Made where this process may make them
    (root, or a delegated cgroup); elsewhere the rlimits alone apply."""

    paths: tuple[Path, ...] = ()
    memory: Path | None = None

    @classmethod
    def make(cls, limits: Limits) -> RunGroups:
        paths: list[Path] = []
        memory = None
        name = f"cicd-agent-{os.getpid()}-{next(_group_numbers)}"
        if os.geteuid() == 0:
            pids = _group(_CGROUPS / "pids", "pids", name, {"pids.max": limits.processes})
            pids = pids or _group(_CGROUPS, "", name, {"pids.max": limits.processes})
            paths += [pids] if pids is not None else []
        settings = {"memory.limit_in_bytes": limits.memory_bytes, "memory.swappiness": 0}
        memory = _group(_CGROUPS / "memory", "memory", name, settings)
        if memory is None:
            settings = {"memory.max": limits.memory_bytes, "memory.swap.max": 0}
            memory = _group(_CGROUPS, "", name, {**settings, "memory.oom.group": 1})
        return cls((*paths, *([memory] if memory is not None else [])), memory)

    def join(self) -> bool:
        """Move the calling process into every group (run in the child before exec); whether
        it is in the memory group."""
        joined = False
        for group in self.paths:
            with contextlib.suppress(OSError):  # then only the rlimits apply
                (group / "cgroup.procs").write_text("0")
                joined = joined or group == self.memory
        return joined

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the run for the memory group's limit."""
        if self.memory is None:
            return False
        for name in ("memory.events", "memory.oom_control"):
            with contextlib.suppress(OSError):
                for line in (self.memory / name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and value.strip().isdigit():
                        return int(value) > 0
        return False

    def remove(self) -> None:
        """Kill what is left in the groups and remove them. A process that left the run's
        session (``setsid``, or bwrap's own) escapes a process-group kill but not its cgroup;
        a group is only removable once its last process is reaped, which takes a moment after
        the kill, so the removal waits for that (bounded: a stuck task leaves the group)."""
        for group in self.paths:
            _kill_members(group)
        deadline = time.monotonic() + _REMOVAL_WAIT
        for group in self.paths:
            while not remove_group(group) and time.monotonic() < deadline:
                _kill_members(group)
                time.sleep(0.02)


_REMOVAL_WAIT = 5.0
"""Seconds :meth:`RunGroups.remove` waits for a group's killed processes to be reaped."""


def _kill_members(group: Path) -> None:
    """SIGKILL every process in ``group`` (``cgroup.kill`` where the kernel has it). A pid
    read from ``cgroup.procs`` may be reaped and reused by a process outside the run before
    the signal, so each is signalled through a pidfd, opened first and used only if the pid
    is still in the group after it: a live process owns its pid, so the pidfd's process is
    then the member (or dead, and the signal reaches nobody)."""
    with contextlib.suppress(OSError):
        (group / "cgroup.kill").write_text("1")
        return
    for pid in _members(group):
        try:
            handle = os.pidfd_open(pid)
        except OSError:
            continue  # gone already
        try:
            if pid in _members(group):
                signal.pidfd_send_signal(handle, signal.SIGKILL)
        except OSError:
            pass
        finally:
            os.close(handle)


def _members(group: Path) -> set[int]:
    try:
        return {int(pid) for pid in (group / "cgroup.procs").read_text().split()}
    except (OSError, ValueError):
        return set()


def _own(hierarchy: Path, controller: str) -> Path:
    """This process's own cgroup in ``hierarchy`` (a run's group goes below it, inside the
    limits this process is under), else the hierarchy's root."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(",") or (not controller and not controllers):
                own = hierarchy / path.lstrip("/")
                if (own / "cgroup.procs").is_file():
                    return own
    return hierarchy


def _group(hierarchy: Path, controller: str, name: str, settings: dict[str, int]) -> Path | None:
    """A new cgroup ``name`` below our own in ``hierarchy`` with ``settings`` written (the
    first one must take; the rest are best effort), or None where none can be made."""
    if not (hierarchy / "cgroup.procs").is_file():
        return None
    for parent in dict.fromkeys((_own(hierarchy, controller), hierarchy)):
        group = parent / name
        try:
            group.mkdir()
            first, *rest = settings.items()
            (group / first[0]).write_text(str(first[1]))
        except OSError:
            remove_group(group)
            continue
        for setting, value in rest:
            with contextlib.suppress(OSError):
                (group / setting).write_text(str(value))
        return group
    return None


def remove_group(group: Path) -> bool:
    """Remove ``group``; whether it is gone (False while a process is still in it)."""
    try:
        group.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def tree_bytes(root: Path) -> int:
    """What ``root`` takes on disk: every file, folder and link, each at the larger of its size,
    its blocks and one block (empty folders and empty files take blocks or inodes too), a file
    with several names at its size once and one block a further name (an installer links
    files from its cache: uv does by default, and each name counted at the file's size
    killed an honest run; a name at nothing would let a run make more names than any
    walk can read for the cost of their folder's blocks), walked
    by descriptors (:func:`cicd_agent.sandbox.walk.walk`), so no depth or path length hides
    anything below. Something gone or closed to us during the walk counts nothing (the file
    system's free count still sees its blocks: :mod:`cicd_agent.sandbox.disk`). Measure a run's
    folders with its processes stopped (:func:`cicd_agent.sandbox.held.still`): one renaming
    folders as they are walked hides what lies below them."""
    total = _Total()
    walk(root, total)
    return total.bytes


class _Total(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0
        self._linked: set[tuple[int, int]] = set()

    def entry(self, folder: int, name: str, found: os.stat_result) -> bool:
        if found.st_nlink > 1 and not stat.S_ISDIR(found.st_mode):
            file = (found.st_dev, found.st_ino)
            if file in self._linked:  # its blocks are counted: this name, as any entry,
                self.bytes += ENTRY_BYTES  # at one block, so entries stay few to walk
                return True
            self._linked.add(file)
        self.bytes += max(found.st_size, found.st_blocks * 512, ENTRY_BYTES)
        return True
