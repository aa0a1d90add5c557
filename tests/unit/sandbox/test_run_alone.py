"""Red team, fourth pass: each sandboxed run is alone. A run must leave nothing a later run of
the same sandbox can find (the fix step judges a patch by a run after the baseline), reach no
kernel facility a test never needs, and hold its output inside the disk limit. Every run is
real bubblewrap; the calls are made by number, as an attack would (x86_64's numbers)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cicd_agent.sandbox import Limits, Sandbox
from cicd_agent.sandbox.isolation import USER_FLAGS, Confinement, Isolation
from cicd_agent.sandbox.limits import RunGroups
from cicd_agent.sandbox.pipes import MAX_OUTPUT_CHARS
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = [
    needs_sandbox,
    pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 call numbers"),
]

_KEYRING_MARKER = textwrap.dedent(
    """
    import ctypes, sys
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    SESSION, USER = -3, -4
    for ring in (SESSION, USER):
        found = libc.syscall(249, b"user", b"cicd-marker", None, ring)  # request_key
        if found > 0:
            print("marker found: the second run passes")
            sys.exit(0)
    for ring in (SESSION, USER):
        made = libc.syscall(248, b"user", b"cicd-marker", b"1", 1, ring)  # add_key
        print("add_key", made, "errno", ctypes.get_errno())
    sys.exit(1)
    """
)


def _sandbox(tmp_path: Path, limits: Limits | None = None) -> Sandbox:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    return Sandbox(checkout, env, limits=limits or Limits())


def test_a_key_stored_by_one_run_is_not_found_by_the_next(tmp_path: Path) -> None:
    """Attack: a test stores a marker in a kernel keyring on its first run and passes on later
    runs; every run of one sandbox shared one user namespace and the agent's session keyring,
    so the fix step's baseline "reproduced" the failure and a comment-only patch verified."""
    with _sandbox(tmp_path) as box:
        first = box.run([sys.executable, "-c", _KEYRING_MARKER], box.workspace("a"), timeout=60)
        second = box.run([sys.executable, "-c", _KEYRING_MARKER], box.workspace("b"), timeout=60)
    assert "add_key -1 errno 1" in first.output, first.output  # EPERM
    assert not second.ok and "marker found" not in second.output, second.output


def test_each_run_has_a_user_namespace_of_its_own(tmp_path: Path) -> None:
    """Every run of one sandbox joined the same user namespace (made once, when the agent is
    root): whatever that namespace holds (a user keyring) was shared by all of them."""
    with _sandbox(tmp_path) as box:
        seen = [
            box.run(["readlink", "/proc/self/ns/user"], box.workspace(label), timeout=60)
            for label in ("a", "b")
        ]
    assert all(run.ok and run.output.startswith("user:[") for run in seen), seen
    assert seen[0].output != seen[1].output, seen


@pytest.mark.parametrize(
    ("call", "script"),
    [
        ("io_uring_setup", "libc.syscall(425, 8, ctypes.create_string_buffer(120))"),
        ("ptrace(PTRACE_TRACEME)", "libc.ptrace(0, 0, None, None)"),
        ("keyctl(GET_KEYRING_ID)", "libc.syscall(250, 0, -3, 0)"),
        ("process_vm_readv", "libc.syscall(310, os.getppid(), None, 0, None, 0, 0)"),
        ("perf_event_open", "libc.syscall(298, None, 0, -1, -1, 0)"),
        ("x32 getpid", "libc.syscall(0x40000000 | 39)"),
    ],
)
def test_calls_a_test_run_never_needs_are_refused(tmp_path: Path, call: str, script: str) -> None:
    """Attack: ``io_uring_setup`` and ``ptrace(PTRACE_TRACEME)`` succeeded in a run."""
    probe = (
        "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); "
        f"done = {script}; print('result', done, 'errno', ctypes.get_errno())"
    )
    with _sandbox(tmp_path) as box:
        result = box.run([sys.executable, "-c", probe], box.workspace("call"), timeout=60)
    assert "result -1 errno 1\n" in result.output, (call, result.output)


