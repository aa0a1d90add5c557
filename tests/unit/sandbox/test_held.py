"""What a run's processes hold that no folder shows (``sandbox/held.py``), measured from
outside on a real child process: an unlinked file kept open on a watched file system, a memory
file, and nothing of either once the child lets go."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from cicd_agent.sandbox.held import Held, held

CHILD = textwrap.dedent(
    """
    import os, sys
    path = sys.argv[1]
    with open(path, "wb") as handle:
        handle.write(b"x" * 200_000)
    kept = open(path, "rb")
    os.unlink(path)
    memory = os.memfd_create("held-test")
    os.write(memory, b"y" * 300_000)
    print("ready", flush=True)
    sys.stdin.read()
    """
)


def test_an_unlinked_open_file_and_a_memory_file_are_counted_until_released(
    tmp_path: Path,
) -> None:
    device = os.stat(tmp_path).st_dev
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "filler")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        found = held(child.pid, {device})
        assert found.disk >= 200_000 and found.memory >= 300_000
        assert held(child.pid, set()).disk == 0  # another file system is not the run's
    finally:
        child.communicate("", timeout=60)
    assert held(child.pid, {device}) == Held()  # it ended: nothing held
