"""How a run's command starts inside the sandbox and how it is stopped: the shell words that
tell a started command from bwrap's own failure, its program found as :mod:`processes` finds
it, and its whole process group killed."""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Mapping, Sequence

from cicd_agent.local import processes

STARTED = (
    "/bin/sh",
    "-c",
    'printf . >&0 && { command -v -- "$1" >/dev/null || {'
    ' printf "%s: command not found (on the PATH), so %s did not run\\n" "$1" "$*" >&2;'
    " exit 127; }; }"
    ' && exec "$@" </dev/null',
    "sh",
)
"""What runs first inside, as the run's user: one byte to the start pipe, given as its
stdin, then the command in its place with an empty stdin. bwrap's own failures (a mount, its
``--chdir``) end the run before this, so a run that never wrote the byte never started. A
command not found is said in its words, not this shell's (``sh: 1: exec: …``): no shell runs
the command itself; exit 127, as a shell's."""


def program_found(argv: list[str], env: Mapping[str, str], limited: Sequence[str]) -> list[str]:
    """``argv`` with its program found as :func:`processes.start` finds it, where the limits'
    ``prlimit`` (``limited``) starts it: not found is then an OSError here, as without them."""
    if not limited or os.sep in argv[0]:
        return argv
    found = processes.program(argv[0], processes.environment(env))
    if os.sep not in found:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), argv[0])
    return [found, *argv[1:]]


def bwrap_words(output: str) -> str:
    """bwrap's (or the limits' ``prlimit``'s) own last error line in a run's output ("" when
    none)."""
    said = [line for line in output.splitlines() if line.startswith(("bwrap: ", "prlimit: "))]
    return said[-1][:300] if said else ""


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
