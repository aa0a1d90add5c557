"""The shared sandbox (gen-tests' runs, the fix step's command and fixers) against a run that
attacks the host: what it can read, bind back, fill or hold. Every run is a real bubblewrap
process; each section is one round of attacks, named by what it tried."""

from __future__ import annotations

import os
import platform
import pwd
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.runners.pytest.runner import PytestSandbox as GenTestsSandbox
from cicd_agent.sandbox import Limits, Sandbox
from tests.harness.temp_folders import remove_tree
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox


# --------------------------------- Attacks: reads outside HOME, links bound back, a disk filler
# Red-team attacks on the shared sandbox (gen-tests and the fix step): what a run can read
# outside HOME, what a pull request's link can make us bind back, and a disk filler the byte
# count misses. Every run is a real bubblewrap process.

RUNNER_KEY = "runner-rsa-private-key-5b1f"
DIAG_TEXT = "worker-diag-job-message-7c2e"


def _spy(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A folder outside /tmp (which every run sees emptied whatever the sandbox does)."""
    folder = Path(tempfile.mkdtemp(prefix=".cicd-agent-red-team-", dir=Path.home()))
    assert not folder.is_relative_to("/tmp")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pretend_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The password database's home is ``home`` too (a runner user's), not this machine's."""
    real = pwd.getpwuid(os.getuid())
    fake = pwd.struct_passwd((*real[:5], str(home), real[6]))
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: fake)


def test_a_self_hosted_runners_own_folder_outside_home_is_hidden(
    outside_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: a self-hosted runner installed outside HOME (``/opt/actions-runner``, a container's
    ``/actions-runner``) keeps its private key (``.credentials_rsaparams``), its OAuth client
    (``.credentials``) and the worker's logs (``_diag``) beside ``_work``, where the checkout
    lies. A run reads them through the checkout's own path: with the key, anyone can act as
    the runner and take other jobs, secrets included."""
    home, runner = outside_tmp / "home", outside_tmp / "actions-runner"
    home.mkdir()
    _pretend_home(monkeypatch, home)
    (runner / "_diag").mkdir(parents=True)
    (runner / ".runner").write_text('{"agentId": 7}\n')
    (runner / ".credentials_rsaparams").write_text(RUNNER_KEY)
    (runner / "_diag" / "Worker_20261123.log").write_text(DIAG_TEXT)
    checkout = runner / "_work" / "repo" / "repo"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (runner / "_work" / "_temp").mkdir()
    env = {
        "PATH": path_env(),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "RUNNER_TEMP": str(runner / "_work" / "_temp"),
    }
    spy = _spy(
        f"""
        import pathlib
        for name in (".credentials_rsaparams", "_diag/Worker_20261123.log"):
            try:
                print("READ", pathlib.Path({str(runner)!r}, name).read_text())
            except OSError as exc:
                print("unreadable", name, exc.errno)
        import pkg
        print("pkg", pkg.VALUE)
        """
    )
    with Sandbox(checkout, env) as box:
        result = box.run(spy, box.workspace("runner"), timeout=60)
    assert result.ok, result.output
    assert RUNNER_KEY not in result.output and DIAG_TEXT not in result.output, result.output
    assert "pkg 1" in result.output


def test_a_link_in_the_checkout_on_path_chooses_nothing_that_is_bound_back(
    outside_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: the job puts a folder of the checkout on PATH (``$GITHUB_WORKSPACE/bin``, a
    ``.venv/bin`` or ``node_modules/.bin`` it adds to ``GITHUB_PATH``); the pull request makes
    that folder a link into the hidden home (``bin -> ~/actions-runner/bin``). Following it
    on the host, the sandbox bound the link's target's parent back: the runner's folder."""
    home = outside_tmp / "home"
    runner = home / "actions-runner"
    (runner / "bin").mkdir(parents=True)
    (runner / ".credentials_rsaparams").write_text(RUNNER_KEY)
    _pretend_home(monkeypatch, home)
    checkout = home / "work" / "repo" / "repo"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (checkout / "bin").symlink_to(runner / "bin", target_is_directory=True)
    env = {"PATH": f"{checkout / 'bin'}:{path_env()}", "HOME": str(home), "LANG": "C.UTF-8"}
    spy = _spy(
        f"""
        import pathlib
        try:
            print("READ", pathlib.Path({str(runner / ".credentials_rsaparams")!r}).read_text())
        except OSError as exc:
            print("unreadable", exc.errno)
        import pkg
        print("pkg", pkg.VALUE)
        """
    )
    with Sandbox(checkout, env) as box:
        result = box.run(spy, box.workspace("link"), timeout=60)
    assert result.ok, result.output
    assert RUNNER_KEY not in result.output, result.output
    assert "pkg 1" in result.output


def test_a_run_that_fills_the_disk_with_empty_folders_is_killed(tmp_path: Path) -> None:
    """Attack: the disk limit counted files' sizes only. Empty folders (a 4 KiB block and an
    inode each) and the entries of a huge folder count nothing, so a run filled the disk (or
    its inodes) past the limit unchecked. Here 1 MiB is allowed and 6,000 folders (about
    24 MiB of blocks) are made, then the run waits to be measured."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    spy = _spy(
        """
        import os, time
        os.mkdir("filler")
        for number in range(6000):
            os.mkdir(f"filler/{number:0>200}")
        print("made them all", flush=True)
        time.sleep(200)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits(disk_bytes=1 << 20)) as box:
        result = box.run(spy, box.workspace("filler"), timeout=240)
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()


