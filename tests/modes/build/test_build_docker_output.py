"""The docker path of the unpack: the OCI tar ``docker buildx build --output type=oci`` writes,
constructed here as BuildKit's exporter writes it (docker is not on this machine), read
through the same :func:`~cicd_agent.modes.build.oci.unpack` and its bounds as a real one.

BuildKit's OCI exporter is containerd's archive exporter with the compatibility
``manifest.json`` left out: one record per blob, ``blobs/<algorithm>/<hex>`` (mode 0444), the
folders ``blobs/`` and ``blobs/sha256/`` as records of their own, ``index.json`` (0644) and
``oci-layout`` (0444), all sorted by name. The layers it built are uncompressed
(``compression=uncompressed``); a base layer it takes from a registry stays gzip-compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout, unpack
from cicd_agent.modes.build.tree import Bounds, TreeError

CREATED = "2026-11-28T12:00:00Z"


def layer(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def descriptor(media_type: str, data: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
            "size": len(data)}  # fmt: skip


def buildkit_tar(path: Path, layers: list[bytes], *, swap: bytes = b"") -> Path:
    """An image tar as BuildKit's OCI exporter writes it: ``layers`` (the first gzip, as a
    registry's base layer stays), history with an ``ENV`` that writes no layer. ``swap``: the
    last layer's bytes replaced after its digest was taken (a blob that is not its name)."""
    stored = [gzip.compress(layers[0], mtime=0), *layers[1:]]
    kinds = ["application/vnd.oci.image.layer.v1.tar+gzip"] + (
        ["application/vnd.oci.image.layer.v1.tar"] * (len(layers) - 1))  # fmt: skip
    history: list[dict[str, object]] = [
        {"created": CREATED, "created_by": "/bin/sh -c #(nop) ADD file:base in /"}]  # fmt: skip
    history += [{"created": CREATED, "created_by": "ENV APP=1", "comment": "buildkit.dockerfile.v0",
                 "empty_layer": True}]  # fmt: skip
    history += [{"created": CREATED, "created_by": f"COPY app{n} /app/ # buildkit",
                 "comment": "buildkit.dockerfile.v0"} for n in range(1, len(layers))]  # fmt: skip
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": CREATED,
        "config": {"Env": ["PATH=/usr/bin:/bin", "APP=1"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest() for raw in layers]},
        "history": history,
    }).encode()  # fmt: skip
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor(kind, blob) for kind, blob in zip(kinds, stored, strict=True)],
    }).encode()  # fmt: skip
    pointer = descriptor("application/vnd.oci.image.manifest.v1+json", manifest)
    pointer["annotations"] = {"org.opencontainers.image.created": CREATED}
    index = json.dumps({"schemaVersion": 2, "manifests": [pointer]}).encode()
    blobs = {hashlib.sha256(blob).hexdigest(): blob for blob in (config, manifest, *stored)}
    if swap:
        blobs[hashlib.sha256(stored[-1]).hexdigest()] = swap
    records: list[tuple[str, bytes | None, int]] = [("blobs/", None, 0o755),
                                                    ("blobs/sha256/", None, 0o755)]  # fmt: skip
    records += [(f"blobs/sha256/{name}", blob, 0o444) for name, blob in blobs.items()]
    records += [("index.json", index, 0o644),
                ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}', 0o444)]  # fmt: skip
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for name, data, mode in sorted(records):
            info = tarfile.TarInfo(name)
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def test_an_image_tar_as_buildkit_writes_it_is_unpacked_and_read(tmp_path: Path) -> None:
    base = layer({"etc/os-release": b"ID=debian\n", "bin/sh": b"\x7fELF"})
    app = layer({"app/main.py": b"print('hi')\n"})
    archive = buildkit_tar(tmp_path / "image.tar", [base, app])
    image = read_layout(unpack(archive, tmp_path / "layout"))
    assert [step.layer for step in image.steps] == [0, None, 1]
    assert image.steps[2].created_by == "COPY app1 /app/ # buildkit"
    tree = read_tree(image.layers)
    assert tree.read("app/main.py") == b"print('hi')\n"
    assert tree.read("etc/os-release") == b"ID=debian\n"
    assert sorted(path.name for path in (tmp_path / "layout").iterdir()) == [
        "blobs", "index.json", "oci-layout"]  # fmt: skip


