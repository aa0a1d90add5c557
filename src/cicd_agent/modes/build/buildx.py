"""docker buildx, the builder on GitHub's runners: OCI output from a builder of the
docker-container driver, its cache in that builder, and which steps came from the cache read
from BuildKit's machine-readable progress."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence

from cicd_agent.modes.build.builder import (
    BuildFailed,
    Built,
    Request,
    build_environment,
    run_tool,
)
from cicd_agent.modes.build.oci import unpack
from cicd_agent.modes.build.tree import TreeError

VERTEX = re.compile(r"^\[(?:(\S+) )?(\d+)/\d+\] ")


def buildkit_cached(lines: Sequence[str], stage_name: str) -> frozenset[int]:
    """The steps of the stage ``stage_name`` BuildKit took from its cache, read from its
    ``--progress=rawjson`` output (one JSON status a line, each listing vertexes with their
    ``name``, ``[stage 2/5] RUN ...``, and ``cached``)."""
    cached: set[int] = set()
    for line in lines:
        try:
            status = json.loads(line)
        except ValueError:
            continue
        vertexes = status.get("vertexes") if isinstance(status, dict) else None
        for vertex in vertexes if isinstance(vertexes, list) else []:
            if not isinstance(vertex, dict) or vertex.get("cached") is not True:
                continue
            found = VERTEX.match(str(vertex.get("name", "")))
            if found and (found.group(1) or "") == stage_name:
                cached.add(int(found.group(2)))
    return frozenset(cached)


class Buildx:
    """docker buildx (GitHub's runners): OCI output needs a builder of the docker-container
    driver (``docker/setup-buildx-action`` makes one); its cache lives in that builder. The
    layers it makes are written uncompressed (only this process reads them); those it takes
    as they are from a registry stay as the registry gave them."""

    name = "docker"

    def __init__(self, environ: Mapping[str, str], timeout: float) -> None:
        self.env = build_environment(environ)
        self.timeout = timeout

    def build(self, request: Request, say: Callable[[str], None]) -> Built:
        archive = request.output.with_suffix(".tar")
        argv = [
            "docker",
            "buildx",
            "build",
            "--progress=rawjson",
            "--provenance=false",
            "--output",
            f"type=oci,dest={archive},compression=uncompressed",
            "-f",
            str(request.dockerfile),
        ]
        if request.target:
            argv += ["--target", request.target]
        for name, value in request.build_args:
            argv += ["--build-arg", f"{name}={value}"]
        argv.append(str(request.context))
        lines: list[str] = []

        def show(line: str) -> str | None:
            if len(lines) < 200_000:
                lines.append(line)
            return None

        started = time.monotonic()
        status, tail = run_tool(argv, self.env, say, show, request.timeout or self.timeout)
        if status != 0:
            raise BuildFailed(f"docker buildx build exited {status}", tail)
        try:
            unpack(archive, request.output)
        except TreeError as exc:
            raise BuildFailed(f"the image docker wrote cannot be read: {exc}", tail) from exc
        finally:
            archive.unlink(missing_ok=True)
        cached = buildkit_cached(lines, request.stage_name)
        return Built(request.output, cached, time.monotonic() - started)

    def smoke(self, image: str, command: str, timeout: float) -> tuple[int, list[str]]:
        """Not run: the image is an OCI archive, not in the engine (buildah runs it)."""
        return 127, ["the smoke command runs with buildah only (--builder buildah)"]

    def apart(self) -> Buildx:
        """This builder: BuildKit runs each ``RUN`` line in a container of its own and takes
        each build's context over its API, so builds beside each other see neither the
        other's context nor its processes."""
        return self
