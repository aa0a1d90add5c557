"""The sandbox itself: a checkout's copies, and one run over them from start to kill.

:class:`Sandbox` ties the parts together for each run: its environment (:mod:`.environment`),
who it runs as (:mod:`.isolation`), what it sees (:mod:`.mounts`), its limits (:mod:`.limits`)
and its folder (:mod:`.workspace`); it waits for the run, kills its group at the timeout or
past the disk limit, and gives back the tail of its output and what it wrote to the evidence
pipe.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Self

from cicd_agent.actions.errors import UsageError
from cicd_agent.local import processes
from cicd_agent.local.checkout_files import create_file
from cicd_agent.local.environment import scrub_environment
from cicd_agent.sandbox.disk import DiskStart, left_past, memory_words, overrun, written
from cicd_agent.sandbox.environment import (
    HOST_ENVIRONMENT,
    borrowable,
    protect_own_environment,
    with_pytest_cache,
)
from cicd_agent.sandbox.isolation import (
    Confinement,
    Isolation,
    closed_user_namespace,
    confinement,
    find_bwrap,
    probe_isolation,
    userns_option,
)
from cicd_agent.sandbox.limits import Limits, RunGroups, short_of_memory
from cicd_agent.sandbox.mounts import Mounts, ToolMount
from cicd_agent.sandbox.pipes import LINGER, MAX_OUTPUT_CHARS, RunFds
from cicd_agent.sandbox.start import STARTED, bwrap_words, kill_group, program_found
from cicd_agent.sandbox.syscalls import seccomp_option
from cicd_agent.sandbox.workspace import (
    CopyFailed,
    Workspace,
    copy_repository,
    hand_over,
    installed_folders,
    linked_folders,
    relink,
    remove_tree,
)

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
    """Why we killed the run before its timeout, or would have had it not ended first (its
    disk past the limit when it ended): "" when neither."""
    sandbox_failure: str = ""
    """bwrap's own words when it could not start the command (its mounts, its ``--chdir``):
    the sandbox's failure, never the project's ("" when the command started)."""
    short: str = ""
    """The sandbox's memory limit, in words, when the run failed saying it ran short of memory
    (the limit refused it, or its own did: both read the same): "" otherwise."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.killed_for

    def describe(self) -> str:
        """How the run ended, in words (for feedback and reports)."""
        if self.sandbox_failure:
            return f"never ran: the sandbox could not start the command ({self.sandbox_failure})"
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s and was killed"
        if self.killed_for:
            return f"was killed: {self.killed_for}"
        ended = (
            f"was killed by signal {-self.returncode}"
            if self.returncode < 0
            else f"exited with status {self.returncode}"
        )
        return f"{ended} ({self.short})" if self.short else ended


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
        left_out: Iterable[str] = (),  # paths of the checkout no run needs: never copied
        tools: Iterable[ToolMount] = (),  # the test runners' toolchains' folders
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
        if self._confined is not None and self._confined.owner is not None:
            try:
                os.close(closed_user_namespace())  # each run makes its own: see :meth:`run`
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
        self._mounts = Mounts.of(self.checkout, self.root, environ, tools)
        self._names = 0
        self.prepare()
        # the checkout is bound back whole: every .git in it is hidden, not only its own
        mounts = self._mounts  # hidden paths are resolved, left-out ones taken as written
        nested = [str(p) for p in _copied(self.checkout, self.pristine, mounts.hidden, left_out)]
        hidden = (
            *self._mounts.hidden,
            *(path for path in nested if path not in self._mounts.hidden),
        )
        linked = tuple(sorted(linked_folders(self.checkout)))
        self._mounts = replace(self._mounts, hidden=hidden, linked=linked)
        self.installed = installed_folders(self.checkout, linked)  # the job's, not the PR's
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
        copy_repository(self.pristine, space.repo)  # our own copy: a failure is an OSError
        space.home.mkdir()
        space.tmp.mkdir()
        return space

    def _scrubbed(self, environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` scrubbed with all this sandbox knows (known secret values and names)."""
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
                **{tool.variable: str(tool.folder) for tool in self._mounts.tools},
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
        fds: RunFds,
    ) -> list[str]:
        """bwrap's argv; the run's environment goes in through ``--clearenv`` and ``--setenv``
        (the host-side process gets :data:`HOST_ENVIRONMENT` only), the seccomp filter
        through the fd ``fds.syscalls``, the run's own user namespace through
        ``fds.namespace``; the command starts behind :data:`STARTED`, which tells bwrap's
        own failures from the command's."""
        if self._confined is None or self._bwrap is None:
            return list(command)
        argv = [self._bwrap, *self._confined.flags, *userns_option(fds.namespace)]
        argv += seccomp_option(fds.syscalls)
        argv.append("--clearenv")
        for name, value in env.items():
            argv += ["--setenv", name, value]
        as_nobody = self._confined.owner is not None
        writable = (space.live, *shared)
        argv += self._mounts.arguments(writable, as_nobody=as_nobody, workspace=space.root)
        argv += ["--chdir", str(space.repo), "--", *self._confined.prefix, *STARTED]
        return [*argv, *command]

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
        stdout_evidence: bool = False,
        pytest_cache: Path | None = None,
    ) -> RunResult:
        """Run ``command`` in ``space``'s repository copy, left with its links to the job's
        installs as the copy made them (:func:`relink`); killed with its group at ``timeout``.

        ``extra_env`` and ``borrowed_env``: see :meth:`environment`. ``evidence`` opens a
        pipe whose write end the run finds in :attr:`evidence_variable`; ``stdout_evidence``
        makes that pipe the command's standard output (kept whole, up to its limit; its
        standard error alone is the output's tail); ``shared`` names host folders the run may
        write (coverage data of a whole suite). Its output comes back through a pipe, of
        which only the tail is kept: it never lands in a host file no disk limit would see.

        pytest's cache (:func:`with_pytest_cache`) is ``pytest_cache``, a folder of
        ``space.live`` runs share (the test step's: a retry's ``--last-failed`` reads what the
        run before it failed), or by default a fresh folder of this run's own, gone when it
        ends: the options that need it (``--failed-first``) work, and neither a cache the
        checkout ships nor one an earlier run wrote decides which tests run."""
        env = self.environment(space, extra_env, borrowed_env)
        cache = pytest_cache or Path(tempfile.mkdtemp(prefix="pytest-cache-", dir=space.live))
        env["PYTEST_ADDOPTS"] = with_pytest_cache(env.get("PYTEST_ADDOPTS", ""), cache)
        confined = self._confined is not None and self._bwrap is not None
        owner = self._confined.owner if self._confined is not None else None
        if owner is not None:
            hand_over((space.live, *shared), owner)
        with contextlib.ExitStack() as stack:
            if pytest_cache is None:
                stack.callback(remove_tree, cache)
            own_namespace = confined and owner is not None
            try:
                fds = RunFds.open(
                    stack,
                    evidence=evidence or stdout_evidence,
                    confined=confined,
                    namespace=own_namespace,
                )
            except OSError as exc:  # no pipe, or no user namespace for this run
                said = f"cannot prepare the run: {exc}"
                return RunResult(tuple(command), 127, False, said, 0.0, sandbox_failure=said)
            if evidence:
                env[self.evidence_variable] = str(fds.evidence[1])
            argv = self._argv(command, space, shared, env, fds)
            host_env = None if confined else env
            return self._wait(
                command,
                argv,
                space,
                shared,
                host_env,
                fds=fds,
                timeout=timeout,
                stdout=fds.evidence[1] if stdout_evidence else fds.output[1],
            )

    def _wait(
        self,
        command: Sequence[str],
        argv: list[str],
        space: Workspace,
        shared: Sequence[Path],
        env: Mapping[str, str] | None,
        *,
        fds: RunFds,
        timeout: float,
        stdout: int,
    ) -> RunResult:
        """Start ``argv`` (``env``: the host side's environment, None for
        :data:`HOST_ENVIRONMENT`; ``stdout``: the fd its standard output goes to), wait for it,
        kill it at the timeout or past the disk limit."""
        groups = RunGroups.make(self.limits)
        writable = (space.live, *shared)  # every folder the run may write counts
        start = DiskStart.of(writable, written(writable))  # before it writes a byte
        started = time.monotonic()
        host_env = HOST_ENVIRONMENT if env is None else env
        limited = self.limits.start(groups)
        slow = {} if limited else {"preexec_fn": functools.partial(self.limits.apply, groups)}
        try:
            process = processes.start(
                [*limited, *program_found(argv, host_env, limited)],
                cwd=space.repo,
                env=host_env,
                stdin=fds.started[1] if fds.started[1] >= 0 else subprocess.DEVNULL,
                stdout=stdout,
                stderr=fds.output[1],
                start_new_session=True,
                pass_fds=fds.passed,
                **slow,
            )
        except OSError as exc:
            groups.remove()
            said = f"cannot run {argv[0]}: {exc}"
            failure = said if fds.started[0] >= 0 else ""
            return RunResult(tuple(command), 127, False, said, 0.0, sandbox_failure=failure)
        readers = fds.read_all()
        fds.watch(process.pid)
        timed_out, killed_for = False, ""
        deadline = started + timeout
        while True:
            fds.until_exit(_DISK_POLL)
            if (ended := process.poll()) is not None:
                returncode = ended
                break
            if time.monotonic() >= deadline:
                timed_out = True
            else:
                killed_for = overrun(start, process.pid, groups, self.limits)
                if not killed_for:
                    continue
            kill_group(process.pid)
            returncode = process.wait()
            break
        if not readers.join(LINGER):  # a daemon of an unconfined run holds the output
            kill_group(process.pid)
            readers.join(LINGER)
        if not killed_for and not timed_out and groups.out_of_memory():
            killed_for = memory_words(self.limits)
        bounded = groups.memory is not None
        groups.remove()
        relink(self.pristine, space.repo, self._mounts.linked)  # over: our writes come next
        if not killed_for and not timed_out:  # it may have ended between two polls
            killed_for = left_past(start, self.limits)
        if not killed_for and readers.evidence.cut:  # its end (a runner's report) would be lost
            kept = readers.evidence.limit
            killed_for = f"it wrote more than the {kept} bytes its evidence pipe keeps"
        output = bytes(readers.output.data[-MAX_OUTPUT_CHARS:]).decode("utf-8", "replace")
        failure = ""
        if fds.started[0] >= 0 and not readers.started.data and not timed_out and not killed_for:
            failure = bwrap_words(output) or f"bwrap exited with status {returncode}"
        short = (
            ""
            if returncode == 0 or killed_for or timed_out
            else short_of_memory(output, self.limits, bounded=bounded)
        )
        return RunResult(
            tuple(command),
            returncode,
            timed_out,
            output,
            time.monotonic() - started,
            bytes(readers.evidence.data),
            killed_for,
            failure,
            short,
        )


def _copied(source: Path, target: Path, hidden: Sequence[str], left: Iterable[str]) -> list[Path]:
    """:func:`copy_repository`, its failure a :class:`UsageError` naming where and why (the
    checkout's shape is the pull request's: a folder no copy can hold is bad input)."""
    try:
        return copy_repository(source, target, hidden, tuple(left))
    except CopyFailed as exc:
        raise UsageError(
            f"the sandbox cannot copy the checkout: {exc.strerror}",
            hint="The runs that need a sandbox (linters, tests, the fix step) did not happen.",
        ) from exc
