"""A process whose output is read line by line (a container build, an image copy) is held to
its time and its lines to their size, whatever it writes or leaves unwritten."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from cicd_agent.local.processes import LINE_LIMIT, stream

ENV = {"PATH": "/usr/bin:/bin"}


@pytest.mark.timeout(30)
def test_attack_a_silent_process_is_stopped_at_its_time() -> None:
    """A build's ``RUN`` line that sleeps and prints nothing (or skopeo waiting on a FIFO a
    ``RUN`` line planted in its storage) was stopped only when a line came: never. Before: this
    test failed on pytest's timeout, after the sleep ended."""
    started = time.monotonic()
    status, tail = stream(["sleep", "60"], env=ENV, on_line=lambda _: None, timeout=1)
    assert status == -9 and tail[-1] == "stopped after 1 s"
    assert time.monotonic() - started < 10


@pytest.mark.timeout(30)
def test_attack_a_child_holding_the_output_open_is_stopped_too() -> None:
    """A process that leaves a child of its own holding the output pipe would keep the read
    waiting after the process itself was killed: its whole group is."""
    started = time.monotonic()
    argv = ["sh", "-c", "sleep 60 & sleep 60"]
    status, _ = stream(argv, env=ENV, on_line=lambda _: None, timeout=1)
    assert status == -9 and time.monotonic() - started < 10


def test_a_process_that_ends_in_time_keeps_its_status_and_lines() -> None:
    seen: list[str] = []
    status, tail = stream(["sh", "-c", "echo one; echo two; exit 3"], env=ENV,
                          on_line=seen.append, timeout=30)  # fmt: skip
    assert (status, tail, seen) == (3, ["one", "two"], ["one", "two"])


@pytest.mark.timeout(120)
def test_attack_gigabytes_without_a_newline_are_not_held_in_memory() -> None:
    """A ``RUN`` line writing hundreds of megabytes with no newline: the whole line was read
    into memory before being cut (before: 514 MB more for 300 MB written)."""
    script = (
        "import resource\n"
        "from cicd_agent.local.processes import stream\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "lines = []\n"
        "argv = ['sh', '-c', 'head -c 300000000 /dev/zero; echo; echo after']\n"
        "status, _ = stream(argv, env={'PATH': '/usr/bin:/bin'}, on_line=lines.append, "
        "timeout=100)\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(status, len(lines), len(lines[0]), lines[-1], grown)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=110)  # fmt: skip
    status, count, first, last, grown = done.stdout.split()
    assert (status, count, first, last) == ("0", "2", str(LINE_LIMIT), "after")
    assert int(grown) < 64 * 1024, f"grew {grown} KiB"
