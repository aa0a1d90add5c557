"""buildah's storages, one per trust: what a pull request's build writes no later build reads.

A build's storage holds what the next build takes without asking: the images its ``FROM``
lines name (``--pull=missing`` takes one already there), the layer of every step (a later
step with the same text on the same parent is taken from it: buildah 1.28 leaves a
``RUN --mount=type=bind`` source's files out of that key) and the folders of its ``RUN``
lines' cache mounts. A ``RUN`` line decides what goes into all three. So there are three kinds:

- the kept one (``trusted`` in the work folder): written only by builds of the trusted base
  commit, kept between runs (``cache-dir``);
- the run's own (``run-<random>``): made empty for the run, where the head's build and its
  smoke command run, reading the kept one's images and layers as an additional image store,
  which it cannot write (it is read-only in the build's :func:`.buildah.own_processes`, where
  only the build's own storage folder is writable), and removed when the process ends;
- one of each advice candidate's own (:func:`beside`, another ``run-<random>``), where its
  builds and its smoke command run, reading the run's own and the kept one, both read-only:
  candidates build side by side, and a ``RUN`` line sees every file buildah sees (through
  ``/proc/<pid>/root``), so no candidate's build is shown a folder another build writes or
  reads from, and none writes what another reads.

All use one storage driver, chosen once per run (:func:`driver`): ``overlay`` where buildah
builds with it in the work folder (a layer a build reads is mounted, not copied), else ``vfs``
(every layer a build reads is a full copy of the file tree below it: minutes for an image of
hundreds of megabytes), with the reason.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import stat
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.local.processes import runs, stream
from cicd_agent.modes.build.mirrors import SEARCH

Sandbox = Callable[[Path, Sequence[Path]], list[str]]
"""The sandbox buildah runs in, given the storage it writes and the folders it reads
(:func:`.buildah.own_processes`)."""


@dataclass(frozen=True)
class Store:
    """One storage folder: images and layers (``root``, ``run``), the temporary folder its
    ``RUN`` lines' cache mounts live in (``tmp``, buildah's ``TMPDIR``), the settings buildah
    reads, the storages whose images it reads (read-only) and its driver."""

    folder: Path
    env: dict[str, str]
    reads: tuple[Path, ...] = ()
    driver: str = "vfs"
    registries: str = SEARCH
    """Its ``registries.conf``: where short names resolve, and the mirrors (:mod:`.mirrors`)."""

    @property
    def settings(self) -> list[str]:
        """The driver's options. overlay's ``skip_mount_home``: else the driver mounts its
        folder over itself in every process that opens the storage, and skopeo left that
        mount on the machine after the run. Its ``mountopt=nodev``: a ``RUN`` line is root
        with ``CAP_MKNOD`` where the job is, and a device node it made, or a base image
        brought, in a root file system mounted without it opened the machine's device (a
        disk). vfs's root file systems are folders of the storage, which the build's sandbox
        binds ``nodev``."""
        found = ["overlay.skip_mount_home=true", "overlay.mountopt=nodev"]
        found = found if self.driver == "overlay" else []
        return found + [f"{self.driver}.imagestore={read / 'root'}" for read in self.reads]

    @property
    def options(self) -> list[str]:
        """buildah's global options naming this storage."""
        argv = ["--root", str(self.folder / "root"), "--runroot", str(self.folder / "run")]
        argv += ["--storage-driver", self.driver]
        for setting in self.settings:
            argv += ["--storage-opt", setting]
        return argv

    def image(self, tag: str) -> str:
        """``tag`` in this storage as skopeo names it."""
        extra = ":" + ",".join(self.settings) if self.settings else ""
        where = f"{self.driver}@{self.folder / 'root'}+{self.folder / 'run'}{extra}"
        return f"containers-storage:[{where}]{tag}"


def store(
    folder: Path,
    environ: Mapping[str, str],
    reads: tuple[Path, ...] = (),
    driver: str = "vfs",
    registries: str = SEARCH,
) -> Store:
    """The storage in ``folder`` (made when absent) with its settings written."""
    temporary = folder / "tmp"
    temporary.mkdir(parents=True, exist_ok=True)
    networks = folder / "networks"
    networks.mkdir(exist_ok=True)
    settings = folder / "containers.conf"
    settings.write_text(f"[network]\nnetwork_config_dir = {json.dumps(str(networks))}\n")
    (folder / "registries.conf").write_text(registries)
    env = {
        **environ,
        "TMPDIR": str(temporary),
        "CONTAINERS_CONF": str(settings),
        "CONTAINERS_REGISTRIES_CONF": str(folder / "registries.conf"),
    }
    return Store(folder, env, reads, driver, registries)


