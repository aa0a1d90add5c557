"""buildah's storage driver, chosen per run by a probe build in the work folder: overlay where
it builds there, else vfs with the reason. Real buildah builds from ``FROM scratch`` with
busybox; the fallback on a work folder where overlay really does not build (a FUSE file
system: fuse-overlayfs, whose folders the kernel's overlay cannot create directories in)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import Request
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, git, needs_buildah
from tests.helpers.cli import run_cli

pytestmark = needs_buildah

DOCKERFILE = """\
FROM scratch
COPY busybox /bin/sh
COPY busybox /bin/busybox
RUN /bin/busybox mkdir -p /etc/app && echo one > /etc/app/one
RUN echo two > /etc/app/two
"""


def context(folder: Path, dockerfile: str = DOCKERFILE) -> Path:
    folder.mkdir(parents=True)
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, folder / "busybox")
    (folder / "Dockerfile").write_text(dockerfile)
    return folder


def mounts_under(folder: Path) -> list[str]:
    """The mount points of this machine's namespace at or under ``folder``."""
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [point for point in points if point == str(folder) or point.startswith(f"{folder}/")]


def test_overlay_storage_builds_and_the_run_reads_the_kept_storages_layers(
    tmp_path: Path,
) -> None:
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    assert builder.storage == "overlay", builder.storage
    assert builder.kept.driver == builder.own.driver == "overlay"
    folder = context(tmp_path / "ctx")
    base = builder.build(
        Request(folder, folder / "Dockerfile", tmp_path / "base", trusted=True), lambda _: None
    )
    (folder / "Dockerfile").write_text(DOCKERFILE + "RUN echo three > /etc/app/three\n")
    head = builder.build(Request(folder, folder / "Dockerfile", tmp_path / "head"), lambda _: None)
    # the head's first four steps came from the kept storage's layers, read-only, through overlay
    assert {2, 3, 4, 5} <= head.cached and 6 not in head.cached and not base.cached
    assert (builder.kept.folder / "root" / "overlay-images").is_dir()
    assert not (builder.own.folder / "root" / "vfs-images").exists()
    tree = read_tree(read_layout(head.layout).layers)
    assert {name for name in tree.files if name.startswith("etc/app/")} == {
        "etc/app/one",
        "etc/app/two",
        "etc/app/three",
    }
    assert tree.files["etc/app/two"].read() == b"two\n"
    # nothing mounted is left on the machine (skopeo reads the storage outside the sandbox)
    assert mounts_under(tmp_path) == []


@pytest.fixture
def fuse_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a fuse-overlayfs mount, unmounted after the test."""
    program = shutil.which("fuse-overlayfs")
    if program is None or not os.access("/dev/fuse", os.R_OK | os.W_OK):
        pytest.skip("needs fuse-overlayfs and /dev/fuse (tests/harness/setup.sh installs it)")
    layers = {name: tmp_path / "fuse-layers" / name for name in ("lower", "upper", "work")}
    for made in layers.values():
        made.mkdir(parents=True)
    mounted = tmp_path / "fuse"
    mounted.mkdir()
    options = ",".join(f"{name}dir={path}" for name, path in layers.items())
    subprocess.run([program, "-o", options, str(mounted)], check=True, capture_output=True)
    try:
        yield mounted
    finally:
        unmount = ["umount"] if os.geteuid() == 0 else ["fusermount3", "-u"]
        subprocess.run([*unmount, str(mounted)], check=False)


def test_where_overlay_does_not_build_the_run_says_so_and_builds_on_vfs(
    tmp_path: Path, fuse_folder: Path
) -> None:
    repo = context(tmp_path / "repo")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "Dockerfile").write_text(DOCKERFILE + "RUN echo three > /etc/app/three\n")
    git(repo, "commit", "-qam", "head")
    cache = fuse_folder / "cache"
    done = run_cli(
        [
            *("build", "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD"),
            *("--builder", "buildah", "--cache-dir", str(cache), "--advice", "off", "--json"),
        ],
        tmp_path,
        {"PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    assert done.code == 0, done.stderr[-2000:]
    said = [line for line in done.stderr.splitlines() if "storage: " in line]
    assert said and "storage: vfs, because overlay does not build here (" in said[0], said
    assert "mkdir" in said[0]  # the probe's own error: the folder the overlay cannot create
    report = json.loads(done.stdout)
    assert [note for note in report["notes"] if note.startswith("buildah's storage: vfs")]
    rows = {row["line"]: row for row in report["instructions"]}
    assert rows[4]["cached"] and not rows[6]["cached"]  # the head read the kept vfs storage
    assert (cache / "trusted" / "root" / "vfs-images").is_dir()
    tree = read_tree(read_layout(Path(report["image"])).layers)
    assert tree.files["etc/app/three"].read() == b"three\n"
