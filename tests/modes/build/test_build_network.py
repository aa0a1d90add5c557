"""Attacks on the runner's network from a pull request's Dockerfile, with real buildah builds:
what a ``RUN`` line reaches over the network of the machine that builds it."""

from __future__ import annotations

import contextlib
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.local.processes import stream
from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import Request
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.network import own_network
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, needs_buildah, outward_address, serving

pytestmark = needs_buildah


@contextlib.contextmanager
def service(address: str, answer: bytes) -> Iterator[int]:
    """A TCP service on ``address`` that answers every connection with an HTTP response
    holding ``answer``: the port it listens on."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 0))
    with serving(listener, answer):
        yield listener.getsockname()[1]


def fetched(tmp_path: Path, url: str) -> str:
    """What a ``RUN`` line of a pull request's build got from ``url`` (busybox's wget), as the
    built image holds it."""
    folder = tmp_path / "pull-request"
    folder.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, folder / "busybox")
    (folder / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\n"
        f"RUN /bin/busybox timeout 20 /bin/busybox wget -q -O /seen.txt {url} "
        "|| echo unreached > /seen.txt\n"
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    built = builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"),
                          lambda _: None)  # fmt: skip
    return read_tree(read_layout(built.layout).layers).files["seen.txt"].read().decode()


def test_attack_a_run_line_reaches_no_service_on_the_runners_loopback(tmp_path: Path) -> None:
    """buildah's chroot isolation runs a ``RUN`` line in the machine's network namespace: it
    reached what listens on the runner's loopback (a service container's mapped port, a local
    registry, a metadata proxy) and could copy what they answer into the image or out to the
    internet. Each build gets a network of its own, whose loopback is its own."""
    secret = f"loopback-{uuid.uuid4().hex}".encode()
    with service("127.0.0.1", secret) as port:
        seen = fetched(tmp_path, f"http://127.0.0.1:{port}/")
    assert secret.decode() not in seen
    assert seen.strip() == "unreached"


def test_attack_a_run_line_reaches_no_loopback_service_through_the_gateway(tmp_path: Path) -> None:
    """The network of the build's own is the user-mode one of slirp4netns, whose gateway
    (10.0.2.2) would lead to the runner's loopback unless told not to."""
    secret = f"gateway-{uuid.uuid4().hex}".encode()
    with service("127.0.0.1", secret) as port:
        seen = fetched(tmp_path, f"http://10.0.2.2:{port}/")
    assert secret.decode() not in seen
    assert seen.strip() == "unreached"


def test_attack_a_run_line_reaches_no_service_on_the_runners_own_address(tmp_path: Path) -> None:
    """A service container's port is published on every address of the runner (docker's
    ``0.0.0.0:5432``), so it answers on the runner's own address too, which the build's
    network reaches as it reaches the internet."""
    secret = f"published-{uuid.uuid4().hex}".encode()
    with service("0.0.0.0", secret) as port:  # as docker publishes a port
        seen = fetched(tmp_path, f"http://{outward_address()}:{port}/")
    assert secret.decode() not in seen


MIRROR = "deb.debian.org"
"""Where a build's ``apt-get`` goes: Debian's mirror, over plain HTTP (apt checks what it
fetches by its signed index; busybox's wget speaks no TLS)."""


def test_a_run_line_still_reaches_the_internet(tmp_path: Path) -> None:
    """What a build needs of the network (apt, pip) is still there: a ``RUN`` line resolves a
    name and fetches from Debian's mirror."""
    try:
        socket.create_connection((MIRROR, 80), timeout=10).close()
    except OSError as exc:
        pytest.skip(f"this machine does not reach {MIRROR} itself: {exc}")
    seen = fetched(tmp_path, f"http://{MIRROR}/debian/dists/bookworm/Release")
    assert seen.startswith("Origin: Debian"), seen[:200]


def in_own_network(path: str) -> tuple[int, list[str], list[str]]:
    """``/proc/net/route`` and ``/etc/resolv.conf`` as a command under bubblewrap sees them in
    a network of its own, with ``path`` where slirp4netns is looked for: its exit status and
    lines, and what the progress was told."""
    said: list[str] = []
    with own_network({"PATH": path}, said.append, 60) as network:
        argv = [*network.enter, "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid",
                "--proc", "/proc", *network.options, "--",
                "cat", "/proc/net/route", "/etc/resolv.conf"]  # fmt: skip
        status, lines = stream(argv, env={"PATH": "/usr/bin:/bin"}, on_line=lambda _: None,
                               timeout=60, pass_fds=network.fds)  # fmt: skip
    return status, lines, said


def test_a_network_of_its_own_is_joined_to_the_outside_by_slirp4netns() -> None:
    status, lines, said = in_own_network("/usr/sbin:/usr/bin:/sbin:/bin")
    assert status == 0, lines
    assert any(line.startswith("tap0\t00000000") for line in lines), lines  # its default route
    assert "nameserver 10.0.2.3" in lines
    assert said == []


def test_without_slirp4netns_the_network_is_its_loopback_alone_and_the_progress_says_so(
    tmp_path: Path,
) -> None:
    status, lines, said = in_own_network(str(tmp_path / "nowhere"))
    assert status == 0, lines
    assert not any(line.startswith("tap0") for line in lines), lines
    assert said == ["slirp4netns is not installed: the build has no network but its own loopback"]


def test_attack_a_link_in_the_storage_is_not_where_the_resolver_file_is_written(
    tmp_path: Path,
) -> None:
    """A ``RUN`` line writes the build's storage (through buildah's process). The network's
    resolver file was written there before each build, on the machine, as this process: a
    link planted under its name had the next build write wherever it led."""
    victim = tmp_path / "victim.txt"
    victim.write_text("the runner's own file\n")
    folder = tmp_path / "pull-request"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /x\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    for store in (builder.own, builder.kept):
        (store.folder / "resolv.conf").symlink_to(victim)
    builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"), lambda _: None)
    assert victim.read_text() == "the runner's own file\n"
