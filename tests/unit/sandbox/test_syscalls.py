"""The sandbox's seccomp filter (:mod:`cicd_agent.sandbox.syscalls`) refuses System V IPC
objects and nothing an ordinary test suite needs; and bwrap installs it on both of the
sandbox's paths (an agent run by a user, an agent run as root). Every run is real bubblewrap."""

from __future__ import annotations

import os
import struct
import sys
import textwrap
from pathlib import Path

import pytest

from cicd_agent.sandbox import Confinement, Limits, Sandbox
from cicd_agent.sandbox.isolation import USER_FLAGS
from cicd_agent.sandbox.syscalls import compiled
from tests.helpers.gen_tests import PROJECT_PYTHON, path_env
from tests.helpers.sandbox import needs_sandbox

_SUITE = textwrap.dedent(
    """
    import ctypes
    from multiprocessing import Pool, shared_memory

    libc = ctypes.CDLL(None, use_errno=True)


    def square(number):
        return number * number


    def test_posix_shared_memory_is_shared():
        block = shared_memory.SharedMemory(create=True, size=1 << 20)
        try:
            block.buf[:5] = b"hello"
            other = shared_memory.SharedMemory(name=block.name)
            assert bytes(other.buf[:5]) == b"hello"
            other.close()
        finally:
            block.close()
            block.unlink()


    def test_a_process_pool_works():
        with Pool(2) as pool:
            assert pool.map(square, range(5)) == [0, 1, 4, 9, 16]


    def test_system_v_objects_are_refused():
        for made in (  # IPC_PRIVATE, IPC_CREAT | 0600
            libc.shmget(0, 1 << 20, 0o1600),
            libc.semget(0, 1, 0o1600),
            libc.msgget(0, 0o1600),
        ):
            assert (made, ctypes.get_errno()) == (-1, 1)  # EPERM
    """
)

_SHMGET = (
    "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); print('uid', os.getuid()); "
    "print('shmget', libc.shmget(0, 1 << 20, 0o1600), 'errno', ctypes.get_errno())"
)


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}


