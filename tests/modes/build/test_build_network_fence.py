"""Attacks on the fence of a build's network (:func:`cicd_agent.modes.build.network.fence`):
the runner's own addresses on each interface, in every spelling; a cloud's metadata address,
link-local and private neighbours; a ``RUN`` line as root flushing the rules; a DNS answer
naming a fenced address; and the same fence where the build runs as a user who is not root.

Each test that finds a service unreached also shows the same service reached once the fence
does not name it: a test that only ever saw "unreached" could not fail."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.build import network as network_module
from tests.helpers.buildah import listening, needs_buildah
from tests.modes.build.fenced import everywhere, reached
from tests.modes.build.test_build_network_attacks import build, fetch, slirp_resolving_at

pytestmark = needs_buildah
ROOT = Path(__file__).resolve().parents[3]


def own_addresses() -> list[str]:
    """Every address of this machine's interfaces but loopback, as ``hostname -I`` lists them
    (not as the code under test does)."""
    listed = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=True)
    return listed.stdout.split()


def spellings(address: str) -> list[str]:
    """``address`` as a ``RUN`` line may write it in a URL: IPv6 in brackets; IPv4 also as one
    number and as an IPv4-mapped IPv6 address (a socket of the IPv6 family sends IPv4)."""
    if ":" in address:
        return [f"[{address}]"]
    number = int.from_bytes(socket.inet_aton(address), "big")
    return [address, str(number), f"[::ffff:{address}]"]


def test_attack_a_run_line_reaches_no_address_of_the_runner_in_any_spelling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A service published on every address (docker's ``0.0.0.0:5432`` for a service
    container) answers on each of the runner's interfaces' addresses, IPv4 and IPv6; slirp4netns
    bars the loopback alone. As root with every capability of the builder's sandbox, a command
    in the build's network can neither reach one nor flush the rules (nor from a user namespace
    of its own)."""
    addresses = own_addresses()
    assert addresses
    urls = [f"http://{spelled}:{{port}}/" for address in addresses for spelled in spellings(address)]
    urls += ["http://10.0.2.2:{port}/", "http://[::ffff:10.0.2.2]:{port}/"]  # the gateway
    secret = f"published-{uuid.uuid4().hex}"
    with everywhere(secret.encode()) as port:
        found = reached([url.format(port=port) for url in urls])
        assert found.pop("said") == ""
        assert found.pop("flush") != "0" and found.pop("nested") != "0"
        assert set(found.values()) == {"unreached"}, found
        monkeypatch.setattr(network_module, "machine_addresses", lambda env: [])
        unlisted = reached([f"http://{addresses[0]}:{port}/"])
    assert unlisted[f"http://{addresses[0]}:{port}/"] == secret  # reached when not fenced


def test_attack_a_run_line_reaches_no_metadata_link_local_or_private_address() -> None:
    """A cloud's metadata service (169.254.169.254: on a self-hosted runner it hands out the
    instance's credentials), link-local, the private and shared ranges of the runner's
    neighbours (a docker bridge, a cloud network, a VPN): in a network namespace of this
    test's own that holds them all, with a service on every address, none is reached though
    the machine's addresses are not fenced by name here, while an address on the internet's
    side (203.0.113.9, there too) is."""
    fenced = ["169.254.169.254", "169.254.1.1", "10.1.2.3", "172.17.0.1", "192.168.1.1",
              "100.64.0.1", "224.0.0.1"]  # fmt: skip
    setup = [f"ip address add {address}/32 dev lo" for address in [*fenced[:-1], "203.0.113.9"]]
    urls = [f"http://{address}:{{port}}/" for address in [*fenced, "203.0.113.9"]]
    urls.append("http://[::ffff:169.254.169.254]:{port}/")
    found, port, secret = in_own_network(setup, ["--unlisted"], urls)
    assert found.pop(f"http://203.0.113.9:{port}/") == secret
    assert set(found.values()) == {"unreached"}, found


