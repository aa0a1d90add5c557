"""An OCI image layout as a builder writes it: its index, manifest, config and history.

``skopeo copy`` of buildah's image to an ``oci:`` folder and ``docker buildx build --output
type=oci`` (a tar of the same layout) both write one. The history is what ties a layer to the
Dockerfile instruction that made it: one entry per instruction, ``empty_layer`` for those that
write no files (ENV, LABEL, CMD), so the n-th entry that is not empty made the n-th layer.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.modes.build.layer_archive import BOUNDS, open_archive
from cicd_agent.modes.build.regular import regular
from cicd_agent.modes.build.tree import Bounds, TreeError

DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
JSON_LIMIT = 4 * 1024 * 1024
"""The most bytes read of an index, manifest or config."""
NESTED_INDEXES = 4
"""The most indexes followed from ``index.json`` to the manifest (a builder writes one or two)."""


@dataclass(frozen=True)
class Step:
    """One history entry: what made it (``created_by``), the layer it wrote (None: none), and
    when its builder wrote it (``created``, RFC 3339; "" when it does not say)."""

    created_by: str
    layer: int | None
    created: str = ""


@dataclass(frozen=True)
class Image:
    """An image read from a layout: its layer archives (bottom first), history and size."""

    folder: Path
    digest: str
    layers: tuple[Path, ...]
    steps: tuple[Step, ...]
    config: dict[str, object]
    metadata: frozenset[Path] = frozenset()
    """The blobs of the indexes, the manifest and the config read to find the layers."""

    @property
    def compressed_size(self) -> int:
        return sum(path.stat().st_size for path in self.layers)


def blob(folder: Path, digest: str) -> Path:
    """The file of ``digest`` in the layout: a digest not of the sha256 form is refused (it
    would name a path), and so is a blob reached through a link (``blobs`` or
    ``blobs/sha256`` a link out of the layout, or the blob itself one)."""
    found = DIGEST.fullmatch(digest)
    if found is None:
        raise TreeError(f"the image names a blob {digest[:80]!r} that is not a sha256 digest")
    path = folder / "blobs" / "sha256" / found.group(1)
    for part in (folder / "blobs", path.parent, path):
        if part.is_symlink():
            raise TreeError(f"{part.relative_to(folder)} in the image layout is a link; not read")
    if not path.is_file():
        raise TreeError(f"the image layout {folder} lacks the blob {digest}")
    return path


def check_blob(path: Path) -> None:
    """``path``, a blob, hashed whole: refused unless its bytes are its name (its sha256)."""
    hashed = hashlib.sha256()
    try:
        with regular(path) as opened:
            while chunk := opened.read(1 << 20):
                hashed.update(chunk)
    except OSError as exc:
        raise TreeError(f"{path.name} cannot be read: {exc}") from exc
    if hashed.hexdigest() != path.name:
        raise TreeError(f"the blob sha256:{path.name} does not match its name")


def check_layers(image: Image, bounds: Bounds = BOUNDS) -> None:
    """Each of ``image``'s layers refused unless its bytes are its name (:func:`check_blob`),
    after the whole is found within ``bounds.bytes``: a layout of another's making (a
    ``base-image`` folder), whose layers are then read as the image's files."""
    if sum(path.stat().st_size for path in image.layers) > bounds.bytes:
        raise TreeError(
            f"its layers hold more than {bounds.bytes} bytes; the build mode reads images of fewer"
        )
    for path in image.layers:
        check_blob(path)


def _json(path: Path, named: bool = True) -> dict[str, object]:
    """A metadata file read as JSON: a blob (``named``) refused unless its bytes are its
    name, before a word of it is believed."""
    try:
        with regular(path) as f:
            data = f.read(JSON_LIMIT + 1)
    except OSError as exc:
        raise TreeError(f"{path.name} cannot be read: {exc}") from exc
    if len(data) > JSON_LIMIT:
        raise TreeError(f"{path.name} is over {JSON_LIMIT} bytes; not an image's metadata")
    if named and hashlib.sha256(data).hexdigest() != path.name:
        raise TreeError(f"the blob sha256:{path.name} does not match its name")
    try:
        loaded = load_json(data)
    except JsonRefused as exc:
        raise TreeError(f"{path.name} is not valid JSON: {exc}") from exc
    if not isinstance(loaded, dict):
        raise TreeError(f"{path.name} is not a JSON object")
    return loaded


