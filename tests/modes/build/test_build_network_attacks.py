"""More attacks on the runner from a pull request's ``RUN`` line, with real buildah builds in
the network of the build's own (:mod:`cicd_agent.modes.build.network`): the runner's other
loopback addresses, IPv6, slirp4netns's gateway and DNS forwarder, UNIX sockets, the processes
that hold the network up, a flood, the hand-off that starts the build, and links the line
leaves in its storage for the next build."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.local.processes import stream
from cicd_agent.modes.build import buildah as buildah_module
from cicd_agent.modes.build import network as network_module
from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import BuildFailed, Request
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.machine import binds
from cicd_agent.modes.build.network import own_network
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import (
    BUSYBOX,
    listening,
    needs_buildah,
    outward_address,
    serving,
    static_program,
)

pytestmark = needs_buildah

PROBE = r"""
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv) {
    struct sockaddr_un addr; memset(&addr, 0, sizeof addr); addr.sun_family = AF_UNIX;
    size_t n = strlen(argv[1]); socklen_t len;
    if (argv[1][0] == '@') { memcpy(addr.sun_path + 1, argv[1] + 1, n - 1);
                             len = sizeof(sa_family_t) + n; }
    else { memcpy(addr.sun_path, argv[1], n); len = sizeof(sa_family_t) + n + 1; }
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, len) != 0) { puts("unreached"); return 0; }
    if (write(s, "hello\n", 6) != 6) { puts("connected"); return 0; }
    char buf[4096]; ssize_t got = read(s, buf, sizeof buf - 1);
    if (got <= 0) { puts("connected"); return 0; }
    buf[got] = 0; printf("%s\n", buf); return 0;
}
"""
"""A static program a ``RUN`` line runs to connect to a UNIX socket (``@name``: an abstract
one) and print what it answers (busybox has no client for them)."""


@contextlib.contextmanager
def service(family: socket.AddressFamily, address: str, answer: bytes) -> Iterator[int]:
    """A TCP service on ``address`` answering every connection with an HTTP response holding
    ``answer``: its port."""
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 0))
    with serving(listener, answer):
        yield listener.getsockname()[1]


def build(tmp_path: Path, runs: list[str], files: dict[str, Path] | None = None,
          timeout: float = 300) -> dict[str, str]:  # fmt: skip
    """The files of the image a pull request's Dockerfile of busybox and ``runs`` (each a
    ``RUN`` line) builds, ``files`` copied into its root first: each file at the image's
    root, by name, as text."""
    folder = tmp_path / "pull-request"
    folder.mkdir(exist_ok=True)
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, folder / "busybox")
    lines = ["FROM scratch", "COPY busybox /bin/sh", "COPY busybox /bin/busybox",
             "RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]"]  # fmt: skip
    for name, path in (files or {}).items():
        shutil.copy(path, folder / name)
        lines.append(f"COPY {name} /{name}")
    lines += [f"RUN {line}" for line in runs]
    (folder / "Dockerfile").write_text("\n".join(lines) + "\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, timeout)
    built = builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"),
                          lambda _: None)  # fmt: skip
    tree = read_tree(read_layout(built.layout).layers)
    return {name: tree.files[name].read().decode(errors="replace")
            for name in tree.files if "/" not in name}  # fmt: skip


def fetch(url: str, into: str) -> str:
    """A ``RUN`` line fetching ``url`` into ``/into`` (``unreached`` when it cannot)."""
    # no ``-T``: Debian's busybox 1.35 wget segfaults on it, and every fetch read "unreached"
    return f"timeout 20 wget -q -O /{into} '{url}' || echo unreached > /{into}"


def test_attack_the_runners_other_loopback_addresses_are_not_reached(tmp_path: Path) -> None:
    """The runner's loopback is all of 127/8 and ``::1``; slirp4netns bars its gateway from
    127.0.0.1. A service on 127.0.0.2 or ``::1`` (a resolver, a cache, a database bound to an
    address of its own), one on 127.0.0.1 asked at ``0.0.0.0`` or another 127/8 address, and the
    DNS forwarder's address at another port (slirp4netns sends 10.0.2.3 to the machine's
    resolver) reach the build's own loopback, or nothing."""
    secret = f"loopback-{uuid.uuid4().hex}"
    with (
        service(socket.AF_INET, "127.0.0.1", secret.encode()) as one,
        service(socket.AF_INET, "127.0.0.2", secret.encode()) as two,
        service(socket.AF_INET6, "::1", secret.encode()) as six,
    ):
        seen = build(tmp_path, [
            fetch(f"http://127.0.0.2:{two}/", "a"),
            fetch(f"http://10.0.2.2:{two}/", "b"),
            fetch(f"http://[::1]:{six}/", "c"),
            fetch(f"http://[fd00::2]:{six}/", "d"),  # slirp4netns's IPv6 gateway, were it on
            fetch(f"http://0.0.0.0:{one}/", "e"),
            fetch(f"http://127.1.2.3:{one}/", "f"),
            fetch(f"http://10.0.2.3:{one}/", "g"),
            fetch(f"http://10.0.2.2:{one}/", "h"),
        ])  # fmt: skip
    for name in "abcdefgh":
        assert seen[name].strip() == "unreached", (name, seen[name])


