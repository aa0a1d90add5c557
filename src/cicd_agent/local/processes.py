"""Processes a mode starts on the host that are neither git nor the sandbox: a container
builder (buildah, docker buildx) or an image copier (skopeo), which isolate what they run
themselves. Each is started with the environment its caller made (never the job's as it is),
its output read line by line so long work shows progress, and bounded in time."""

from __future__ import annotations

import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence

LINE_LIMIT = 4096
"""The most bytes of one output line kept (a line of a gigabyte is cut, not held)."""


def stream(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    on_line: Callable[[str], None],
    timeout: float,
    keep: int = 100,
) -> tuple[int, list[str]]:
    """Run ``argv`` (found on ``env``'s PATH), stdout and stderr merged, each line handed to
    ``on_line``; its exit status and its last ``keep`` lines. Past ``timeout`` seconds it is
    killed and the status is -9; a program that cannot start is status 127."""
    tail: deque[str] = deque(maxlen=keep)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=dict(env),
        )  # fmt: skip
    except OSError as exc:
        return 127, [f"{argv[0]} could not start: {exc.strerror or exc}"]
    with process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw[:LINE_LIMIT].decode("utf-8", "replace").rstrip()
            tail.append(line)
            on_line(line)
            if time.monotonic() - started > timeout:
                process.kill()
                return -9, [*tail, f"stopped after {timeout:.0f} s"]
        status = process.wait()
    return status, list(tail)


def runs(argv: Sequence[str], *, env: Mapping[str, str], timeout: float = 60) -> bool:
    """Whether ``argv`` starts and exits 0 (``buildah --version``: is the tool there)."""
    status, _ = stream(argv, env=env, on_line=lambda _: None, timeout=timeout, keep=1)
    return status == 0
