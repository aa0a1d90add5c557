"""Attacks on ``cicd-agent-canary-server`` from inside the cluster (the canary pod can reach the
port): slow senders, connection floods from one peer, floods of release keys, and callers
without the token. Each must leave the rollout controller served and every verdict unchanged.

The bounds are set small through the server's own options (:class:`Limits`) so each attack runs
in seconds; nothing here asserts how fast anything was, only that an answer came at all."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from cicd_agent.modes.deploy_gate import serve
from cicd_agent.modes.deploy_gate.serve import Judge, run_in_process, server_token
from cicd_agent.modes.deploy_gate.serve.http import Limits, peer_of
from tests.harness.prometheus_server import PrometheusServer, free_port
from tests.modes.deploy_gate.helpers.canary import PROMETHEUS_LOGIN, scenario_config
from tests.modes.deploy_gate.helpers.canary_server import AUTH, TOKEN, connect, serving

SLOW = "127.0.0.2"
"""The attacker's address: every 127.x address is this machine's loopback."""
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def judge_for(url: str, scenario: str, end: float, calls: list[list[str]]) -> Judge:
    argv = (
        "--provider", "none", "--prometheus-url", url,
        "--canary-config", scenario_config(scenario).model_dump_json(exclude_defaults=True),
        "--canary-end", str(end),
    )  # fmt: skip

    def run(words: list[str], environ: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        calls.append(words)
        return run_in_process(words, environ)

    return Judge(argv, PROMETHEUS_LOGIN, min_interval=300.0, run=run)


def offline_judge(calls: list[list[str]]) -> Judge:
    """A judge whose Prometheus is down: it answers continue, and ``calls`` shows each run."""
    return judge_for(f"http://127.0.0.1:{free_port()}", "identical", 1_800_000_000.0, calls)


@contextmanager
def slow_senders(base: str, count: int, every: float) -> Iterator[list[bool]]:
    """``count`` connections from :data:`SLOW` that send a request line, then a header line
    every ``every`` seconds and never finish; the list says, per sender, whether the server
    has hung up on it (so far)."""
    hung_up = [False] * count
    stop = threading.Event()

    def trickle(index: int) -> None:
        try:
            with connect(base, SLOW) as sock:
                sock.sendall(b"GET /verdict?release=shop/web HTTP/1.1\r\n")
                sock.settimeout(every)
                for line in range(10_000):
                    if stop.is_set():
                        return
                    try:
                        if sock.recv(1024) == b"":
                            break
                    except TimeoutError:
                        pass
                    sock.sendall(b"X-Slow-%d: 1\r\n" % line)
        except OSError:
            pass  # refused or reset: hung up on too
        hung_up[index] = True

    with ThreadPoolExecutor(count) as pool:
        for index in range(count):
            pool.submit(trickle, index)
        try:
            yield hung_up
        finally:
            stop.set()


def _answered(
    base: str, path: str = "/healthz", source: str = "127.0.0.1", **kwargs: Any
) -> requests.Response:
    """The first answer to ``path`` from ``source`` within a generous bound (a refused or cut
    connection is tried again: the attack may hold the server for a moment, never until the
    bound)."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter()
    adapter.init_poolmanager(1, 1, source_address=(source, 0))
    session.mount("http://", adapter)
    deadline = time.monotonic() + 60
    while True:
        try:
            return session.get(f"{base}{path}", timeout=30, **kwargs)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _closed_unanswered(sock: socket.socket, request: bytes) -> bool:
    """Whether the server closes ``sock`` without a byte of answer to ``request``."""
    try:
        sock.sendall(request)
        return sock.recv(1024) == b""
    except ConnectionError:
        return True


def test_slow_senders_do_not_starve_the_server() -> None:
    """ATTACK: 64 connections each send a request line, then a header line every few tenths of
    a second. Every read is quick, but no request ever completes: the server must hang up on
    each at its whole-request deadline and answer a fresh caller meanwhile."""
    calls: list[list[str]] = []
    with (
        serving(offline_judge(calls), Limits(request_seconds=1.0)) as base,
        slow_senders(base, 64, every=0.3) as hung_up,
    ):
        time.sleep(0.5)
        assert _answered(base).status_code == 200
        assert _answered(base, "/verdict", headers=AUTH).json()["verdict"] == "continue"
        deadline = time.monotonic() + 60
        while not all(hung_up) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert all(hung_up), f"{hung_up.count(False)} slow senders still connected"
    assert len(calls) == 1  # the one authenticated verdict; no slow sender was judged


