"""What a run's processes hold that no folder shows (``sandbox/held.py``), measured from
outside on a real child process: an unlinked file kept open on a watched file system, one only
mapped, a memory file, and nothing of either once the child lets go."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from cicd_agent.sandbox import Limits, Sandbox
from cicd_agent.sandbox.held import (
    _CHILDREN_LISTED,
    MAX_DESCRIPTORS,
    MAX_MAPPINGS,
    Held,
    _children_below,
    _parents_below,
    held,
    still,
)
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

CHILD = textwrap.dedent(
    """
    import ctypes, mmap, os, sys
    path = sys.argv[1]
    with open(path, "wb") as handle:
        handle.write(b"x" * 200_000)
    kept = open(path, "rb")
    os.unlink(path)
    libc = ctypes.CDLL(None)  # Python's mmap would keep a descriptor: libc's keeps none
    libc.mmap.restype, libc.mmap.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t,
        ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    with open(path + "-mapped", "w+b") as handle:  # mapped only, among shared memory's lines
        handle.truncate(400_000)
        libc.mmap(None, 400_000, mmap.PROT_READ, mmap.MAP_SHARED, handle.fileno(), 0)
    os.unlink(path + "-mapped")
    shared = [mmap.mmap(-1, 4096) for _ in range(9999)]
    memory = os.memfd_create("held-test")
    os.write(memory, b"y" * 300_000)
    print("ready", flush=True)
    sys.stdin.read()
    """
)


def test_unlinked_files_open_or_mapped_and_a_memory_file_are_counted_until_released(
    tmp_path: Path,
) -> None:
    device = os.stat(tmp_path).st_dev
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "filler")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        found = held(child.pid, {device})
        assert found.disk >= 600_000 and found.memory >= 300_000
        assert held(child.pid, set()).disk == 0  # another file system is not the run's
    finally:
        child.communicate("", timeout=60)
    assert held(child.pid, {device}) == Held()  # it ended: nothing held


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        return handle.read().rpartition(b")")[2].split()[0].decode()


def test_the_measure_of_a_stopped_run_counts_its_processes_and_no_other(tmp_path: Path) -> None:
    """Attack: a process outside the run holding files on the same file system (as one would
    that took a pid the run's processes once had) is neither stopped nor measured; the run's
    process is stopped, measured from the list taken once it had stopped, and continued."""
    device = os.stat(tmp_path).st_dev
    run, outside = (
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path / name)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("run", "outside")
    )
    try:
        for child in (run, outside):
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
        with still(run.pid) as processes:
            assert processes == [run.pid]
            assert _state(run.pid) == "T" and _state(outside.pid) != "T"
            found = held(run.pid, {device}, processes)
        shared = 9999 * 4096  # the shared memory it maps counts as memory too
        assert 600_000 <= found.disk < 1_200_000
        assert 300_000 + shared <= found.memory < 600_000 + shared
        assert _state(run.pid) != "T"  # continued
    finally:
        for child in (run, outside):
            child.communicate("", timeout=60)


_TREE = textwrap.dedent(
    """
    import os, sys, threading, time
    def child(then):
        if os.fork() == 0:
            then()
            time.sleep(300)
            os._exit(0)
    def say():  # no buffer a fork could copy half-written
        os.write(1, b"%d\\n" % os.getpid())
    def grandchild():
        child(say)
        say()
    done = threading.Event()
    def forks_and_waits():
        child(grandchild)
        done.wait()
    thread = threading.Thread(target=forks_and_waits)
    thread.start()
    child(say)
    say()
    sys.stdin.read()
    done.set()
    """
)


def test_a_runs_processes_are_read_down_from_its_first_as_every_processs_parent_says(
    tmp_path: Path,
) -> None:
    """A poll reads the run's processes down from its first (each thread's children), not every
    process of the machine: the same processes as every process's parent gives, a child that a
    thread other than the first forked (alive, its children its own) and their child included."""
    assert _CHILDREN_LISTED  # the kernels the action runs on list them; else the slower read
    run = subprocess.Popen([sys.executable, "-c", _TREE], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)  # fmt: skip
    said: set[int] = set()
    try:
        assert run.stdout is not None
        said = {int(run.stdout.readline()) for _ in range(4)}
        below = _children_below(run.pid)
        assert len(said) == 4 and set(below) == said and below[0] == run.pid
        assert sorted(below) == sorted(_parents_below(run.pid))
    finally:
        for pid in said - {run.pid}:
            os.kill(pid, 9)
        run.communicate("", timeout=60)


_BLINDS_THE_MEASURE = textwrap.dedent(
    """
    import ctypes, mmap, os, resource, sys, time
    def descriptors():
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        null = os.open("/dev/null", os.O_RDONLY)
        for number in range(10, min(hard, 20000)):
            os.dup2(null, number)
    def mappings():  # one block, every other page read-only: 60000 mappings
        protect, block = ctypes.CDLL(None).mprotect, mmap.mmap(-1, 60000 * 4096)
        start = ctypes.addressof(ctypes.c_char.from_buffer(block))
        for page in range(0, 60000, 2):
            protect(ctypes.c_void_p(start + page * 4096), 4096, mmap.PROT_READ)
        held.append(block)
    held, hold = [], {"descriptors": descriptors, "mappings": mappings}[sys.argv[1]]
    ready, told, children = *os.pipe(), int(sys.argv[2])
    for _ in range(children):
        if os.fork() == 0:
            hold()
            os.write(told, b".")
            time.sleep(120)
            os._exit(0)
    for _ in range(children):
        os.read(ready, 1)
    print("every child holds its", sys.argv[1], flush=True)
    time.sleep(1)  # a measure is walking them now
    for number in range(64):
        with open(f"fill{number}", "wb") as handle:
            handle.write(bytes(1 << 20))
    for number in range(64):
        os.unlink(f"fill{number}")
    print("wrote 64 MiB unseen", flush=True)
    """
)


# On a disk, which the kernel's write counts bound the measure on (a tmpfs has its own test)
@needs_sandbox
@pytest.mark.timeout(900)
@pytest.mark.parametrize("way", ["descriptors", "mappings"])
def test_a_run_cannot_blind_the_disk_measure_with_what_it_holds(
    disk_tmp_path: Path, way: str
) -> None:
    """Attack: each poll stats and reads the link of every descriptor of every process of the
    run, and reads every line of their memory maps (for unlinked files and memory files).
    Forty processes holding 20000 copies of one descriptor each (the hard limit allows it;
    the kernel shares one open file), or 60000 small mappings each, made one poll take many
    seconds: the disk limit was blind meanwhile, the run wrote 64 MiB under a 4 MiB limit
    and removed it unseen (at disk speed, the runner's whole disk), and its timeout waited
    for the poll. What one poll reads is bounded; a run holding more is killed for it (ten
    processes of 60000 mappings are enough to pass that bound, so the test makes no more)."""
    checkout = disk_tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(disk_tmp_path / "home"), "LANG": "C.UTF-8"}
    # Each child's 60000 mappings are split from one block (a block each cost the test twice
    # the CPU: 17 CPU-s against 9); descriptors cost little, and forty hold more than a
    # measure reads whatever the sandbox's descriptor limit. The timeout is not what is
    # tested: the run ends when it is killed for what it holds, which a machine at load 20
    # took more than 120 s to reach.
    children = str(40 if way == "descriptors" else MAX_MAPPINGS // 60_000 + 2)
    with Sandbox(checkout, env, limits=Limits(disk_bytes=4 << 20)) as box:
        script = [sys.executable, "-c", _BLINDS_THE_MEASURE, way, children]
        result = box.run(script, box.workspace(way), timeout=600)
    assert "wrote 64 MiB unseen" not in result.output, result.output
    assert result.killed_for.startswith(
        f"it held more than {MAX_DESCRIPTORS if way == 'descriptors' else MAX_MAPPINGS} "
    ), (
        result.describe(),
        result.output,
    )


_IN_FLIGHT = textwrap.dedent(
    """
    import array, os, socket, time
    one, other = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for number in range(64):  # 2 MiB each: never more than the limit open at once
        made = os.open(f"hidden{number}", os.O_RDWR | os.O_CREAT, 0o600)
        os.unlink(f"hidden{number}")
        os.write(made, bytes(2 << 20))
        os.fsync(made)
        sent = array.array("i", [made])
        one.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, sent)])
        os.close(made)
    print("128 MiB held by descriptors in flight", flush=True)
    time.sleep(200)
    print("never counted", flush=True)
    """
)


# On a disk, which the kernel's write counts bound the measure on (a tmpfs has its own test)
@needs_sandbox
def test_a_run_cannot_hide_disk_in_descriptors_it_sends_and_never_receives(
    disk_tmp_path: Path,
) -> None:
    """Attack: a run writes 2 MiB files one at a time, unlinks each, sends its descriptor
    through a socket pair without receiving it, and closes it: the kernel keeps each file
    (and its blocks) for the message in the queue. 128 MiB under a 4 MiB limit, unseen; the
    count in flight is bounded only by the descriptor limit, each file by the file limit. The
    blocks leave the file system's free count, which each measure now reads too."""
    checkout = disk_tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(disk_tmp_path / "home"), "LANG": "C.UTF-8"}
    hiding = Limits(disk_bytes=4 << 20, others_bytes=64 << 20)
    with Sandbox(checkout, env, limits=hiding) as box:
        result = box.run([sys.executable, "-c", _IN_FLIGHT], box.workspace("flight"), timeout=240)
    assert "never counted" not in result.output, result.output
    assert result.killed_for.startswith("it wrote more than 4 MiB"), result.describe()


