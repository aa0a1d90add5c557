"""buildah's storages, one per trust: what a pull request's build writes no later build reads.

A build's storage holds what the next build takes without asking: the images its ``FROM``
lines name (``--pull=missing`` takes one already there), the layer of every step (a later
step with the same text on the same parent is taken from it: buildah 1.28 leaves a
``RUN --mount=type=bind`` source's files out of that key) and the folders of its ``RUN``
lines' cache mounts. A ``RUN`` line decides what goes into all three. So there are two:

- the kept one (``trusted`` in the work folder): written only by builds of the trusted base
  commit, kept between runs (``cache-dir``);
- the run's own (``run-<random>``): made empty for the run, where every other build runs (the
  head's, each advice's, the smoke command), reading the kept one's images and layers as an
  additional image store, which it cannot write (it is read-only in the build's
  :func:`.builder.own_processes`, where only the run's own folder is writable), and removed
  when the process ends.
"""

from __future__ import annotations

import atexit
import json
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.api import runs

REGISTRIES = """unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
"""
"""How a short image name (``python:3.11-slim``) resolves, as docker resolves it: on Docker
Hub, with no prompt (a build has no terminal to ask on)."""


@dataclass(frozen=True)
class Store:
    """One storage folder: images and layers (``root``, ``run``), the temporary folder its
    ``RUN`` lines' cache mounts live in (``tmp``, buildah's ``TMPDIR``), the settings buildah
    reads, and the kept store whose images it reads (None: none)."""

    folder: Path
    env: dict[str, str]
    reads: Path | None = None

    @property
    def options(self) -> list[str]:
        """buildah's global options naming this storage."""
        argv = ["--root", str(self.folder / "root"), "--runroot", str(self.folder / "run")]
        argv += ["--storage-driver", "vfs"]
        if self.reads is not None:
            argv += ["--storage-opt", f"vfs.imagestore={self.reads / 'root'}"]
        return argv

    def image(self, tag: str) -> str:
        """``tag`` in this storage as skopeo names it."""
        extra = f":vfs.imagestore={self.reads / 'root'}" if self.reads is not None else ""
        return f"containers-storage:[vfs@{self.folder / 'root'}+{self.folder / 'run'}{extra}]{tag}"


def store(folder: Path, environ: Mapping[str, str], reads: Path | None = None) -> Store:
    """The storage in ``folder`` (made when absent) with its settings written."""
    temporary = folder / "tmp"
    temporary.mkdir(parents=True, exist_ok=True)
    networks = folder / "networks"
    networks.mkdir(exist_ok=True)
    settings = folder / "containers.conf"
    settings.write_text(f"[network]\nnetwork_config_dir = {json.dumps(str(networks))}\n")
    registries = folder / "registries.conf"
    registries.write_text(REGISTRIES)
    env = {
        **environ,
        "TMPDIR": str(temporary),
        "CONTAINERS_CONF": str(settings),
        "CONTAINERS_REGISTRIES_CONF": str(registries),
    }
    return Store(folder, env, reads)


def by_trust(work: Path, environ: Mapping[str, str]) -> tuple[Store, Store]:
    """The kept storage and the run's own (see the module's text). The kept one is made ready
    to be read (buildah makes its lock files on first use, which it cannot do where it is
    read-only)."""
    kept = store(work / "trusted", environ)
    runs(["buildah", *kept.options, "images", "--quiet"], env=kept.env)
    own = store(work / f"run-{uuid.uuid4().hex[:16]}", environ, reads=kept.folder)
    atexit.register(shutil.rmtree, own.folder, True)
    return kept, own
