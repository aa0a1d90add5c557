"""A metric store on loopback that answers as a test scripts it: the hostile or broken store
the canary sources are tried against (tests/modes/deploy_gate/canary/)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

Answer = Callable[[str, dict[str, str]], tuple[int, bytes]]
"""``(query, headers) -> (status, body)``; the query is the ``q``, ``query`` or ``target``
parameter of a GET, or a POST's body (a GraphQL request)."""


class Store:
    """A real HTTP server on loopback whose answers a test scripts: ``answer(query, headers)``
    gives ``(status, body)``; every request's path and headers are kept."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.headers: dict[str, str] = {}
        """Headers sent with every answer (a ``Location`` makes a 3xx a redirect)."""
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                asked = parse_qs(parts.query)
                query = next((asked[k][0] for k in ("q", "query", "target") if k in asked), "")
                headers = {k.lower(): v for k, v in self.headers.items()}
                self.respond(query, headers)

            def do_POST(self) -> None:
                size = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                headers = {k.lower(): v for k, v in self.headers.items()}
                self.respond(self.rfile.read(size).decode(), headers)

            def respond(self, query: str, headers: dict[str, str]) -> None:
                store.seen.append((unquote(self.path), headers))
                status, body = store.answer(query, headers)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in store.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store() -> Iterator[Callable[[Answer], Store]]:
    """Start stores with ``store(answer)``; all are closed after the test."""
    opened: list[Store] = []

    def start(answer: Answer) -> Store:
        opened.append(Store(answer))
        return opened[-1]

    yield start
    for one in opened:
        one.close()