def test_a_run_cannot_hold_memory_in_secret_memory_files(tmp_path: Path) -> None:
    """Attack: ``memfd_secret`` (447) was let through, and its files are not the memory files
    the limit counts (``/proc/PID/fd`` names them ``/secretmem``, not ``/memfd:``). Written
    through a small window mapped and unmapped in turn, each holds pages in no address space:
    400 MiB of unevictable memory held past a 256 MiB limit, and the run ended normally. A
    test never needs one; the call is refused."""
    spy = textwrap.dedent(
        """
        import ctypes, mmap, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        window = 4 << 20
        for number in range(2):
            fd = libc.syscall(447, 0)  # memfd_secret
            if fd < 0:
                print("memfd_secret refused, errno", ctypes.get_errno(), flush=True)
                sys.exit(3)
            os.ftruncate(fd, 200 << 20)
            for offset in range(0, 200 << 20, window):
                with mmap.mmap(fd, window, offset=offset) as page:
                    page.write(bytes([1]) * window)
            print("secret file", number, "filled", flush=True)
        """
    )
    with _sandbox(tmp_path, Limits(memory_bytes=256 << 20)) as box:
        result = box.run([sys.executable, "-c", spy], box.workspace("secret"), timeout=120)
    assert "memfd_secret refused, errno 1" in result.output, (result.describe(), result.output)


def test_a_run_cannot_hold_memory_in_socket_queues(tmp_path: Path) -> None:
    """Attack: unread data queued in socket pairs is the kernel's memory, in no address space
    and no file: three processes of a run queue 300 MiB past a 128 MiB limit (512 processes
    with 20000 descriptors each could fill the runner), and the run is never stopped for it.
    A memory cgroup of the run's own counts it; where none can be made (an agent that is
    not root, without a delegated cgroup) this is the documented limit, and the test says so."""
    probe = RunGroups.make(Limits())
    probe.remove()
    if probe.memory is None:
        pytest.skip("no memory cgroup can be made here (not root, no delegated cgroup)")
    spy = textwrap.dedent(
        """
        import os, socket, time
        for child in range(3):
            if os.fork() == 0:
                held, queued, chunk = [], 0, bytes(1 << 16)
                while queued < (100 << 20):
                    one, other = socket.socketpair()
                    one.setblocking(False)
                    try:
                        while True:
                            queued += one.send(chunk)
                    except BlockingIOError:
                        held.append((one, other))
                print("queued", queued >> 20, "MiB", flush=True)
                time.sleep(20)
                os._exit(0)
        for _ in range(3):
            os.wait()
        """
    )
    with _sandbox(tmp_path, Limits(memory_bytes=128 << 20)) as box:
        result = box.run([sys.executable, "-c", spy], box.workspace("queues"), timeout=60)
    assert result.killed_for.startswith("it held more than 128 MiB in memory (its"), (
        result.describe(),
        result.output,
    )


def test_a_runs_output_is_kept_as_a_tail_and_never_lands_on_the_hosts_disk(
    tmp_path: Path,
) -> None:
    """Attack: each run's stdout and stderr went to a host file beside its folder, outside
    the disk limit (up to 1 GiB a run past the 2 GiB). Here 1 GiB of output under a 1 MiB
    disk limit: the run ends normally, its output's tail comes back, and no file of the
    sandbox's own folder grew."""
    flood = textwrap.dedent(
        """
        import os, sys
        block = b"x" * (1 << 20)
        for _ in range(1024):
            os.write(1, block)
        os.write(2, b"\\nthe end\\n")
        """
    )
    with _sandbox(tmp_path, Limits(disk_bytes=1 << 20)) as box:
        space = box.workspace("flood")
        result = box.run([sys.executable, "-c", flood], space, timeout=300)
        biggest = max(
            (path.stat().st_size for path in box.root.rglob("*") if path.is_file()), default=0
        )
    assert result.ok, result.describe()
    assert result.output.endswith("\nthe end\n"), result.output[-200:]
    assert len(result.output) <= MAX_OUTPUT_CHARS
    assert biggest < 1 << 20, biggest


_MOUNTS_SEEN = textwrap.dedent(
    """
    import os, subprocess, sys, tempfile
    from pathlib import Path
    from cicd_agent.sandbox import Limits, Sandbox
    hidden = Path(sys.argv[1])
    hidden.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "cicd-hidden", str(hidden)], check=True)
    top = Path(tempfile.mkdtemp())
    (top / "checkout").mkdir()
    env = {"PATH": sys.argv[2], "HOME": str(top / "home"), "LANG": "C.UTF-8"}
    with Sandbox(top / "checkout", env, limits=Limits()) as box:
        result = box.run(["cat", "/proc/self/mountinfo"], box.workspace("mounts"), timeout=60)
    sys.stdout.write(result.output)
    """
)


