"""``mirror REGISTRY=MIRROR``: every pull of that registry's images asks the mirror, here a
registry on this machine's loopback serving one image, for a name whose own registry cannot
exist (``.invalid``): the build passes only if the mirror gave it. The trusted base's pulls run
on the machine's network (a pull request's are fenced off its loopback), so the run is a push,
whose ``before`` is the trusted base."""

from __future__ import annotations

import http.server
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.build.images import wrap
from cicd_agent.modes.build.mirrors import Mirror, mirrors, registries_conf
from tests.helpers.buildah import git, needs_buildah
from tests.helpers.cli import run_cli
from tests.helpers.network import http_serving
from tests.modes.build.test_build_base_trust import event_file, sha
from tests.modes.build.test_build_local_images import rootfs


class Mirrored(http.server.BaseHTTPRequestHandler):
    """A registry of one image (the OCI layout ``layout``) under any name and tag: the paths
    it was asked for are recorded."""

    layout: ClassVar[Path]
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Mirrored.seen.append(self.path)
        blobs = self.layout / "blobs" / "sha256"
        index = json.loads((self.layout / "index.json").read_text())
        manifest = index["manifests"][0]
        body, kind = b"", "application/octet-stream"
        if self.path == "/v2/":
            body, kind = b"{}", "application/json"
        elif "/manifests/" in self.path:
            body, kind = (blobs / manifest["digest"][7:]).read_bytes(), manifest["mediaType"]
        elif "/blobs/sha256:" in self.path and (blobs / self.path.rsplit(":", 1)[1]).is_file():
            body = (blobs / self.path.rsplit(":", 1)[1]).read_bytes()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        if "/manifests/" in self.path:
            self.send_header("Docker-Content-Digest", manifest["digest"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *_: object) -> None:
        return None


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[int]:
    Mirrored.layout = wrap(rootfs(tmp_path / "image"), tmp_path / "image" / "layout")
    Mirrored.seen = []
    with http_serving(Mirrored) as port:
        yield port


@needs_buildah
def test_every_pull_of_the_registry_asks_the_mirror(tmp_path: Path, mirror: int) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text(
        "FROM registry.invalid/team/base:1\nRUN /bin/busybox echo built > /built.txt\n"
        "COPY app.py /app.py\n"
    )
    (repo / "app.py").write_text("print(1)\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "app.py").write_text("print(2)\n")
    git(repo, "commit", "-qam", "head")
    push = event_file(
        tmp_path, "push",
        {"ref": "refs/heads/main", "before": sha(repo, "main~1"), "after": sha(repo, "main"),
         "commits": []},
    )  # fmt: skip
    argv = ["build", "--repo", str(repo), "--builder", "buildah", "--advice", "off", "--json",
            "--cache-dir", str(tmp_path / "cache"),
            "--mirror", f"registry.invalid=http://127.0.0.1:{mirror}"]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": os.environ["PATH"], **push})
    assert done.code == 0, done.stderr[-3000:]
    assert "/v2/team/base/manifests/1" in Mirrored.seen, Mirrored.seen
    report = json.loads(done.stdout)
    assert {row["line"]: row["cached"] for row in report["instructions"]}[2] is True


def test_a_mirror_is_read_as_registry_and_location_or_refused() -> None:
    assert mirrors("docker.io=mirror.gcr.io, ghcr.io=http://10.0.0.5:5000/ghcr") == (
        Mirror("docker.io", "mirror.gcr.io"),
        Mirror("ghcr.io", "10.0.0.5:5000/ghcr", plain=True),
    )
    for bad in ("mirror.gcr.io", "docker.io=", 'docker.io=a"b', "docker.io=x\ndocker.io=y",
                "docker.io=ftp://x"):  # fmt: skip
        with pytest.raises(UsageError, match="mirror"):
            mirrors(bad)
    written = registries_conf(mirrors("docker.io=http://10.0.0.5:5000"))
    assert '[[registry.mirror]]\nlocation = "10.0.0.5:5000"\ninsecure = true' in written
    assert written.startswith('unqualified-search-registries = ["docker.io"]')