_MEMORY_FOLDER = Path("/dev/shm")


@needs_sandbox
def test_attack_a_run_on_a_memory_file_system_cannot_hide_what_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: the sandbox's folders on a tmpfs (a runner whose temporary folder is one). The
    kernel counts no ``write_bytes`` for a file system without a disk, so a fall of free space
    capped by what the run wrote was capped at nothing: 128 MiB in flight under a 4 MiB limit
    went unseen. On such a file system the fall is the run's, as before the cap."""
    if not os.path.ismount(_MEMORY_FOLDER) or os.statvfs(_MEMORY_FOLDER).f_bavail << 12 < 1 << 30:
        pytest.fail(f"{_MEMORY_FOLDER} is not a tmpfs with 1 GiB free: this attack needs one")
    monkeypatch.setattr("tempfile.tempdir", str(_MEMORY_FOLDER))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    hiding = Limits(disk_bytes=4 << 20, others_bytes=64 << 20)
    script = _IN_FLIGHT.replace("time.sleep(200)", "time.sleep(20)")
    with Sandbox(checkout, env, limits=hiding) as box:
        assert box.root.is_relative_to(_MEMORY_FOLDER)
        result = box.run([sys.executable, "-c", script], box.workspace("flight"), timeout=240)
    assert "never counted" not in result.output, result.output
    assert result.killed_for.startswith("it wrote more than 4 MiB"), result.describe()


