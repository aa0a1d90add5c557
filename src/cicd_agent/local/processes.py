"""The one place cicd-agent starts a process (a project test,
``tests/project/test_process_seam.py``, fails when another module starts one).

:func:`run`, :func:`start` and :func:`stream` take the environment as a mapping (never None,
which would hand over this process's whole environment) and start the process without the job's
own token and keys and every secret value a run holds
(:func:`~cicd_agent.local.environment.scrub_environment`, trusted strength), whatever the caller
forgot; the sandbox and a fork's tests are scrubbed harder before they get here. A program is
found on the absolute entries of ``PATH`` alone, and starts with those alone: an empty or
relative entry names the folder it starts in, the checkout, so a ``git`` the pull request commits
at its root would run on the host. The one credential a process is meant to hold (git's header
for a push) is named by its caller in ``added``."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from cicd_agent.actions.withheld import held
from cicd_agent.local.environment import own_secrets, scrub_environment

LINE_LIMIT = 4096
"""The most bytes of one output line kept (a line of a gigabyte is cut, not held)."""


def absolute_path(value: str) -> str:
    """``value`` (a ``PATH``) with only its absolute entries."""
    return os.pathsep.join(entry for entry in value.split(os.pathsep) if os.path.isabs(entry))


def find(name: str, env: Mapping[str, str]) -> str | None:
    """``name`` found on the absolute entries of ``env``'s ``PATH`` (None: not there)."""
    return shutil.which(name, path=absolute_path(env.get("PATH", os.defpath)))


MAX_LINKS = 40
"""Links followed from a program to the file that runs (the kernel's own bound)."""


def host_tool(name: str, env: Mapping[str, str]) -> str | None:
    """The first ``name`` on the absolute entries of ``env``'s ``PATH`` a repository did not put
    there: a program cicd-agent starts on the host runs with its rights (the token, the model
    key), so one lying, or reached through links, inside a git work tree or ``GITHUB_WORKSPACE``
    is passed over."""
    for entry in absolute_path(env.get("PATH", os.defpath)).split(os.pathsep):
        found = shutil.which(name, path=entry) if entry else None
        if found is not None and not _in_a_repository(found, env):
            return found
    return None


def _in_a_repository(program: str, env: Mapping[str, str]) -> bool:
    workspace = env.get("GITHUB_WORKSPACE", "")
    roots = {Path(workspace), Path(workspace).resolve()} if os.path.isabs(workspace) else set()
    hop = Path(os.path.abspath(program))
    for _ in range(MAX_LINKS):
        for at in (hop, hop.resolve()):
            if any(at.is_relative_to(root) for root in roots):
                return True
            if any((folder / ".git").exists() for folder in at.parents):
                return True
        if not hop.is_symlink():
            return False
        hop = Path(os.path.abspath(hop.parent / os.readlink(hop)))
    return True  # a chain of links longer than the kernel follows: not a program to run


def program(name: str, env: Mapping[str, str]) -> str:
    """``name`` found on the absolute entries of ``env``'s ``PATH`` (``name`` as it is when it
    holds a ``/`` or is not found: it then fails to start, never runs from a relative folder)."""
    if os.sep in name:
        return name
    return find(name, env) or name


def environment(env: Mapping[str, str], added: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a process handed ``env`` starts with: ``env`` without the job's own secrets and
    with only the absolute ``PATH`` entries, then ``added``."""
    known = (*held(), *own_secrets(os.environ))
    started = {**scrub_environment(env, known_secrets=known, trusted=True), **(added or {})}
    if "PATH" in started:
        started["PATH"] = absolute_path(started["PATH"])
    return started


def _argv(argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
    return [program(argv[0], env), *argv[1:]] if argv else []


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    added: Mapping[str, str] | None = None,
    **options: Any,
) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run(argv, **options)`` with :func:`environment` (``env``, ``added``)."""
    started = environment(env, added)
    return subprocess.run(_argv(argv, started), env=started, **options)  # noqa: PLW1510 - callers say check


def start(argv: Sequence[str], *, env: Mapping[str, str], **options: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(argv, **options)`` with :func:`environment` (``env``)."""
    started = environment(env)
    return subprocess.Popen(_argv(argv, started), env=started, **options)


def stream(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    on_line: Callable[[str], None],
    timeout: float,
    keep: int = 100,
    pass_fds: Sequence[int] = (),
    cwd: Path | None = None,
) -> tuple[int, list[str]]:
    """Run ``argv``, stdout and stderr merged, each line to ``on_line``; its exit status and last
    ``keep`` lines. Past ``timeout`` its process group is killed (status -9) whether or not it
    writes; a program that cannot start is 127. A line is read :data:`LINE_LIMIT` bytes at a time
    and the rest skipped unread: gigabytes with no newline are not held."""
    tail: deque[str] = deque(maxlen=keep)
    try:
        process = start(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
            cwd=cwd,
        )
    except OSError as exc:
        return 127, [f"{argv[0]} could not start: {exc.strerror or exc}"]
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        with contextlib.suppress(OSError):  # ended already
            os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, stop)
    timer.start()
    with process:
        assert process.stdout is not None
        try:
            for line in _lines(process.stdout):
                tail.append(line)
                on_line(line)
        finally:
            timer.cancel()
        status = process.wait()
    if stopped.is_set():
        return -9, [*tail, f"stopped after {timeout:.0f} s"]
    return status, list(tail)


def _lines(output: IO[bytes]) -> Iterator[str]:
    """The lines of ``output``, each cut at :data:`LINE_LIMIT` bytes; the rest of a longer one
    is read and dropped a piece at a time."""
    cut = False
    while raw := output.readline(LINE_LIMIT):
        ended = raw.endswith(b"\n")
        if not cut:
            yield raw.decode("utf-8", "replace").rstrip()
        cut = not ended


def runs(argv: Sequence[str], *, env: Mapping[str, str], timeout: float = 60) -> bool:
    """Whether ``argv`` starts and exits 0 (``buildah --version``: is the tool there)."""
    status, _ = stream(argv, env=env, on_line=lambda _: None, timeout=timeout, keep=1)
    return status == 0


def restart_isolated(argv: Sequence[str]) -> NoReturn:
    """Replace this process with cicd-agent itself in an isolated interpreter (``python -I``)
    with ``argv``. The one start that keeps the environment whole: it is the same program,
    and the job's variables are for the commands it starts (each scrubbed here)."""
    closed = [sys.executable, "-I", "-m", "cicd_agent", *argv]
    os.execv(sys.executable, closed)  # noqa: S606 - this same program, started closed