@pytest.mark.skipif(os.geteuid() != 0, reason="only an agent running as root holds root's files")
@pytest.mark.parametrize("kind", [Sandbox, GenTestsSandbox], ids=["fix-step", "gen-tests"])
def test_an_agent_running_as_root_lends_no_root_only_file(
    tmp_path: Path, kind: type[Sandbox]
) -> None:
    """Attack: the agent runs as root (a self-hosted runner's service, a job ``container:``,
    whose steps are root by default). bwrap's user namespace maps root to root and drops
    capabilities, but a file root owns is still its owner's: ``/etc/shadow`` (0640), the host's
    SSH keys (0600) and cloud-init's user data are read by any run, whose owner check passes.
    The run must still write its copy, HOME and TMPDIR, and we must read back what it wrote."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    assert Path("/etc/shadow").read_text()  # we can, outside
    spy = _spy(
        """
        import os, pathlib
        print("ids", os.getuid(), os.getgid(), os.getgroups())
        try:
            print("READ", len(open("/etc/shadow").read()))
        except OSError as exc:
            print("unreadable", exc.errno)
        pathlib.Path("pkg/written.py").write_text("WRITTEN = 2\\n")
        for place in (os.environ["HOME"], os.environ["TMPDIR"]):
            pathlib.Path(place, "note").write_text("here")
        import pkg
        print("pkg", pkg.VALUE)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with kind(checkout, env) as box:
        space = box.workspace("root")
        result = box.run(spy, space, timeout=60)
        assert result.ok, result.output
        assert "unreadable 13" in result.output, result.output
        assert "ids 65534 65534 []" in result.output, result.output
        assert "pkg 1" in result.output, result.output
        assert (space.repo / "pkg" / "written.py").read_text() == "WRITTEN = 2\n"
        assert (space.home / "note").read_text() == (space.tmp / "note").read_text() == "here"
        again = box.run(spy, space, timeout=60)  # a second run in the same folder
        assert again.ok, again.output


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands a run's folder over to nobody")
def test_links_a_run_leaves_behind_hand_over_no_host_file(
    tmp_path: Path, outside_tmp: Path
) -> None:
    """Attack on the hand-over: as root, each run's folder is given to ``nobody`` (``chown``)
    before the run starts. A first run leaves links to host files and folders there (a file
    of root's, a folder of root's); the second run's hand-over must change the links, never
    what they point at, or the next run reads and rewrites that file."""
    secret = outside_tmp / "root-only"
    secret.write_text("root's own\n")
    secret.chmod(0o600)
    folder = outside_tmp / "root-folder"
    folder.mkdir(mode=0o700)
    (folder / "inside").write_text("also root's\n")
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    plant = _spy(
        f"""
        import os
        os.symlink({str(secret)!r}, "to-file")
        os.symlink({str(folder)!r}, "to-folder")
        os.mkdir("deep")
        os.symlink({str(folder)!r}, "deep/to-folder")
        print("planted")
        """
    )
    read = _spy(
        f"""
        for name in ({str(secret)!r}, {str(folder / "inside")!r}):
            try:
                print("READ", open(name).read())
            except OSError as exc:
                print("unreadable", exc.errno)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        space = box.workspace("links")
        planted = box.run(plant, space, timeout=60)
        assert planted.ok, planted.output
        result = box.run(read, space, timeout=60)
    assert result.ok, result.output
    assert "READ" not in result.output, result.output
    for path in (secret, folder, folder / "inside"):
        assert path.stat().st_uid == 0, path
    assert secret.stat().st_mode & 0o777 == 0o600


def test_a_run_that_exhausts_inodes_with_empty_files_is_killed(tmp_path: Path) -> None:
    """Attack: empty files take no block and their short names little room in their folder,
    so millions of them (the disk's inodes, which every later step needs) counted almost
    nothing. Here 1 MiB is allowed and 3,000 empty files are made."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    spy = _spy(
        """
        import os, time
        os.mkdir("filler")
        for number in range(3000):
            open(f"filler/{number}", "w").close()
        print("made them all", flush=True)
        time.sleep(200)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits(disk_bytes=1 << 20)) as box:
        result = box.run(spy, box.workspace("inodes"), timeout=240)
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()


def test_a_run_that_fills_a_shared_folder_is_killed(tmp_path: Path) -> None:
    """Attack: gen-tests lets a suite's run write its coverage data folder (``shared``), which
    the run finds named in ``COVERAGE_PROCESS_START``'s configuration. The disk limit measured
    the workspace alone, so a test filled the runner's disk through that folder unchecked.
    Here 1 MiB is allowed and 8 MiB are written there."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits(disk_bytes=1 << 20)) as box:
        space = box.workspace("shared")
        shared = space.scratch("coverage", ".data")
        shared.mkdir()
        spy = _spy(
            f"""
            import time
            with open({str(shared / ".coverage.filler")!r}, "wb") as handle:
                handle.write(bytes(8 << 20))
            print("filled", flush=True)
            time.sleep(200)
            """
        )
        result = box.run(spy, space, timeout=240, shared=[shared])
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()


# --------------------------------------------- Attacks: what the sandbox's measures did not see
# Red team, third pass: what a sandboxed run (a generated test, the pull request's suite, the
# fix step's command) can do to the host that the sandbox's measures do not see. Every run is a
# real bubblewrap process.


def _checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    return checkout


def test_a_run_that_fills_the_disk_through_files_it_unlinked_is_killed(tmp_path: Path) -> None:
    """Attack: the disk limit walks the run's folder, and a file a process keeps open after
    unlinking it is in no folder, yet holds its blocks on the host's disk until the process
    ends. Each file stops at the 1 GiB file limit, but a process holds hundreds of them and a
    run 512 processes: a test filled the runner's disk (every other step and job on it fails)
    while the limit saw an empty folder. Here 1 MiB is allowed and 32 MiB are written to four
    unlinked files, then the run waits to be measured."""
    spy = textwrap.dedent(
        """
        import os, time
        held = []
        print("writing to unlinked files", flush=True)
        for number in range(4):
            handle = open(f"hidden{number}", "wb")
            os.unlink(f"hidden{number}")
            handle.write(bytes(8 << 20))
            handle.flush()
            os.fsync(handle.fileno())
            held.append(handle)
        print("wrote 32 MiB in no folder", flush=True)
        time.sleep(200)
        """
    )
    _assert_killed_for_disk(tmp_path, spy, "unlinked", "writing to unlinked files")


def test_a_run_that_keeps_unlinked_files_only_mapped_is_killed(tmp_path: Path) -> None:
    """Attack, as above, without an open file: a file mapped, filled through the mapping,
    then closed and unlinked keeps its blocks as long as the mapping lives."""
    spy = textwrap.dedent(
        """
        import mmap, os, time
        held = []
        print("writing to unlinked mapped files", flush=True)
        for number in range(4):
            with open(f"mapped{number}", "w+b") as handle:
                handle.truncate(8 << 20)
                mapping = mmap.mmap(handle.fileno(), 8 << 20)
            os.unlink(f"mapped{number}")
            mapping[:] = b"x" * (8 << 20)
            mapping.flush()
            held.append(mapping)
        print("wrote 32 MiB in no folder and no open file", flush=True)
        time.sleep(200)
        """
    )
    _assert_killed_for_disk(tmp_path, spy, "mapped", "writing to unlinked mapped files")


_PLANTING_SUITE = '''
import os, re, sqlite3
from pkg import double


def test_double():
    assert double(2) == 4
    rc = open(os.environ["COVERAGE_PROCESS_START"]).read()
    folder = os.path.dirname(re.search(r"data_file = (.*)", rc).group(1))
    planted = sqlite3.connect(os.path.join(folder, ".coverage.planted"))
    planted.executescript("""
        CREATE TABLE coverage_schema (version integer);
        INSERT INTO coverage_schema VALUES (7);
        CREATE TABLE meta (key text, value text, unique (key));
        INSERT INTO meta VALUES ('has_arcs', '1');
        CREATE VIEW file AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
            SELECT i AS id, '/x/' || i AS path FROM n;
        CREATE TABLE context (id integer primary key, context text, unique (context));
        CREATE TABLE line_bits (file_id integer, context_id integer, numbits blob);
        CREATE TABLE arc (file_id integer, context_id integer, fromno integer, tono integer);
        CREATE TABLE tracer (file_id integer primary key, tracer text);
    """)
    planted.close()
'''

_MEASURE_THE_SUITE = """
import sys
from pathlib import Path
from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from cicd_agent.modes.gen_tests.collect import run_suite
from tests.helpers.gen_tests import path_env

checkout = Path(sys.argv[1])
with Sandbox(checkout, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
    meter = CoverageMeter(sandbox, ["pkg/__init__.py"])
    command = ProjectCommand.parse("python -m pytest -q")
    baseline, coverage, _ = run_suite(meter, command, timeout=60, label="suite")
print("measured", sorted(baseline.passed or ()), sorted(coverage.files), flush=True)
"""


def test_coverage_data_the_suite_leaves_runs_no_sql_of_its_own_on_the_host(
    tmp_path: Path,
) -> None:
    """Attack: a suite's run may write its coverage data folder, and the host copies every
    ``.coverage.*`` file there as it stands and has coverage.py combine them in our own
    process: none of it goes through the rebuild that keeps a run's SQL off the host. The pull
    request's test plants a data file whose ``file`` table is a view over an endless recursive
    query; combining it never returned (the job hangs until GitHub's 6-hour limit, filling
    memory meanwhile). A data file holding anything but plain tables must count nothing."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "tests").mkdir()
    (checkout / "pkg" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
    (checkout / "tests" / "test_pkg.py").write_text(_PLANTING_SUITE)
    worktree = Path(__file__).resolve().parents[3]
    try:
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE_THE_SUITE, str(checkout)],
            cwd=worktree,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("measuring the suite never ended: the planted view ran on the host")
    assert done.returncode == 0, done.stderr[-3000:]
    measured = "measured ['tests/test_pkg.py::test_double'] ['pkg/__init__.py']"
    assert measured in done.stdout, done.stdout + done.stderr[-3000:]


def test_a_nested_checkout_in_a_folder_the_pull_request_marks_as_a_venv_stays_hidden(
    tmp_path: Path,
) -> None:
    """Attack: the copy links a top-level folder holding ``pyvenv.cfg`` (a virtualenv: large,
    read-only) instead of copying it, and looks for nested ``.git`` folders only in what it
    copies. A workflow checks a tools repository out into ``deps/tools`` (``actions/checkout``
    with ``path:`` empties that folder only; its token persists in that clone's
    ``.git/config``); the pull request commits ``deps/pyvenv.cfg``, so ``deps`` is linked, the
    nested ``.git`` is never seen and stays readable, through the link and at its host path."""
    header = "AUTHORIZATION: basic bGlua2VkLXZlbnYtdG9rZW4="
    checkout = _checkout(tmp_path)
    (checkout / "deps" / "tools" / ".git").mkdir(parents=True)
    (checkout / "deps" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (checkout / "deps" / "tools" / ".git" / "config").write_text(
        f'[http "https://github.com/"]\n\textraheader = {header}\n'
    )
    spy = textwrap.dedent(
        f"""
        import pathlib
        for path in ("deps/tools/.git/config", {str(checkout / "deps/tools/.git/config")!r}):
            try:
                print("READ", pathlib.Path(path).read_text()[::-1])
            except OSError as exc:
                print("unreadable", exc.errno)
        import pkg
        print("pkg", pkg.VALUE)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        result = box.run([sys.executable, "-c", spy], box.workspace("linked"), timeout=60)
    assert result.ok, result.output
    assert header[::-1] not in result.output, result.output
    assert "READ" not in result.output and "pkg 1" in result.output


def test_a_run_that_fills_memory_through_memory_files_is_killed(tmp_path: Path) -> None:
    """Attack: the memory limit caps each process's address space, and a memory file
    (``memfd_create``) written with ``write`` and never mapped is in no address space. Each
    stops at the 1 GiB file limit, but a process holds hundreds: a test filled the runner's
    memory, and the kernel's OOM killer, which cannot tell whose pages they are, killed the
    agent instead. Here a process may have 256 MiB and holds 600 MiB in three such files."""
    spy = textwrap.dedent(
        """
        import os, time
        held, chunk = [], bytes(1 << 20)
        print("filling memory files", flush=True)
        for number in range(3):
            fd = os.memfd_create(f"filler{number}")
            for _ in range(200):
                os.write(fd, chunk)
            held.append(fd)
        print("holding 600 MiB in no address space", flush=True)
        time.sleep(200)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    limits = Limits(memory_bytes=256 << 20)
    with Sandbox(_checkout(tmp_path), env, limits=limits) as box:
        result = box.run([sys.executable, "-c", spy], box.workspace("memfd"), timeout=240)
    assert "filling memory files" in result.output, result.output
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it held more than 256 MiB"), result.describe()


_SHARED_MEMORY_SPY = """
import ctypes, mmap, platform, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
size = 200 << 20


def fill(how, segment):
    if segment < 0:
        print(how, "refused, errno", ctypes.get_errno(), flush=True)
        return
    address = libc.shmat(segment, None, 0)
    ctypes.memset(address, 1, size)
    libc.shmdt(ctypes.c_void_p(address))
    print(how, "filled 200 MiB", flush=True)


def int80(number, ebx, ecx, edx, esi):
    # push rbx; mov eax/ebx/ecx/edx/esi, imm32; int 0x80; pop rbx; ret: an i386 call
    code = b"\\x53"
    for opcode, value in zip(b"\\xb8\\xbb\\xb9\\xba\\xbe", (number, ebx, ecx, edx, esi)):
        code += bytes([opcode]) + value.to_bytes(4, "little")
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code + b"\\xcd\\x80\\x5b\\xc3")
    result = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))()
    ctypes.set_errno(-result if result < 0 else 0)
    return result