def test_a_caller_that_never_finishes_its_body_is_hung_up_on() -> None:
    calls: list[list[str]] = []
    with serving(offline_judge(calls), Limits(request_seconds=1.0)) as base:
        for opening in (
            b"GET /verdict HTTP/1.1\r\nHost: x\r\n",
            b"POST /flagger/rollback HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TOKEN.encode()
            + b"\r\nContent-Length: 100\r\n\r\n{",
        ):
            with connect(base) as sock:
                assert _closed_unanswered(sock, opening)
    assert calls == []


def test_one_peer_cannot_take_every_connection() -> None:
    """ATTACK: one address (the canary pod) opens as many connections as it may and more; the
    extra are closed unanswered, while another peer (the rollout controller) is served, and
    the attacker's own places come back once its connections close."""
    with (
        serving(offline_judge([]), Limits(request_seconds=60.0, per_peer=4)) as base,
        ExitStack() as held,
    ):
        for _ in range(4):
            held.enter_context(connect(base, SLOW)).sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(0.5)
        with connect(base, SLOW) as extra:
            assert _closed_unanswered(extra, HEALTHZ)
        assert _answered(base).status_code == 200
        held.close()
        assert _answered(base, source=SLOW).status_code == 200


def _served_at_once(sock: socket.socket) -> bool:
    """Whether ``sock`` is answered 200 to :data:`HEALTHZ` on this very connection."""
    try:
        sock.sendall(HEALTHZ)
        return sock.recv(1024).startswith(b"HTTP/1.1 200")
    except ConnectionError:
        return False


def test_several_peers_together_cannot_keep_the_controller_out() -> None:
    """ATTACK: a canary with several pods (here 127.0.0.3 to .6), each within its own bound,
    together hold every place of the server with requests they never finish, and open a new
    one as soon as one is closed. The rollout controller's new connection must still be served
    (a waiting connection of the busiest peer makes room)."""
    limits = Limits(request_seconds=60.0, connections=8, per_peer=2)
    with serving(offline_judge([]), limits) as base, ExitStack() as held:
        for n in (3, 4, 5, 6):
            for _ in range(2):
                held.enter_context(connect(base, f"127.0.0.{n}")).sendall(
                    b"GET /healthz HTTP/1.1\r\n"
                )
        time.sleep(0.5)
        with connect(base) as controller:
            assert _served_at_once(controller)


def test_connections_past_the_total_bound_from_the_busiest_peers_are_closed() -> None:
    with serving(offline_judge([]), Limits(request_seconds=60.0, connections=2)) as base:
        idle = [connect(base, f"127.0.0.{n}") for n in (3, 4)]
        for sock in idle:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(0.5)
        with connect(base, "127.0.0.3") as extra:
            assert _closed_unanswered(extra, HEALTHZ)
        for sock in idle:
            sock.close()
        assert _answered(base).status_code == 200


def test_a_caller_that_never_reads_its_answers_is_hung_up_on() -> None:
    """ATTACK: a connection pipelines thousands of requests and never reads an answer. Once
    the kernel's buffers are full the server waits to write the next answer with the request
    already in (no deadline then), so the connection would be held for ever, and a few such
    per peer fill the server with places nothing can take back. A caller must read its answers
    within the request deadline too."""
    stop = threading.Event()

    def stuff(sock: socket.socket) -> None:
        sock.settimeout(1)
        while not stop.is_set():
            try:
                sock.sendall(HEALTHZ * 256)
            except TimeoutError:
                continue
            except OSError:
                return

    limits = Limits(request_seconds=2.0, per_peer=1)
    with (
        serving(offline_judge([]), limits, send_buffer=4096) as base,
        ThreadPoolExecutor(1) as pool,
    ):
        deaf = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        deaf.bind((SLOW, 0))
        host, port = base.removeprefix("http://").split(":")
        deaf.connect((host, int(port)))
        try:
            pool.submit(stuff, deaf)
            time.sleep(1)
            assert _answered(base, source=SLOW).status_code == 200
        finally:
            stop.set()
            deaf.close()


