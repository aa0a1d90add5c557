"""How a run starts and is seen to end. Attacks on how it gets its limits: every run,
sandboxed or not, must be in its groups and under its rlimits (writable memory, processes, file
size, no core files) before any of the checkout's code runs, and the programs that set them
must be the system's own, never a ``prlimit``, ``sh`` or ``dash`` the pull request commits on
the job's ``PATH`` or at its root. The limits are read where the run reads them, in
``/proc/self/limits`` and ``/proc/self/cgroup``; every confined run is real bubblewrap.
Neither the limits nor, for root, the run's closed user namespace may cost a fork of the agent
(its page tables copied); its end is seen by its pidfd where the kernel has one, by polling
where not."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.local import processes
from cicd_agent.sandbox import Limits, RunResult, Sandbox
from cicd_agent.sandbox.isolation import Isolation
from cicd_agent.sandbox.limits import RunGroups
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

LIMITS = Limits(memory_bytes=256 << 20, processes=97, file_bytes=5 << 20)

_READ = (
    "import pathlib; print(pathlib.Path('/proc/self/limits').read_text()); "
    "print(pathlib.Path('/proc/self/cgroup').read_text())"
)

MARK = "ran-on-the-host"

HOSTILE = """#!/bin/sh
# the pull request's program: on the host it marks the host, and the run never starts
echo "$0 $*" >> "{mark}"
exit 1
"""

UNCONFINED = Isolation(False, "unconfined on purpose")


def _limits(output: str) -> dict[str, tuple[str, str]]:
    """``/proc/self/limits`` as read by the run: each limit's soft and hard value."""
    rows = {}
    for line in output.splitlines():
        for name in ("Max data size", "Max processes", "Max file size", "Max core file size"):
            if line.startswith(name):
                soft, hard = line[len(name) :].split()[:2]
                rows[name] = (soft, hard)
    return rows


def _expected(*, bounded: bool) -> dict[str, tuple[str, str]]:
    data = str(LIMITS.writable_bytes(bounded=bounded))
    return {
        "Max data size": (data, data),
        "Max processes": (str(LIMITS.processes), str(LIMITS.processes)),
        "Max file size": (str(LIMITS.file_bytes), str(LIMITS.file_bytes)),
        "Max core file size": ("0", "0"),
    }


def _run(checkout: Path, env: dict[str, str], isolation: Isolation | None = None) -> RunResult:
    with Sandbox(checkout, env, limits=LIMITS, isolation=isolation) as box:
        return box.run([sys.executable, "-c", _READ], box.workspace("limits"), timeout=120)


def _checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    return checkout


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}


@pytest.fixture
def no_groups(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No cgroup can be made (an agent that is not root, without a delegated cgroup)."""
    monkeypatch.setattr("cicd_agent.sandbox.limits._CGROUPS", tmp_path / "no-cgroups")


@pytest.mark.parametrize("isolation", [None, UNCONFINED], ids=["sandboxed", "unconfined"])
def test_a_run_without_groups_has_every_rlimit(
    tmp_path: Path, no_groups: None, isolation: Isolation | None
) -> None:
    result = _run(_checkout(tmp_path), _env(tmp_path), isolation)
    assert result.ok, (result.describe(), result.output)
    assert _limits(result.output) == _expected(bounded=False), result.output


@pytest.mark.parametrize("isolation", [None, UNCONFINED], ids=["sandboxed", "unconfined"])
def test_a_run_is_in_its_groups_with_the_memory_groups_rlimit(
    tmp_path: Path, isolation: Isolation | None
) -> None:
    """Where the run's groups can be made, it is in each (the cgroup file of every hierarchy
    names them), and its writable memory is the bounded one."""
    probe = RunGroups.make(LIMITS)
    probe.remove()
    if probe.memory is None:
        pytest.skip("no memory cgroup can be made here (not root, no delegated cgroup)")
    result = _run(_checkout(tmp_path), _env(tmp_path), isolation)
    assert result.ok, (result.describe(), result.output)
    assert _limits(result.output) == _expected(bounded=True), result.output
    own = f"/cicd-agent-{os.getpid()}-"
    joined = [line for line in result.output.splitlines() if own in line]
    assert len(joined) == len(probe.paths), result.output


@pytest.fixture
def hostile_checkout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A checkout whose root and ``bin/`` hold a ``prlimit``, ``sh`` and ``dash`` of its own,
    both first on the job's ``PATH`` (``.`` and ``bin/``), with the run starting at its root,
    and a shell's start-up file and ``IFS`` in the job's environment (an unconfined run's host
    side)."""
    mark = tmp_path / MARK
    files = {
        f"{folder}{name}": HOSTILE.format(mark=mark)
        for folder in ("", "bin/")
        for name in ("prlimit", "sh", "dash")
    }
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("the pull request's tools", files)
    for name in files:
        os.chmod(repo.path / name, 0o755)
    path = f".:{repo.path / 'bin'}:{repo.path}:{path_env()}"
    startup = str(repo.path / "sh")  # a shell's start-up file, and words split at every digit
    env = {**_env(tmp_path), "PATH": path, "ENV": startup, "BASH_ENV": startup}
    env["IFS"] = "0123456789/-"
    return repo.path, env


