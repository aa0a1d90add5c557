"""Attacks on the registry login through a ``FROM`` the pull request names, with real buildah
pulls from a registry on this machine's outward address (a pull request's pulls do not reach
its loopback) that records what it is sent."""

from __future__ import annotations

import base64
import http.server
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from cicd_agent.modes.build import network as network_module
from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import BuildFailed, Request
from tests.helpers.buildah import outward_address
from tests.helpers.network import http_serving

pytestmark = pytest.mark.skipif(
    shutil.which("buildah") is None, reason="needs buildah (tests/harness/setup.sh installs it)"
)


class Registry(http.server.BaseHTTPRequestHandler):
    """A registry that asks for a login and then knows no image: it records each request's
    path and ``Authorization`` header."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization", "")
        Registry.seen.append((self.path, authorization))
        if not authorization:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="team"')
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *_: object) -> None:
        return None


@pytest.fixture
def registry() -> Iterator[int]:
    Registry.seen = []
    with http_serving(Registry, outward_address()) as port:
        yield port


def test_attack_the_registry_login_fetches_no_image_only_the_pull_request_names(
    tmp_path: Path, registry: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base images were pulled before each build with the workflow's registry login: a
    pull request naming another image of the team's private registry (a new ``FROM``, an
    ``ARG`` default it sets) had it fetched with the login, and its ``RUN`` lines, which have
    the network, could send it anywhere (before: the registry saw the login). Only the trusted
    base's build pulls with the login; the head's pulls without it. The registry is on the
    runner's own address, which the build's network fences off: the fence is opened to it
    here, as for a registry on the internet."""
    monkeypatch.setattr(network_module, "FENCED", ("0.0.0.0/8",))
    monkeypatch.setattr(network_module, "machine_addresses", lambda env: [])
    where = f"{outward_address()}:{registry}"
    login = tmp_path / "login" / "auth.json"
    login.parent.mkdir()
    secret = base64.b64encode(b"team:registry-password").decode()
    login.write_text(json.dumps({"auths": {where: {"auth": secret}}}))
    environ = {"PATH": "/usr/bin:/bin", "REGISTRY_AUTH_FILE": str(login)}
    builder = Buildah(tmp_path / "job", environ, 120)
    for store in (builder.kept, builder.own):  # plain HTTP, as a test registry is
        conf = Path(store.env["CONTAINERS_REGISTRIES_CONF"])
        conf.write_text(conf.read_text() + f'\n[[registry]]\nlocation = "{where}"\ninsecure = true\n')
    folder = tmp_path / "ctx"
    folder.mkdir()
    (folder / "Dockerfile").write_text(f"ARG BASE={where}/team/private:1\nFROM $BASE\nRUN true\n")
    request = Request(folder, folder / "Dockerfile", tmp_path / "out")
    with pytest.raises(BuildFailed, match="pull of"):
        builder.build(request, lambda _: None)
    assert Registry.seen, "the pull never reached the registry"
    assert all(secret not in authorization for _, authorization in Registry.seen), Registry.seen
    with pytest.raises(BuildFailed, match="pull of"):  # the trusted base's pull: the login
        builder.build(
            Request(folder, folder / "Dockerfile", tmp_path / "base", trusted=True),
            lambda _: None,
        )
    assert f"Basic {secret}" in {authorization for _, authorization in Registry.seen}


def test_attack_a_from_the_pull_request_names_pulls_nothing_from_the_runners_loopback(
    tmp_path: Path,
) -> None:
    """A ``FROM`` naming a registry on the runner's loopback (a local registry service) had
    buildah fetch from it, and the image's files went to the ``RUN`` lines. A pull for a build
    of the pull request runs in the build's network, whose loopback is its own: the registry
    never hears of it."""
    Registry.seen = []
    with http_serving(Registry) as port:
        where = f"127.0.0.1:{port}"
        builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 120)
        conf = Path(builder.own.env["CONTAINERS_REGISTRIES_CONF"])
        conf.write_text(conf.read_text() + f'\n[[registry]]\nlocation = "{where}"\ninsecure = true\n')
        folder = tmp_path / "ctx"
        folder.mkdir()
        (folder / "Dockerfile").write_text(f"FROM {where}/team/private:1\nRUN true\n")
        with pytest.raises(BuildFailed, match="pull of"):
            builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)
    assert Registry.seen == []
