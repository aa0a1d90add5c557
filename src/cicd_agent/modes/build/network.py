"""The network a build's ``RUN`` lines get: one of their own, never the machine's, fenced off
from the machine and its neighbours.

buildah's chroot isolation runs a ``RUN`` line in buildah's own network namespace; run in the
machine's, the line reached whatever listens on the runner's loopback (a service container's
mapped port, a local registry, a metadata proxy). So every build runs in a network namespace of
its own, made by a first bubblewrap (:attr:`OwnNetwork.enter`: a loopback of its own and
nothing else), and slirp4netns, started on the machine, gives that namespace a user-mode network
to the outside (10.0.2.0/24, its DNS forwarder at 10.0.2.3) with ``--disable-host-loopback``.

slirp4netns (as pasta) reaches every address the machine reaches and filters none but the
loopback, so before the build may run (bubblewrap's ``--block-fd``) the namespace gets an
nftables rule set (:func:`fence`): out of it go DNS to the forwarder and packets to the
internet, and nothing to the machine's own addresses, the networks of its links but its way
out (a service container's docker network, whatever its subnet), the loopback, 0.0.0.0/8,
link-local (169.254.0.0/16: a cloud's metadata service at 169.254.169.254), the private and
shared ranges a runner's neighbours use (10/8, 172.16/12, 192.168/16, 100.64/10), the clouds'
host services at public addresses (:data:`FENCED`), multicast and the reserved range, nor
any IPv6 packet (slirp4netns carries none here). Root sets the rules from outside, in a
namespace the machine's root owns; the build runs below ``setpriv``, which takes ``CAP_NET_ADMIN``
and ``CAP_NET_RAW`` out of the bounding set (:attr:`OwnNetwork.enter`): no process of the build,
root or not, a file capability's or a new user namespace's, can hold them over that network,
so a ``RUN`` line cannot change the rules nor send a frame past them. buildah stays root of
the machine's user namespace (in a user namespace of its own, overlay cannot mark a removed
folder: a ``RUN`` line taking out a base image's folder failed with an I/O error). Where
slirp4netns, nftables or the machine's address list is missing, or cicd-agent is not root
(:func:`fence` says why), the build still gets its own namespace, with its loopback alone: no
``RUN`` line reaches the network, and the progress says why.
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

from cicd_agent.local.processes import host_tool, stream

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
FENCED = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "168.63.129.16/32",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "224.0.0.0/3",
)
"""The IPv4 ranges no packet of a build goes to, beside the machine's own addresses: this
host, loopback, the private and shared ranges of a runner's neighbours (a cloud's internal
network, a docker bridge, a VPN), link-local with a cloud's metadata service, the clouds' host
services at public addresses (Azure's 168.63.129.16: DNS, DHCP and the WireServer handing out
an agent's goal state; Oracle Cloud's 192.0.0.192 in the protocol range 192.0.0.0/24),
multicast and the reserved range. slirp4netns's DNS forwarder (10.0.2.3, port 53) alone is let
through."""
WITHOUT = ("setpriv", "--bounding-set", "-net_admin,-net_raw", "--")
"""What the build runs below: the network's two capabilities out of its bounding set, which
nothing below may add back."""


@dataclass
class OwnNetwork:
    """A network namespace of the build's own, joined to the outside by slirp4netns and
    fenced (:func:`fence`): the command that makes it (:attr:`enter`, bubblewrap's, before the
    build's own bubblewrap), that bubblewrap's options (:attr:`options`) and the descriptors
    both must be handed (:attr:`fds`)."""

    resolver: Path
    info: tuple[int, int] = field(default_factory=os.pipe)
    block: tuple[int, int] = field(default_factory=os.pipe)
    done: threading.Event = field(default_factory=threading.Event)
    problem: str = ""

    @property
    def enter(self) -> tuple[str, ...]:
        """bubblewrap making the namespace and nothing else (the machine's files as they
        are), holding what it runs until the network is up and fenced. As root it keeps its
        capabilities for the build's bubblewrap, less the network's (:data:`WITHOUT`)."""
        root = os.geteuid() == 0
        rights = ("--cap-add", "ALL") if root else ()
        return (
            "bwrap",
            "--dev-bind",
            "/",
            "/",
            *NONE,
            *rights,
            "--info-fd",
            str(self.info[1]),
            "--block-fd",
            str(self.block[0]),
            "--die-with-parent",
            "--",
            *(WITHOUT if root else ()),
        )

    @property
    def options(self) -> tuple[str, ...]:
        """The build's bubblewrap's options: the resolver."""
        return ("--ro-bind", str(self.resolver), "/etc/resolv.conf")

    @property
    def fds(self) -> tuple[int, ...]:
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


def machine_addresses(env: Mapping[str, str]) -> list[str] | None:
    """The machine's IPv4 addresses and ranges, and the networks on its other links (``ip``'s
    JSON of every route of every table; None: ``ip`` did not answer). A service published on
    all addresses, as docker publishes a service container's port, answers on each: the
    destination of every ``local`` route, those of every interface and those routed to the
    machine alone (``ip route add local 198.51.100.0/24 dev lo``), which no interface lists. A
    service container answers at its own address, on a docker network whose subnet may be any
    (``--subnet 198.51.100.0/24``): the destination of every route through a link the machine's
    way out (:func:`_ways_out`) does not take."""
    tool = host_tool("ip", env)
    if tool is None:
        return None
    argv = [tool, "-j", "-4", "route", "show", "table", "all"]
    status, lines = stream(argv, env=env, on_line=lambda _: None, timeout=WAIT)
    try:
        routes = json.loads("\n".join(lines)) if status == 0 else None
    except ValueError:
        return None
    if not isinstance(routes, list):
        return None
    listed = [route for route in routes if isinstance(route, dict) and "dst" in route]
    out = _ways_out(listed)
    own = {str(route["dst"]) for route in listed if route.get("type") == "local"}
    links = {
        str(route["dst"])
        for route in listed
        if route.get("type", "unicast") == "unicast"
        and route["dst"] != "default"
        and route.get("dev") not in out
    }
    return sorted(own | links)


def _ways_out(routes: Sequence[Mapping[str, object]]) -> set[object]:
    """The links the machine reaches the internet through: those of its default routes and of
    routes as wide as half the addresses (``0.0.0.0/1`` and ``128.0.0.0/1``, which a VPN
    client such as wg-quick or OpenVPN's ``def1`` lays over the default)."""
    return {
        route.get("dev")
        for route in routes
        if route.get("type", "unicast") == "unicast"
        and str(route["dst"]) in ("default", "0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1")
    }


def rules(own: Sequence[str]) -> str:
    """The nftables rule set of a build's network, ``own`` the machine's addresses."""
    fenced = ", ".join([*FENCED, *own])
    return f"""table inet fence {{
  chain out {{
    type filter hook output priority filter; policy accept;
    oifname "lo" accept
    ip daddr 10.0.2.3 udp dport 53 accept
    ip daddr 10.0.2.3 tcp dport 53 accept
    meta nfproto ipv6 reject
    ip daddr {{ {fenced} }} reject
  }}
}}"""


def fence(pid: int, env: Mapping[str, str]) -> str:
    """The rules of :func:`rules` set by root in the network namespace of ``pid``, which the
    machine's root owns: "" once set, else why not. Not root, bubblewrap's user namespace
    would own the network and map this user alone: ``nft`` entered there keeps that user's
    id and gets no ``CAP_NET_ADMIN``."""
    if os.geteuid() != 0:
        return f"cicd-agent does not run as root, so the network's rules cannot be set: {ALONE}"
    if host_tool("setpriv", env) is None:
        return f"setpriv is not installed: {ALONE}"
    nft, enter = host_tool("nft", env), host_tool("nsenter", env)
    if nft is None or enter is None:
        return f"nftables (nft) is not installed: {ALONE}"
    own = machine_addresses(env)
    if own is None:
        return f"the machine's addresses could not be listed (ip): {ALONE}"
    argv = [enter, f"--net=/proc/{pid}/ns/net", "--", nft, rules(own)]
    status, lines = stream(argv, env=env, on_line=lambda _: None, timeout=WAIT)
    return "" if status == 0 else f"the network's fence could not be set ({lines[-1:]}): {ALONE}"


def slirp(pid: int, ready: int, leave: int) -> list[str]:
    """slirp4netns bringing up ``tap0`` in the network namespace of ``pid``, with no way to
    the machine's loopback; it writes to ``ready`` once up and ends when ``leave`` closes."""
    argv = [
        "slirp4netns",
        "--configure",
        f"--mtu={MTU}",
        "--disable-host-loopback",
        "--enable-sandbox",
        f"--ready-fd={ready}",
        f"--exit-fd={leave}",
    ]
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
            network.problem = fence(pid, env)
            if network.problem:
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


def _keep(
    argv: Sequence[str], env: Mapping[str, str], fds: tuple[int, ...], timeout: float
) -> None:
    """slirp4netns run until it ends (when the build's network is no longer needed), or
    stopped at the build's time."""
    stream(argv, env=env, on_line=lambda _: None, timeout=timeout, keep=1, pass_fds=fds)
