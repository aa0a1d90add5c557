"""What the builders share: docker buildx where the job has it (GitHub's runners, :mod:`.buildx`),
buildah elsewhere (:mod:`.buildah`).

Both build a Dockerfile into an OCI layout and say which steps came from their cache. What a
build runs is the pull request's (its ``RUN`` lines), so a builder process is handed an
environment made from nothing (:func:`build_environment`): no job variable, token or secret of
the run reaches it, its home is a folder of this process's own, and build arguments are only
the ones given, each with its value.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cicd_agent.local.processes import stream

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
KEPT = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "BUILDX_BUILDER", "REGISTRY_AUTH_FILE")
"""The only names a builder process gets from the job: where the docker engine and its builder
are, and where a registry login the workflow made is (read by the builder to pull a base image,
never handed to a RUN)."""
LOGINS = ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG")
"""Of :data:`KEPT`, where a registry login is: seen by buildah's pull of the base images
(:meth:`.buildah.Buildah.pull`), never by the build that runs the ``RUN`` lines."""
TAIL = 20
"""Lines of a failed build's log shown in its error."""


class BuildFailed(Exception):
    """A build that did not finish: its last lines say why, and whether a registry did
    (``pulling``: the base image could not be fetched, a service outside the build failed)."""

    def __init__(self, what: str, tail: Sequence[str]) -> None:
        self.tail = list(tail)
        shown = list(dict.fromkeys(line.strip() for line in self.tail[-6:] if line.strip()))
        last = " | ".join(shown[-3:])  # buildah says "subprocess exited" twice, after the cause
        super().__init__(f"{what}: {last}" if last else what)
        self.pulling = any(PULL_FAILED.search(line) for line in self.tail[-3:])


PULL_FAILED = re.compile(
    r"initializing source docker://|pinging container registry|error pulling image|"
    r"failed to resolve source metadata|pull access denied|manifest unknown"
)
"""What buildah and buildx print when the registry could not give the base image (unreachable,
unknown name, refused): buildah's "initializing source docker://...", buildx's "failed to
resolve source metadata"."""


@dataclass(frozen=True)
class Request:
    """One build: the context folder, the Dockerfile, the stage, the build arguments, and the
    folder the OCI layout is written to."""

    context: Path
    dockerfile: Path
    output: Path
    target: str | None = None
    build_args: tuple[tuple[str, str], ...] = ()
    stage_name: str = ""
    """The built stage's name in the builder's progress (its ``AS`` name, else ``stage-N``;
    "" when the Dockerfile has one stage)."""
    trusted: bool = False
    """A build of the trusted base commit: buildah runs it in the storage kept between runs
    (:mod:`.store`); every other build runs in the run's own."""
    timeout: float | None = None
    """Seconds the build may take (None: the builder's own limit, the run's deadline)."""


@dataclass(frozen=True)
class Built:
    """A finished build: where its layout is, which of the stage's steps the cache gave
    (1-based, FROM being 1), how long it took, and the builder's name for the image ("" when
    a command cannot be run in it here)."""

    layout: Path
    cached: frozenset[int]
    seconds: float
    image: str = ""


class Builder(Protocol):
    name: str

    def build(self, request: Request, say: Callable[[str], None]) -> Built: ...

    def smoke(self, image: str, command: str, timeout: float) -> tuple[int, list[str]]: ...

    def apart(self) -> Builder:
        """A builder for builds run beside others: the same cache, and nothing another build
        writes or builds from shown to its builds."""
        ...


def build_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """A builder's environment: a fixed PATH, a HOME of its own (:func:`private_home`), and
    :data:`KEPT`."""
    kept = {name: environ[name] for name in KEPT if environ.get(name)}
    return {"PATH": PATH, "HOME": str(private_home()), "LANG": "C.UTF-8", **kept}


@functools.cache
def private_home() -> Path:
    """The builders' HOME: made empty and private (mode 0700, a name no one chose) by this
    process, removed as it ends. buildah, skopeo, docker and hadolint read settings from their
    home (registry drop-ins and short-name aliases, credential helpers and proxies, builder
    instances, rules): a home in the work folder, which is found by name and kept between
    runs, read what an earlier job or another user of the machine left there. A build's ``RUN``
    lines see it read-only (:func:`.buildah.own_processes` leaves only the storage writable)."""
    home = Path(tempfile.mkdtemp(prefix="cicd-agent-home-"))
    atexit.register(shutil.rmtree, home, True)
    return home


def run_tool(
    argv: Sequence[str],
    env: Mapping[str, str],
    say: Callable[[str], None],
    show: Callable[[str], str | None],
    timeout: float,
    *,
    fds: Sequence[int] = (),
) -> tuple[int, list[str]]:
    """Run ``argv``; each line ``show`` picks is said as progress."""

    def on_line(line: str) -> None:
        shown = show(line)
        if shown:
            say(shown)

    return stream(argv, env=env, on_line=on_line, timeout=timeout, keep=TAIL * 5, pass_fds=fds)
