"""The canary server run in a thread of the test, on a free loopback port, as
``cicd-agent-canary-server`` runs it (uvicorn with the server's own protocol and handler)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from cicd_agent.modes.deploy_gate.serve import Judge, routes
from cicd_agent.modes.deploy_gate.serve.http import Limits, server

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def serving(
    judge: Judge, limits: Limits | None = None, *, send_buffer: int | None = None
) -> Iterator[str]:
    """The server's base URL while it runs; stopped (and its port closed) afterwards.
    ``send_buffer`` sets the kernel's send buffer of every accepted connection (small, so a
    test fills it with little data)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    running = server(routes(judge, TOKEN), "127.0.0.1", 0, limits or Limits())
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(600):
        if running.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert running.started, "the canary server did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        running.should_exit = True
        thread.join(timeout=60)
        sock.close()


def connect(base: str, source: str = "127.0.0.1") -> socket.socket:
    """A raw connection to the server from ``source`` (any 127.x address is this machine's
    loopback, so tests can be several peers)."""
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=60, source_address=(source, 0))