@pytest.mark.parametrize("body", [b"[" * 60_000, b'{"metadata":' * 5_000 + b"1"])
def test_a_body_nested_past_the_parsers_depth_is_refused_without_the_token(body: bytes) -> None:
    """ATTACK: a Flagger hook's body is read before the token (the token may be in its
    metadata), so anyone can send one. Nested deeper than the JSON parser recurses, it raised
    out of the handler: a 500 and a traceback in the log per request, not a refusal."""
    with serving(offline_judge([])) as base:
        answer = requests.post(f"{base}/flagger/rollback", data=body, timeout=30)
    assert answer.status_code == 401


UNENCODABLE = [
    (b'{"metadata": {"token": "\\ud800x"}}', {}, 401),
    (b'{"metadata": {"token": "\\udfff"}}', {}, 401),
    (b'{"metadata": {"token": "' + TOKEN.encode() + b'\\ud800"}}', {}, 401),
    (b'{"name": "\\ud800", "namespace": "shop", "metadata": {"token": "x"}}', AUTH, 400),
    (b'{"name": "web", "namespace": "shop", "metadata": {"risk": "\\ud800"}}', AUTH, 400),
    (b'{"name": "web", "namespace": "shop", "checksum": "\\ud800"}', AUTH, 400),
    (b'["\\ud800"]', AUTH, 400),
    (b'\xff\xfe{"metadata": {}}', {}, 401),
]