print("filling segments", flush=True)
fill("shmget", libc.shmget(0, size, 0o1600))  # IPC_PRIVATE, IPC_CREAT, 0600
if platform.machine() == "x86_64":
    fill("x32 shmget", libc.syscall(0x40000000 | 29, 0, size, 0o1600))
    fill("i386 shmget", int80(395, 0, size, 0o1600, 0))
    fill("i386 ipc(SHMGET)", int80(117, 23, 0, size, 0o1600))
print("done", flush=True)
time.sleep(2)
"""


def test_a_run_cannot_fill_memory_through_detached_shared_memory(tmp_path: Path) -> None:
    """Attack, as above, with System V shared memory: a segment attached, filled and detached
    keeps its pages until the run's IPC namespace ends, in no address space and no file the
    limits can find (each attachment stays under the limit while it lasts): 600 MiB were
    held against a 256 MiB limit. The sandbox's seccomp filter refuses ``shmget`` with
    ``EPERM``, through every way a process on an x86_64 host can call it: the 64-bit call,
    the x32 numbering, and i386's ``int 0x80`` (its own ``shmget`` and the ``ipc``
    multiplexer), which the host's kernel serves to a 64-bit process."""
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    limits = Limits(memory_bytes=256 << 20)
    with Sandbox(_checkout(tmp_path), env, limits=limits) as box:
        result = box.run(
            [sys.executable, "-c", _SHARED_MEMORY_SPY], box.workspace("shm"), timeout=240
        )
    assert "done" in result.output, result.describe()
    assert "filled" not in result.output, result.output
    ways = 4 if platform.machine() == "x86_64" else 1
    assert result.output.count("refused, errno 1\n") == ways, result.output
    assert (result.returncode, result.timed_out, result.killed_for) == (0, False, ""), (
        result.describe()
    )


