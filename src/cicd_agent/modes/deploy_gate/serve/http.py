"""The canary server's HTTP: uvicorn over h11 (a maintained server, pure Python), with the two
bounds a service anyone in the cluster can reach needs and uvicorn leaves out.

- A deadline for the *whole* request. uvicorn has no timeout while a request arrives (its
  keep-alive timer restarts on every byte), so a caller trickling a header line every few
  seconds would hold a connection for ever. Here each connection must deliver a complete
  request, head and body, within ``request_seconds`` of opening (or of its last answer) or it
  is closed; a request once in is never cut while it is judged. A caller that stops reading
  its answers (pipelining requests until the buffers are full) gets the same deadline to read
  again: else the server would wait on it for ever with the request in. Closing at a deadline
  aborts, since a close first waits to flush what the caller will never read.
- Connections per peer, and in all: a flood from the canary pod cannot take the places the
  rollout controller needs. A peer is an IPv4 address (an IPv4-mapped IPv6 one is that address)
  or an IPv6 /64, the least one host is routed. When every place is taken, a newcomer whose peer
  holds fewer connections than the busiest one takes the place of one of the busiest peer's
  connections that is only waiting for a request: several canary pods together can fill the
  server, never keep the controller out. On an event loop an idle connection costs a few KiB,
  not a thread, so the bounds can be generous.

Bodies are read to at most :data:`MAX_BODY` bytes; the handler sees a whole :class:`Request`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from hmac import compare_digest
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json

if TYPE_CHECKING:
    import uvicorn

MAX_BODY = 64 * 1024
"""Flagger's hook payload is a few hundred bytes; anything larger is refused."""
LOG = logging.getLogger("cicd_agent.modes.deploy_gate.serve")
SHOWN = 120
"""Characters of a caller's method or path a log line shows."""


@dataclass(frozen=True)
class Limits:
    """How much of the server one caller can hold (the server's options of the same names)."""

    request_seconds: float = 10.0
    connections: int = 4096
    per_peer: int = 1024


@dataclass(frozen=True)
class Request:
    """One whole request, as the handler sees it."""

    method: str
    path: str
    query_string: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def query(self, name: str) -> str | None:
        values = parse_qs(self.query_string.decode("latin-1")).get(name)
        return values[0] if values else None

    def json(self) -> object:
        """The body as JSON (an empty body is ``{}``); ``None`` when it is not JSON, or nested
        deeper than the parser recurses (anyone may send a body: it is read before the token,
        which Flagger carries in it). A lone surrogate in it is U+FFFD, as everywhere outside
        input is read (:func:`cicd_agent.actions.bounded_json.load`)."""
        try:
            return load_json(self.body or b"{}")
        except JsonRefused:
            return None

    def carries(self, token: str, metadata: object = None) -> bool:
        """Whether the caller sent ``token``: as ``Authorization: Bearer``, or else as the
        ``metadata`` a Flagger hook sends (its webhooks carry no headers of the user's).
        Compared in constant time."""
        sent = dict(self.headers).get(b"authorization", b"")
        if compare_digest(sent, b"Bearer " + token.encode()):
            return True
        return isinstance(metadata, str) and compare_digest(metadata.encode(), token.encode())


Handler = Callable[[Request], Awaitable[tuple[int, Mapping[str, Any]]]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def asgi(handler: Handler) -> Callable[[dict[str, Any], Receive, Send], Awaitable[None]]:
    """An ASGI application that reads the bounded body, calls ``handler``, answers JSON."""

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more and len(body) <= MAX_BODY:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # hung up (or cut at the deadline): nothing is judged
            body += message.get("body", b"")
            more = message.get("more_body", False)
        document: Mapping[str, Any]
        if len(body) > MAX_BODY:
            status, document = 413, {"error": f"the body must be at most {MAX_BODY} bytes"}
        else:
            request = Request(
                scope["method"], scope["path"], scope["query_string"], tuple(scope["headers"]), body
            )
            status, document = await handler(request)
        if status >= 400:
            _refused(scope, status, document)
        data = json.dumps(document, sort_keys=True).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    return app


def _refused(scope: Mapping[str, Any], status: int, document: Mapping[str, Any]) -> None:
    """One log line for a refused request: the caller's method and path escaped (they are
    anyone's text, a percent-decoded path may hold a newline) and what it was answered."""
    method, path = (ascii(str(scope.get(key, ""))[:SHOWN]) for key in ("method", "path"))
    LOG.warning("refused %s %s: %d %s", method, path, status, document.get("error", ""))


def peer_of(address: str) -> str:
    """The peer a connection from ``address`` counts against: an IPv4 address (also when it
    arrives IPv4-mapped on a dual-stack socket), or the IPv6 /64 it lies in, since one host
    may be routed a whole /64 and pick a fresh address for each connection."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def protocol(limits: Limits) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with the request deadline and the connection bounds."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    peers: defaultdict[str, set[Bounded]] = defaultdict(set)

    class Bounded(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _peer: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            peer = peer_of(self.client[0] if self.client else "")
            mine = len(peers.get(peer, ()))
            if mine >= limits.per_peer or (
                len(self.connections) > limits.connections and not _make_room(mine)
            ):
                transport.close()
                return
            self._peer = peer
            peers[peer].add(self)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._request_in() and not self.flow.write_paused:
                self._disarm()

        def pause_writing(self) -> None:
            super().pause_writing()
            self._arm()  # its caller does not read: it has the deadline to start reading again

        def resume_writing(self) -> None:
            super().resume_writing()
            if self._request_in():
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and not self._request_in():
                self._arm()  # the next request on this connection has its own deadline

        def connection_lost(self, exc: Exception | None) -> None:
            super().connection_lost(exc)
            self._disarm()
            if self._peer is not None:
                peers[self._peer].discard(self)
                if not peers[self._peer]:
                    del peers[self._peer]
                self._peer = None

        @property
        def waiting(self) -> bool:
            """Only waiting for a request to arrive (nothing of it is being judged)."""
            return self._deadline is not None and not self.transport.is_closing()

        def _request_in(self) -> bool:
            return self.conn.their_state in (h11.DONE, h11.MUST_CLOSE)

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(limits.request_seconds, self.transport.abort)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

    def _make_room(mine: int) -> bool:
        """Close a waiting connection of the busiest peer for a newcomer whose peer holds
        ``mine``, fewer than that peer; False when there is none to close."""
        busiest = max(peers.values(), key=len, default=set())
        if len(busiest) <= mine:
            return False
        waiting = next((held for held in busiest if held.waiting), None)
        if waiting is None:
            return False
        waiting._disarm()
        waiting.transport.abort()
        return True

    return Bounded


def server(handler: Handler, host: str, port: int, limits: Limits) -> uvicorn.Server:
    """A uvicorn server for ``handler``; ``.run()`` serves until it is told to stop."""
    import uvicorn

    config = uvicorn.Config(
        asgi(handler),
        host=host,
        port=port,
        http=protocol(limits),
        loop="asyncio",
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=5,
        backlog=2048,
    )
    return uvicorn.Server(config)
