"""Attacks that would stall the build mode: a FIFO where it reads a file (a layer, an image
tar, an OpenVEX file), a ``RUN`` line that sleeps and prints nothing, a FIFO a ``RUN`` line
plants in its storage for the image copy to read. Each test fails on its pytest timeout when
the guard goes (the thread method: a read blocked on a FIFO is never interrupted)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import BuildFailed, Request
from cicd_agent.modes.build.findings import assessments
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import unpack
from cicd_agent.modes.build.regular import NotRegular, regular
from cicd_agent.modes.build.tree import TreeError

BUSYBOX = shutil.which("busybox")
REAL = pytest.mark.skipif(
    shutil.which("buildah") is None or BUSYBOX is None,
    reason="needs buildah and busybox-static (tests/harness/setup.sh installs them)",
)


@pytest.mark.timeout(30, method="thread")
def test_attack_a_fifo_given_as_a_layer_or_an_image_tar_is_not_opened(tmp_path: Path) -> None:
    """A layer's blob or a ``--base-image`` tar that is a FIFO by the time it is opened (a
    check before said "a file") waited for a writer forever. Before: this test hung."""
    fifo = tmp_path / "blob"
    os.mkfifo(fifo)
    with pytest.raises(TreeError, match="not a regular file"):
        read_tree([fifo])
    with pytest.raises(TreeError, match="not a regular file"):
        unpack(fifo, tmp_path / "layout")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(NotRegular, match="is a link"):
        regular(tmp_path / "link")


@pytest.mark.timeout(30, method="thread")
def test_attack_a_fifo_named_as_the_openvex_file_is_not_read(tmp_path: Path) -> None:
    """``--vex`` outside the checkout was opened as it was named (no link followed, but a FIFO
    waited for a writer): before, this test hung."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    fifo = tmp_path / "vex.json"
    os.mkfifo(fifo)
    with pytest.raises(NotRegular):
        assessments(GitCheckout(repo), fifo, None)


def context(folder: Path, dockerfile: str) -> Path:
    folder.mkdir(parents=True)
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, folder / "busybox")
    (folder / "Dockerfile").write_text(dockerfile)
    return folder


@REAL
@pytest.mark.timeout(240, method="thread")
def test_attack_a_run_line_that_sleeps_silently_is_stopped_at_the_builds_time(
    tmp_path: Path,
) -> None:
    """A ``RUN`` line that sleeps and prints nothing held the build past any deadline: the
    builder was stopped only when a line came. Before: this test hung until its timeout."""
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 8)
    folder = context(
        tmp_path / "ctx",
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sleep", "100000"]\n',
    )
    started = time.monotonic()
    with pytest.raises(BuildFailed, match="stopped after 8 s"):
        builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)
    assert time.monotonic() - started < 120


@REAL
@pytest.mark.timeout(300, method="thread")
def test_attack_a_fifo_a_run_line_plants_in_its_storage_stops_the_copy_at_its_time(
    tmp_path: Path,
) -> None:
    """A ``RUN`` line writes its run's storage (through buildah's ``/proc/<pid>/root``): it
    turned a file of an earlier layer into a FIFO, and skopeo, copying the image out of the
    storage, opened it and waited for a writer that never comes, printing nothing. Before: this
    test hung until its timeout. skopeo is stopped at the build's time and the image is not
    read."""
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 15)
    root = builder.own.folder / "root"
    folder = context(
        tmp_path / "ctx",
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/other\n"
        'RUN ["/bin/busybox", "sh", "-c", "for p in /proc/[0-9]*/root; do '
        f"for f in $(/bin/busybox find $p{root} -path '*/bin/other' 2>/dev/null); do "
        '/bin/busybox rm -f $f; /bin/busybox mkfifo $f; done; done"]\n',
    )
    started = time.monotonic()
    with pytest.raises(BuildFailed, match="skopeo copy exited -9"):
        builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)
    assert time.monotonic() - started < 200
