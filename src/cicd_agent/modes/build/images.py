"""Local images for the names a Dockerfile's ``FROM`` lines give (``--image NAME=PATH``), so a
build needs no registry.

The workflow names each: an OCI layout folder, an OCI or docker-archive tar, or a root file
system tar (as ``mmdebstrap`` writes one), which is wrapped as an image of one layer. Only the
workflow may: the option is a flag (or the workflow's ``INPUT_IMAGE``), never a setting of the
checkout's file, and a path in the checkout, or reached through a link there, is refused, since
the pull request fills that folder (a link there to ``/etc/shadow`` would have the runner read
it). Each becomes a layout of this run's own, one manifest, every blob checked against its
sha256, which the builder copies into its storage under the name the Dockerfile gives
(:meth:`.buildah.Buildah.pull`): a ``FROM`` of that name, in any stage and in both builds, then
reads it and nothing is pulled. The wrapping is the same bytes every run (no time in it), so the
image's ID, and with it the kept cache of the steps built on it, holds from one run to the next.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import shutil
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cicd_agent.actions.errors import UsageError
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.processes import stream
from cicd_agent.modes.build import oci
from cicd_agent.modes.build.dockerfile import qualified, registry_images
from cicd_agent.modes.build.layer_archive import BOUNDS
from cicd_agent.modes.build.options import HINT, REFERENCE
from cicd_agent.modes.build.regular import regular
from cicd_agent.modes.build.store import Store
from cicd_agent.modes.build.tree import TreeError

LAYER = "application/vnd.oci.image.layer.v1.tar"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
ARCHITECTURES = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}
"""The machine's name for its processor → the image config's."""
LINK_HOPS = 40
"""Links followed from an ``--image`` path (the kernel's own limit); more is refused."""


@dataclass(frozen=True)
class LocalImage:
    """One ``--image``: the name as given, the path as given, the layout made of it (one
    manifest) and that manifest's digest (what a ``FROM NAME@sha256:`` pin names)."""

    name: str
    source: Path
    layout: Path
    digest: str


def _key(reference: str) -> str:
    """A reference as the mapping matches it: its registry named, its tag (``latest`` when
    none), its digest left off (:func:`pin_mismatches` checks that)."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return qualified(name if ":" in last else f"{name}:latest")


def prepare(
    checkout: GitCheckout, given: Sequence[tuple[str, Path]], work: Path, env: Mapping[str, str]
) -> dict[str, LocalImage]:
    """Each ``--image`` made a layout of the run's own in ``work``, by the key a ``FROM``
    matches (:func:`_key`); anything that cannot be read is exit 2, naming the image. ``env``:
    the builders' environment, for skopeo reading a docker-archive."""
    found: dict[str, LocalImage] = {}
    for number, (name, path) in enumerate(given):
        if through_checkout(checkout, path):
            raise UsageError(
                f"--image {name}={path} is in the checkout; the pull request would choose the "
                "image its build starts from (or link it to a file of the runner).",
                hint="Give an image outside the checkout (in $RUNNER_TEMP).",
            )
        if _key(name) in found:
            raise UsageError(f"--image names {name!r} twice.", hint=HINT)
        folder = work / "images" / str(number)
        try:
            layout = _layout(path, folder, env)
            image = oci.read_layout(layout)
            oci.check_layers(image)
        except (TreeError, OSError) as exc:
            raise UsageError(f"--image {name}={path} cannot be read: {exc}", hint=HINT) from exc
        _one_manifest(layout, image.digest)
        found[_key(name)] = LocalImage(name, path, layout, image.digest)
    return found


def through_checkout(checkout: GitCheckout, path: Path) -> bool:
    """Whether ``path``, or a link on the way from it to what it names, is in the checkout
    (``holds`` sees where the chain ends: a link outside to a link inside to ``/etc/shadow``
    ends outside)."""
    for _ in range(LINK_HOPS):
        if checkout.holds(path):
            return True
        if not path.is_symlink():
            return False
        path = path.parent / os.readlink(path)
    return True


def for_reference(reference: str, images: Mapping[str, LocalImage]) -> LocalImage | None:
    """The local image a ``FROM`` reference is given, if any."""
    return images.get(_key(reference)) if REFERENCE.fullmatch(reference) else None


def local_digests(
    text: str, build_args: Sequence[tuple[str, str]], images: Mapping[str, LocalImage]
) -> dict[str, str]:
    """Each image reference of ``text`` given a local image, with that image's digest."""
    found = {ref: for_reference(ref, images) for ref in registry_images(text, build_args)}
    return {ref: local.digest for ref, local in found.items() if local is not None}


def check_used(
    images: Mapping[str, LocalImage], texts: Sequence[str], build_args: Sequence[tuple[str, str]]
) -> None:
    """Exit 2 where an image of ``images`` is one no image reference of the Dockerfiles
    ``texts`` (the head's first) matches: a typo in a name built from the registry instead,
    and failed there with the registry's words (exit 3). Said before any build."""
    named = [ref for text in texts if text.strip() for ref in registry_images(text, build_args)]
    keys = {_key(ref) for ref in named}
    for key, local in images.items():
        if key not in keys:
            froms = ", ".join(dict.fromkeys(named)) or "none but scratch or a stage"
            raise UsageError(
                f"--image {local.name}: no FROM of the Dockerfile names it (its FROMs: "
                f"{froms[:500]})",
                hint="Give --image NAME as a FROM line of the base or the head writes it.",
            )


def pin_mismatches(
    text: str, build_args: Sequence[tuple[str, str]], images: Mapping[str, LocalImage]
) -> list[str]:
    """The ``FROM NAME@sha256:...`` references of ``text`` whose pinned digest is not the one
    of the local image given for NAME: the build would look for it in a registry."""
    found = []
    for reference in registry_images(text, build_args):
        local = for_reference(reference, images)
        if local is not None and "@" in reference and reference.split("@", 1)[1] != local.digest:
            found.append(f"{reference} (--image gives {local.digest})")
    return found


def _layout(path: Path, folder: Path, env: Mapping[str, str]) -> Path:
    """``path`` as an OCI layout in ``folder`` (made anew): a layout's blobs linked (or
    copied), an OCI tar unpacked, a docker-archive copied by skopeo, a root file system
    wrapped."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        raise TreeError(f"{path} is a link; name the file or folder itself")
    if path.is_dir():
        image = oci.read_layout(path)
        (folder / "blobs" / "sha256").mkdir(parents=True)
        for blob in (*image.layers, *image.metadata):
            _link(blob, folder / "blobs" / "sha256" / blob.name)
        (folder / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        _one_manifest(folder, image.digest)
        return folder
    return layout_of_file(path, folder, env)


def layout_of_file(path: Path, folder: Path, env: Mapping[str, str]) -> Path:
    """The image tar ``path`` as an OCI layout in ``folder``: an OCI tar unpacked, a
    docker-archive copied by skopeo (with ``env``), any other tar taken as a root file system
    and wrapped. A FIFO, device or link is refused unread; what is no tar is refused."""
    kind = _kind(path)
    if kind == "oci":
        return oci.unpack(path, folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if kind == "docker-archive":
        status, tail = stream(
            ["skopeo", "copy", "--quiet", f"docker-archive:{path}", f"oci:{folder}:latest"],
            env=dict(env),
            on_line=lambda _: None,
            timeout=1800,
        )
        if status != 0:
            raise TreeError(f"skopeo could not read it as a docker-archive: {(tail or [''])[-1]}")
        return folder
    try:
        return wrap(path, folder)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TreeError(f"it cannot be read as a root file system: {exc}") from exc


def _kind(path: Path) -> str:
    """``oci`` for a tar of an OCI layout (its ``index.json``, ``oci-layout`` or blobs),
    ``docker-archive`` for one with docker's ``manifest.json``, else ``rootfs``: read from the
    member names alone, as far as it takes to tell (:data:`.tree.Bounds` members at most)."""
    found = "rootfs"
    try:
        with regular(path) as opened, tarfile.open(fileobj=opened, mode="r|*") as tar:
            for count, member in enumerate(tar):
                name = member.name.removeprefix("./")
                if name in ("index.json", "oci-layout") or name.startswith("blobs/sha256/"):
                    return "oci"
                if name == "manifest.json":
                    found = "docker-archive"
                if count >= BOUNDS.members:
                    raise TreeError(f"it holds more than {BOUNDS.members} members")
    except tarfile.TarError as exc:
        raise TreeError(f"it is not a tar: {exc}") from exc
    except OSError as exc:  # a FIFO, a device, a link: refused unread
        raise TreeError(str(exc)) from exc
    return found


def wrap(rootfs: Path, folder: Path) -> Path:
    """A root file system tar (plain or gzip) as an OCI layout of one layer: the tar is the
    layer, as written. Nothing in it says when it was made, so the same tar is the same image
    (and digest) every run."""
    blobs = folder / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    with regular(rootfs) as opened:
        packed = opened.read(2) == b"\x1f\x8b"
    layer = _put_file(rootfs, blobs)
    diff_id = layer
    if packed:
        with regular(rootfs) as opened, gzip.open(opened) as unpacked:
            diff_id = _sha256(unpacked)
    config = {
        "architecture": ARCHITECTURES.get(platform.machine(), platform.machine()),
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
        "history": [{"created_by": f"a root file system: {rootfs.name}"}],
    }
    config_digest, config_size = _put(blobs, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": f"sha256:{config_digest}", "size": config_size},
        "layers": [
            {
                "mediaType": LAYER + ("+gzip" if packed else ""),
                "digest": f"sha256:{layer}",
                "size": (blobs / layer).stat().st_size,
            }
        ],
    }
    digest, _ = _put(blobs, json.dumps(manifest, sort_keys=True).encode())
    (folder / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    _one_manifest(folder, f"sha256:{digest}")
    return folder


def _one_manifest(folder: Path, digest: str) -> None:
    """``folder``'s ``index.json`` made to name the manifest ``digest`` alone (the one the
    image was read as), so every copy of it takes that one."""
    with regular(oci.blob(folder, digest)) as opened:
        body = opened.read(oci.JSON_LIMIT + 1)
    kind = json.loads(body).get("mediaType") if len(body) <= oci.JSON_LIMIT else None
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": str(kind or MANIFEST), "digest": digest, "size": len(body)}],
    }
    (folder / "index.json").unlink(missing_ok=True)
    (folder / "index.json").write_text(json.dumps(index))


def _sha256(source: IO[bytes] | gzip.GzipFile) -> str:
    hashed = hashlib.sha256()
    while chunk := source.read(1 << 20):
        hashed.update(chunk)
    return hashed.hexdigest()


def _put(blobs: Path, data: bytes) -> tuple[str, int]:
    digest = hashlib.sha256(data).hexdigest()
    (blobs / digest).write_bytes(data)
    return digest, len(data)


def _put_file(source: Path, blobs: Path) -> str:
    """``source`` into ``blobs`` under its sha256 (linked where it can be, else copied)."""
    with regular(source) as opened:
        digest = _sha256(opened)
    _link(source, blobs / digest)
    return digest


def _link(source: Path, target: Path) -> None:
    """``target`` made a hard link of ``source`` (a regular file, no link), else a copy."""
    with regular(source):
        pass
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        with regular(source) as opened, target.open("wb") as written:
            shutil.copyfileobj(opened, written)


def load(where: Store, local: LocalImage, reference: str) -> list[str]:
    """skopeo copying ``local`` into the storage ``where`` under the name ``reference`` gives
    (its digest left off: a pin finds the image by its digest), run in the builder's sandbox:
    the storage is one a pull request's build wrote."""
    return ["skopeo", "copy", "--quiet", f"oci:{local.layout}", where.image(_key(reference))]