@needs_sandbox
def test_an_ordinary_suite_runs_under_the_filter(tmp_path: Path) -> None:
    """pytest with POSIX shared memory (``/dev/shm``) and a process pool (its semaphores live
    there too) passes in the sandbox, where System V objects are refused."""
    checkout = tmp_path / "checkout"
    (checkout / "tests").mkdir(parents=True)
    (checkout / "tests" / "test_ipc.py").write_text(_SUITE)
    with Sandbox(checkout, _env(tmp_path), limits=Limits()) as box:
        result = box.run(
            [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            box.workspace("suite"),
            timeout=120,
        )
    assert result.returncode == 0, result.describe()
    assert "3 passed" in result.output, result.output


@needs_sandbox
def test_the_filter_is_installed_with_an_unprivileged_agents_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent run by a user gives bwrap other flags (its own user namespace, no drop to
    ``nobody``) than one run as root: ``shmget`` is refused on that path too. Run as root,
    the test gives the sandbox the user's confinement (bwrap's own flags, the same argv a
    user's agent builds, the run root in its own user namespace, not ``nobody``); run by a
    user, that is the sandbox's own path already."""
    if os.geteuid() == 0:
        monkeypatch.setattr("cicd_agent.sandbox.run.confinement", lambda: Confinement(USER_FLAGS))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    with Sandbox(checkout, _env(tmp_path), limits=Limits()) as box:
        assert box.isolation.sandboxed, box.isolation.detail
        result = box.run([sys.executable, "-c", _SHMGET], box.workspace("user"), timeout=60)
    assert f"uid {os.geteuid()}\n" in result.output, result.output  # the user's path, not nobody
    assert "shmget -1 errno 1" in result.output, result.describe()


def _verdict(arch: int, number: int, first: int = 0) -> int:
    """What the compiled filter answers for one call: the classic-BPF subset it uses, read
    as the kernel reads it (``struct sock_filter``, then ``struct seccomp_data``)."""
    data = struct.pack("=iIQ6Q", number, arch, 0, first, 0, 0, 0, 0, 0)
    program = list(struct.iter_unpack("=HBBI", compiled()))
    at, accumulator = 0, 0
    for _ in range(len(program)):  # no loops in classic BPF: every jump goes forward
        code, if_true, if_false, constant = program[at]
        at += 1
        if code == 0x20:
            (accumulator,) = struct.unpack_from("=I", data, constant)
        elif code == 0x54:
            accumulator &= constant
        elif code == 0x15:
            at += if_true if accumulator == constant else if_false
        elif code == 0x35:
            at += if_true if accumulator >= constant else if_false
        elif code == 0x06:
            return constant
        else:
            raise AssertionError(f"unexpected instruction {code:#x}")
    raise AssertionError("the filter ran off its end")


_ALLOW, _EPERM, _UNSUPPORTED = 0x7FFF0000, 0x00050001, 0x0005005F
_X86_64, _I386, _AARCH64, _ARM = 0xC000003E, 0x40000003, 0xC00000B7, 0x40000028


@pytest.mark.parametrize(
    ("arch", "number", "first", "verdict"),
    [
        (_X86_64, 29, 0, _EPERM),  # shmget
        (_X86_64, 64, 0, _EPERM),  # semget
        (_X86_64, 68, 0, _EPERM),  # msgget
        (_X86_64, 0x40000000 | 29, 0, _EPERM),  # x32 shmget
        (_X86_64, 0x40000000 | 68, 0, _EPERM),  # x32 msgget
        (_X86_64, 30, 0, _ALLOW),  # shmat: no segment to attach
        (_X86_64, 65, 0, _ALLOW),  # semop
        (_X86_64, 194, 0, _ALLOW),  # aarch64's shmget number means another call here
        (_AARCH64, 194, 0, _EPERM),  # shmget
        (_AARCH64, 190, 0, _EPERM),  # semget
        (_AARCH64, 186, 0, _EPERM),  # msgget
        (_AARCH64, 29, 0, _ALLOW),  # ioctl on aarch64
        (_ARM, 307, 0, _EPERM),  # shmget
        (_ARM, 299, 0, _EPERM),  # semget
        (_ARM, 303, 0, _EPERM),  # msgget
        (_ARM, 29, 0, _ALLOW),  # pause
        (_I386, 395, 0, _EPERM),  # shmget
        (_I386, 393, 0, _EPERM),  # semget
        (_I386, 399, 0, _EPERM),  # msgget
        (_I386, 117, 23, _EPERM),  # ipc(SHMGET)
        (_I386, 117, 2, _EPERM),  # ipc(SEMGET)
        (_I386, 117, 13, _EPERM),  # ipc(MSGGET)
        (_I386, 117, (1 << 16) | 23, _EPERM),  # the call's version in the high half
        (_I386, 117, 1, _ALLOW),  # ipc(SEMOP)
        (_I386, 29, 0, _ALLOW),
        (0xC00000F3, 194, 0, _ALLOW),  # riscv64: no numbers known here, let through
        (_X86_64, 250, 0, _EPERM),  # keyctl
        (_X86_64, 0x40000000 | 0, 0, _EPERM),  # x32 read: the whole x32 ABI is refused
        (_X86_64, 0x40000000 | 521, 0, _EPERM),  # x32's own ptrace number
        (_X86_64, 0, 0, _ALLOW),  # read
        (_X86_64, 435, 0, _ALLOW),  # clone3
        (_AARCH64, 219, 0, _EPERM),  # keyctl
        (_AARCH64, 217, 0, _EPERM),  # add_key
        (_AARCH64, 117, 0, _EPERM),  # ptrace
        (_AARCH64, 425, 0, _EPERM),  # io_uring_setup
        (_AARCH64, 447, 0, _EPERM),  # memfd_secret
        (_I386, 447, 0, _EPERM),  # memfd_secret
        (_AARCH64, 220, 0, _ALLOW),  # clone
        (_ARM, 311, 0, _EPERM),  # keyctl
        (_ARM, 26, 0, _EPERM),  # ptrace
        (_ARM, 427, 0, _EPERM),  # io_uring_register
        (_ARM, 120, 0, _ALLOW),  # clone
        (_I386, 288, 0, _EPERM),  # keyctl
        (_I386, 26, 0, _EPERM),  # ptrace
        (_I386, 426, 0, _EPERM),  # io_uring_enter
        (_I386, 120, 0, _ALLOW),  # clone
        (_X86_64, 285, 0, _UNSUPPORTED),  # fallocate
        (_X86_64, 0x40000000 | 285, 0, _EPERM),  # x32 fallocate: the x32 ABI first
        (_X86_64, 284, 0, _ALLOW),  # eventfd
        (_AARCH64, 47, 0, _UNSUPPORTED),  # fallocate
        (_AARCH64, 46, 0, _ALLOW),  # ftruncate
        (_ARM, 352, 0, _UNSUPPORTED),  # fallocate
        (_ARM, 351, 0, _ALLOW),  # timerfd_create
        (_I386, 324, 0, _UNSUPPORTED),  # fallocate
        (_I386, 323, 0, _ALLOW),  # eventfd
    ],
)
def test_the_filter_refuses_its_calls_by_each_architectures_numbers(
    arch: int, number: int, first: int, verdict: int
) -> None:
    """The numbers the kernel checks on this host are pinned by real runs above; these pin
    the others (aarch64, arm, an unknown architecture) against the same program."""
    assert _verdict(arch, number, first) == verdict


_ALLOCATES = textwrap.dedent(
    """
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    kept = os.open("kept-size", os.O_CREAT | os.O_RDWR, 0o600)
    done = libc.fallocate(kept, 1, 0, 64 << 20)  # FALLOC_FL_KEEP_SIZE
    print("keep-size", done, os.strerror(ctypes.get_errno()) if done else "", flush=True)
    print("allocated", os.fstat(kept).st_blocks * 512 >> 20, "MiB", flush=True)
    honest = os.open("honest", os.O_CREAT | os.O_RDWR, 0o600)
    os.posix_fallocate(honest, 0, 1 << 20)  # the C library writes the blocks instead
    print("posix_fallocate", os.fstat(honest).st_size, flush=True)
    """
)


@needs_sandbox
def test_a_run_cannot_allocate_blocks_in_one_call(tmp_path: Path) -> None:
    """Attack (found by the fifth red team): ``fallocate`` takes blocks at once, as many as
    the disk holds, and with ``FALLOC_FL_KEEP_SIZE`` past the file limit too: 64 MiB in one
    call under an 8 MiB limit, the runner's whole disk as easily, filled before the next
    measure and left full until the sandbox is removed. The filter answers ``EOPNOTSUPP``,
    as a file system without the call does; ``posix_fallocate`` still works, by writing."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    limits = Limits(disk_bytes=128 << 20, file_bytes=8 << 20)
    with Sandbox(checkout, _env(tmp_path), limits=limits) as box:
        result = box.run([sys.executable, "-c", _ALLOCATES], box.workspace("fill"), timeout=60)
    assert "keep-size -1 Operation not supported\nallocated 0 MiB\n" in result.output, result.output
    assert "posix_fallocate 1048576" in result.output, result.describe()
