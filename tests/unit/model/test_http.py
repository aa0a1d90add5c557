"""The HTTP client under the SDK, against a real local server: answers are asked for
unencoded, an encoded one is refused before it is decoded, and a body past the cap is
refused as it arrives."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cicd_agent.model.http import AnswerTooLarge, capped_client


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        headers = {"x-asked-encoding": self.headers.get("accept-encoding", "")}
        body = b'{"ok": true}'
        if self.path == "/big":
            body = b"x" * 4096
        elif self.path == "/gzip":
            body, headers["content-encoding"] = gzip.compress(b"x" * 100_000), "gzip"
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what the client got, not the server's log."""


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_answer_within_the_cap_is_read_and_was_asked_for_unencoded(server: str) -> None:
    with capped_client(limit=1024) as client:
        response = client.get(f"{server}/small")
        assert response.json() == {"ok": True}
        assert response.headers["x-asked-encoding"] == "identity"


def test_an_answer_past_the_cap_is_refused(server: str) -> None:
    with capped_client(limit=1024) as client, pytest.raises(AnswerTooLarge, match="larger than"):
        client.get(f"{server}/big").read()


def test_an_encoded_answer_is_refused_before_it_is_decoded(server: str) -> None:
    with capped_client() as client, pytest.raises(AnswerTooLarge, match="gzip-encoded"):
        client.get(f"{server}/gzip")