@pytest.mark.parametrize("isolation", [None, UNCONFINED], ids=["sandboxed", "unconfined"])
def test_attack_the_checkouts_own_prlimit_and_shells_never_set_the_limits(
    hostile_checkout: tuple[Path, dict[str, str]],
    no_groups: None,
    isolation: Isolation | None,
) -> None:
    """Held before (the limits were set in Python in the child) and after: the stub's shell
    and ``prlimit`` are found in the system's folders only, so the checkout's never run on
    the host and the limits hold."""
    checkout, env = hostile_checkout
    result = _run(checkout, env, isolation)
    mark = checkout.parent / MARK
    assert not mark.exists(), mark.read_text()
    assert result.ok, (result.describe(), result.output)
    assert _limits(result.output) == _expected(bounded=False), result.output


def test_a_run_starts_with_no_python_between_fork_and_exec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: the limits were set by a ``preexec_fn``, which forbids CPython's
    ``vfork`` start, so each run copied the page tables of the whole agent (or of a pytest
    worker: 25 ms a start in a 400 MB process, against 2.5 ms)."""
    seen: list[dict[str, Any]] = []
    start = processes.start

    def spy(argv: list[str], **options: Any) -> Any:
        seen.append(options)
        return start(argv, **options)

    monkeypatch.setattr(processes, "start", spy)
    result = _run(_checkout(tmp_path), _env(tmp_path))
    assert result.ok, (result.describe(), result.output)
    assert seen and all(options.get("preexec_fn") is None for options in seen), seen


def test_without_the_systems_prlimit_the_limits_are_set_in_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_groups: None
) -> None:
    """A system without util-linux's ``prlimit``: the slower start, the same limits."""
    monkeypatch.setattr("cicd_agent.sandbox.limits.limit_tools", lambda: None)
    result = _run(_checkout(tmp_path), _env(tmp_path))
    assert result.ok, (result.describe(), result.output)
    assert _limits(result.output) == _expected(bounded=False), result.output


def test_an_unconfined_command_not_found_is_still_said_so(tmp_path: Path) -> None:
    with Sandbox(_checkout(tmp_path), _env(tmp_path), isolation=UNCONFINED) as box:
        result = box.run(["no-such-program-here"], box.workspace("missing"), timeout=60)
    assert result.returncode == 127 and "cannot run no-such-program-here" in result.output


_NAMESPACE = (
    "import pathlib; print('most', pathlib.Path('/proc/sys/user/max_user_namespaces').read_text()"
    ".strip()); print('uids', pathlib.Path('/proc/self/uid_map').read_text().split())"
)


def _closed_namespace_run(tmp_path: Path) -> RunResult:
    with Sandbox(_checkout(tmp_path), _env(tmp_path), limits=LIMITS) as box:
        return box.run([sys.executable, "-c", _NAMESPACE], box.workspace("ns"), timeout=120)


@pytest.fixture
def as_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("the sandbox makes the run's user namespace itself for root only")


def test_a_run_as_nobody_starts_with_no_fork_of_the_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_root: None
) -> None:
    """Failed before: each run's user namespace was made by a fork of the agent (a pytest
    worker, in the suite), which copied its page tables each time. The namespace must still
    be closed: no further one can be made in it, and it maps root and nobody alone."""

    def no_fork() -> int:
        raise AssertionError("the agent forked itself for a run")

    monkeypatch.setattr(os, "fork", no_fork)
    result = _closed_namespace_run(tmp_path)
    assert result.ok, (result.describe(), result.output)
    assert "most 0\n" in result.output, result.output
    assert "uids ['0', '0', '1', '65534', '65534', '1']" in result.output, result.output


def test_without_the_systems_unshare_the_namespace_is_still_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_root: None
) -> None:
    monkeypatch.setattr("cicd_agent.sandbox.isolation.namespace_tools", lambda: None)
    result = _closed_namespace_run(tmp_path)
    assert result.ok, (result.describe(), result.output)
    assert "most 0\n" in result.output, result.output
    assert "uids ['0', '0', '1', '65534', '65534', '1']" in result.output, result.output


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "no-pidfd"])
def test_a_runs_end_is_seen_with_its_status_and_a_timeout_still_kills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pidfd: bool
) -> None:
    """The wait wakes on the run's pidfd as it ends; where the kernel has none (before 5.3) it
    polls, and both see the status and the timeout alike."""
    if not pidfd:

        def refused(pid: int, flags: int = 0) -> int:
            raise OSError("no pidfd here")

        monkeypatch.setattr(os, "pidfd_open", refused)
    with Sandbox(_checkout(tmp_path), _env(tmp_path), limits=LIMITS) as box:
        space = box.workspace("end")
        ended = box.run(["sh", "-c", "exit 3"], space, timeout=60)
        stuck = box.run(["sleep", "600"], space, timeout=2)
    assert (ended.returncode, ended.timed_out, ended.sandbox_failure) == (3, False, ""), ended
    assert stuck.timed_out and not stuck.ok, stuck.describe()
