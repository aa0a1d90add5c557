"""Each run's temporary folders are its own, and no test leaves a tree too deep to delete.

pytest's default keeps the last runs' numbered folders under one shared root and deletes the
older ones with a recursive ``rmtree`` at the end of the session. A tree an earlier run left
1,100 folders deep made that ``rmtree`` raise RecursionError, which ended the session before its
summary, so the test that had failed went unnamed. Here a run without ``--basetemp`` gets a fresh
folder of its own (xdist's workers get sub-folders of it, since xdist hands them the main
process's folder): no run reads or deletes another run's folders. The folder is deleted at the
end when every test passed and kept, and named in the summary, when one did not. The deletion
is said before it starts and timed when it ends: a full suite's folders hold gigabytes, and
minutes of silence after pytest's summary look like a hang.

Most of it goes earlier, where the run still has other work or idle cores: a passed test's
``tmp_path`` is removed by its worker as the test ends, and an xdist worker whose tests all
passed removes its own folder (module and session folders included) as it ends, while the
other workers still run. A failed test's folder stays, and so does the folder of each worker
that ran a failed test; the run's folder, named in the summary, holds them.

And a test that leaves a tree deeper than ``DEPTH_LIMIT`` under its ``tmp_path`` gets an error
naming it, after the tree is deleted: a test that makes deep trees removes them itself.

The run's folder, and ``TMPDIR`` for everything the run starts (``tempfile``, subprocesses,
sandboxes' scratch), go on a RAM file system when ``CICD_AGENT_TEST_TMP`` names one with room
(a tmpfs folder, or ``memory`` for ``/dev/shm``): the suite makes and deletes many checkouts,
caches and sandbox trees, and ext4's journal made a third of the suite's CPU time kernel time.
``.ci/run`` mounts a tmpfs of its own for the run (buildah mounts its own ``/dev/shm``, so the
build tests cannot use the machine's). A tmpfs counts no writes, so the sandbox measures disk
use there differently (:mod:`cicd_agent.sandbox.disk`); the tests of the on-disk measure ask for
``disk_tmp_path``, a folder on the disk whichever way the run goes, so both paths stay tested.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

# Deeper than any project a test builds, far below the recursion limit a recursive delete meets.
DEPTH_LIMIT = 200

_OWN_FOLDER = pytest.StashKey[Path]()
_PASSED = pytest.StashKey[bool]()
_FAILED = pytest.StashKey[bool]()
_MEMORY = Path("/dev/shm")
# Far above the most the heaviest test files' live folders took at once, 164 MiB (see .ci/run).
MEMORY_NEEDED = 4 << 30
SWITCH = "CICD_AGENT_TEST_TMP"
"""A tmpfs mounted for the run alone (an absolute path; its root becomes ``TMPDIR``), or
``memory`` for ``/dev/shm`` (whose files buildah does not see: the build tests fail there); else
the disk."""
_DISK_ROOT = "CICD_AGENT_TEST_DISK_ROOT"
"""Where ``disk_tmp_path``'s folders go when ``TMPDIR`` itself is the tmpfs (``.ci/run``)."""
_DISK_FOLDER = "CICD_AGENT_TEST_DISK_TMP"
"""Where ``disk_tmp_path`` makes its folders; set for the workers by the controller."""
_SIDE_FOLDERS = pytest.StashKey[list[Path]]()
_WORKER_SWEEPS = "cicd_agent_worker_sweeps"
"""The key of a worker's input that says the run's folder is this plugin's (not ``--basetemp``)."""


def remove_tree(path: Path, *, check: bool = True) -> None:
    """Delete ``path`` however deep it is nested: ``rm`` walks by file descriptor, not by
    recursion on a stack, unlike ``shutil.rmtree`` before Python 3.13. ``check=False``: what
    cannot be removed now is left for the run's final clean-up."""
    subprocess.run(["rm", "-rf", "--", str(path)], check=check, timeout=600)


def deepest(root: Path, limit: int = DEPTH_LIMIT) -> tuple[int, Path]:
    """How many folders deep the tree under ``root`` goes, and a folder that deep; the walk
    stops going down once it is past ``limit``. No recursion, no link followed."""
    best, where = 0, root
    stack = [(str(root), 0)]
    while stack:
        folder, depth = stack.pop()
        if depth > best:
            best, where = depth, Path(folder)
        if depth > limit:
            continue
        try:
            with os.scandir(folder) as entries:
                stack.extend(
                    (entry.path, depth + 1)
                    for entry in entries
                    if entry.is_dir(follow_symlinks=False)
                )
        except OSError:
            continue
    return best, where


def asked_memory() -> Path | None:
    """The RAM file system the switch names, if it names one."""
    asked = os.environ.get(SWITCH, "")
    if asked.lower() == "memory":
        return _MEMORY
    return Path(asked) if asked.startswith("/") else None


