"""Every route of ``cicd-agent-canary-server`` under any request: the answer is a status the
docs name (never 500), a refused request leaves exactly one log line (never a traceback), and
no request without the token is judged.

Two layers: the ASGI application in-process (any method, path, query, headers and body, as
uvicorn hands them over: fast, so most of the budget) and the real server over a socket (any
bytes on the wire, so h11's and uvicorn's own paths are in too). The judge's run is a stand-in
that counts calls: the judge itself is deploy-gate's CLI, fuzzed through its own inputs."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.modes.deploy_gate.serve import ROUTES, Judge
from cicd_agent.modes.deploy_gate.serve import routes as served_routes
from cicd_agent.modes.deploy_gate.serve.http import MAX_BODY, asgi
from tests.fuzz.hostile import budget, documents, json_values, mutated, texts
from tests.modes.deploy_gate.helpers.canary_server import TOKEN, connect, serving

ANSWERS = {200, 400, 401, 404, 409, 413}
PATHS = st.sampled_from(["/healthz", "/verdict", *(path for _, path in ROUTES)]) | texts(30)
METHODS = st.sampled_from(["GET", "POST", "PUT", "HEAD"]) | st.text(max_size=8)
FLAGGER_HOOK = {
    "name": "web",
    "namespace": "shop",
    "phase": "Progressing",
    "checksum": "abc",
    "metadata": {"token": TOKEN, "risk": "high"},
}
"""A Flagger webhook's body as Flagger sends it (its token in ``metadata``)."""


def judged(calls: list[list[str]]) -> Judge:
    def run(argv: list[str], environ: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        calls.append(argv)
        return 0, {"verdict": "continue", "healthy": True, "rollback": False, "reasons": []}

    return Judge(("--provider", "none"), {}, min_interval=0.0, run=run)


def ask(
    app: Any, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, bytes]:
    """One request through the ASGI application, as uvicorn delivers it (the body in pieces)."""
    pieces = [body[at : at + 16384] for at in range(0, len(body), 16384)] or [b""]
    received = iter(
        [
            {"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1}
            for n, piece in enumerate(pieces)
        ]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(received, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": headers,
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


@pytest.fixture(scope="module")
def logged() -> Iterator[list[logging.LogRecord]]:
    """Every record logged while the module runs; each example clears it first (Hypothesis
    runs all of a test's examples inside one function-scoped fixture, so none is used)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)


def header_values() -> st.SearchStrategy[bytes]:
    token = TOKEN.encode()
    return st.one_of(
        st.binary(max_size=60),
        st.sampled_from(
            [b"Bearer " + token, b"Bearer ", b"Bearer " + token[:-1], b"bearer " + token]
        ),
    )


bodies = st.one_of(
    documents(),
    mutated(FLAGGER_HOOK).flatmap(lambda hook: st.just(json.dumps(hook).encode())),
    json_values.map(lambda token: json.dumps({"metadata": {"token": token}}).encode()),
    st.integers(MAX_BODY - 2, MAX_BODY + 2).map(lambda n: b" " * n),
)


@budget(100)
@given(
    method=METHODS,
    path=PATHS,
    query=st.binary(max_size=80) | st.sampled_from([b"release=shop/web&risk=high", b"risk=%ff"]),
    headers=st.lists(
        st.tuples(
            st.sampled_from([b"authorization", b"content-type"]) | st.binary(max_size=20),
            header_values(),
        ),
        max_size=3,
    ),
    body=bodies,
)
@example(
    method="POST",
    path="/flagger/rollback",
    query=b"",
    headers=[],
    body=b'{"metadata": {"token": "\\ud800x"}}',
)  # was 500 with a traceback
def test_any_request_gets_a_documented_status_and_one_log_line(
    logged: list[logging.LogRecord],
    method: str,
    path: str,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    calls: list[list[str]] = []
    app = asgi(served_routes(judged(calls), TOKEN))
    logged.clear()
    status, answer = ask(app, method, path, query, headers, body)
    assert status in ANSWERS
    assert isinstance(json.loads(answer), dict)
    refused = [record for record in logged if record.levelno >= logging.WARNING]
    if status >= 400:
        assert len(refused) == 1 and "\n" not in refused[0].getMessage()
        assert refused[0].exc_info is None
    else:
        assert refused == []
    if status in (401, 404, 413):
        assert calls == []


RAW = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda method, target, headers, body: (
            b"%s %s HTTP/1.1\r\nHost: x\r\n%s"
            b"Content-Length: %d\r\n\r\n%s" % (method, target, headers, len(body), body)
        ),
        st.sampled_from([b"GET", b"POST", b"\xff"]),
        st.sampled_from([b"/verdict?release=a", b"/flagger/rollback", b"/%ff%00", b"/\xc3("]),
        st.binary(max_size=60),
        documents(),
    ),
)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serving(judged([])) as url:
        yield url


@budget(40)
@given(raw=RAW)
def test_any_bytes_on_the_wire_never_get_a_500(
    logged: list[logging.LogRecord], base: str, raw: bytes
) -> None:
    logged.clear()
    with connect(base) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
            answer = b"".join(iter(lambda: sock.recv(65536), b""))
        except OSError:
            answer = b""  # hung up on: a refusal, not a crash
    if answer:
        status = int(answer.split(b" ", 2)[1])
        assert status != 500 and status < 500
    assert not [record for record in logged if record.exc_info or record.levelno >= logging.ERROR]