def in_own_network(
    setup: list[str], options: list[str], urls: list[str]
) -> tuple[dict[str, str], int, str]:
    """What a command in a build's network reaches (:mod:`tests.modes.build.fenced`, given
    ``options`` and ``urls``) where the machine is a network namespace of this test's own,
    brought up by the commands of ``setup``: each URL's answer, the service's port and secret.
    The fence was set (no problem said) and held against a flush."""
    if os.geteuid() != 0 and not os.environ.get("CI"):
        pytest.skip("makes a network namespace with addresses of its own: needs root")
    script = " && ".join(["ip link set lo up", *setup, 'exec "$@"'])
    argv = ["unshare", "--net", "sh", "-c", script, "sh",
            sys.executable, "-m", "tests.modes.build.fenced", *options, *urls]  # fmt: skip
    ran = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    answer = json.loads(ran.stdout)
    found = answer["found"]
    assert found.pop("said") == ""
    assert found.pop("flush") != "0" and found.pop("nested") != "0"
    found.pop("after")
    return found, answer["port"], answer["secret"]


def test_a_run_line_reaches_no_cloud_host_service_at_a_public_address() -> None:
    """Some clouds serve their instances from addresses outside the private and link-local
    ranges: Azure's host (168.63.129.16: DNS, DHCP, health probes and the WireServer, which
    hands an agent its goal state and extensions' settings), Oracle Cloud's 192.0.0.192 in the
    IETF's protocol range (192.0.0.0/24). A GitHub-hosted runner is an Azure machine. Held on
    the loopback of a network namespace of this test's own, neither is reached, while an
    address on the internet's side (203.0.113.9) is."""
    hosts = ["168.63.129.16", "192.0.0.192"]
    setup = [f"ip address add {address}/32 dev lo" for address in [*hosts, "203.0.113.9"]]
    urls = [f"http://{address}:{{port}}/" for address in [*hosts, "203.0.113.9"]]
    found, port, secret = in_own_network(setup, ["--unlisted"], urls)
    assert found.pop(f"http://203.0.113.9:{port}/") == secret
    assert set(found.values()) == {"unreached"}, found


def test_a_run_line_reaches_no_address_the_runner_routes_to_itself() -> None:
    """A machine answers on every address of its local routing table, not only on those of
    its interfaces: a route ``local 198.51.100.0/24 dev lo`` (a load balancer's or a proxy's
    addresses held so) makes a service on 0.0.0.0 answer on all 256, though ``ip address``
    lists none of them. The fence refuses them; the same address with the machine's own
    addresses unfenced is reached, so the service did answer there."""
    setup = ["ip route add local 198.51.100.0/24 dev lo"]
    url = "http://198.51.100.7:{port}/"
    found, port, _ = in_own_network(setup, [], [url])
    assert found[url.format(port=port)] == "unreached", found
    unlisted, port, secret = in_own_network(setup, ["--unlisted"], [url])
    assert unlisted[url.format(port=port)] == secret, unlisted


@pytest.mark.xfail(
    strict=True,
    reason="the fence names the machine's addresses as they were when it was set: an address "
    "the machine gets later (a service container's network, a VPN coming up during the build) "
    "is reached from a RUN line; refusing it needs a rule on the machine's side, where "
    "slirp4netns's own sockets leave",
)
def test_a_run_line_reaches_no_address_the_runner_gets_after_the_rules_are_set() -> None:
    """The machine gets 198.51.100.9 once the build's rules are set and before its command
    runs; a service on 0.0.0.0 answers there."""
    url = "http://198.51.100.9:{port}/"
    found, port, _ = in_own_network([], ["--later", "198.51.100.9"], [url])
    assert found[url.format(port=port)] == "unreached", found