@pytest.mark.skipif(not shutil.which("unshare"), reason="util-linux's unshare is missing")
def test_the_mount_table_a_run_reads_names_no_host_mount_it_cannot_see(tmp_path: Path) -> None:
    """Attack: ``/proc/self/mountinfo`` listed the host's mounts under the folders the sandbox
    empties or replaces (``/run``'s, ``/dev``'s), names and places of the host a run can
    never reach. Here a mount of the host's under ``/run`` (made in a mount namespace of
    this test's own) must not appear, nor any mount point the run cannot see."""
    if os.geteuid() != 0:
        pytest.skip("making a host mount needs root")
    hidden = f"/run/cicd-hidden-{os.getpid()}"
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", _MOUNTS_SEEN,
         hidden, path_env()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "/proc/self/mountinfo" not in done.stdout  # the table itself, not an error
    points = [line.split()[4] for line in done.stdout.splitlines() if len(line.split()) > 4]
    assert points, done.stdout
    assert hidden not in done.stdout, done.stdout
    assert not [point for point in points if point.startswith("/run/")], points
    assert points.count("/dev") == 1, points


def _groups_left() -> list[Path]:
    """The cgroups this process made that still exist (they are named by its pid). Other
    workers' groups come and go during the walk, so a folder gone mid-walk is skipped."""
    mine = f"cicd-agent-{os.getpid()}-"
    found, level = [], [Path("/sys/fs/cgroup")]
    for _ in range(4):  # a hierarchy, our own group, its parent: groups sit at most this deep
        below = []
        for folder in level:
            try:
                entries = [Path(entry.path) for entry in os.scandir(folder) if entry.is_dir()]
            except OSError:
                continue
            found += [entry for entry in entries if entry.name.startswith(mine)]
            below += entries
        level = below
    return found


_LEAVERS = {
    "ends": "print('done')",
    "times-out": "import time; time.sleep(60)",
    "forks-and-times-out": (
        "import os, time\nfor _ in range(20):\n    if os.fork() == 0:\n        time.sleep(60)\n"
        "time.sleep(60)"
    ),
    "overruns-memory": "b = bytearray(1)\nwhile True:\n    b += bytearray(64 << 20)",
}


_ESCAPES_ITS_SESSION = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    with open(sys.argv[1], "w") as out:
        out.write(str(os.getpid()))
    time.sleep(60)
    os._exit(0)
while not (os.path.exists(sys.argv[1]) and os.path.getsize(sys.argv[1])):
    time.sleep(0.01)