def _list(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def read_layout(folder: Path) -> Image:
    """The image an OCI layout folder holds (of an index of several platforms, linux/amd64,
    else the first)."""
    if not (folder / "index.json").is_file():
        raise TreeError(f"{folder} is not an OCI image layout (no index.json)")
    manifest = _pick(folder, _json(folder / "index.json", named=False))
    digest = str(manifest.get("digest", ""))
    body = _json(blob(folder, digest))
    read = [digest]
    while _is_index(body, digest):
        if len(read) > NESTED_INDEXES:
            raise TreeError(f"the image in {folder} nests more than {NESTED_INDEXES} indexes")
        manifest = _pick(folder, body)
        digest = str(manifest.get("digest", ""))
        body = _json(blob(folder, digest))
        read.append(digest)
    config_ref = body.get("config")
    if not isinstance(config_ref, dict):
        raise TreeError(f"the manifest {digest} has no config")
    config = _json(blob(folder, str(config_ref.get("digest", ""))))
    read.append(str(config_ref.get("digest", "")))
    layers = tuple(
        blob(folder, str(layer.get("digest", ""))) for layer in _list(body.get("layers"))
    )
    metadata = frozenset(blob(folder, name) for name in read)
    return Image(folder, digest, layers, tuple(_steps(config, len(layers))), config, metadata)


def _is_index(body: dict[str, object], digest: str) -> bool:
    kind = body.get("mediaType")
    if kind is not None and not isinstance(kind, str):
        raise TreeError(f"the media type of {digest} is not a text")
    return kind in INDEX_TYPES or "manifests" in body


def _pick(folder: Path, index: dict[str, object]) -> dict[str, object]:
    manifests = _list(index.get("manifests"))
    if not manifests:
        raise TreeError(f"the image index in {folder} lists no manifest")
    for manifest in manifests:
        platform = manifest.get("platform")
        if isinstance(platform, dict) and platform.get("architecture") == "amd64":
            return manifest
    return manifests[0]


def _steps(config: dict[str, object], layer_count: int) -> list[Step]:
    """The history, each entry with the layer it wrote. A history that does not account for
    every layer (an image squashed or written by hand) gives the layers no step."""
    history = _list(config.get("history"))
    steps, layer = [], 0
    for entry in history:
        empty = entry.get("empty_layer") is True
        made = str(entry.get("created", ""))
        steps.append(Step(str(entry.get("created_by", "")), None if empty else layer, made))
        layer += 0 if empty else 1
    if layer != layer_count:
        return [Step("", index) for index in range(layer_count)]
    return steps


def unpack(archive: Path, folder: Path, bounds: Bounds = BOUNDS) -> Path:
    """An OCI layout written as a tar (``docker buildx build --output type=oci,dest=x.tar``)
    unpacked into ``folder``: only ``index.json``, ``oci-layout`` and ``blobs/sha256/<hex>``
    files are taken, nothing else the tar names. A tar of more than ``bounds.members`` members
    or ``bounds.bytes`` bytes of files taken, one whose next file would leave less than
    ``bounds.reserve`` bytes free on the disk (each checked before a byte of the file is
    written), a blob whose bytes are not its name, or a file named twice, is refused.
    ``folder`` is made anew: what was there (an earlier run's layout, a link planted in the
    work folder, which is kept between runs) is removed, never written through, and no earlier
    file is read as this image's."""
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)
    (folder / "blobs" / "sha256").mkdir(parents=True)
    members = size = 0
    room = shutil.disk_usage(folder).free - bounds.reserve
    try:
        with regular(archive) as opened, open_archive(opened) as tar:
            while (member := tar.next()) is not None:
                members += 1
                if members > bounds.members:
                    raise TreeError(
                        f"{archive.name} holds more than {bounds.members} members; "
                        "not an image layout"
                    )
                name = member.name.removeprefix("./")
                hexdigest = name[13:] if name.startswith("blobs/sha256/") else ""
                wanted = name in {"index.json", "oci-layout"} or (
                    hexdigest and DIGEST.fullmatch("sha256:" + hexdigest)
                )
                source = tar.extractfile(member) if member.isreg() and wanted else None
                if source is None:
                    continue
                size += member.size
                if size > bounds.bytes:
                    raise TreeError(
                        f"{archive.name} holds more than {bounds.bytes} bytes of blobs; "
                        "the build mode reads images of fewer"
                    )
                if size > room:
                    raise TreeError(
                        f"{archive.name} unpacked would leave less than {bounds.reserve} bytes "
                        f"free on the disk of {folder}; free some, or give a smaller image"
                    )
                _copy(source, folder / name, hexdigest)
    except (tarfile.TarError, OSError) as exc:
        raise TreeError(f"{archive} is not a readable OCI archive: {exc}") from exc
    return folder


def _copy(source: IO[bytes], target: Path, hexdigest: str) -> None:
    """``source`` written to ``target``; a blob (``hexdigest``, its name) whose bytes hash to
    another digest is removed and refused."""
    hashed = hashlib.sha256()
    made = os.open(
        target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644
    )
    with source, os.fdopen(made, "wb") as written:
        while chunk := source.read(1 << 20):
            hashed.update(chunk)
            written.write(chunk)
    if hexdigest and hashed.hexdigest() != hexdigest:
        target.unlink()
        raise TreeError(f"the blob sha256:{hexdigest} does not match its name")


def share_blobs(written: Sequence[Path], output: Path) -> None:
    """The blobs of the layouts in ``written`` (those still there) linked into ``output``'s
    blob folder, so skopeo finds a layer the earlier images hold (the base image, the steps the
    cache gave) by its digest and neither reads it from the storage nor writes it again.
    :func:`keep_only_referenced` then takes out the ones the new image does not use."""
    blobs = output / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    for folder in written:
        for path in (folder / "blobs" / "sha256").glob("*"):
            target = blobs / path.name
            if path.is_file() and not path.is_symlink() and not target.exists():
                with contextlib.suppress(OSError):  # another file system: skopeo writes it
                    os.link(path, target)


def keep_only_referenced(layout: Path) -> None:
    """Every blob of ``layout`` that its image does not name removed."""
    image = read_layout(layout)
    named = {path.name for path in (*image.layers, *image.metadata)}
    for path in (layout / "blobs" / "sha256").glob("*"):
        if path.name not in named:
            path.unlink()
