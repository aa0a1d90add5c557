"""The bounds of one call to the model server: its answer's size in memory and its time
(:func:`run_until`).

A hostile server (or one the pull request talked into rambling) can send gigabytes within
``model-timeout``, and gzip inflates 1 MiB to 1 GiB in milliseconds. So every request asks for
``accept-encoding: identity``, an answer in another encoding is refused before a byte is read, and
the body is refused past :data:`MAX_ANSWER_BYTES`.

The SDK's timeout is per socket read, so a server trickling one byte every 0.25 s never trips it:
the call runs in a daemon thread, and at the deadline the caller gets :class:`Abandoned` and
closes its connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx2

from cicd_agent.actions.errors import ModelError

MAX_ANSWER_BYTES = 8 << 20


class AnswerTooLarge(ModelError):
    """The model server sent more than an answer can be (or an encoding nobody asked for)."""


class _Capped(httpx2.SyncByteStream):
    """The response body, ended by :class:`AnswerTooLarge` once it passes ``limit`` bytes."""

    def __init__(self, inner: httpx2.SyncByteStream, limit: int, server: str) -> None:
        self._inner = inner
        self._limit = limit
        self._server = server

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise AnswerTooLarge(
                    f"the model server at {self._server} sent an answer larger than "
                    f"{self._limit >> 20} MiB; it was not read further.",
                    hint="Check the server (base-url): no completion is this large.",
                )
            yield chunk

    def close(self) -> None:
        self._inner.close()


def capped_client(limit: int = MAX_ANSWER_BYTES) -> httpx2.Client:
    """An HTTP client for the SDK whose answers hold at most ``limit`` bytes, unencoded.

    Hooks rather than a transport of our own: the client keeps building its transport from
    the environment (``HTTPS_PROXY``, ``SSL_CERT_FILE``) as the SDK's default one does."""

    def ask_identity(request: httpx2.Request) -> None:
        request.headers["accept-encoding"] = "identity"

    def cap(response: httpx2.Response) -> None:
        url = response.request.url
        server = url.host + (f":{url.port}" if url.port else "")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            response.close()
            raise AnswerTooLarge(
                f"the model server at {server} sent its answer {encoding}-encoded though "
                "none was asked for; it was not decoded (an encoded answer can inflate "
                "beyond any memory).",
                hint="Check the server (base-url) or the proxy in front of it.",
            )
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _Capped(response.stream, limit, server)

    return httpx2.Client(
        follow_redirects=True, event_hooks={"request": [ask_identity], "response": [cap]}
    )


T = TypeVar("T")


class Abandoned(Exception):
    """The deadline passed first; ``elapsed`` seconds were spent waiting."""

    def __init__(self, elapsed: float) -> None:
        super().__init__(f"abandoned after {elapsed:.1f}s")
        self.elapsed = elapsed


def run_until(deadline: float, call: Callable[[], T]) -> T:
    """``call()``'s result or exception, or Abandoned once ``deadline`` (``time.monotonic``)
    has passed."""
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread as is
            box["error"] = exc

    worker = threading.Thread(target=work, name="model-call", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(max(deadline - started, 0.0))
    if worker.is_alive():
        raise Abandoned(time.monotonic() - started)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