def test_not_root_a_build_gets_no_network_rather_than_an_unfenced_one() -> None:
    """Not root, bubblewrap's user namespace owns the network and maps this user alone into
    it: ``nft`` entered there (``nsenter --preserve-credentials``) keeps that user's id and gets
    no ``CAP_NET_ADMIN``, so no rule can be set (tried: mapping root there instead lets ``nft``
    set them, but the build's bubblewrap, then root with no capability, cannot write its own
    user namespace's map). Run here as ``nobody``: the build gets its loopback alone (before,
    slirp4netns joined it to every address of the runner), and the progress says why."""
    address = own_addresses()[0]
    url = f"http://{address}:{{port}}/"
    argv = [sys.executable, "-m", "tests.modes.build.fenced", url]
    env = {"PATH": os.environ["PATH"]}
    if os.geteuid() == 0:  # as nobody, with the system's Python of this version (root's own
        # may lie in a folder only root reads) and this Python's packages
        python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
        argv = ["runuser", "-u", "nobody", "--", python, *argv[1:]]
        site = sysconfig.get_paths()["purelib"]
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src"), site])
    ran = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300,
                         check=False, env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-2000:]
    answer = json.loads(ran.stdout)
    found = answer["found"]
    assert found["said"].startswith("cicd-agent does not run as root"), found["said"]
    assert found["said"].endswith(network_module.ALONE)
    assert found[url.format(port=answer["port"])] == "unreached", found


def nft_files(folder: Path) -> dict[str, Path]:
    """``nft`` and every library it loads, each under its plain name, and a script running it
    through the loader from the image's root (``/nft-run ARGS``)."""
    nft = shutil.which("nft") or "/usr/sbin/nft"
    listed = subprocess.run(["ldd", nft], capture_output=True, text=True, check=True).stdout
    libraries = [Path(word) for word in listed.split() if word.startswith("/")]
    loader = next(path for path in libraries if path.name.startswith("ld-linux"))
    script = folder / "nft-run"
    script.write_text(f'#!/bin/sh\nexec /{loader.name} --library-path / /nft "$@"\n')
    script.chmod(0o755)
    return {"nft": Path(nft), "nft-run": script, **{path.name: path for path in libraries}}


def test_attack_a_run_line_as_root_flushes_the_rules_and_still_reaches_nothing(
    tmp_path: Path,
) -> None:
    """A ``RUN`` line runs as root: with ``nft`` in its image it tries to flush the network's
    rules, as it is and from a user namespace of its own, then fetches from a service on the
    runner's own address. The rules were set by root from outside, and the ``RUN`` line holds
    no ``CAP_NET_ADMIN`` over the network (buildah gives it none, and the build's bounding set
    lacks it); a user namespace of its own owns no network: the flush is refused and the fetch
    too. buildah's own capability list holds this even with the bounding set left whole; that
    the bounding set lacks them is pinned where a command runs as the builder does, with every
    capability (:func:`test_attack_a_run_line_reaches_no_address_of_the_runner_in_any_spelling`)."""
    tools = tmp_path / "tools"
    tools.mkdir()
    address = own_addresses()[0]
    secret = f"flushed-{uuid.uuid4().hex}"
    with everywhere(secret.encode()) as port:
        seen = build(tmp_path, [
            "/nft-run flush ruleset > /flush 2>&1; echo \"status $?\" >> /flush",
            "unshare -r /nft-run flush ruleset > /nested 2>&1; echo \"status $?\" >> /nested",
            fetch(f"http://{address}:{port}/", "seen"),
        ], nft_files(tools))  # fmt: skip
    assert "Operation not permitted" in seen["flush"], seen["flush"]
    assert "status 0" not in seen["flush"] and "status 0" not in seen["nested"], seen["nested"]
    assert seen["seen"].strip() == "unreached", seen["seen"]


def dns_answer(query: bytes, address: str) -> bytes:
    """The answer to a DNS ``query``: ``address`` for an A question, no record for another."""
    end = 12
    while query[end]:
        end += query[end] + 1
    end += 5  # the name's last byte, its type and class
    record = b""
    if query[end - 4 : end - 2] == b"\x00\x01":
        record = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + socket.inet_aton(address)
    count = b"\x00\x01" if record else b"\x00\x00"
    return query[:2] + b"\x81\x80\x00\x01" + count + b"\x00\x00\x00\x00" + query[12:end] + record


