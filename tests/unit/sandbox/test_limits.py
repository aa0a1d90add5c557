"""The disk limit (``sandbox/limits.py``'s walk of a run's folders) against a run that hides
what it wrote from the walk: a tree deeper than a path can name, and folders renamed while
they are walked. Every run is real bubblewrap; each writes 64 MiB under a 4 MiB limit."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from cicd_agent.sandbox import Limits, RunResult, Sandbox
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox


def _run(tmp_path: Path, script: str) -> RunResult:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits(disk_bytes=4 << 20)) as box:
        return box.run(
            [sys.executable, "-c", textwrap.dedent(script)], box.workspace("hide"), timeout=240
        )


def test_a_tree_deeper_than_a_path_can_name_is_not_a_place_the_disk_limit_cannot_see(
    tmp_path: Path,
) -> None:
    """Attack: the walk names each folder by its whole path, and a run nests folders by
    changing into each one it makes, past the longest path the kernel takes (4096 bytes): the
    walk's calls failed there and it went on, so 64 MiB written below counted nothing."""
    result = _run(
        tmp_path,
        """
        import os, time
        for _ in range(20):
            os.mkdir("d" * 250)
            os.chdir("d" * 250)
        for number in range(64):
            with open(f"f{number}", "wb") as handle:
                handle.write(bytes(1 << 20))
        print("64 MiB written deeper than a path reaches", flush=True)
        time.sleep(200)
        print("never counted", flush=True)
        """,
    )
    assert "never counted" not in result.output, result.output
    assert result.killed_for, (result.describe(), result.output)


def test_folders_renamed_while_they_are_walked_hide_nothing(tmp_path: Path) -> None:
    """Attack: the walk lists a folder, then opens each folder it found by name; a folder
    renamed in between is gone under that name, and the walk skipped it. Twelve processes
    each rename one level of a twelve-deep chain back and forth (``x`` to ``y`` and back):
    the walk reached the bottom almost never, and 64 MiB there counted nothing for as long
    as the run liked."""
    result = _run(
        tmp_path,
        """
        import os, time
        levels, path, parents = 12, ".", []
        for _ in range(levels):
            parents.append(path)
            path += "/x"
            os.mkdir(path)
        folders = [os.open(parent, os.O_RDONLY | os.O_DIRECTORY) for parent in parents]
        bottom = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        for folder in folders:
            if os.fork() == 0:
                while True:
                    try:
                        os.rename("x", "y", src_dir_fd=folder, dst_dir_fd=folder)
                        os.rename("y", "x", src_dir_fd=folder, dst_dir_fd=folder)
                    except OSError:
                        pass
        for number in range(64):  # written once the names never hold still
            made = os.open(f"f{number}", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=bottom)
            os.write(made, bytes(1 << 20))
            os.close(made)
        print("64 MiB written below folders that never keep a name", flush=True)
        time.sleep(200)
        print("never counted", flush=True)
        """,
    )
    assert "never counted" not in result.output, result.output
    assert result.killed_for.startswith("it wrote more than 4 MiB"), (
        result.describe(),
        result.output,
    )


def _run_under(tmp_path: Path, script: str, limits: Limits) -> RunResult:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=limits) as box:
        return box.run(
            [sys.executable, "-c", textwrap.dedent(script)], box.workspace("links"), timeout=240
        )


def test_a_file_with_several_names_counts_once(tmp_path: Path) -> None:
    """Common sense (found by the fifth red team): an installer links files from its cache
    instead of copying them (uv does by default, ``cp -al`` too), so one file has several
    names. The walk counted each name at the file's whole size: 3 MiB and three more names
    for it counted 12 MiB under an 8 MiB limit, and an honest run was killed."""
    result = _run_under(
        tmp_path,
        """
        import os, time
        with open("cached", "wb") as handle:
            handle.write(bytes(3 << 20))
        for number in range(3):
            os.link("cached", f"installed{number}")
        time.sleep(2)  # measured meanwhile
        print("kept", flush=True)
        """,
        Limits(disk_bytes=8 << 20),
    )
    assert result.ok, (result.describe(), result.output)
    assert "kept" in result.output


def test_names_of_one_file_still_count_as_entries(tmp_path: Path) -> None:
    """Attack: were a further name of a file counted at nothing, a run could make names
    (65000 a file on ext4) for the cost of their folder's blocks alone, more than a measure
    can list and sort in the host's memory. Each counts one block, as every entry does:
    2000 names of one empty file pass a 4 MiB limit."""
    result = _run_under(
        tmp_path,
        """
        import os, time
        open("one", "w").close()
        for number in range(2000):
            os.link("one", f"n{number}")
        time.sleep(200)
        print("never counted", flush=True)
        """,
        Limits(disk_bytes=4 << 20),
    )
    assert "never counted" not in result.output, result.output
    assert result.killed_for.startswith("it wrote more than 4 MiB"), result.describe()


# On a disk, which the kernel's write counts bound the measure on (a tmpfs has its own test)
def test_a_run_that_writes_past_its_limit_and_ends_at_once_is_caught(disk_tmp_path: Path) -> None:
    """Attack (found by the fifth red team): the disk was first measured after the run had
    started and then once a poll, never after it ended; a run that writes 16 MiB under a
    4 MiB limit as its first act and exits is done before either, and ended as a clean exit
    with its 16 MiB left in its folder (``fallocate`` fills any disk within one poll)."""
    result = _run_under(
        disk_tmp_path,
        """
        import os
        made = os.open("filler", os.O_WRONLY | os.O_CREAT, 0o600)
        os.posix_fallocate(made, 0, 16 << 20)
        """,
        Limits(disk_bytes=4 << 20),
    )
    assert not result.ok, (result.describe(), result.output)
    assert result.killed_for.startswith("it wrote more than 4 MiB"), result.describe()