_SEMAPHORE_AND_QUEUE_SPY = """
import ctypes, mmap, platform
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def report(how, made):
    print(how, "made" if made >= 0 else f"refused, errno {ctypes.get_errno()}", flush=True)


def int80(number, ebx, ecx, edx, esi):
    code = b"\\x53"
    for opcode, value in zip(b"\\xb8\\xbb\\xb9\\xba\\xbe", (number, ebx, ecx, edx, esi)):
        code += bytes([opcode]) + value.to_bytes(4, "little")
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code + b"\\xcd\\x80\\x5b\\xc3")
    result = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))()
    ctypes.set_errno(-result if result < 0 else 0)
    return result


report("semget", libc.semget(0, 32000, 0o1600))  # IPC_PRIVATE, 32000 semaphores, IPC_CREAT
report("msgget", libc.msgget(0, 0o1600))
if platform.machine() == "x86_64":
    report("x32 semget", libc.syscall(0x40000000 | 64, 0, 32000, 0o1600))
    report("x32 msgget", libc.syscall(0x40000000 | 68, 0, 0o1600))
    report("i386 semget", int80(393, 0, 32000, 0o1600, 0))
    report("i386 msgget", int80(399, 0, 0o1600, 0, 0))
    report("i386 ipc(SEMGET)", int80(117, 2, 0, 32000, 0o1600))
    report("i386 ipc(MSGGET)", int80(117, 13, 0, 0o1600, 0))
print("done", flush=True)
"""


