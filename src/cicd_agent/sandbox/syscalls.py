"""The system calls a run may not make: a seccomp filter bwrap installs (``--seccomp FD``).

Each refused call fails with ``EPERM`` (``fallocate`` with ``EOPNOTSUPP``); a test run never
needs one, and each gives a run something no other measure sees:

- ``fallocate``: blocks in one call, as many as the disk holds, between two measures of the
  run's disk, and with ``FALLOC_FL_KEEP_SIZE`` past the file limit too (64 MiB in one call
  under an 8 MiB one): the runner's disk full before the next poll, until the sandbox is
  removed. ``EOPNOTSUPP`` is what a file system without it answers, and the C library's
  ``posix_fallocate`` then writes the blocks instead, which the file limit bounds and the
  disk's own pace slows;
- System V shared memory, semaphores and message queues (``shmget``, ``semget``,
  ``msgget``): a run lives in its own IPC namespace, and the objects it creates there hold
  memory in no process's address space and in no file the host can find (:mod:`.held` counts
  unlinked files and memfds), until the run ends, hundreds of MiB past the memory limit
  (32000 of each may exist). Test suites share
  memory and semaphores the POSIX way (``/dev/shm``, a bounded tmpfs in the sandbox, and
  ``multiprocessing`` uses nothing else), practically never System V's; so nothing exists to
  attach, lock or send to. (A cost: a server that needs System V objects, PostgreSQL's small
  interlock segment for one, does not start in the sandbox.)
- the kernel's keyrings (``add_key``, ``keyctl``, ``request_key``): a key outlives the run
  that stored it, in the session keyring the agent's runs inherit or a user's keyring, so a
  test can pass on every run after its first by a marker it stored;
- ``memfd_secret``: its files hold memory in no address space, as ``memfd_create``'s do,
  but are not the memory files :mod:`.held` counts (``/secretmem``), and their pages are
  unevictable, past any memory limit;
- ``io_uring_setup``, ``io_uring_enter``, ``io_uring_register``: a second way to make
  every file and network call, which no other filter here would see, and a frequent source
  of kernel flaws (Docker's and Android's filters refuse it too);
- ``ptrace``, ``process_vm_readv``, ``process_vm_writev``, ``pidfd_getfd``: reading and
  steering another process of the run (a test's own debugger has no place in CI), the
  first step of undoing a measure from inside;
- ``perf_event_open``, ``bpf``, ``userfaultfd``, ``kexec_load``, ``kexec_file_load``,
  ``init_module``, ``finit_module``, ``delete_module``, ``open_by_handle_at``: kernel
  facilities no test run uses, most refused anyway without capabilities, refused here so
  that no kernel setting (``unprivileged_bpf_disabled``, ``perf_event_paranoid``) decides;
- every call of the x32 ABI (x86_64 numbers with bit ``0x40000000``): no runner's program
  uses it, and its numbering differs from x86_64's for some calls above.

Why a list of refusals, not a list of the calls a run may make: a test suite runs the
project's own interpreter, compilers, databases and browsers, and an allow-list breaks the
first one that uses a call nobody listed (``close_range``, ``rseq``, ``clone3`` came within a
few kernel releases), with a bare ``EPERM`` nobody can read as "the sandbox's filter". The
calls above are the ones with a known use against the run's measures or the kernel; an
ordinary suite (processes, threads, POSIX shared memory) passes under the filter, which a
test keeps true.

Why a hand-built program, not a library: libseccomp's own Python bindings are built against
the C library and shipped by distributions (``python3-seccomp``), not on the package index,
which holds only forks and small wrappers. Any of them adds a dependency, and most a shared
library on every runner, to produce what is here a few dozen classic-BPF instructions in the
kernel's fixed format (``struct sock_filter``, ``<linux/filter.h>``) over
``struct seccomp_data`` (``<linux/seccomp.h>``), each one named below; the module imports
nothing beyond the standard library.

Which calls: the filter sees the call's architecture, so each ABI a process on the host can
use is checked with its own numbers (``<asm/unistd_64.h>``, ``unistd_32.h``,
``<asm-generic/unistd.h>``, arm's ``syscall.tbl``): x86_64, its x32 numbering (the same
numbers with bit ``0x40000000``), i386 through ``int 0x80`` (its own calls and the old
``ipc`` multiplexer, 117, whose first argument names the call), aarch64 and 32-bit arm.
Any other architecture is let through unfiltered: the sandbox runs on x86_64 and aarch64
runners, and a filter with guessed numbers would refuse the wrong calls.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

_LOAD = 0x20  # BPF_LD | BPF_W | BPF_ABS: A = 32-bit word at offset k of seccomp_data
_AND = 0x54  # BPF_ALU | BPF_AND | BPF_K: A &= k
_JUMP_IF_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K: skip jt if A == k, else skip jf
_JUMP_IF_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K: skip jt if A >= k, else skip jf
_RETURN = 0x06  # BPF_RET | BPF_K: the verdict k

_NUMBER = 0  # offsetof(struct seccomp_data, nr)
_ARCH = 4  # offsetof(struct seccomp_data, arch)
_FIRST_ARGUMENT = 16  # offsetof(struct seccomp_data, args[0]), its low half (little-endian)

_ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
_REFUSE = 0x00050000 | 1  # SECCOMP_RET_ERRNO | EPERM
_UNSUPPORTED = 0x00050000 | 95  # SECCOMP_RET_ERRNO | EOPNOTSUPP

_X86_64 = 0xC000003E  # AUDIT_ARCH_X86_64
_I386 = 0x40000003  # AUDIT_ARCH_I386
_AARCH64 = 0xC00000B7  # AUDIT_ARCH_AARCH64
_ARM = 0x40000028  # AUDIT_ARCH_ARM
_X32 = 0x40000000  # __X32_SYSCALL_BIT

_SYSTEM_V = {
    "x86_64": (29, 64, 68),
    "i386": (395, 393, 399),
    "generic": (194, 190, 186),
    "arm": (307, 299, 303),
}
"""``shmget``, ``semget``, ``msgget``."""
_KEYRINGS = {
    "x86_64": (248, 249, 250),
    "i386": (286, 287, 288),
    "generic": (217, 218, 219),
    "arm": (309, 310, 311),
}
"""``add_key``, ``request_key``, ``keyctl``."""
_IO_URING = (425, 426, 427)
"""``io_uring_setup``, ``io_uring_enter``, ``io_uring_register``: one number everywhere."""
_FALLOCATE = {"x86_64": 285, "i386": 324, "generic": 47, "arm": 352}
"""``fallocate``, answered :data:`_UNSUPPORTED`."""
_SECRET_MEMORY = (447,)
"""``memfd_secret``: one number everywhere (unassigned where the kernel lacks it)."""
_OTHER_PROCESSES = {
    "x86_64": (101, 310, 311, 438),
    "i386": (26, 347, 348, 438),
    "generic": (117, 270, 271, 438),
    "arm": (26, 376, 377, 438),
}
"""``ptrace``, ``process_vm_readv``, ``process_vm_writev``, ``pidfd_getfd``."""
_KERNEL = {
    "x86_64": (298, 321, 323, 246, 320, 175, 313, 176, 304),
    "i386": (336, 357, 374, 283, 128, 350, 129, 342),
    "generic": (241, 280, 282, 104, 294, 105, 273, 106, 265),
    "arm": (364, 386, 388, 347, 401, 128, 379, 129, 371),
}
"""``perf_event_open``, ``bpf``, ``userfaultfd``, ``kexec_load``, ``kexec_file_load`` (none
on i386), ``init_module``, ``finit_module``, ``delete_module``, ``open_by_handle_at``."""


def _numbers(table: str) -> tuple[int, ...]:
    """Every refused call's number in one architecture's table (``generic``: aarch64's)."""
    return (
        *_SYSTEM_V[table],
        *_KEYRINGS[table],
        *_IO_URING,
        *_SECRET_MEMORY,
        *_OTHER_PROCESSES[table],
        *_KERNEL[table],
    )


_I386_CALLS = _numbers("i386")
_I386_IPC = 117
_IPC_CALLS = (23, 2, 13)  # the ipc() multiplexer's SHMGET, SEMGET, MSGGET (its low 16 bits)

_REFUSED: tuple[tuple[int, tuple[int, ...], int], ...] = (
    (_X86_64, _numbers("x86_64"), _FALLOCATE["x86_64"]),
    (_AARCH64, _numbers("generic"), _FALLOCATE["generic"]),
    (_ARM, _numbers("arm"), _FALLOCATE["arm"]),
)
"""Per architecture, the numbers refused and ``fallocate``'s (i386 is checked apart, for its
multiplexer)."""

Instruction = tuple[int, int, int, int]
"""One ``struct sock_filter``: code, jump-if-true, jump-if-false, constant. A jump counts
the instructions it skips."""


def _any_of(values: Sequence[int], then: int) -> list[Instruction]:
    """Tests of A against ``values``: a match skips to ``then`` instructions past the last
    test, no match goes on after it."""
    last = len(values) - 1
    return [(_JUMP_IF_EQUAL, last - index + then, 0, value) for index, value in enumerate(values)]


def _refuse_on(
    arch: int, numbers: Sequence[int], fallocate: int, after: Sequence[Instruction]
) -> list[Instruction]:
    """Calls ``numbers`` of ``arch`` get ``EPERM``, its ``fallocate`` ``EOPNOTSUPP``, its
    other calls pass; ``after`` decides for any other architecture. On x86_64, every x32
    call is refused too."""
    x32 = [(_JUMP_IF_AT_LEAST, len(numbers) + 2, 0, _X32)] if arch == _X86_64 else []
    return [
        (_LOAD, 0, 0, _ARCH),
        (_JUMP_IF_EQUAL, 0, len(x32) + len(numbers) + 5, arch),  # past number, tests, verdicts
        (_LOAD, 0, 0, _NUMBER),
        *x32,
        (_JUMP_IF_EQUAL, len(numbers) + 2, 0, fallocate),  # to unsupported
        *_any_of(numbers, then=1),
        (_RETURN, 0, 0, _ALLOW),
        (_RETURN, 0, 0, _REFUSE),
        (_RETURN, 0, 0, _UNSUPPORTED),
        *after,
    ]


def _i386() -> list[Instruction]:
    """i386's own calls and ``ipc(SHMGET | SEMGET | MSGGET, ...)`` get ``EPERM``, its
    ``fallocate`` ``EOPNOTSUPP``; every other call passes, of i386 or of an architecture no
    block named."""
    numbers, calls = len(_I386_CALLS), len(_IPC_CALLS)
    return [
        (_LOAD, 0, 0, _ARCH),
        (_JUMP_IF_EQUAL, 0, numbers + calls + 5, _I386),  # to allow
        (_LOAD, 0, 0, _NUMBER),
        (_JUMP_IF_EQUAL, numbers + calls + 5, 0, _FALLOCATE["i386"]),  # to unsupported
        *_any_of(_I386_CALLS, then=calls + 4),  # to refuse
        (_JUMP_IF_EQUAL, 0, calls + 2, _I386_IPC),  # to allow
        (_LOAD, 0, 0, _FIRST_ARGUMENT),
        (_AND, 0, 0, 0xFFFF),  # the high half carries the call's version
        *_any_of(_IPC_CALLS, then=1),
        (_RETURN, 0, 0, _ALLOW),
        (_RETURN, 0, 0, _REFUSE),
        (_RETURN, 0, 0, _UNSUPPORTED),
    ]


def program() -> list[Instruction]:
    """The whole filter, one block per architecture, i386 last."""
    instructions = _i386()
    for arch, numbers, fallocate in reversed(_REFUSED):
        instructions = _refuse_on(arch, numbers, fallocate, instructions)
    return instructions


def compiled() -> bytes:
    """:func:`program` as the kernel reads it: native byte order, 8 bytes an instruction."""
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program())


@contextmanager
def filter_fd(wanted: bool = True) -> Iterator[int]:
    """A fresh pipe's read end holding :func:`compiled` and its end (bwrap reads it to the
    end, once), closed on leaving: give it to bwrap as ``--seccomp FD`` in ``pass_fds``.
    -1 when not ``wanted`` (a run without bwrap)."""
    if not wanted:
        yield -1
        return
    read_end, write_end = os.pipe()
    try:
        try:
            os.write(write_end, compiled())  # far below a pipe's buffer: never blocks
        finally:
            os.close(write_end)
        yield read_end
    finally:
        os.close(read_end)


def seccomp_option(fd: int) -> tuple[str, ...]:
    return ("--seccomp", str(fd))
