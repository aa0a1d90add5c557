"""A subprocess bounded by the CPU it spends, for the tests that pin a stall.

A pattern made linear runs in a fraction of a second; the quadratic or exponential one it
replaced ran for minutes or hours. Those tests gave the run 15 s of wall time, a deadline a
machine at load 12 on two cores misses before the interpreter has imported the package. The
limit is the run's own CPU instead (``RLIMIT_CPU``): a stall still ends in it on any
machine, and a loaded machine only makes the run wait longer for its share. Wall time is a guard
against a run that blocks without computing.
"""

from __future__ import annotations

import resource
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CPU_SECONDS = 15
"""CPU a run may spend: many times what the linear code takes, a fraction of the stalls."""
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

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))

    done = subprocess.run(
        list(argv), input=input, capture_output=True, text=text, cwd=cwd, check=False,
        timeout=WALL_SECONDS, preexec_fn=limit,
    )  # fmt: skip
    if done.returncode < 0:
        said = f"\nended by signal {-done.returncode}: more than {cpu_seconds} s of CPU?\n"
        done.stderr += said if text else said.encode()
    return done