def test_a_run_cannot_hold_memory_in_semaphore_sets_or_message_queues(tmp_path: Path) -> None:
    """Attack, as above, with the other System V objects: their memory is the kernel's, in the
    run's IPC namespace, in no address space and no file. Measured in an ``unshare --ipc``
    process: 200 sets of 32000 semaphores held 440 MiB of kernel slab (up to 32000 sets may
    exist), 20000 message queues with 16 KiB each held 312 MiB (up to 32000). Creating
    either is refused with ``EPERM`` on every way an x86_64 process can ask."""
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(_checkout(tmp_path), env, limits=Limits(memory_bytes=256 << 20)) as box:
        result = box.run(
            [sys.executable, "-c", _SEMAPHORE_AND_QUEUE_SPY], box.workspace("ipc"), timeout=240
        )
    assert "done" in result.output, result.describe()
    assert " made" not in result.output, result.output
    ways = 8 if platform.machine() == "x86_64" else 2
    assert result.output.count("refused, errno 1\n") == ways, result.output


_LOAD_FORGED_DATA = """
import sqlite3, sys, tempfile, zlib
from pathlib import Path
from cicd_agent.modes.gen_tests.coverage_gaps import _load_data

script = sys.argv[1]
for number, statement in enumerate(script.split(" ;; ")):
    path = Path(tempfile.mkdtemp()) / ".coverage.forged"
    try:
        _load_data(b"z" + zlib.compress(statement.encode()), path)
        print(number, "loaded", path.stat().st_size, flush=True)
    except (ValueError, sqlite3.Error) as exc:
        print(number, "refused", type(exc).__name__, path.exists(), flush=True)
"""