PROBE = "FROM scratch\nCOPY probe /probe/first\nCOPY probe /probe/second\n"
"""Two layers, the second written through an overlay of the first: what every build step
does."""


def driver(work: Path, environ: Mapping[str, str], sandbox: Sandbox) -> tuple[str, str]:
    """``overlay`` when buildah builds :data:`PROBE` with it in a new folder of ``work``
    under ``sandbox`` (as every build runs), else ``vfs``; and why vfs ("" for overlay).
    buildah's own check of the driver passes where a build then fails (a work folder on a
    FUSE file system: the first ``COPY`` cannot write), so the probe is a build."""
    probe = store(work / f"probe-{uuid.uuid4().hex[:16]}", environ, driver="overlay")
    try:
        context = probe.folder / "context"
        context.mkdir()
        (context / "probe").write_text("probe\n")
        (context / "Dockerfile").write_text(PROBE)
        argv = [
            *sandbox(probe.folder, ()),
            "buildah",
            *probe.options,
            "build",
            "--isolation",
            "chroot",
            "-f",
            str(context / "Dockerfile"),
            "-t",
            "probe",
            str(context),
        ]
        status, tail = stream(argv, env=probe.env, on_line=lambda _: None, timeout=120, keep=20)
    finally:
        shutil.rmtree(probe.folder, ignore_errors=True)
    if status == 0:
        return "overlay", ""
    said = [line.strip() for line in tail if line.strip()]
    return "vfs", f"overlay does not build here ({said[-1][:200] if said else f'exit {status}'})"


def by_trust(
    work: Path, environ: Mapping[str, str], sandbox: Sandbox, registries: str = SEARCH
) -> tuple[Store, Store, str]:
    """The kept storage and the run's own (see the module's text), and the storage named for
    a reader ("overlay", "vfs, because ..."). Both are made ready to be read: buildah makes
    a storage's folders and lock files on first use, which it cannot do where it is
    read-only (the kept one to every build but the base's, the run's own to advice)."""
    chosen, why = driver(work, environ, sandbox)
    kept = store(work / "trusted", environ, driver=chosen, registries=registries)
    own = store(work / f"run-{uuid.uuid4().hex[:16]}", environ, (kept.folder,), chosen, registries)
    atexit.register(shutil.rmtree, own.folder, True)
    for made in (kept, own):
        listing = ["buildah", *made.options, "images", "--quiet"]
        runs([*sandbox(made.folder, made.reads), *listing], env=made.env)
    return kept, own, chosen if not why else f"{chosen}, because {why}"


def beside(own: Store) -> Store:
    """A new storage beside ``own``, empty, reading ``own``'s images and layers and those
    ``own`` reads (the head's steps and the base's come from the cache), removed when the
    process ends. ``own`` was written by a pull request's ``RUN`` lines (each sees every file
    of its buildah's storage): where its overlay links do not hold (:func:`linked`) the new
    storage reads only the kept one, which every storage reads last, and its builds take no
    step of ``own``'s from the cache."""
    folder = own.folder.with_name(f"run-{uuid.uuid4().hex[:16]}")
    reads = (own.folder, *own.reads)
    if own.driver == "overlay" and not linked(reads):
        reads = reads[-1:]
    made = store(folder, own.env, reads, own.driver, own.registries)
    atexit.register(shutil.rmtree, made.folder, True)
    return made


SHORT = re.compile(r"[A-Z0-9]{1,64}")
"""A layer's short name, as the overlay driver makes it (its ``link`` file, ``l/<short>``)."""
LAYER_FILES = frozenset({"diff", "link", "lower", "merged", "work", "empty"})
"""What the overlay driver keeps in a layer's folder; another ``diff<N>`` would be mounted
below the layer's ``diff`` by the driver, unseen by skopeo."""
MOST = 64 << 20
"""Bytes read of one record file of a storage (its layer list, a ``link`` or ``lower``)."""


