"""What a command in a build's network (:mod:`cicd_agent.modes.build.network`) reaches, run in
bubblewrap as the builder runs buildah there (as root: with every capability of its user
namespace), without a build: a service on every address of this machine answers a secret, and
the command fetches each URL, then tries to flush the network's rules.

Run as a program (``python -m tests.modes.build.fenced URL...``, each URL's ``{port}`` the
service's), it prints what :func:`reached` found as JSON: for the tests that run it in a network
namespace of a test's own (``unshare --net``: addresses no machine should get, such as a cloud's
metadata address) or as a user who is not root (the rootless path). ``--unlisted``: the
machine's own addresses and the networks on its links are not fenced by name, so only the
fenced ranges stop what is stopped.
``--later ADDRESS``: the machine gets ``ADDRESS`` on its loopback once the rules are set, before
the command runs (as a service container's network or a VPN comes up while a build runs).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence

from cicd_agent.local.processes import stream
from cicd_agent.modes.build import network as network_module
from cicd_agent.modes.build.network import own_network
from tests.helpers.buildah import serving

PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


@contextlib.contextmanager
def everywhere(secret: bytes) -> Iterator[int]:
    """A service on every IPv4 address of this machine (as docker publishes a service
    container's port) and, on the same port, every IPv6 one, answering ``secret``: its port."""
    four = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    four.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    four.bind(("0.0.0.0", 0))  # the attack: a service published on every address
    port = four.getsockname()[1]
    six = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    six.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    six.bind(("::", port))
    with serving(four, secret), serving(six, secret):
        yield port


def reached(urls: Sequence[str]) -> dict[str, str]:
    """Run in a build's network: each URL's answer (``unreached``: none) and ``flush``, the
    exit status of ``nft flush ruleset`` run there (as root, with every capability the builder's
    sandbox has)."""
    busybox = shutil.which("busybox")
    assert busybox is not None
    # Any byte of an answer is reached, whatever wget's status after it (a reset after the
    # answer makes it exit 1): only no answer at all is ``unreached``.
    lines = [f'r=$({busybox} timeout 15 {busybox} wget -q -O - "{url}" 2>/dev/null); '
             f'[ -n "$r" ] || r=unreached; echo "{url} $r"' for url in urls]  # fmt: skip
    lines.append('nft flush ruleset >/dev/null 2>&1; echo "flush $?"')
    lines.append("unshare -r nft flush ruleset >/dev/null 2>&1; echo \"nested $?\"")
    lines.append(f'r=$({busybox} wget -q -O - "{urls[0]}" 2>/dev/null); '
                 '[ -n "$r" ] || r=unreached; echo "after $r"')  # fmt: skip
    said: list[str] = []
    with own_network({"PATH": PATH}, said.append, 120) as network:
        rights = ["--cap-add", "ALL"] if os.geteuid() == 0 else []  # as the builder's
        argv = [*network.enter, "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid",
                "--proc", "/proc", *network.options, *rights, "--", "sh", "-c", "\n".join(lines)]  # fmt: skip
        status, out = stream(argv, env={"PATH": PATH}, on_line=lambda _: None, timeout=120,
                             pass_fds=network.fds)  # fmt: skip
    assert status == 0, out
    found = dict(line.split(" ", 1) for line in out if " " in line)
    found["said"] = "; ".join(said)
    return found


def main(arguments: Sequence[str]) -> None:
    if arguments[0] == "--unlisted":
        network_module.machine_addresses = lambda env: []  # type: ignore[assignment]
        arguments = arguments[1:]
    if arguments[0] == "--later":
        later, arguments = arguments[1], arguments[2:]
        real = network_module.fence

        def then_added(pid: int, env: Mapping[str, str]) -> str:
            problem = real(pid, env)
            subprocess.run(["ip", "address", "add", f"{later}/32", "dev", "lo"], check=True)
            return problem

        network_module.fence = then_added  # type: ignore[assignment]
    secret = f"fenced-{uuid.uuid4().hex}"
    with everywhere(secret.encode()) as port:
        found = reached([url.format(port=port) for url in arguments])
    print(json.dumps({"secret": secret, "port": port, "found": found}))


if __name__ == "__main__":
    main(sys.argv[1:])
