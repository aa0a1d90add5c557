"""A subprocess bounded by the CPU it spends, for the tests that pin a stall.

A pattern made linear runs in a fraction of a second; the quadratic or exponential one it
replaced ran for minutes or hours. Those tests gave the run 15 s of wall time, a deadline a
machine at load 12 on two cores misses before the interpreter has imported the package. The
limit is the run's own CPU instead (``RLIMIT_CPU``): a stall still ends in it on any
machine, and a loaded machine only makes the run wait longer for its share. Wall time is a guard
against a run that blocks without computing. The limit is set by util-linux's ``prlimit``, which
then execs the run: Python code run in the child before exec (``preexec_fn``) would forbid the
``vfork`` start, and a pytest worker's fork copies its page tables each time.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CPU_SECONDS = 15
"""CPU a run may spend: many times what the linear code takes, a fraction of the stalls."""
PRLIMIT = shutil.which("prlimit", path="/usr/bin:/bin") or "/usr/bin/prlimit"
"""The system's own (a missing one fails every run at its start, saying so)."""
WALL_SECONDS = 240
"""Only against a run that blocks: under pytest's own time-out for the test."""


def run_bounded(
    argv: Sequence[str],
    *,
    input: str | bytes | None = None,
    text: bool = True,
    cwd: Path | None = None,
    cpu_seconds: int = CPU_SECONDS,
) -> subprocess.CompletedProcess[Any]:
    """Run ``argv`` to its end; past ``cpu_seconds`` of its CPU the kernel ends it (SIGXCPU,
    then SIGKILL), and its non-zero return code and the stderr line added here say so."""
    limit = [PRLIMIT, f"--cpu={cpu_seconds}:{cpu_seconds + 1}", "--"]
    done = subprocess.run(
        [*limit, *argv], input=input, capture_output=True, text=text, cwd=cwd, check=False,
        timeout=WALL_SECONDS,
    )  # fmt: skip
    if done.returncode < 0:
        said = f"\nended by signal {-done.returncode}: more than {cpu_seconds} s of CPU?\n"
        done.stderr += said if text else said.encode()
    return done