def memory_root(memory: Path | None = None) -> tuple[Path | None, str]:
    """The RAM file system the run's folders go on, or None and why not. Its room is the
    smaller of its free space and the memory the machine has available: a tmpfs's size may
    promise more than the RAM behind it."""
    memory = memory or asked_memory()
    if memory is None:
        return None, f"{SWITCH}={os.environ.get(SWITCH, '')}"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as table:
            kinds = {line.split()[4]: line.partition(" - ")[2].split()[0] for line in table}
        found = os.statvfs(memory)
        with open("/proc/meminfo", encoding="utf-8") as info:
            facts = dict(line.split(":", 1) for line in info)
    except OSError as error:
        return None, f"{memory} cannot be read ({error.strerror})"
    if kinds.get(str(memory)) != "tmpfs":
        return None, f"{memory} is not a tmpfs"
    available = int(facts.get("MemAvailable", "0 kB").split()[0]) << 10
    room = min(found.f_bavail * found.f_frsize, available)
    if room < MEMORY_NEEDED:
        return None, f"{memory} has {room >> 20} MiB free, less than {MEMORY_NEEDED >> 20} MiB"
    return memory, ""


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Before pytest's own temporary-folder factory reads ``--basetemp``, and before xdist
    starts the workers, which inherit ``TMPDIR``."""
    if config.option.basetemp is not None or hasattr(config, "workerinput"):
        return
    disk = Path(os.environ.get(_DISK_ROOT) or tempfile.gettempdir())
    memory, why_not = memory_root()
    if why_not and asked_memory() is not None:
        print(f"test folders on {disk}, not in memory: {why_not}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="cicd-agent-tests-", dir=memory))
    config.option.basetemp = str(folder)
    config.stash[_OWN_FOLDER] = folder
    config.stash[_SIDE_FOLDERS] = []
    if memory is None:
        os.environ[_DISK_FOLDER] = ""
        return
    # Beside the run's folder, not in it: pytest empties a given --basetemp on first use. A
    # tmpfs the run mounted for itself is TMPDIR whole (.ci/run mounts it over /tmp: a longer
    # TMPDIR took a sandbox's Unix sockets past the kernel's 108 bytes, black's in a fix check).
    sides = (("tmp", "TMPDIR", memory), ("disk", _DISK_FOLDER, disk))
    if memory != _MEMORY:
        os.environ["TMPDIR"] = str(memory)
        sides = sides[1:]
    for suffix, variable, root in sides:
        side = Path(tempfile.mkdtemp(prefix=f"{folder.name}-{suffix}-", dir=root))
        side.chmod(0o1777)  # as /tmp: tests that run as another user make folders in both
        config.stash[_SIDE_FOLDERS].append(side)
        os.environ[variable] = str(side)
    tempfile.tempdir = None  # read TMPDIR again


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, in the controller: a worker may remove its folder when the run's is ours."""
    node.workerinput[_WORKER_SWEEPS] = _OWN_FOLDER in node.config.stash


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    config.stash[_PASSED] = exitstatus in (
        pytest.ExitCode.OK,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    )
    worker = getattr(config, "workerinput", {})
    if config.stash[_PASSED] and worker.get(_WORKER_SWEEPS) and config.option.basetemp:
        remove_tree(Path(config.option.basetemp), check=False)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    folder = config.stash.get(_OWN_FOLDER, None)
    if folder is not None and not config.stash.get(_PASSED, False):
        terminalreporter.write_line(f"this run's temporary folders are kept in {folder}")
        for side in config.stash.get(_SIDE_FOLDERS, []):
            terminalreporter.write_line(f"and in {side}")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_OWN_FOLDER, None)
    if folder is not None and config.stash.get(_PASSED, False):
        started = time.monotonic()
        print(f"removing this run's temporary folders ({folder}); a full suite's take a while",
              flush=True)  # fmt: skip
        remove_tree(folder)
        for side in config.stash.get(_SIDE_FOLDERS, []):
            remove_tree(side)
        print(f"removed them in {time.monotonic() - started:.1f} s", flush=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture(autouse=True)
def no_deep_tree_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test with a ``tmp_path``: error if it left a tree deeper than ``DEPTH_LIMIT``;
    else, when the test passed, its folder removed (the fixtures that used it are torn down
    by then: each was set up after this one)."""
    if "tmp_path" not in request.fixturenames:
        yield
        return
    tmp_path: Path = request.getfixturevalue("tmp_path")
    yield
    depth, where = deepest(tmp_path)
    if depth <= DEPTH_LIMIT:
        if not request.node.stash.get(_FAILED, False):
            remove_tree(tmp_path, check=False)
    else:
        remove_tree(tmp_path)
        pytest.fail(
            f"{request.node.nodeid} left folders more than {DEPTH_LIMIT} deep under its "
            f"tmp_path ({where.relative_to(tmp_path).parts[0]}/...): remove them in the test "
            "(tests.harness.temp_folders.remove_tree), or the next run's clean-up may fail",
            pytrace=False,
        )


@pytest.fixture
def disk_tmp_path(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A test's folder on the disk even when the run's are in memory, and ``TMPDIR`` in it
    for the test (a sandbox's scratch goes there): for tests of what the sandbox measures on
    a disk (the kernel's write counts), which a tmpfs does not keep. Removed, like a
    ``tmp_path``, when the test passed."""
    root = os.environ.get(_DISK_FOLDER, "")
    if not root:
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix=f"{tmp_path.name}-", dir=root))
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    if not request.node.stash.get(_FAILED, False):
        remove_tree(folder, check=False)
