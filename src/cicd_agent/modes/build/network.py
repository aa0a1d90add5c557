"""The network a build's ``RUN`` lines get: one of their own, never the machine's.

buildah's chroot isolation runs a ``RUN`` line in buildah's own network namespace; run in the
machine's, the line reached whatever listens on the runner's loopback (a service container's
mapped port, a local registry, a metadata proxy). So every build runs under bubblewrap with a
network namespace of its own (``--unshare-net``: a loopback of its own and nothing else), and
slirp4netns, started on the machine, gives that namespace a user-mode network to the outside
(10.0.2.0/24, its DNS forwarder at 10.0.2.3) with ``--disable-host-loopback``: its gateway
leads nowhere on the machine's loopback. The build waits (bubblewrap's ``--block-fd``) until
that network is up. Where slirp4netns is missing, the build still gets its own namespace, with
its loopback alone: no ``RUN`` line reaches the network, and the progress says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.api.lent.processes import host_tool, stream

NONE: tuple[str, ...] = ("--unshare-net",)
"""bubblewrap's options for no network but a loopback of the sandbox's own."""
HOST: tuple[str, ...] = ()
"""bubblewrap's options for the machine's network (a pull for the trusted base's build, where
nothing of the pull request runs)."""
RESOLVER = "nameserver 10.0.2.3\n"
"""slirp4netns's DNS forwarder, as the build's ``/etc/resolv.conf`` (the machine's may name a
resolver on its own loopback: systemd's 127.0.0.53)."""
MTU = "65520"
"""slirp4netns's largest frame, podman's default for it (fewer frames for a download than at
the default 1500)."""
ALONE = "the build has no network but its own loopback"
WAIT = 30.0
"""Seconds given to bubblewrap to start the sandbox and to slirp4netns to bring its network
up; past them the build runs with no network."""


@dataclass
class OwnNetwork:
    """A network namespace of the build's own, joined to the outside by slirp4netns: the
    bubblewrap options (:attr:`options`) and the descriptors bubblewrap must be handed
    (:attr:`fds`)."""

    resolver: Path
    info: tuple[int, int] = field(default_factory=os.pipe)
    block: tuple[int, int] = field(default_factory=os.pipe)
    done: threading.Event = field(default_factory=threading.Event)
    problem: str = ""

    @property
    def options(self) -> tuple[str, ...]:
        return (*NONE, "--info-fd", str(self.info[1]), "--block-fd", str(self.block[0]),
                "--ro-bind", str(self.resolver), "/etc/resolv.conf")  # fmt: skip

    @property
    def fds(self) -> tuple[int, int]:
        return self.info[1], self.block[0]

    def sandbox_pid(self) -> int | None:
        """The sandbox's process, as bubblewrap's ``--info-fd`` names it once it started it
        (None: it did not within :data:`WAIT` seconds, or the run is over)."""
        said = b""
        ends = time.monotonic() + WAIT
        while not self.done.is_set() and time.monotonic() < ends:
            ready, _, _ = select.select([self.info[0]], [], [], 0.2)
            if not ready:
                continue
            chunk = os.read(self.info[0], 4096)
            if not chunk:
                return None
            said += chunk
            with contextlib.suppress(ValueError):
                pid = json.loads(said).get("child-pid")
                return pid if isinstance(pid, int) else None
        return None


def _loopback_set(pid: int, done: threading.Event) -> bool:
    """Whether bubblewrap gave the namespace of ``pid`` its loopback address (within
    :data:`WAIT` seconds). slirp4netns brings the loopback up as it starts, and the kernel then
    gives it its address: started sooner, it raced bubblewrap's own setting of that address,
    which then failed ("loopback: Failed RTM_NEWADDR"), and the build with it."""
    ends = time.monotonic() + WAIT
    while not done.is_set() and time.monotonic() < ends:
        try:
            with open(f"/proc/{pid}/net/fib_trie", encoding="ascii", errors="replace") as table:
                if "127.0.0.1" in table.read():
                    return True
        except OSError:  # the sandbox ended
            return False
        time.sleep(0.01)
    return False


def slirp(pid: int, ready: int, leave: int) -> list[str]:
    """slirp4netns bringing up ``tap0`` in the network namespace of ``pid``, with no way to
    the machine's loopback; it writes to ``ready`` once up and ends when ``leave`` closes."""
    argv = ["slirp4netns", "--configure", f"--mtu={MTU}", "--disable-host-loopback",
            "--enable-sandbox", f"--ready-fd={ready}", f"--exit-fd={leave}"]  # fmt: skip
    if os.geteuid() != 0:  # bubblewrap made a user namespace owning the network's
        argv.append(f"--userns-path=/proc/{pid}/ns/user")
    return [*argv, str(pid), "tap0"]


@contextlib.contextmanager
def own_network(
    env: Mapping[str, str], say: Callable[[str], None], timeout: float
) -> Iterator[OwnNetwork]:
    """A network of a build's own for one bubblewrap run started inside the ``with``. Its
    resolver file is a new file of this process's temporary folder, never one in the build's
    storage: a ``RUN`` line writes there, and a link it left under the file's name would have
    this process write wherever it led."""
    descriptor, name = tempfile.mkstemp(prefix="cicd-agent-resolv-", suffix=".conf")
    with os.fdopen(descriptor, "w", encoding="ascii") as written:
        written.write(RESOLVER)
    network = OwnNetwork(Path(name))
    ready, leave = os.pipe(), os.pipe()
    threads: list[threading.Thread] = []

    def connect() -> None:
        try:
            pid = network.sandbox_pid()
            if pid is None or not _loopback_set(pid, network.done):
                return
            if host_tool("slirp4netns", env) is None:
                network.problem = f"slirp4netns is not installed: {ALONE}"
                return
            argv = slirp(pid, ready[1], leave[0])
            keeper = threading.Thread(target=_keep, args=(argv, env, (ready[1], leave[0]), timeout))
            keeper.start()
            threads.append(keeper)
            up, _, _ = select.select([ready[0]], [], [], WAIT)
            if not up or not os.read(ready[0], 1):
                network.problem = f"slirp4netns did not bring the network up: {ALONE}"
        finally:
            with contextlib.suppress(OSError):
                os.write(network.block[1], b"1")  # the build goes on, networked or not

    connecting = threading.Thread(target=connect)
    connecting.start()
    try:
        yield network
    finally:
        network.done.set()
        connecting.join()
        os.close(leave[1])  # slirp4netns ends
        for thread in threads:
            thread.join()
        for channel in (*network.info, *network.block, *ready, leave[0]):
            os.close(channel)
        network.resolver.unlink(missing_ok=True)
        if network.problem:
            say(network.problem)


def _keep(argv: Sequence[str], env: Mapping[str, str], fds: tuple[int, ...], timeout: float) -> None:
    """slirp4netns run until it ends (when the build's network is no longer needed), or
    stopped at the build's time."""
    stream(argv, env=env, on_line=lambda _: None, timeout=timeout, keep=1, pass_fds=fds)