def test_attack_an_abstract_unix_socket_of_the_runner_is_not_reached(tmp_path: Path) -> None:
    """Abstract UNIX sockets (``@name``) have no file: the kernel keeps one name space of them
    per network namespace, and ``docker`` and ``containerd`` shims, X servers and others listen
    on them. A ``RUN`` line in the machine's namespace connected to every one."""
    secret = f"abstract-{uuid.uuid4().hex}"
    name = f"cicd-agent-attack-{uuid.uuid4().hex[:12]}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(f"\0{name}")
    tool = static_program(tmp_path, "probe", PROBE)
    with serving(listener, secret.encode()):
        assert secret in subprocess.run([str(tool), f"@{name}"], capture_output=True,
                                        text=True, check=True).stdout  # the probe works  # fmt: skip
        seen = build(tmp_path, [f"/probe @{name} > /seen"], {"probe": tool})
    assert seen["seen"].strip() == "unreached", seen["seen"]


def test_attack_a_run_line_finds_no_unix_socket_of_the_runner(tmp_path: Path) -> None:
    """A ``RUN`` line sees every file buildah sees (``/proc/<pid>/root``): a UNIX socket
    among them (a docker engine's, a resolver's, slirp4netns's API socket) would be a way to
    the runner's services that no network namespace closes. Every socket under every root the
    line's processes see is listed, but for the line's own ``/proc`` and ``/sys``."""
    seen = build(tmp_path, [
        "for root in / /proc/[0-9]*/root/; do find $root \\( -name proc -o -name sys \\) -prune "
        "-o -type s -print 2>/dev/null; done "
        "| sort -u > /sockets; true",
        "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' > /processes; true",
    ])  # fmt: skip
    assert seen["sockets"].strip() == "", seen["sockets"]
    assert "slirp4netns" not in seen["processes"], seen["processes"]
    assert "buildah" in seen["processes"]  # the listing saw the line's neighbours


def test_attack_a_run_line_that_kills_every_process_it_sees_ends_the_build_cleanly(
    tmp_path: Path,
) -> None:
    """chroot isolation keeps ``CAP_KILL``: a ``RUN`` line signals every process it sees. It
    sees buildah, never slirp4netns nor the bubblewrap that waits for the sandbox, which run
    outside its PID namespace; the build fails, and the run goes on, with no process left."""
    before = slirp_processes()
    started = time.monotonic()
    with pytest.raises(BuildFailed):
        build(tmp_path, ["kill -9 -1; kill -STOP -1; sleep 5"], timeout=120)
    assert time.monotonic() - started < 100
    assert slirp_processes() <= before


def slirp_processes() -> set[int]:
    """The slirp4netns processes this process started that run now (not another test
    process's, which builds at the same time)."""
    found = set()
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "slirp4netns":
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
                if parent == os.getpid():
                    found.add(int(entry.name))
    return found