_ONE_PAGE_MAPPED = textwrap.dedent(
    """
    import ctypes, mmap, os, time
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    for number in range(4):  # 32 MiB each, one page of each mapped (Python's mmap keeps a
        made = os.open(f"mapped{number}", os.O_RDWR | os.O_CREAT, 0o600)  # descriptor: libc's)
        os.unlink(f"mapped{number}")
        os.posix_fallocate(made, 0, 32 << 20)
        assert libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_SHARED, made, 0) not in (None, -1)
        os.close(made)
    print("128 MiB held through four pages", flush=True)
    time.sleep(200)
    print("never counted", flush=True)
    """
)


# On a disk, which the kernel's write counts bound the measure on (a tmpfs has its own test)
@needs_sandbox
def test_a_run_cannot_hide_disk_in_a_large_file_it_maps_one_page_of(disk_tmp_path: Path) -> None:
    """Attack: a mapping of an unlinked file keeps the whole file's blocks, but its line in
    ``/proc/PID/maps`` gives the mapping's length, not the file's: four 32 MiB files
    (allocated, not even written), one page of each mapped, the descriptors closed, counted
    16 KiB under a 4 MiB limit. The file system's free count sees the whole files."""
    checkout = disk_tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(disk_tmp_path / "home"), "LANG": "C.UTF-8"}
    hiding = Limits(disk_bytes=4 << 20, others_bytes=64 << 20)
    with Sandbox(checkout, env, limits=hiding) as box:
        script = [sys.executable, "-c", _ONE_PAGE_MAPPED]
        result = box.run(script, box.workspace("mapped"), timeout=240)
    assert "never counted" not in result.output, result.output
    assert result.killed_for.startswith("it wrote more than 4 MiB"), result.describe()


_WAITS_FOR_ANOTHER_WRITER = textwrap.dedent(
    """
    import os, sys, time
    def free():
        found = os.statvfs(".")
        return found.f_bfree * found.f_frsize
    start = free()
    open("measured", "w").close()  # the writer outside starts now
    while start - free() < 48 << 20:  # until the writer outside has written
        time.sleep(0.05)
    print("another writer wrote 48 MiB", flush=True)
    time.sleep(int(sys.argv[1]))  # measured again meanwhile, or only once it ended
    """
)


