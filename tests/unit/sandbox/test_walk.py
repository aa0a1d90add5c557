"""The one walk of the sandbox's trees (``sandbox/walk.py``) and the file system's count
beside it (``sandbox/disk.py``): a link is never followed, a folder moved from under the walk
stops it, and blocks no folder shows still leave the free count."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cicd_agent.sandbox.disk import free_bytes
from cicd_agent.sandbox.walk import Moved, walk


class _Seen:
    def __init__(self, on_enter: object = None) -> None:
        self.names: list[str] = []
        self.on_enter = on_enter

    def entry(self, folder: int, name: str, found: os.stat_result) -> bool:
        self.names.append(name)
        return True

    def enter(self, folder: int, name: str) -> None:
        if callable(self.on_enter):
            self.on_enter(name)

    def leave(self, folder: int) -> None:
        pass

    def failed(self, error: OSError) -> None:
        raise error


def test_a_link_to_a_folder_is_an_entry_never_gone_into(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    (tmp_path / "inside" / "kept.txt").write_text("x")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("x")
    (tmp_path / "inside" / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    seen = _Seen()
    walk(tmp_path / "inside", seen)
    assert seen.names == ["kept.txt", "link"]


def test_a_folder_moved_from_under_the_walk_stops_it(tmp_path: Path) -> None:
    """Attack: going back up opens ``..``; a folder moved elsewhere while the walk is inside
    it would lead the walk up into another tree. It stops instead."""
    (tmp_path / "top" / "a" / "b").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "unrelated.txt").write_text("x")

    def move(name: str) -> None:
        if name == "b":
            (tmp_path / "top" / "a" / "b").rename(tmp_path / "elsewhere" / "b")

    seen = _Seen(move)
    with pytest.raises(Moved):
        walk(tmp_path / "top", seen)
    assert "unrelated.txt" not in seen.names


def test_two_folders_on_one_file_system_count_its_free_blocks_once(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    free = free_bytes([tmp_path, tmp_path / "shared"])
    assert list(free) == [os.stat(tmp_path).st_dev]


_UNSEEN = textwrap.dedent(
    """
    import dataclasses, os, sys
    from pathlib import Path
    from cicd_agent.sandbox.disk import DiskStart
    from cicd_agent.sandbox.limits import Limits, tree_bytes
    folder = Path(sys.argv[1])
    start = DiskStart.of([folder], tree_bytes(folder))
    held = os.open(folder / "gone", os.O_RDWR | os.O_CREAT, 0o600)
    os.write(held, bytes(8 << 20))
    os.unlink(folder / "gone")
    shown = tree_bytes(folder)
    print(start.unseen(shown, None) >= 8 << 20)
    print(start.unwritten and start.unseen(shown, 1 << 20) >= 8 << 20)  # a tmpfs counts no writes
    on_disk = dataclasses.replace(start, unwritten=False)
    print(on_disk.unseen(shown, 1 << 20) <= 1 << 20)  # on a disk: no more than the run wrote
    print(bool(start.overrun(Limits(disk_bytes=1 << 20, others_bytes=4 << 20), shown, None)))
    print(start.overrun(Limits(disk_bytes=1 << 20, others_bytes=16 << 20), shown, None) == "")
    start, empty = DiskStart.of([folder], tree_bytes(folder)), []
    for number in range(1000):  # no blocks, an inode each
        empty.append(os.open(folder / f"e{number}", os.O_RDWR | os.O_CREAT, 0o600))
        os.unlink(folder / f"e{number}")
    print(start.unseen(tree_bytes(folder), 0) >= 1000 * 4096)
    """
)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="mounts a small file system"
)
def test_blocks_no_folder_shows_leave_the_free_count(tmp_path: Path) -> None:
    """An unlinked file held open is in no folder; its 8 MiB still leave the free count of a
    file system of the test's own (nobody else writes there), no more than the run wrote (a
    tmpfs, which counts no writes, aside), and
    count against a run only past what others may write; a thousand empty ones take no blocks
    and no writes, but an inode each, counted as a block as the walk counts each entry."""
    mount = f'mount -t tmpfs -o size=64m tmpfs {tmp_path} && exec "$@"'
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh",
         sys.executable, "-c", _UNSEEN, str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.stdout.split() == ["True"] * 6, done.stderr[-2000:]
