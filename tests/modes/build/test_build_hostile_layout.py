"""Attacks on the image layout reader with a hand-written layout (a ``base-image`` OCI folder or
tar): JSON of the wrong types, nested past the parser's depth, an index naming itself, a tar
that unpacks to more than it is or to blobs that are not their names. Each is refused as an
image that cannot be read, never a crash, a run that never ends or a disk filled."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any, cast

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.build.collect import base_image
from cicd_agent.modes.build.oci import check_layers, read_layout, unpack
from cicd_agent.modes.build.tree import Bounds, TreeError

SELF = "a" * 64


def layout(folder: Path, blob: str, name: str = "") -> Path:
    """A layout whose index names one blob holding ``blob``: by its sha256, or ``name``."""
    name = name or hashlib.sha256(blob.encode()).hexdigest()
    (folder / "blobs" / "sha256").mkdir(parents=True)
    (folder / "blobs" / "sha256" / name).write_text(blob)
    (folder / "index.json").write_text(json.dumps({"manifests": [{"digest": f"sha256:{name}"}]}))
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
    """An index that names its own file as its manifest. Before: the reader followed it
    forever (this test hung); then its depth was bounded; now its name is checked against its
    bytes (no file holds its own sha256)."""
    index = json.dumps({"manifests": [{"digest": f"sha256:{SELF}"}]})
    with pytest.raises(TreeError, match="does not match its name"):
        read_layout(layout(tmp_path, index, SELF))


def test_attack_a_chain_of_indexes_is_followed_only_so_deep(tmp_path: Path) -> None:
    """Indexes each naming the next, every name true: the reader stops past its depth."""
    folder = tmp_path / "chain"
    (folder / "blobs" / "sha256").mkdir(parents=True)
    digest = "sha256:" + "0" * 64
    for _ in range(8):
        body = json.dumps({"manifests": [{"digest": digest}]}).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        (folder / "blobs" / "sha256" / digest[7:]).write_bytes(body)
    (folder / "index.json").write_text(json.dumps({"manifests": [{"digest": digest}]}))
    with pytest.raises(TreeError, match="nests more than"):
        read_layout(folder)


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


def blob_file(folder: Path, data: bytes) -> str:
    """``data`` written as a blob of the layout ``folder``: its digest."""
    digest = hashlib.sha256(data).hexdigest()
    (folder / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (folder / "blobs" / "sha256" / digest).write_bytes(data)
    return f"sha256:{digest}"


def image_folder(folder: Path, layer: bytes) -> Path:
    """A whole layout of one image of one layer, each blob named by its sha256."""
    config = blob_file(folder, json.dumps({"history": [{"created_by": "COPY x"}]}).encode())
    layer_digest = blob_file(folder, layer)
    manifest = blob_file(folder, json.dumps({"config": {"digest": config},
                                             "layers": [{"digest": layer_digest}]}).encode())  # fmt: skip
    (folder / "index.json").write_text(json.dumps({"manifests": [{"digest": manifest}]}))
    (folder / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return folder


def a_layer(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_whole_layout_folder_is_read(tmp_path: Path) -> None:
    """The layouts the attacks below spoil, unspoilt, read as an image."""
    image = read_layout(image_folder(tmp_path / "ok", a_layer({"etc/os-release": b"ID=x\n"})))
    assert len(image.layers) == 1


def test_attack_a_layout_folder_whose_blobs_folder_links_out_is_refused(tmp_path: Path) -> None:
    """A blob's name is checked to be a sha256 digest, so no ``../`` reaches past the blob
    folder; but ``blobs`` (or ``blobs/sha256``) may itself be a link, and every blob is then
    read from wherever it leads (another store of files named by their digest: an engine's
    image configurations, another job's layouts). Before: read through the link."""
    elsewhere = image_folder(tmp_path / "elsewhere", a_layer({"secret": b"another job's\n"}))
    given = tmp_path / "given"
    given.mkdir()
    (given / "blobs").symlink_to(elsewhere / "blobs")
    (given / "index.json").write_bytes((elsewhere / "index.json").read_bytes())
    with pytest.raises(TreeError, match="link"):
        read_layout(given)
    given2 = tmp_path / "given2"
    (given2 / "blobs").mkdir(parents=True)
    (given2 / "blobs" / "sha256").symlink_to(elsewhere / "blobs" / "sha256")
    (given2 / "index.json").write_bytes((elsewhere / "index.json").read_bytes())
    with pytest.raises(TreeError, match="link"):
        read_layout(given2)


def test_attack_a_layout_folder_blob_that_is_not_its_name_is_refused(tmp_path: Path) -> None:
    """A folder's blob is named by the sha256 of its bytes, as a tar's is; one that is not (a
    manifest swapped for another, naming other layers) is refused before it is believed.
    Before: a folder's blobs were read as named, unchecked."""
    folder = image_folder(tmp_path / "layout", a_layer({"a": b"a"}))
    index = json.loads((folder / "index.json").read_text())
    manifest = folder / "blobs" / "sha256" / index["manifests"][0]["digest"].removeprefix("sha256:")
    manifest.write_text(manifest.read_text().replace('"layers"', '"layers" ', 1))
    with pytest.raises(TreeError, match="does not match its name"):
        read_layout(folder)


def test_attack_a_base_image_folder_layer_that_is_not_its_name_is_a_usage_error(
    tmp_path: Path,
) -> None:
    """The same for a layer, whose bytes are read as the image's files: exit 2 naming
    ``--base-image``, one line. Before: the layer was read as named."""
    folder = image_folder(tmp_path / "layout", a_layer({"a": b"a"}))
    image = read_layout(folder)
    image.layers[0].write_bytes(a_layer({"a": b"b"}))
    with pytest.raises(UsageError, match=r"^--base-image .* does not match its name") as raised:
        base_image(cast(Any, None), str(folder), tmp_path / "work")
    assert raised.value.exit_code == 2
    assert "\n" not in str(raised.value)


def test_attack_a_base_image_folder_past_the_bound_is_refused_before_it_is_hashed(
    tmp_path: Path,
) -> None:
    """A folder's layers are summed before one is hashed or read: past the bound, the folder
    is refused by its size, its layer's bytes (here not its name either) left unread."""
    folder = image_folder(tmp_path / "layout", a_layer({"a": b"a" * 4096}))
    image = read_layout(folder)
    image.layers[0].write_bytes(a_layer({"a": b"b" * 4096}))
    with pytest.raises(TreeError, match="its layers hold more than 1024 bytes"):
        check_layers(image, Bounds(bytes=1024))


@pytest.mark.parametrize(
    "digest",
    ["sha256:../../../etc/passwd", "sha512:" + "a" * 128, "sha256:" + "A" * 64,
     "sha256:" + "a" * 63, "sha256:" + "a" * 64 + "/x", "sha256:" + "a" * 64 + "\n"],
)  # fmt: skip
def test_attack_a_blob_name_that_is_no_sha256_digest_is_refused_unread(
    tmp_path: Path, digest: str
) -> None:
    """A blob is named by its digest: one of another algorithm, of the wrong length or case,
    or with a path in it names no blob, and nothing is opened for it."""
    folder = image_folder(tmp_path / "layout", a_layer({"a": b"a"}))
    (folder / "index.json").write_text(json.dumps({"manifests": [{"digest": digest}]}))
    with pytest.raises(TreeError, match="not a sha256 digest"):
        read_layout(folder)


def test_attack_a_layout_tar_that_would_fill_the_disk_is_refused_before_it_does(
    tmp_path: Path,
) -> None:
    """The image bound (64 GiB of blobs) is as large as a hosted runner's whole disk: a tar
    under it could still fill the disk the job writes to. The unpack also keeps a reserve of
    the disk free (here: all but 1 MiB of what is free now is reserved), each member's size
    counted before a byte of it is written, and the refusal is exit 2 naming ``--base-image``.
    Before: written until the image bound, whatever the disk held. The blob is 256 MiB and the
    reserve all but 128 MiB of what is free: the test holds while other jobs on the machine free
    less than 128 MiB during it (with a 4 MiB blob and 1 MiB to spare it failed once beside them)."""
    zeros = bytes(256 << 20)
    archive = layout_tar(tmp_path / "big.tar.gz", {named(zeros): zeros}, "w:gz")
    del zeros
    (tmp_path / "out").mkdir()
    reserve = shutil.disk_usage(tmp_path / "out").free - (128 << 20)
    with pytest.raises(TreeError, match="would leave less than"):
        unpack(archive, tmp_path / "out", Bounds(reserve=reserve))
    assert written(tmp_path / "out") <= 1 << 20