# On a disk: a tmpfs counts no writes, so there the others' 48 MiB are the run's (sandbox/disk.py)
@needs_sandbox
@pytest.mark.parametrize("linger", [1, 0], ids=["measured-while-it-runs", "measured-once-it-ended"])
def test_another_writer_on_the_same_file_system_does_not_kill_a_run(
    disk_tmp_path: Path, linger: int
) -> None:
    """Common sense: the file system's free count falls for every writer on it, and a test
    worker beside the run writes too, more than any allowance on a busy machine. A run that
    writes nothing, under a 1 MiB limit and a 32 MiB allowance for others, while a process
    outside writes 48 MiB beside its folder, ends as it would alone: blamed neither while it
    runs nor once it ended. The allowance is 8,192 files (a block each): the other test
    workers and jobs of a busy machine create files meanwhile, and 4 MiB (1,024) was too few
    once."""
    checkout = disk_tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(disk_tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits(disk_bytes=1 << 20, others_bytes=32 << 20)) as box:
        space = box.workspace("beside")
        outside = box.root / "outside"
        assert os.stat(box.root).st_dev == os.stat(space.live).st_dev

        ended = threading.Event()

        def write() -> None:
            while not (space.repo / "measured").exists():
                if ended.wait(0.05):
                    return
            with open(outside, "wb") as handle:
                handle.write(bytes(48 << 20))
                handle.flush()
                os.fsync(handle.fileno())

        writer = threading.Thread(target=write)
        writer.start()
        try:
            script = [sys.executable, "-c", _WAITS_FOR_ANOTHER_WRITER, str(linger)]
            result = box.run(script, space, timeout=240)
        finally:
            ended.set()
            writer.join()
    assert result.ok, (result.describe(), result.output)


_EMPTY_IN_FLIGHT = textwrap.dedent(
    """
    import array, os, resource, socket, time
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    one, other = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    sent = 0
    try:
        while sent < 16000:  # 200 a message, each file empty: inodes, no blocks
            made = []
            for number in range(200):
                made.append(os.open(f"e{number}", os.O_RDWR | os.O_CREAT, 0o600))
                os.unlink(f"e{number}")
            one.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", made))])
            for handle in made:
                os.close(handle)
            sent += 200
    except OSError as exc:
        print("stopped at", sent, exc, flush=True)
    print(sent, "empty files held by descriptors in flight", flush=True)
    time.sleep(200)
    print("never counted", flush=True)
    """
)


# On a disk, which the kernel's write counts bound the measure on (a tmpfs has its own test)
@needs_sandbox
def test_a_run_cannot_hide_inodes_in_descriptors_it_sends_and_never_receives(
    disk_tmp_path: Path,
) -> None:
    """Attack: the same hiding place with empty files: no blocks leave the free count, but
    each holds an inode, and a file system's inodes are as finite as its blocks (the walk
    counts each entry as one block for that reason). 16000 in flight (the descriptor limit
    bounds them per user, up to a million in some containers) took 16000 inodes unseen."""
    checkout = disk_tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(disk_tmp_path / "home"), "LANG": "C.UTF-8"}
    hiding = Limits(disk_bytes=4 << 20, others_bytes=16 << 20)
    with Sandbox(checkout, env, limits=hiding) as box:
        script = [sys.executable, "-c", _EMPTY_IN_FLIGHT]
        result = box.run(script, box.workspace("inodes"), timeout=240)
    assert "never counted" not in result.output, result.output
    assert result.killed_for.startswith("it wrote more than 4 MiB"), result.describe()


_EVER_NEW_HOLDER = textwrap.dedent(
    """
    import os, time
    made = os.open("held", os.O_RDWR | os.O_CREAT, 0o600)
    os.unlink("held")
    os.write(made, bytes(16 << 20))
    os.fsync(made)
    if os.fork() == 0:
        end = time.monotonic() + 200
        while time.monotonic() < end:  # fork, and the parent ends: the orphan is adopted inside
            if os.fork() != 0:
                os._exit(0)
        os._exit(0)
    os.close(made)
    print("16 MiB held by a process that is never the same", flush=True)
    time.sleep(200)
    print("never counted", flush=True)
    """
)


# On a disk, which the kernel's write counts bound the measure on (a tmpfs has its own test)
@needs_sandbox
def test_a_run_cannot_hide_what_it_holds_in_processes_forked_while_it_is_stopped(
    disk_tmp_path: Path,
) -> None:
    """Attack: the file a run holds unlinked is held by a process that forks and ends, over
    and over, so the holder is always one forked since the run's processes were last listed:
    each poll stops the run's processes and measures them, and one forked while they are being
    stopped, or an orphan adopted by the run's first process, must be measured in that same
    poll. 16 MiB under a 4 MiB limit (the allowance for others, 64 MiB, hides it from the free
    count); only the measure of what the run holds sees it."""
    checkout = disk_tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(disk_tmp_path / "home"), "LANG": "C.UTF-8"}
    hiding = Limits(disk_bytes=4 << 20, others_bytes=64 << 20)
    with Sandbox(checkout, env, limits=hiding) as box:
        script = [sys.executable, "-c", _EVER_NEW_HOLDER]
        result = box.run(script, box.workspace("forks"), timeout=240)
    assert "never counted" not in result.output, result.output
    assert result.killed_for.startswith("it wrote more than 4 MiB"), result.describe()