def test_attack_a_layer_docker_wrote_that_is_not_its_name_is_refused(tmp_path: Path) -> None:
    """A pull request's build writes its layers' files, never their names: a tar whose layer
    is not the bytes its name says (a layer swapped for another) is refused, as a
    ``base-image`` tar is, and the blob is not left on the disk."""
    base = layer({"etc/os-release": b"ID=debian\n"})
    app = layer({"app/main.py": b"print('hi')\n"})
    archive = buildkit_tar(tmp_path / "image.tar", [base, app],
                           swap=layer({"app/main.py": b"print('other')\n"}))  # fmt: skip
    with pytest.raises(TreeError, match="does not match its name"):
        unpack(archive, tmp_path / "layout")
    named = tmp_path / "layout" / "blobs" / "sha256" / hashlib.sha256(app).hexdigest()
    assert not named.exists()


def test_attack_an_image_docker_wrote_past_the_bound_is_refused_before_it_is_written(
    tmp_path: Path,
) -> None:
    """A ``RUN`` line writes as many bytes as it likes, and docker writes them into its tar
    before the mode reads it: the unpack stops at the image bound, each blob's size counted
    from its header before a byte of it is written."""
    base = layer({"etc/os-release": b"ID=debian\n"})
    big = layer({"var/fill": bytes(3 << 20)})
    archive = buildkit_tar(tmp_path / "image.tar", [base, big])
    with pytest.raises(TreeError, match=f"more than {2 << 20} bytes"):
        unpack(archive, tmp_path / "layout", Bounds(bytes=2 << 20))
    written = sum(p.stat().st_size for p in (tmp_path / "layout").rglob("*") if p.is_file())
    assert written <= 2 << 20


def test_attack_an_image_docker_wrote_that_would_fill_the_disk_is_refused(tmp_path: Path) -> None:
    """Within the image bound, but past what the disk can hold less its reserve (here: all
    but 1 MiB of what is free now is reserved)."""
    base = layer({"etc/os-release": b"ID=debian\n"})
    big = layer({"var/fill": bytes(3 << 20)})
    archive = buildkit_tar(tmp_path / "image.tar", [base, big])
    (tmp_path / "layout").mkdir()
    reserve = shutil.disk_usage(tmp_path / "layout").free - (1 << 20)
    with pytest.raises(TreeError, match="would leave less than"):
        unpack(archive, tmp_path / "layout", Bounds(reserve=reserve))
    written = sum(p.stat().st_size for p in (tmp_path / "layout").rglob("*") if p.is_file())
    assert written <= 1 << 20


def test_attack_members_beside_the_layout_are_not_written(tmp_path: Path) -> None:
    """Only ``index.json``, ``oci-layout`` and ``blobs/sha256/<hex>`` regular files are taken
    from the tar: a member climbing out (``../``, an absolute name), a link, a device, or a
    blob of another algorithm is not written anywhere."""
    archive = buildkit_tar(tmp_path / "image.tar", [layer({"a": b"a"})])
    with tarfile.open(archive, "a") as tar:
        for name in ("../escaped", "/tmp/escaped-abs", "blobs/sha256/../../escaped-up",
                     "blobs/sha512/" + "a" * 128, "manifest.json"):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
        link = tarfile.TarInfo("blobs/sha256/" + "b" * 64)
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    out = tmp_path / "work" / "layout"
    unpack(archive, out)
    assert not (tmp_path / "work" / "escaped").exists()
    assert not (tmp_path / "escaped-up").exists() and not (tmp_path / "work" / "escaped-up").exists()
    assert not (out / "blobs" / "sha512").exists() and not (out / "manifest.json").exists()
    assert not (out / "blobs" / "sha256" / ("b" * 64)).exists()
    assert read_layout(out).layers
