"""Red team, third pass: what a sandboxed run (a generated test, the pull request's suite, the
fix step's command) can do to the host that the sandbox's measures do not see. Every run is a
real bubblewrap process."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from cicd_agent.sandbox import Limits, Sandbox
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox


def _checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    return checkout


def test_a_run_that_fills_the_disk_through_files_it_unlinked_is_killed(tmp_path: Path) -> None:
    """Attack: the disk limit walks the run's folder, and a file a process keeps open after
    unlinking it is in no folder, yet holds its blocks on the host's disk until the process
    ends. Each file stops at the 1 GiB file limit, but a process holds hundreds of them and a
    run 512 processes: a test filled the runner's disk (every other step and job on it fails)
    while the limit saw an empty folder. Here 1 MiB is allowed and 32 MiB are written to four
    unlinked files, then the run waits to be measured."""
    spy = textwrap.dedent(
        """
        import os, time
        held = []
        print("writing to unlinked files", flush=True)
        for number in range(4):
            handle = open(f"hidden{number}", "wb")
            os.unlink(f"hidden{number}")
            handle.write(bytes(8 << 20))
            handle.flush()
            os.fsync(handle.fileno())
            held.append(handle)
        print("wrote 32 MiB in no folder", flush=True)
        time.sleep(30)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(_checkout(tmp_path), env, limits=Limits(disk_bytes=1 << 20)) as box:
        result = box.run([sys.executable, "-c", spy], box.workspace("unlinked"), timeout=20)
    assert "writing to unlinked files" in result.output, result.output
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()


def test_a_run_that_keeps_unlinked_files_only_mapped_is_killed(tmp_path: Path) -> None:
    """Attack, as above, without an open file: a file mapped, filled through the mapping,
    then closed and unlinked keeps its blocks as long as the mapping lives."""
    spy = textwrap.dedent(
        """
        import mmap, os, time
        held = []
        print("writing to unlinked mapped files", flush=True)
        for number in range(4):
            with open(f"mapped{number}", "w+b") as handle:
                handle.truncate(8 << 20)
                mapping = mmap.mmap(handle.fileno(), 8 << 20)
            os.unlink(f"mapped{number}")
            mapping[:] = b"x" * (8 << 20)
            mapping.flush()
            held.append(mapping)
        print("wrote 32 MiB in no folder and no open file", flush=True)
        time.sleep(30)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(_checkout(tmp_path), env, limits=Limits(disk_bytes=1 << 20)) as box:
        result = box.run([sys.executable, "-c", spy], box.workspace("mapped"), timeout=20)
    assert "writing to unlinked mapped files" in result.output, result.output
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()
