"""The in-run check's records arrive whole when the writer is stopped mid-write: the sandbox stops a
run's processes (``SIGSTOP``, then ``SIGCONT``) to measure its disk, and a write blocked on a
full pipe then returns having written part of its bytes. A record cut so was read as a second
outcome report, and a round's every test lost its word (a 128 KiB test id did it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LONG = "q" * 300_000
"""Several pipe buffers' worth: the write blocks until the reader drains it."""
CHILDREN = {
    "in-run check": (
        "from cicd_agent.runners.pytest.in_run import in_run_check\n"
        f"in_run_check._write({{'test': 'q' * {len(LONG)}}})\n"
    ),
    "guard": (
        "import os\n"
        "from cicd_agent.runners.pytest.in_run.in_run_check_guard import _writer\n"
        f"_writer(os.environ['CHECK_FD'])('guard', {{'test': 'q' * {len(LONG)}}})\n"
    ),
}


def _blocked(pid: int) -> bool:
    """Whether process ``pid`` sleeps (blocked on the full pipe)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "S"


@pytest.mark.parametrize("writer", sorted(CHILDREN))
def test_a_record_written_across_a_stop_arrives_whole(writer: str) -> None:
    read, write = os.pipe()
    env = {**os.environ, "CICD_FIX_CHECK_STREAM": "CHECK_FD", "CHECK_FD": str(write)}
    child = subprocess.Popen([sys.executable, "-c", CHILDREN[writer]], env=env,
                             pass_fds=(write,))  # fmt: skip
    os.close(write)
    try:
        first = os.read(read, 1)  # the child has started writing; the pipe refills
        while not _blocked(child.pid):
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGSTOP)
        time.sleep(0.05)
        os.kill(child.pid, signal.SIGCONT)
        with os.fdopen(read, "rb") as stream:
            raw = first + stream.read()
    finally:
        child.wait(timeout=60)
    lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
    assert [line.get("test", line.get("guard", {}).get("test")) for line in lines
            if "loaded" not in line] == [LONG]  # fmt: skip
