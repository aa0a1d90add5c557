"""Attacks on the image layout reader with a hand-written layout (a ``base-image`` OCI folder or
tar): JSON of the wrong types, nested past the parser's depth, an index naming itself, a tar
that unpacks to more than it is or to blobs that are not their names. Each is refused as an
image that cannot be read, never a crash, a run that never ends or a disk filled."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any, cast

import pytest

from cicd_agent.api import UsageError
from cicd_agent.modes.build.collect import base_image
from cicd_agent.modes.build.oci import read_layout, unpack
from cicd_agent.modes.build.tree import Bounds, TreeError

SELF = "a" * 64


def layout(folder: Path, blob: str) -> Path:
    """A layout whose index names one blob, ``sha256:aaa…``, holding ``blob``."""
    (folder / "blobs" / "sha256").mkdir(parents=True)
    (folder / "blobs" / "sha256" / SELF).write_text(blob)
    (folder / "index.json").write_text(json.dumps({"manifests": [{"digest": f"sha256:{SELF}"}]}))
    return folder


@pytest.mark.parametrize(
    ("blob", "why"),
    [
        (json.dumps({"mediaType": ["x"], "manifests": []}), "media type"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"config": {"digest": 1e999}}', "out of range|not valid JSON|cannot be read"),
    ],
    ids=["media-type-a-list", "nested-past-the-parser", "a-number-out-of-range"],
)
def test_attack_a_layout_of_json_the_reader_does_not_expect_is_refused(
    tmp_path: Path, blob: str, why: str
) -> None:
    """Before: a ``mediaType`` that is a list raised ``TypeError`` (unhashable) and a manifest
    nested 100,000 deep ``RecursionError``, out of the mode as a crash."""
    with pytest.raises(TreeError, match=why):
        read_layout(layout(tmp_path, blob))


@pytest.mark.timeout(20, method="thread")
def test_attack_an_index_that_names_itself_is_refused_not_followed_forever(
    tmp_path: Path,
) -> None:
    """A blob's name is not checked against its bytes, so an index can name its own file as
    its manifest. Before: the reader followed it forever (this test hung)."""
    index = json.dumps({"manifests": [{"digest": f"sha256:{SELF}"}]})
    with pytest.raises(TreeError, match="nest"):
        read_layout(layout(tmp_path, index))


def layout_tar(path: Path, members: dict[str, bytes], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def named(data: bytes) -> str:
    return "blobs/sha256/" + hashlib.sha256(data).hexdigest()


def written(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_attack_a_compressed_layout_tar_writes_no_more_than_the_image_bound(
    tmp_path: Path,
) -> None:
    """A layout tar may be compressed: 8 MiB of zeros take 8 KiB of gzip, and a tar of a few
    MB unpacked to any size. Before: every byte was written, with no bound."""
    zeros = bytes(8 << 20)
    archive = layout_tar(tmp_path / "bomb.tar.gz", {named(zeros): zeros}, "w:gz")
    assert archive.stat().st_size < 64 << 10
    with pytest.raises(TreeError, match=f"more than {1 << 20} bytes"):
        unpack(archive, tmp_path / "out", Bounds(bytes=1 << 20))
    assert written(tmp_path / "out") <= 1 << 20


def test_attack_a_layout_tar_of_too_many_members_is_refused(tmp_path: Path) -> None:
    """Each blob is a file on the disk: a tar of millions writes millions. Before: no bound."""
    blobs = {named(str(n).encode()): str(n).encode() for n in range(11)}
    archive = layout_tar(tmp_path / "many.tar", blobs)
    with pytest.raises(TreeError, match="more than 10 members"):
        unpack(archive, tmp_path / "out", Bounds(members=10))
    assert len(list((tmp_path / "out" / "blobs" / "sha256").iterdir())) <= 10


def test_attack_a_blob_whose_bytes_are_not_its_name_is_refused(tmp_path: Path) -> None:
    """A blob's name is the sha256 of its bytes; one that is not (an index naming itself, a
    layer swapped for another) is refused and not left on the disk. Before: unpacked as
    named."""
    good = b"a layer"
    layout_tar(tmp_path / "good.tar", {"index.json": b"{}", named(good): good})
    out = unpack(tmp_path / "good.tar", tmp_path / "good")
    assert (out / named(good)).read_bytes() == good
    archive = layout_tar(tmp_path / "bad.tar", {f"blobs/sha256/{SELF}": b"not a's"})
    with pytest.raises(TreeError, match="does not match its name"):
        unpack(archive, tmp_path / "bad")
    assert not (tmp_path / "bad" / "blobs" / "sha256" / SELF).exists()


def test_a_base_image_tar_that_cannot_be_unpacked_is_a_usage_error(tmp_path: Path) -> None:
    """Named by the one who runs the mode, as the other ``--base-image`` failures: exit 2 with
    the option named, not an internal error."""
    archive = layout_tar(tmp_path / "bad.tar", {f"blobs/sha256/{SELF}": b"not a's"})
    with pytest.raises(UsageError, match=r"--base-image .* cannot be read: .*its name") as raised:
        base_image(cast(Any, None), str(archive), tmp_path / "work")
    assert raised.value.exit_code == 2
