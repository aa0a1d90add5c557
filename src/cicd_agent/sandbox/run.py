"""The sandbox itself: a checkout's copies, and one run over them from start to kill.

:class:`Sandbox` ties the parts together for each run: its environment (:mod:`.environment`),
who it runs as (:mod:`.isolation`), what it sees (:mod:`.mounts`), its limits (:mod:`.limits`)
and its folder (:mod:`.workspace`); it waits for the run, kills its group at the timeout or
past the disk limit, and gives back the tail of its output and what it wrote to the evidence
pipe.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Self

from cicd_agent.local.checkout_files import create_file
from cicd_agent.sandbox.environment import (
    HOST_ENVIRONMENT,
    borrowable,
    protect_own_environment,
    scrub_environment,
)
from cicd_agent.sandbox.held import held
from cicd_agent.sandbox.isolation import (
    Confinement,
    Isolation,
    closed_user_namespace,
    confinement,
    find_bwrap,
    probe_isolation,
    userns_option,
)
from cicd_agent.sandbox.limits import Limits, pids_group, remove_group, tree_bytes
from cicd_agent.sandbox.mounts import Mounts
from cicd_agent.sandbox.syscalls import filter_fd, seccomp_option
from cicd_agent.sandbox.workspace import Workspace, copy_repository, hand_over, remove_tree

MAX_EVIDENCE_BYTES = 64 << 20

MAX_OUTPUT_CHARS = 64_000

_DISK_POLL = 0.25
"""Seconds between two measures of what a run wrote."""


@dataclass(frozen=True)
class RunResult:
    """One finished (or killed) run. ``output`` is the tail of stdout and stderr together."""

    command: tuple[str, ...]
    returncode: int
    timed_out: bool
    output: str
    seconds: float
    evidence: bytes = b""
    """What the run wrote to its evidence pipe (empty unless asked for)."""
    killed_for: str = ""
    """Why we killed the run before its timeout ("" when we did not)."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def describe(self) -> str:
        """How the run ended, in words (for feedback and reports)."""
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s and was killed"
        if self.killed_for:
            return f"was killed: {self.killed_for}"
        if self.returncode < 0:
            return f"was killed by signal {-self.returncode}"
        return f"exited with status {self.returncode}"