def test_attack_a_run_line_that_floods_the_network_is_stopped_at_the_builds_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``RUN`` line writing as fast as slirp4netns carries (to a sink of the runner's own
    address, so no byte leaves the machine: the network's fence is opened to it here) keeps
    slirp4netns busy; the build is still stopped at its time, and slirp4netns with it."""
    monkeypatch.setattr(network_module, "FENCED", ("0.0.0.0/8",))
    monkeypatch.setattr(network_module, "machine_addresses", lambda env: [])
    sink = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sink.bind(("0.0.0.0", 0))  # a sink the build reaches at the runner's own address
    sink.listen(8)
    port = sink.getsockname()[1]
    stop = threading.Event()
    drained = [0]

    def drain() -> None:
        sink.settimeout(0.5)
        peers = []
        while not stop.is_set():
            with contextlib.suppress(OSError):
                peer, _ = sink.accept()
                peer.setblocking(False)
                peers.append(peer)
            for peer in peers:
                with contextlib.suppress(OSError):
                    while chunk := peer.recv(1 << 20):
                        drained[0] += len(chunk)
        for peer in peers:
            peer.close()

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    before = slirp_processes()
    started = time.monotonic()
    try:
        with pytest.raises(BuildFailed):
            build(tmp_path, [
                f"for n in 1 2 3 4; do (cat /dev/zero | nc {outward_address()} {port}) & done; "
                "while :; do wget -q -O /dev/null http://10.0.2.2:1/; done",
            ], timeout=12)  # fmt: skip
    finally:
        stop.set()
        thread.join(5)
        sink.close()
    assert time.monotonic() - started < 80
    assert slirp_processes() <= before
    assert drained[0] > 1 << 20  # the flood went through


def in_own_network(path: str) -> tuple[list[str], list[str]]:
    """``/proc/net/route`` as a command under bubblewrap sees it the moment it starts, in a
    network of its own with ``path`` where slirp4netns is looked for: its lines, and what the
    progress was told."""
    said: list[str] = []
    with own_network({"PATH": path}, said.append, 60) as network:
        argv = [*network.enter, "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid",
                "--proc", "/proc", *network.options, "--", "cat", "/proc/net/route"]  # fmt: skip
        status, lines = stream(argv, env={"PATH": "/usr/bin:/bin"}, on_line=lambda _: None,
                               timeout=60, pass_fds=network.fds)  # fmt: skip
    assert status == 0, lines
    return lines, said


def slow_slirp(folder: Path, before: str) -> str:
    """A ``PATH`` whose slirp4netns runs the shell's ``before`` and then the real one."""
    folder.mkdir()
    wrapper = folder / "slirp4netns"
    real = shutil.which("slirp4netns")
    wrapper.write_text(f'#!/bin/sh\n{before}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    return f"{folder}:/usr/sbin:/usr/bin:/sbin:/bin"


def test_attack_a_build_does_not_start_before_its_network_is_up(tmp_path: Path) -> None:
    """bubblewrap holds the command (``--block-fd``) until slirp4netns says the network is
    up, however long it takes: the command's first look finds the network's route."""
    lines, said = in_own_network(slow_slirp(tmp_path / "slow", "sleep 3"))
    assert any(line.startswith("tap0\t00000000") for line in lines), lines
    assert said == []


def test_a_network_that_never_comes_up_leaves_the_build_its_loopback_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slirp4netns that never says it is up: the build starts after the wait, still in its
    own namespace (never the machine's), and the progress says why it has no network."""
    monkeypatch.setattr(network_module, "WAIT", 3.0)
    lines, said = in_own_network(slow_slirp(tmp_path / "stuck", "exit 1"))
    assert not any(line.startswith("tap0") for line in lines), lines
    assert not any(line.startswith("eth") for line in lines), lines  # not the machine's
    assert said == ["slirp4netns did not bring the network up: "
                    "the build has no network but its own loopback"]  # fmt: skip


@pytest.mark.parametrize("planted", ["link", "file", "folder-with-link"])
def test_attack_what_a_run_line_leaves_at_the_storages_context_is_cleared(
    tmp_path: Path, planted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``RUN`` line writes its storage, so the names each build's context was once copied to
    there may hold a link (to a runner's folder), a file, or a folder with a link in it when
    the next build starts: the next build copies its context to a new folder outside the
    storage, follows none of them and builds, instead of failing the run with an internal
    error."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "kept.txt").write_text("the runner's own file\n")
    folder = tmp_path / "pull-request"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /x\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    monkeypatch.setattr(buildah_module, "SERIAL", itertools.count(1))  # the names it will use
    for store, serial in itertools.product((builder.own, builder.kept), (1, 2)):
        context = store.folder / f"context-{serial}"
        if planted == "link":
            context.symlink_to(victim, target_is_directory=True)
        elif planted == "file":
            context.write_text("not a folder\n")
        else:
            context.mkdir()
            (context / "out").symlink_to(victim, target_is_directory=True)
    for trusted in (False, True):
        built = builder.build(Request(folder, folder / "Dockerfile", tmp_path / f"image-{trusted}",
                                      trusted=trusted), lambda _: None)  # fmt: skip
        assert "x" in read_tree(read_layout(built.layout).layers).files
    assert sorted(path.name for path in victim.iterdir()) == ["kept.txt"]
    assert (victim / "kept.txt").read_text() == "the runner's own file\n"


@contextlib.contextmanager
def resolver(address: str, answered: list[bytes]) -> Iterator[None]:
    """A DNS resolver on ``address`` port 53 (UDP) that records each query and answers none."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind((address, 53))
    with listening(listener, lambda: answered.append(listener.recv(4096))):
        yield


def slirp_resolving_at(nameserver: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """slirp4netns run where the resolver file names ``nameserver``: the builds' DNS forwarder
    (10.0.2.3) sends its queries there."""
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver {nameserver}\n")
    real = network_module.slirp

    def on_that_resolver(pid: int, ready: int, leave: int) -> list[str]:
        script = f'mount --bind {conf} /etc/resolv.conf && exec "$@"'
        return ["unshare", "-m", "sh", "-c", script, "sh", *real(pid, ready, leave)]

    monkeypatch.setattr(network_module, "slirp", on_that_resolver)


def test_attack_the_dns_forwarder_reaches_only_dns_of_a_loopback_resolver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slirp4netns sends what goes to 10.0.2.3 to the machine's resolver, and many machines'
    is on their loopback (systemd's 127.0.0.53, a dnsmasq on 127.0.0.1). Its DNS queries
    reach it (a build resolves names), but another port of 10.0.2.3 is no way to the other
    services on that loopback address. Here slirp4netns runs where the resolver file names
    127.0.0.9, as on such a machine."""
    slirp_resolving_at("127.0.0.9", tmp_path, monkeypatch)
    secret = f"resolver-{uuid.uuid4().hex}"
    queries: list[bytes] = []
    with resolver("127.0.0.9", queries), service(socket.AF_INET, "127.0.0.9", secret.encode()) as port:
        seen = build(tmp_path, [
            fetch(f"http://10.0.2.3:{port}/", "a"),
            f"nslookup {secret}.example 10.0.2.3 > /b 2>&1; true",
        ])  # fmt: skip
    assert seen["a"].strip() == "unreached", seen["a"]
    assert any(secret.encode() in query for query in queries), queries


def test_attack_no_folder_of_the_runners_run_is_shown_to_a_build() -> None:
    """``/run`` holds the runner's UNIX sockets (systemd-resolved's ``io.systemd.Resolve``
    beside its resolver files, a docker engine's): of it a build is shown single files, never
    a folder where a socket is or may come."""
    argv = binds("/usr/bin:/bin")
    shown = [argv[at + 1] for at, word in enumerate(argv) if word == "--ro-bind-try"]
    under_run = [path for path in shown if path.startswith(("/run", "/var/run"))]
    assert under_run, shown
    assert all(path.endswith(".conf") for path in under_run), under_run