def linked(storages: Sequence[Path]) -> bool:
    """Whether every layer of ``storages`` (overlay storages, read in this order) is mounted
    as skopeo copies it. The driver finds a layer's lower layers by the short names in its
    ``lower`` file, each looked up as ``l/<short>`` in the storages in order, and skopeo by the
    parents in the layer list: a ``RUN`` line that wrote a link of a kept layer's name into
    its own storage, pointing anywhere, gave the ``RUN`` lines of a build reading that storage
    files of its choosing under the kept layer, while every image showed the real ones. So,
    in each storage: every ``l/<short>`` is a link to ``../<id>/diff`` of a listed layer
    whose ``link`` file holds ``<short>``; no short name or layer is in two storages; every
    layer's folder holds only the driver's files, a real ``diff`` folder, and a ``lower`` that
    names its parents' short names, nearest first, as the layer list has them. Nothing is
    followed: a link where a folder or record belongs fails the check."""
    try:
        layers = [_layers(folder) for folder in storages]
        links = [_links(folder) for folder in storages]
    except (OSError, ValueError, LookupError, TypeError, AttributeError):  # a list unlike buildah's
        return False
    parents: dict[str, str] = {}
    homes: dict[str, Path] = {}
    for folder, listed in zip(storages, layers, strict=True):
        if set(listed) & set(parents):
            return False
        parents.update(listed)
        homes.update(dict.fromkeys(listed, folder / "root" / "overlay"))
    names = [name for found in links for name in found]
    if len(names) != len(set(names)):
        return False
    shorts = {name: layer for found in links for name, layer in found.items()}
    try:
        records = {layer: _record(homes[layer] / layer) for layer in parents}
    except (OSError, ValueError):
        return False
    if any(shorts.get(link) != layer for layer, (link, _) in records.items()):
        return False
    if any(layer not in parents for layer in shorts.values()):
        return False
    for layer, parent in parents.items():
        if parent and parent not in records:
            return False
        want = [f"l/{records[parent][0]}", *records[parent][1]] if parent else []
        if records[layer][1] != want:
            return False
    return True


def _read(path: Path) -> str:
    """A regular file's text, never through a link (at most :data:`MOST` bytes)."""
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(handle, "rb") as opened:
        if not stat.S_ISREG(os.fstat(opened.fileno()).st_mode):
            raise ValueError(f"{path} is no file")
        data = opened.read(MOST + 1)
    if len(data) > MOST:
        raise ValueError(f"{path} is too large")
    return data.decode()


def _folder(path: Path) -> Path:
    """``path``, when it is a folder and no link."""
    if not stat.S_ISDIR(path.lstat().st_mode):
        raise ValueError(f"{path} is no folder")
    return path


def _within(storage: Path, *names: str) -> Path | None:
    """The folder ``names`` lead to in ``storage``, each a folder and no link (None: one is
    missing, as in a storage no build has used: it holds nothing)."""
    path = storage
    for name in names:
        path = path / name
        if not os.path.lexists(path):
            return None
        _folder(path)
    return path


def _layers(storage: Path) -> dict[str, str]:
    """A storage's layers and each one's parent ("" for none), from its layer list."""
    folder = _within(storage, "root", "overlay-layers")
    path = folder / "layers.json" if folder else None
    listed = json.loads(_read(path) or "[]") if path and os.path.lexists(path) else []
    return {str(layer["id"]): str(layer.get("parent") or "") for layer in listed}


def _links(storage: Path) -> dict[str, str]:
    """A storage's short names and the layer each links to (``l/<short>`` ->
    ``../<layer>/diff``)."""
    found: dict[str, str] = {}
    folder = _within(storage, "root", "overlay", "l")
    for entry in folder.iterdir() if folder else ():
        target = os.readlink(entry).split("/")
        if not SHORT.fullmatch(entry.name) or len(target) != 3 or target[::2] != ["..", "diff"]:
            raise ValueError(f"{entry} is no layer's link")
        found[entry.name] = target[1]
    return found


def _record(layer: Path) -> tuple[str, list[str]]:
    """A layer's short name and its ``lower`` (the short names below it, nearest first)."""
    if not {path.name for path in _folder(layer).iterdir()} <= LAYER_FILES:
        raise ValueError(f"{layer} holds more than a layer")
    _folder(layer / "diff")
    short = _read(layer / "link")
    lower = _read(layer / "lower").split(":") if os.path.lexists(layer / "lower") else []
    if not SHORT.fullmatch(short) or not all(SHORT.fullmatch(item[2:]) for item in lower):
        raise ValueError(f"{layer} names no short name")
    if any(not item.startswith("l/") for item in lower):
        raise ValueError(f"{layer} names a lower layer by a path")
    return short, lower