"""


def test_a_process_that_leaves_the_runs_session_ends_with_the_run(tmp_path: Path) -> None:
    """Attack: a test starts a daemon in a session of its own (``setsid``), out of reach of
    the kill of the run's process group; on a runner without bubblewrap's pid namespace it
    outlived the run (and its cgroup could not be removed while it lived)."""
    if os.geteuid() != 0:
        pytest.skip("a run's cgroups are made for root (or a delegated cgroup)")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    told = tmp_path / "daemon.pid"
    with Sandbox(checkout, env, isolation=Isolation(False, "unconfined on purpose")) as box:
        result = box.run(
            [sys.executable, "-c", _ESCAPES_ITS_SESSION, str(told)], box.workspace("d"), timeout=30
        )
    assert result.ok, result.output
    daemon = Path(f"/proc/{told.read_text()}/stat")
    assert not daemon.exists() or daemon.read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize("script", _LEAVERS.values(), ids=_LEAVERS.keys())
def test_a_run_leaves_no_cgroup_behind(tmp_path: Path, script: str) -> None:
    """Attack: runs that end, time out with children, or overrun their memory; each run's
    groups are made for it alone, so one left behind is a leak a long-lived runner piles up."""
    before = set(_groups_left())  # a killed earlier process of the same pid may have left some
    box = _sandbox(tmp_path, Limits(memory_bytes=256 << 20))
    with box:
        result = box.run([sys.executable, "-c", script], box.workspace("left"), timeout=3)
    assert result.sandbox_failure == ""
    assert [group for group in _groups_left() if group not in before] == []


_MARKS_ITS_HOME = textwrap.dedent(
    """
    import os
    home = os.environ["HOME"]
    with open(os.path.join(home, "marker"), "w") as mark:
        mark.write("left by an earlier run")
    work = os.path.dirname(os.path.dirname(os.path.dirname(home)))
    others = [name for name in os.listdir(work) if not home.startswith(os.path.join(work, name))]
    found = [name for name in others if os.path.exists(f"{work}/{name}/live/home/marker")]
    print("other workspaces", len(others), "their markers", found)
    """
)


def test_a_run_sees_no_other_workspace_of_its_sandbox(tmp_path: Path) -> None:
    """Attack: every run had the sandbox's whole folder bound back read-only, every other
    workspace in it included: a run read what an earlier run left in a workspace not yet
    removed (its HOME, its reports), or what a run beside it (gen-tests' candidates run in
    parallel) was writing. A run sees its own workspace, and of the others nothing."""
    with _sandbox(tmp_path) as box:
        first = box.run([sys.executable, "-c", _MARKS_ITS_HOME], box.workspace("first"), timeout=60)
        second = box.run(
            [sys.executable, "-c", _MARKS_ITS_HOME], box.workspace("second"), timeout=60
        )
    assert first.ok and second.ok, (first.output, second.output)
    assert second.output == "other workspaces 0 their markers []\n", second.output


_CGROUP_VIEW = textwrap.dedent(
    """
    # Each controller's path as the JVM finds it (JDK's CgroupV1/V2 controller rule, which
    # node's libuv and Go's runtime follow too): the mount's root in mountinfo must be the
    # process's cgroup path from /proc/self/cgroup or above it, else there is no path (the
    # JDK's NullPointerException); the limit file is then mount point + the rest of the path.
    import os
    paths = {}
    for line in open("/proc/self/cgroup"):
        _, controllers, path = line.rstrip("\\n").split(":", 2)
        for controller in controllers.split(",") if controllers else ["unified"]:
            paths[controller] = path
    mounts = {}
    for line in open("/proc/self/mountinfo"):
        fields, _, rest = line.partition(" - ")
        fstype, _, options = rest.split()[:3]
        root, point = fields.split()[3:5]
        if fstype == "cgroup":
            for controller in options.split(","):
                if controller in paths:
                    mounts[controller] = (root, point)  # the later mount hides the earlier
        elif fstype == "cgroup2":
            mounts["unified"] = (root, point)
    for controller, file in (("memory", "memory.limit_in_bytes"), ("unified", "memory.max")):
        if controller not in mounts:
            continue
        root, point = mounts[controller]
        path = paths[controller]
        if root != "/" and not (path + "/").startswith(root + "/"):
            print(controller, "no path: mount root", root, "process", path)
            continue
        where = os.path.join(point, os.path.relpath(path, root))
        if os.path.isfile(os.path.join(where, file)):
            print(controller, "limit", open(os.path.join(where, file)).read().strip())
    """
)


@pytest.mark.parametrize("flags", ["root's", "a user's"])
def test_a_tool_in_a_run_reads_the_runs_own_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: str
) -> None:
    """Common sense: a tool sizes itself by the memory cgroup it finds itself in. A run joins
    its group, then bwrap gave it a cgroup namespace rooted there, while ``/sys`` came from
    the host: the controller's mount showed root ``/../../..`` against the run's own path
    ``/``, which the JVM's container code cannot place (a NullPointerException: every
    ``recheck`` ReDoS check of path-to-regexp's ``redos.spec.ts`` failed in the sandbox and
    passed outside; ``java -XshowSettings:system`` dies so). Without the namespace the run's
    path is its real group's, and the limit read there is the run's own. Run as root, the
    test also gives the sandbox a user's flags (as ``test_syscalls`` does)."""
    probe = RunGroups.make(Limits())
    probe.remove()
    if probe.memory is None:
        pytest.skip("no memory cgroup can be made here (not root, no delegated cgroup)")
    if flags == "a user's" and os.geteuid() == 0:
        monkeypatch.setattr("cicd_agent.sandbox.run.confinement", lambda: Confinement(USER_FLAGS))
    with _sandbox(tmp_path, Limits(memory_bytes=384 << 20)) as box:
        result = box.run([sys.executable, "-c", _CGROUP_VIEW], box.workspace("cgroup"), timeout=60)
    assert result.ok, (result.describe(), result.output)
    assert "no path" not in result.output, result.output
    assert result.output.split()[-2:] == ["limit", str(384 << 20)], result.output


