"""Run a process with the fix in-run check's stream open, as the sandbox gives it (a pipe whose
write end the variable ``CICD_FIX_CHECK_STREAM`` names), and read its records."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def streamed(
    argv: Callable[[int], Sequence[str]], cwd: Path, environ: Mapping[str, str]
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Run ``argv(write_fd)`` in ``cwd``; its exit and the records it streamed, in order, each
    without its process id."""
    read, write = os.pipe()
    env = {**environ, "CICD_FIX_CHECK_STREAM": "CHECK_FD", "CHECK_FD": str(write)}
    try:
        done = subprocess.run(
            list(argv(write)), cwd=cwd, env=env, pass_fds=(write,), capture_output=True,
            text=True, check=False, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as stream:
        raw = stream.read()
    records = [json.loads(line) for line in raw.splitlines() if line.strip()]
    return done, [{k: v for k, v in record.items() if k != "pid"} for record in records]