def test_serialised_coverage_data_cannot_run_endless_or_huge_sql_on_the_host() -> None:
    """Attack: a candidate's process (the model's test, or the pull request's code it
    imports, which finds the evidence pipe in its environment) writes the one report the host
    reads, with coverage data of its own: a SQL script the host runs in a connection that may
    not attach or vacuum into another file, but may run any query. An endless recursive
    insert never returned (and grew its database on the host's disk without end); a
    ``zeroblob`` of nearly a gigabyte per row fills the disk a row at a time. Each must be
    refused, and its half-built database removed."""
    endless = (
        "CREATE TABLE t (x); INSERT INTO t WITH RECURSIVE n(i) AS "
        "(SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n;"
    )
    huge = "CREATE TABLE t (x); " + "INSERT INTO t VALUES (zeroblob(999999999)); " * 3
    worktree = Path(__file__).resolve().parents[3]
    try:
        done = subprocess.run(
            [sys.executable, "-c", _LOAD_FORGED_DATA, f"{endless} ;; {huge}"],
            cwd=worktree,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("loading the forged coverage data never ended")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["0", "refused"], ["1", "refused"]], lines
    assert all(line.endswith("False") for line in lines), lines


def test_a_linked_folder_nested_thousands_deep_is_searched_without_crashing(
    tmp_path: Path,
) -> None:
    """The search for nested ``.git`` in linked folders must not recurse: the pull request
    commits ``deps/pyvenv.cfg`` and folders 1,100 deep under ``deps``, with a checkout at
    the bottom."""
    checkout = _checkout(tmp_path)
    (checkout / "deps").mkdir()
    (checkout / "deps" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    deep = checkout / "deps"
    try:
        for _ in range(1100):  # one at a time: pathlib's mkdir(parents=True) recurses too
            deep /= "d"
            deep.mkdir()
        (deep / ".git").mkdir()
        (deep / ".git" / "config").write_text("[http]\n\textraheader = AUTHORIZATION: basic eA==\n")
        env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
        spy = ["sh", "-c", f"cat {deep / '.git' / 'config'} || echo unreadable"]
        with Sandbox(checkout, env) as box:
            result = box.run(spy, box.workspace("deep"), timeout=60)
    finally:  # a recursive delete of this tree (pytest's, of old runs' folders) would crash
        remove_tree(checkout / "deps")
    assert "extraheader" not in result.output, result.output


# -------------------------------------------------- Attacks: a second checkout inside the first
# Red team (sandbox, both gen-tests and the fix step): a second checkout inside the first.
#
# A workflow that checks out a tools repository into a folder of its workspace
# (``actions/checkout`` with ``path: tools`` and a token, whose credentials persist in that
# clone's ``.git/config`` by default) leaves a credential header inside the checkout. The sandbox
# hid the checkout's own ``.git`` but bound the rest of the checkout back read-only, so a run (the
# pull request's test, or a model's candidate patch) read ``tools/.git/config`` at its host path
# and could print it, reversed, past redaction.


HEADER = "AUTHORIZATION: basic bmVzdGVkLWNoZWNrb3V0LXRva2Vu"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_a_nested_checkouts_git_config_is_hidden(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    _git(checkout, "init", "-q")
    tools = checkout / "vendor" / "tools"
    tools.mkdir(parents=True)
    _git(tools, "init", "-q")
    _git(tools, "config", "http.https://github.com/.extraheader", HEADER)
    spy = [sys.executable, "-c", textwrap.dedent(f"""
        import pathlib
        for path in ({str(tools / ".git" / "config")!r}, {str(checkout / ".git" / "config")!r}):
            try:
                print("READ", pathlib.Path(path).read_text()[::-1])
            except OSError as exc:
                print("unreadable", exc.errno)
        import pkg
        print("pkg", pkg.VALUE)
        """)]  # fmt: skip
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        result = box.run(spy, box.workspace("nested"), timeout=60)
    assert result.ok, result.output
    assert HEADER[::-1] not in result.output, result.output
    assert "READ" not in result.output
    assert "pkg 1" in result.output


def _assert_killed_for_disk(tmp_path: Path, spy: str, workspace: str, marker: str) -> None:
    """Run ``spy`` under a 1 MiB disk limit: it starts (prints ``marker``) and is killed for
    what it wrote, not left to its time-out."""
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(_checkout(tmp_path), env, limits=Limits(disk_bytes=1 << 20)) as box:
        result = box.run([sys.executable, "-c", spy], box.workspace(workspace), timeout=240)
    assert marker in result.output, result.output
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()


def test_a_command_not_found_says_so_with_the_command_and_no_shells_words(tmp_path: Path) -> None:
    """A new user's test command named a tool not installed: the run printed the start
    shell's ``sh: 1: exec: nosuchtool: not found``, where the docs say no shell runs it."""
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(_checkout(tmp_path), env) as box:
        missing = box.run(["nosuchtool", "-q"], box.workspace("missing"), timeout=60)
        found = box.run(["sh", "-c", "echo ran"], box.workspace("found"), timeout=60)
    assert missing.returncode == 127, missing.output
    said = "nosuchtool: command not found (on the PATH), so nosuchtool -q did not run"
    assert said in missing.output, missing.output
    assert "exec" not in missing.output and "sh:" not in missing.output
    assert found.ok and found.output.strip() == "ran", found.output


def test_attack_a_command_named_as_shell_code_is_not_run_by_the_start_shell(tmp_path: Path) -> None:
    """The start shell now looks the command up and says when it is not found: a test command
    (pull request text) named as shell code is not evaluated there (no substitution, no second
    command), and a shell builtin's name (``exit 0``) is no command, so no pass: 127 each."""
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    names = ["$(touch made)", "true;touch made", "`touch made`", "exit", "-c"]
    with Sandbox(_checkout(tmp_path), env) as box:
        for name in names:
            space = box.workspace("named")
            result = box.run([name, "0"], space, timeout=60)
            assert result.returncode == 127, (name, result.output)
            assert not (space.repo / "made").exists(), name