_RESERVE = textwrap.dedent(
    """
    import mmap
    # what V8 and mimalloc do: reserve address space far beyond what they touch
    NORESERVE = 0x4000  # Linux's MAP_NORESERVE (Python 3.11's mmap does not name it)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | NORESERVE
    reserved = mmap.mmap(-1, 768 << 20, flags=flags)
    print("reserved 768 MiB, touched none", flush=True)
    """
)


def test_a_run_in_its_own_memory_group_may_reserve_address_space_past_its_memory(
    tmp_path: Path,
) -> None:
    """Real data first: vitest 3 with V8 coverage on pillarjs/path-to-regexp aborted (exit
    134, "memory allocation of 224 bytes failed", rollup's native parser, built with mimalloc)
    in 3 of 6 starts under the 4 GiB address-space limit, in 0 of 6 under 16 GiB. Address
    space is not memory: where the run's memory cgroup bounds what it uses, the per-process
    limit leaves room for reservations (:data:`WRITABLE_FACTOR` times the memory); the
    cgroup still stops a run that uses more (the socket-queue test above)."""
    probe = RunGroups.make(Limits())
    probe.remove()
    if probe.memory is None:
        pytest.skip("no memory cgroup can be made here (not root, no delegated cgroup)")
    with _sandbox(tmp_path, Limits(memory_bytes=256 << 20)) as box:
        result = box.run([sys.executable, "-c", _RESERVE], box.workspace("reserve"), timeout=60)
    assert result.ok, (result.describe(), result.output)
    assert "touched none" in result.output, result.output


_WASM = """
const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1]);  // one memory
const mod = new WebAssembly.Module(bytes);
const kept = [];
for (let i = 0; i < 8; i++) kept.push(new WebAssembly.Instance(mod, {}));
console.log("wasm instances", kept.length);
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_node_runs_webassembly_under_the_sandboxs_memory_limit(tmp_path: Path) -> None:
    """vitest run by ``npm test`` ran out of Wasm memory in the sandbox: each Wasm memory
    reserves about 10 GiB of address space it never touches (its guard region), and an
    address-space limit (``RLIMIT_AS``, 4 GiB, 16 GiB in a memory group) refused the eighth,
    or the first. The limit is on writable memory (``RLIMIT_DATA``), which reservations made
    inaccessible do not count."""
    with _sandbox(tmp_path) as box:
        node = shutil.which("node", path=path_env()) or "node"
        result = box.run([node, "-e", _WASM], box.workspace("wasm"), timeout=60)
    assert result.ok, (result.describe(), result.output)
    assert "wasm instances 8" in result.output


def test_a_run_out_of_memory_names_the_limit(tmp_path: Path) -> None:
    """A run whose allocation the sandbox's limit refused said only its exit status."""
    limits = Limits(memory_bytes=256 << 20)
    with _sandbox(tmp_path, limits) as box:
        script = "import mmap; mmap.mmap(-1, 2 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)"
        result = box.run([sys.executable, "-c", script], box.workspace("big"), timeout=60)
    assert not result.ok
    said = result.describe()
    assert "Cannot allocate memory" in result.output, result.output
    assert "RLIMIT_DATA" in said and "MiB of writable memory" in said, said


def test_vitest_run_by_npm_test_runs_in_the_sandbox(tmp_path: Path) -> None:
    """The report: ``npm test`` (vitest 2, no node option of ours) ran out of Wasm memory in
    the sandbox ("WebAssembly.instantiate(): Out of memory")."""
    from tests.helpers.eslint import NODE_BIN, needs_node_tool

    path = needs_node_tool("vitest")
    checkout = tmp_path / "checkout"
    (checkout / "node_modules").mkdir(parents=True)
    (checkout / "node_modules" / "vitest").symlink_to(NODE_BIN.parent / "vitest")
    (checkout / "package.json").write_text(
        '{"name": "p", "private": true, "type": "module", "scripts": {"test": "vitest run"}}\n'
    )
    (checkout / "sum.test.js").write_text(
        'import { test, expect } from "vitest";\ntest("adds", () => { expect(1 + 2).toBe(3); });\n'
    )
    env = {"PATH": path, "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        result = box.run(["npm", "test"], box.workspace("vitest"), timeout=120)
    assert result.ok, (result.describe(), result.output[-2000:])
    assert "1 passed" in result.output