@pytest.mark.parametrize("body, headers, status", UNENCODABLE)
def test_a_body_no_utf_8_can_hold_is_a_refusal_and_one_log_line(
    body: bytes,
    headers: dict[str, str],
    status: int,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ATTACK: JSON may escape a lone surrogate (``"\\ud800x"``), which no UTF-8 holds. As
    the hook's token it raised ``UnicodeEncodeError`` in the comparison: a 500 and 18 lines of
    traceback per request where the docs promise 401. Every route answers 401 (no token) or
    400, and the log has one line for it, no traceback."""
    calls: list[list[str]] = []
    with serving(offline_judge(calls)) as base:
        capfd.readouterr()
        caplog.clear()
        answers = [
            requests.post(f"{base}{path}", data=body, headers=headers, timeout=30)
            for path in ("/flagger/rollback", "/flagger/confirm-promotion")
        ]
        printed = capfd.readouterr().err
        logged = [r for r in caplog.records if r.name == "cicd_agent.modes.deploy_gate.serve"]
    assert [answer.status_code for answer in answers] == [status, status]
    assert calls == []
    assert "Traceback" not in printed and len(logged) == len(answers), logged


def test_a_peer_is_an_ipv4_address_or_an_ipv6_64() -> None:
    """ATTACK: one host routed an IPv6 /64 opens each connection from a fresh address, or the
    same IPv4 host arrives IPv4-mapped on a dual-stack socket: each is still one peer."""
    assert peer_of("2001:db8:1:2::1") == peer_of("2001:db8:1:2:ffff:1:2:3")
    assert peer_of("2001:db8:1:2::1") != peer_of("2001:db8:1:3::1")
    assert peer_of("::ffff:10.0.0.7") == peer_of("10.0.0.7") == "10.0.0.7"
    assert peer_of("fe80::1%eth0") == peer_of("fe80::2")


def test_an_unauthenticated_flood_of_release_keys_blocks_no_rollout(
    prometheus_server: PrometheusServer,
) -> None:
    """ATTACK: more ``GET /verdict?release=junk-N`` than the server keeps releases. Unanswered
    without the token, they take no place, so a new Flagger rollout's rollback hook is judged
    (a regression: 200, roll back), not told to wait for an hour."""
    calls: list[list[str]] = []
    judge = judge_for(prometheus_server.url, "latency_up30", prometheus_server.end, calls)
    judge.max_releases = 8
    with serving(judge) as base:
        junk = [
            requests.get(f"{base}/verdict", params={"release": f"junk-{n}"}, timeout=60)
            for n in range(judge.max_releases + 4)
        ]
        hook = {"name": "web", "namespace": "shop", "checksum": "abc", "metadata": {"token": TOKEN}}
        rollback = requests.post(f"{base}/flagger/rollback", json=hook, timeout=120)
    assert {answer.status_code for answer in junk} == {401}
    assert rollback.status_code == 200 and rollback.json()["verdict"] == "rollback"
    assert len(calls) == 1


WRONG = [
    {},
    {"Authorization": "Bearer wrong-token-0123456789abcdef"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": TOKEN},
    {"Authorization": f"Basic {TOKEN}"},
]


@pytest.mark.parametrize(
    "headers", WRONG, ids=["none", "other", "prefix", "longer", "bare", "basic"]
)
def test_every_route_but_healthz_needs_the_token(headers: dict[str, str]) -> None:
    """ATTACK: no token, or one that is not the server's, on every route: 401 before anything
    of the request is read as a release, so nothing is judged and no verdict changes; the
    kubelet's probe needs none."""
    calls: list[list[str]] = []
    hook = {"name": "web", "namespace": "shop", "metadata": {"token": "not-the-token-at-all"}}
    with serving(offline_judge(calls)) as base:
        answers = [
            requests.get(f"{base}/verdict?release=shop/web", headers=headers, timeout=60),
            requests.get(f"{base}/verdict?release=../x", headers=headers, timeout=60),
            requests.post(f"{base}/flagger/rollback", json=hook, headers=headers, timeout=60),
            requests.post(f"{base}/flagger/confirm-promotion", headers=headers, timeout=60),
        ]
        health = requests.get(f"{base}/healthz", headers=headers, timeout=60)
    assert [answer.status_code for answer in answers] == [401] * 4
    assert calls == [] and health.status_code == 200


def test_flagger_may_carry_the_token_in_its_hook_metadata() -> None:
    """Flagger's webhooks send no headers of the user's: the token travels in ``metadata``."""
    calls: list[list[str]] = []
    hook = {"name": "web", "namespace": "shop", "metadata": {"token": TOKEN, "risk": "high"}}
    with serving(offline_judge(calls)) as base:
        answer = requests.post(f"{base}/flagger/confirm-promotion", json=hook, timeout=60)
    assert answer.status_code == 409 and answer.json()["verdict"] == "continue"
    assert len(calls) == 1 and "high" in calls[0]


def test_a_short_load_leaves_the_rollout_judged_and_nothing_unauthenticated_judged(
    prometheus_server: PrometheusServer,
) -> None:
    """The load test's functional properties in seconds (``bench/bench_canary_server.py`` runs
    it at full size): slow senders, unauthenticated junk keys and concurrent valid calls at
    once; the rollout's verdict comes, and only authenticated releases are ever judged."""
    calls: list[list[str]] = []
    judge = judge_for(prometheus_server.url, "latency_up30", prometheus_server.end, calls)
    judge.max_releases = 16
    with (
        serving(judge, Limits(request_seconds=1.0)) as base,
        slow_senders(base, 32, every=0.3),
        ThreadPoolExecutor(16) as pool,
    ):
        junk = [
            pool.submit(
                requests.get, f"{base}/verdict", params={"release": f"junk-{n}"}, timeout=60
            )
            for n in range(200)
        ]
        valid = [
            pool.submit(
                requests.get,
                f"{base}/verdict",
                params={"release": f"shop/app{n % 4}"},
                headers=AUTH,
                timeout=120,
            )
            for n in range(64)
        ]
        answers = [future.result() for future in valid]
        refused = {future.result().status_code for future in junk}
    assert refused == {401}
    assert {answer.json()["verdict"] for answer in answers} == {"rollback"}
    judged = {json.dumps(words) for words in calls}
    assert len(calls) == 4 and not any("junk" in words for words in judged)


def test_a_missing_or_weak_token_stops_the_server_at_start_naming_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match=r"no token: set CICD_AGENT_CANARY_TOKEN .*openssl"):
        server_token(None, {})
    with pytest.raises(ValueError, match="under 16 characters"):
        server_token(None, {"CICD_AGENT_CANARY_TOKEN": "short"})
    with pytest.raises(ValueError, match="cannot read the token file"):
        server_token(tmp_path / "absent", {})
    mounted = tmp_path / "token"
    mounted.write_text(TOKEN + "\n", encoding="utf-8")
    assert server_token(mounted, {"CICD_AGENT_CANARY_TOKEN": "ignored"}) == TOKEN
    assert server_token(None, {"CICD_AGENT_CANARY_TOKEN": TOKEN}) == TOKEN
    # the judge never sees the server's token
    assert "CICD_AGENT_CANARY_TOKEN" not in serve.judge_environ({"CICD_AGENT_CANARY_TOKEN": TOKEN})


def test_the_entry_point_without_a_token_exits_2_before_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CICD_AGENT_CANARY_TOKEN", raising=False)
    port = free_port()
    assert serve.main([f"--listen=127.0.0.1:{port}", "--", "--provider=none"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "CICD_AGENT_CANARY_TOKEN" in error
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
