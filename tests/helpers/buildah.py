"""The mark for tests that run real buildah builds of ``FROM scratch`` images with Debian's
static busybox copied in: skipped on a machine without the two, never on CI.

``tests/harness/setup.sh`` installs both; where ``CI`` is set (GitHub sets it; so does the
fresh-clone run of ``.ci/run``) a missing one fails these tests instead, as
``tests.helpers.sandbox``'s mark does for bubblewrap: a skipped build counted as a pass would
hide what it checks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BUSYBOX = shutil.which("busybox")
"""Debian's static busybox: the image's shell and tools."""
needs_buildah = pytest.mark.skipif(
    (shutil.which("buildah") is None or BUSYBOX is None) and not os.environ.get("CI"),
    reason="needs buildah and busybox-static (tests/harness/setup.sh installs them)",
)


def outward_address() -> str:
    """The address this machine reaches the internet from (no packet is sent): a service on
    it is one a build's network reaches (its own loopback is not the machine's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("198.51.100.1", 9))
        return str(probe.getsockname()[0])


@contextlib.contextmanager
def listening(listener: socket.socket, take_one: Callable[[], None]) -> Iterator[None]:
    """``take_one`` called again and again on a thread until the ``with`` ends, an ``OSError``
    it raises passed over (``listener`` waits half a second at a time, so a wait run out is
    one), then ``listener`` closed."""
    listener.settimeout(0.5)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                take_one()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@contextlib.contextmanager
def serving(listener: socket.socket, answer: bytes) -> Iterator[None]:
    """``listener`` answering each connection with an HTTP response holding ``answer``,
    reading (and dropping) whatever the peer sends first, until the ``with`` ends."""
    listener.listen(8)

    def answer_one() -> None:
        peer, _ = listener.accept()
        with peer:
            peer.settimeout(5)
            peer.recv(4096)
            peer.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))

    with listening(listener, answer_one):
        yield


def static_program(folder: Path, name: str, source: str) -> Path:
    """The C program ``source`` built static into ``folder`` as ``name``, for a ``RUN`` line of
    an image with no C library to run: skipped without a C compiler, never on CI."""
    compiler = shutil.which("cc")
    if compiler is None and not os.environ.get("CI"):
        pytest.skip("needs a C compiler with a static C library")
    assert compiler is not None, f"{name} needs cc"
    written = folder / f"{name}.c"
    written.write_text(source)
    subprocess.run([compiler, "-static", "-O1", "-o", str(folder / name), str(written)],
                   check=True, capture_output=True)  # fmt: skip
    return folder / name


def git(repo: Path, *args: str) -> None:
    """``git`` in ``repo`` with an identity of its own: a build test's base and head commits."""
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )
