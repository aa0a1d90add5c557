"""The corpus and its toolbox are built by whichever test worker needs them first; the others
wait (pytest-xdist workers share ``.harness/``, and two builders would delete each other's files)."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus.tools import exclusive
from tests.harness.payloads import REPO_ROOT

HOLDER = """
import sys
from pathlib import Path
from tests.corpus.tools import exclusive
with exclusive(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _try_lock(folder: Path) -> bool:
    """Whether this process could take ``folder``'s lock right now (and then lets it go)."""
    with (folder.parent / f".{folder.name}.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_a_folder_being_built_by_another_worker_is_locked_until_it_is_done(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "corpus"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert not _try_lock(folder)
        assert _try_lock(tmp_path / "corpus-tools")  # another folder is not held up
    finally:
        holder.communicate("done\n", timeout=30)
    assert _try_lock(folder)


def test_the_lock_is_released_when_the_builder_fails(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    with pytest.raises(RuntimeError), exclusive(folder):
        raise RuntimeError("the build broke")
    assert _try_lock(folder)