@contextlib.contextmanager
def lying_resolver(listen: str, address: str) -> Iterator[None]:
    """A DNS resolver on ``listen`` port 53 answering every name with ``address``."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind((listen, 53))

    def answer_one() -> None:
        query, peer = listener.recvfrom(4096)
        listener.sendto(dns_answer(query, address), peer)

    with listening(listener, answer_one):
        yield


def test_attack_a_dns_answer_naming_a_fenced_address_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fence is on addresses, not names: the machine's resolver (here one on 127.0.0.10
    that a ``RUN`` line's domain could make answer anything) names the runner's own address
    for a name, and the fetch by that name is refused; fenced by name no more, it is reached."""
    slirp_resolving_at("127.0.0.10", tmp_path, monkeypatch)
    address = own_addresses()[0]
    secret = f"named-{uuid.uuid4().hex}"
    with lying_resolver("127.0.0.10", address), everywhere(secret.encode()) as port:
        url = f"http://runner.attack.example:{port}/"
        found = reached([url])
        monkeypatch.setattr(network_module, "machine_addresses", lambda env: [])
        unlisted = reached([url])
    assert found[url] == "unreached", found
    assert unlisted[url] == secret, unlisted


def test_a_run_line_reaches_no_service_container_on_a_bridge_of_the_runner(tmp_path: Path) -> None:
    """A service container as docker runs one: a network namespace of its own on the
    machine's link 198.51.100.0/24 (the machine holds 198.51.100.1 there; it has no way out,
    so no link is one), its service on 198.51.100.7 port 8087, a subnet outside the fenced
    ranges. Before: the fence named the machine's own address on that link, not the
    container's, a neighbour on it, which answered; now the networks of every link but the
    machine's way out are fenced. Unfenced by name, it answers.

    The service is Python's HTTP server: it reads the request and says the answer's length. A
    server that answered and closed without reading the request reset the connection (Linux
    resets a socket closed with unread data, or sent data once closed); slirp4netns passed the
    reset on, and wget, reading to the end with no length given, took a reset after the answer
    as a read error: the unfenced run at times read "unreached" (and so could the fenced one,
    whatever the fence did)."""
    secret = f"container-{uuid.uuid4().hex}"
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(secret)
    container = ("n=0; until ip link show v1 >/dev/null 2>&1; do n=$((n+1)); "
                 "[ $n -gt 400 ] && exit 1; sleep 0.05; done; "
                 "ip address add 198.51.100.7/24 dev v1 && ip link set v1 up && "
                 "exec setpriv --pdeathsig KILL python3 -m http.server 8087 --bind 198.51.100.7 "
                 f"--directory {site} >/dev/null 2>&1")  # fmt: skip
    setup = ["ip link add v0 type veth peer name v1",
             "ip address add 198.51.100.1/24 dev v0", "ip link set v0 up",
             f"{{ unshare --net sh -c '{container}' & }}", "held=$!",
             # moved once the container's namespace is made: moved before, v1 stays here
             'until [ "$(readlink /proc/$held/ns/net)" != "$(readlink /proc/$$/ns/net)" ]; '
             "do sleep 0.05; done",
             "ip link set v1 netns $held",
             # the service answers before a build asks it: under load its start took over 1 s
             "n=0; until python3 -c \"import socket; socket.create_connection("
             "('198.51.100.7', 8087), 0.5).close()\" 2>/dev/null; do n=$((n+1)); "
             "[ $n -gt 400 ] && exit 1; sleep 0.05; done"]  # fmt: skip
    url = "http://198.51.100.7:8087/"
    found, _, _ = in_own_network(setup, [], [url])
    assert found[url] == "unreached", found
    unlisted, _, _ = in_own_network(setup, ["--unlisted"], [url])
    assert unlisted[url] == secret, unlisted