class Sandbox:
    """Temporary copies of one checkout and the means to run commands over them safely."""

    temp_prefix = "cicd-agent-sandbox-"
    """Prefix of the one temporary folder holding every copy (a mode names its own)."""
    evidence_variable = "CICD_SANDBOX_EVIDENCE_FD"
    """Names the write end of the evidence pipe in a run's environment."""

    def __init__(
        self,
        checkout: Path,
        environ: Mapping[str, str],
        *,
        known_secrets: Iterable[str] = (),
        secret_names: Iterable[str] = (),
        isolation: Isolation | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.checkout = checkout.resolve()
        self._bwrap = find_bwrap(environ)
        self.isolation = isolation if isolation is not None else probe_isolation(self._bwrap)
        confined = confinement()
        if isinstance(confined, str) and self.isolation.sandboxed:
            self.isolation = Isolation(False, confined)
        self._confined = (
            confined
            if isinstance(confined, Confinement) and self.isolation.sandboxed and self._bwrap
            else None
        )
        self._namespace = -1
        if self._confined is not None and self._confined.owner is not None:
            try:
                self._namespace = closed_user_namespace()
            except OSError as exc:
                self.isolation = Isolation(False, f"cannot make a user namespace for nobody: {exc}")
                self._confined = None
        self.limits = limits or Limits()
        self._tempdir = tempfile.TemporaryDirectory(
            prefix=self.temp_prefix, ignore_cleanup_errors=True
        )
        self.root = Path(self._tempdir.name).resolve()
        if self._confined is not None and self._confined.owner is not None:
            self.root.chmod(0o711)  # runs (nobody) pass through to their folder, list nothing
        self.pristine = self.root / "pristine"
        self._known_secrets = tuple(known_secrets)
        self._secret_names = tuple(secret_names)
        self._environment = self._scrubbed(environ)
        self._mounts = Mounts.of(self.checkout, self.root, environ)
        self._names = 0
        self.prepare()
        # the checkout is bound back whole: every .git in it is hidden, not only its own
        nested = [str(path) for path in copy_repository(self.checkout, self.pristine)]
        hidden = (
            *self._mounts.hidden,
            *(path for path in nested if path not in self._mounts.hidden),
        )
        self._mounts = replace(self._mounts, hidden=hidden)
        if not self.isolation.sandboxed:
            protect_own_environment()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete every copy; runs are over (their process groups were killed or ended)."""
        remove_tree(self.root)
        self._tempdir.cleanup()
        if self._namespace >= 0:
            os.close(self._namespace)
            self._namespace = -1

    def prepare(self) -> None:
        """Write files every run needs into ``self.root`` (read-only inside): none by default."""

    def python_path(self) -> list[str]:
        """Folders put first on every run's ``PYTHONPATH`` (a mode's boot files): none here."""
        return []

    def add_file(self, relative: str, text: str) -> None:
        """Add a file to the pristine copy, so later workspaces hold it (an accepted test)."""
        create_file(self.pristine, relative, text)  # never through a link of the PR's

    def workspace(self, label: str) -> Workspace:
        """A fresh folder with its own copy of the repository (and files added so far)."""
        self._names += 1
        safe = "".join(ch if ch.isalnum() else "-" for ch in label)[:40]
        space = Workspace(self.root / "work" / f"{self._names:03d}-{safe}")
        space.root.mkdir(parents=True)
        space.live.mkdir()
        copy_repository(self.pristine, space.repo)
        space.home.mkdir()
        space.tmp.mkdir()
        return space

    def _scrubbed(self, environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` scrubbed with everything this sandbox knows (known secret values and
        secret names included)."""
        return scrub_environment(
            environ, known_secrets=self._known_secrets, secret_names=self._secret_names
        )

    def environment(
        self,
        space: Workspace,
        extra: Mapping[str, str] | None = None,
        borrowed: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The scrubbed environment of one run in ``space``: ``extra`` holds variables we set
        ourselves (``GIT_CEILING_DIRECTORIES``), kept as given; ``borrowed`` holds variables
        taken from elsewhere (a failed step's ``env:``), filtered (:func:`borrowable`) and
        scrubbed here like the sandbox's own, so no caller can pass them on with less. The
        places we set (``HOME``, ``PATH``, temp folders) always win over borrowed ones."""
        env = dict(self._environment)
        lent = self._scrubbed(borrowable(borrowed or {}))
        user_path = lent.pop("PYTHONPATH", None) or env.get("PYTHONPATH")
        env.update(lent)
        env.update(
            {
                "HOME": str(space.home),
                "TMPDIR": str(space.tmp),
                "TMP": str(space.tmp),
                "TEMP": str(space.tmp),
                "XDG_CACHE_HOME": str(space.home / ".cache"),
                "XDG_CONFIG_HOME": str(space.home / ".config"),
                "XDG_DATA_HOME": str(space.home / ".local" / "share"),
                "PYTHONPATH": os.pathsep.join(filter(None, [*self.python_path(), user_path])),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONNOUSERSITE": "1",
                "PATH": self._mounts.own_path,
            }
        )
        env.update(extra or {})
        return env

    def _argv(
        self,
        command: Sequence[str],
        space: Workspace,
        shared: Sequence[Path],
        env: Mapping[str, str],
        syscalls: int,
    ) -> list[str]:
        """bwrap's argv; the run's environment goes in through ``--clearenv`` and ``--setenv``
        (the host-side process gets :data:`HOST_ENVIRONMENT` only), the seccomp filter
        through the fd ``syscalls``."""
        if self._confined is None or self._bwrap is None:
            return list(command)
        argv = [self._bwrap, *self._confined.flags, *userns_option(self._namespace)]
        argv += seccomp_option(syscalls)
        argv.append("--clearenv")
        for name, value in env.items():
            argv += ["--setenv", name, value]
        as_nobody = self._confined.owner is not None
        argv += self._mounts.arguments((space.live, *shared), as_nobody=as_nobody)
        return [*argv, "--chdir", str(space.repo), "--", *self._confined.prefix, *command]

    def _overrun(self, writable: Sequence[Path], pid: int, room: int) -> str:
        """Why the run (``pid`` and below) must be killed now: it wrote past ``room`` on disk
        (its folders, and files its processes hold unlinked on their file systems), or holds
        more memory files than a process may have memory; "" when neither."""
        outside = held(pid, {folder.stat().st_dev for folder in writable})
        if sum(map(tree_bytes, writable)) + outside.disk > room:
            return f"it wrote more than {self.limits.disk_bytes >> 20} MiB"
        if outside.memory > self.limits.memory_bytes:
            return f"it held more than {self.limits.memory_bytes >> 20} MiB in memory files"
        return ""

    def run(
        self,
        command: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
        borrowed_env: Mapping[str, str] | None = None,
        evidence: bool = False,
        shared: Sequence[Path] = (),
    ) -> RunResult:
        """Run ``command`` in ``space``'s repository copy; killed with its group at ``timeout``.

        ``extra_env`` and ``borrowed_env``: see :meth:`environment`. ``evidence`` opens a
        pipe whose write end the run finds in :attr:`evidence_variable`;
        ``shared`` names host folders the run may write (coverage data of a whole suite).
        """
        env = self.environment(space, extra_env, borrowed_env)
        read_end, write_end = os.pipe() if evidence else (-1, -1)
        if evidence:
            env[self.evidence_variable] = str(write_end)
        confined = self._confined is not None and self._bwrap is not None
        host_env = dict(HOST_ENVIRONMENT) if confined else env
        if self._confined is not None and self._confined.owner is not None:
            hand_over((space.live, *shared), self._confined.owner)
        collected = bytearray()
        reader = threading.Thread(target=_drain, args=(read_end, collected), daemon=True)
        log = space.scratch("run", ".log")
        started = time.monotonic()
        group = pids_group(self.limits.processes)
        limit = functools.partial(self.limits.apply, group)
        with log.open("wb") as sink, filter_fd(confined) as syscalls:
            argv = self._argv(command, space, shared, env, syscalls)
            try:
                process = subprocess.Popen(
                    argv,
                    cwd=space.repo,
                    env=host_env,
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=tuple(fd for fd in (write_end, self._namespace, syscalls) if fd >= 0),
                    preexec_fn=limit,  # noqa: PLW1509 - setrlimit only
                )
            except OSError as exc:
                if evidence:
                    os.close(read_end)
                    os.close(write_end)
                remove_group(group)
                return RunResult(tuple(command), 127, False, f"cannot run {argv[0]}: {exc}", 0.0)
            if evidence:
                os.close(write_end)
                reader.start()
            timed_out, killed_for = False, ""
            writable = (space.live, *shared)  # every folder the run may write counts
            room = sum(map(tree_bytes, writable)) + self.limits.disk_bytes
            deadline = started + timeout
            while True:
                try:
                    returncode = process.wait(timeout=_DISK_POLL)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= deadline:
                        timed_out = True
                    else:
                        killed_for = self._overrun(writable, process.pid, room)
                        if not killed_for:
                            continue
                    _kill_group(process.pid)
                    returncode = process.wait()
                    break
        if evidence:
            reader.join(timeout=5)
        remove_group(group)
        seconds = time.monotonic() - started
        output = _tail(log)
        return RunResult(
            tuple(command), returncode, timed_out, output, seconds, bytes(collected), killed_for
        )


def _drain(fd: int, into: bytearray) -> None:
    """Read the evidence pipe until every writer closed it (a run's daemons are killed with it)."""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(1 << 16):
            if len(into) < MAX_EVIDENCE_BYTES:
                into += chunk


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _tail(path: Path) -> str:
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - MAX_OUTPUT_CHARS))
        return handle.read().decode("utf-8", "replace")
