"""Network helpers for tests: a free loopback port, an environment whose HTTPS goes nowhere, an
HTTP server of a handler serving while a ``with`` lasts."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def offline_env(tmp_path: Path, proxy: str) -> dict[str, str]:
    """An environment whose tiktoken cache is empty and whose HTTPS goes to ``proxy``."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    empty = tmp_path / "empty-tiktoken-cache"
    empty.mkdir()
    return {**env, "TIKTOKEN_CACHE_DIR": str(empty), "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def http_serving(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> Iterator[int]:
    """A threaded HTTP server of ``handler`` on ``host``, serving until the ``with`` ends: its
    port."""
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
