"""A call under a wall-clock deadline, abandoned (never waited for) when the deadline passes.

The SDK's timeout is per socket read, so a server that trickles one byte every 0.25 s never
trips it; only the wall clock bounds a whole call. The call runs in a daemon thread: at the
deadline the caller gets :class:`Abandoned` and closes the call's connections, and the thread
is left to die with them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

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
