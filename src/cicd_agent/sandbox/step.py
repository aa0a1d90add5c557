"""Starts the job's own test step: the workflow's command, where the workflow runs it, or in
the sandbox when GitHub does not vouch for the code.

:func:`step_place` is the one way in. On code GitHub vouches for (a push, a writer's pull
request) the step is the job's own: it runs on the host, in the checkout, never with the job's
token or keys (:mod:`cicd_agent.local.processes`). On any other code (a fork's, or code nobody
could say who wrote) it runs in the sandbox (:class:`~cicd_agent.sandbox.Sandbox`), in a copy
of the checkout, with none of the runner's variables and nothing secret-named or
secret-shaped: a process on the host, as the runner's user, could write the runner's
file-command files by path (an environment and outputs for the job's later steps), its other
folders, the home's configuration later steps read, or the checkout's ``.git``; in the
sandbox none of those is there, no process of the job is either, and nothing leaves through
the network. Where the sandbox cannot confine, such code does not run: the step fails, saying
what the runner must allow. Its runs and their reports are read by the test-runner seam
(:mod:`cicd_agent.modes.test_step.attempts`). With the change's lines (:func:`read_change`),
the seam traces which tests ran one.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.changed_lines import Touched, touched, traced
from cicd_agent.analysis.redact import known_secrets_from_env
from cicd_agent.local import processes
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.local.environment import scrub_environment
from cicd_agent.local.gitrepo import is_null_sha
from cicd_agent.sandbox import Sandbox, Workspace

STEP_TIMEOUT = 6 * 3600.0
"""A sandboxed run's timeout when the step sets none: a GitHub job's own longest."""


def step_environment(environ: Mapping[str, str], *, trusted: bool) -> dict[str, str]:
    """What the step's command is handed: ``environ`` less the job's own secrets, and on code
    not ``trusted``, less every secret the environment holds."""
    known = () if trusted else known_secrets_from_env(environ)
    return scrub_environment(environ, known_secrets=known, trusted=trusted)


Shown = Callable[[str], str]


def _each_line(line: str) -> str:
    return f"{line}\n"


@dataclass(frozen=True)
class StepPlace:
    """Where the step's runs happen: the checkout on the host (``sandbox`` None), or one
    workspace of a sandbox, whose copy of the checkout every run shares."""

    cwd: Path
    """The folder the runs start in (the checkout, or the sandbox's copy of it)."""
    own: Path
    """A folder of ours the runs read and never write (our tracer, the change's lines)."""
    environ: Mapping[str, str]
    sandbox: Sandbox | None = None
    space: Workspace | None = None

    def run(
        self,
        argv: Sequence[str],
        *,
        ours: Mapping[str, str],
        shared: Path,
        timeout: float | None,
        shown: Shown | None = None,
    ) -> tuple[int, str]:
        """Run the step's command once, ``ours`` (our own variables: the tracer's) added to
        its environment, ``shared`` (this run's own report folder) writable; its exit status and,
        with ``shown`` (how each line of its standard output is shown), that output, kept;
        without, what it wrote on standard error in the sandbox ("" on the host, where it goes
        straight to ours). The command's output is shown on standard error: standard output
        is the mode's own (its ``--json`` document is all it holds)."""
        if self.sandbox is None or self.space is None:
            env = {**step_environment(self.environ, trusted=True), **ours}
            if shown is None:
                done = processes.run(
                    argv, cwd=self.cwd, env=env, timeout=timeout, check=False, stdout=STDERR
                )
                return int(done.returncode), ""
            return _run_read(argv, cwd=self.cwd, env=env, timeout=timeout, shown=shown)
        # one pytest cache for the step's runs (a retry's --last-failed), never the checkout's
        ran = self.sandbox.run(
            argv,
            self.space,
            timeout=timeout or STEP_TIMEOUT,
            extra_env=ours,
            stdout_evidence=True,
            shared=(shared,),
            pytest_cache=self.space.live / "pytest-cache",
        )
        output = ran.evidence.decode("utf-8", "replace")
        for line in output.splitlines():
            sys.stderr.write((shown or _each_line)(line))
        sys.stderr.write(ran.output)
        if ran.sandbox_failure or ran.killed_for or ran.timed_out:
            sys.stderr.write(f"the step's command {ran.describe()}\n")
        return (ran.returncode or 1) if not ran.ok else 0, output if shown else ran.output


@contextlib.contextmanager
def step_place(
    cwd: Path,
    environ: Mapping[str, str],
    *,
    trusted: bool,
    own: Path,
    opens: Callable[[Path], Sandbox],
) -> Iterator[StepPlace]:
    """Where the step runs: on code ``trusted``, the checkout ``cwd`` on the host (with ``own``,
    made here, as our folder); else a copy of it in the sandbox ``opens`` gives over it (the
    run's, :func:`cicd_agent.runners.sandboxes.opened`) and a folder of the sandbox's own,
    read-only inside, both gone when the block ends. Raises :class:`UsageError` when the code
    is not trusted and the sandbox cannot confine on this runner."""
    if trusted:
        own.mkdir()
        yield StepPlace(cwd, own, environ)
        return
    with opens(cwd) as sandbox:
        if not sandbox.isolation.sandboxed:
            raise UsageError(
                "the test step does not run code GitHub does not vouch for (a fork's pull "
                f"request) outside the sandbox, and bubblewrap cannot run here "
                f"({sandbox.isolation.detail})",
                hint="Let the runner start bubblewrap (docs/sandbox.md), or run "
                "the step only on pushed code and writers' pull requests.",
            )
        space = sandbox.workspace("step")
        (space.root / "own").mkdir()
        yield StepPlace(space.repo, space.root / "own", environ, sandbox, space)


STDERR = 2
"""The process's standard error by its descriptor, whatever object ``sys.stderr`` is now (a
test runner's or an embedding program's may have no descriptor of its own)."""

MAX_OUTPUT = 64 << 20
"""Most of a run's standard output kept for its runner's reader (all of it is still shown)."""


def _run_read(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float | None, shown: Shown
) -> tuple[int, str]:
    """Run the step's command once on the host, its standard output shown line by line as
    ``shown`` gives each, its line end included (go's ``-json`` events as the text go prints),
    and kept; its exit status and output."""
    kept: list[str] = []
    size = 0
    with processes.start(
        list(argv), env=env, cwd=cwd, stdout=subprocess.PIPE, text=True, errors="replace"
    ) as process:
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer is not None:
            timer.start()
        try:
            for line in process.stdout or ():
                sys.stderr.write(shown(line.rstrip("\n")))
                if size < MAX_OUTPUT:
                    kept.append(line)
                    size += len(line)
        finally:
            if timer is not None:
                timer.cancel()
        return process.wait(), "".join(kept)


def read_change(
    base: str | None, head: str | None, cwd: Path, sees: Callable[[str], bool] = traced
) -> tuple[Touched | None, str]:
    """The lines the change under test touched, ``base`` to ``head`` (the mode reads them from
    the event), read from the checkout at ``cwd``, those of the files the runner's record
    ``sees`` (:func:`~cicd_agent.analysis.changed_lines.touched`), or why they could not be."""
    if not base or not head or is_null_sha(base):
        return None, "the event names no change to compare"
    try:
        diff = GitCheckout(cwd).diff(base, head)
    except UsageError as error:
        return None, (
            f"the change could not be read ({str(error)[:200]}; check out with fetch-depth: 0)"
        )
    sources: dict[str, str] = {}
    for changed in diff.files:
        if sees(changed.path):
            try:
                sources[changed.path] = read_text(cwd, changed.path)
            except CheckoutFileError:
                continue
    return touched(diff.files, sources, sees), ""
