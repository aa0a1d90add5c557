"""The pipes of one run: its output (only the tail kept, never a host file), its evidence, and
the byte that says the command started; the fds bwrap is given, and the one that says the run
ended, each closed once."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from typing import NamedTuple

from cicd_agent.sandbox.isolation import closed_user_namespace
from cicd_agent.sandbox.syscalls import filter_fd

MAX_EVIDENCE_BYTES = 64 << 20

MAX_OUTPUT_CHARS = 64_000

LINGER = 5.0
"""Seconds to wait for a run's pipes to close once it ended (confined, they close with it)."""


class RunFds:
    """The fds one run is given, each closed once: its pipes (read end, write end), the
    seccomp filter's and its own user namespace's, and ours of its process (-1 where
    unused)."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._open: set[int] = set()
        stack.callback(self._close_all)
        self.output = self._pipe()
        self.evidence = (-1, -1)
        self.started = (-1, -1)
        self.syscalls = -1
        self.namespace = -1
        self.process = -1

    @classmethod
    def open(
        cls, stack: contextlib.ExitStack, *, evidence: bool, confined: bool, namespace: bool
    ) -> RunFds:
        fds = cls(stack)
        if evidence:
            fds.evidence = fds._pipe()
        if confined:
            fds.started = fds._pipe()
        fds.syscalls = stack.enter_context(filter_fd(confined))
        if namespace:  # a run of its own: no keyring or other state of an earlier run
            fds.namespace = closed_user_namespace()
            fds._open.add(fds.namespace)
        return fds

    def _pipe(self) -> tuple[int, int]:
        ends = os.pipe()
        self._open.update(ends)
        return ends

    @property
    def passed(self) -> tuple[int, ...]:
        """The fds the run inherits besides its stdin (the start pipe), stdout and stderr (the
        output's)."""
        ends = (self.evidence[1], self.syscalls, self.namespace)
        return tuple(fd for fd in ends if fd >= 0)

    def watch(self, pid: int) -> None:
        """Hold a pidfd of the started run (our child, so its pid is its own until we reap
        it): :meth:`until_exit` then wakes as it ends, not at its next poll."""
        with contextlib.suppress(OSError):  # no pidfd (a kernel before 5.3): polls end it
            self.process = os.pidfd_open(pid)
            self._open.add(self.process)

    def until_exit(self, seconds: float) -> None:
        """Wait ``seconds``, or less when the watched run ends first."""
        if self.process < 0:
            time.sleep(seconds)
            return
        waiting = select.poll()  # not select(): an agent with 1,024 files open has fds past it
        waiting.register(self.process, select.POLLIN)
        waiting.poll(seconds * 1000)

    def read_all(self) -> _Readers:
        """Close our copies of the write ends (the run holds its own) and read every pipe."""
        for end in (self.output[1], self.evidence[1], self.started[1]):
            self._close(end)
        readers = _Readers(
            _Reader(self.output[0], MAX_OUTPUT_CHARS, tail=True),
            _Reader(self.evidence[0], MAX_EVIDENCE_BYTES),
            _Reader(self.started[0], 1),
        )
        self._open.difference_update(readers.fds)  # a reader closes its own
        return readers

    def _close(self, fd: int) -> None:
        if fd in self._open:
            self._open.discard(fd)
            os.close(fd)

    def _close_all(self) -> None:
        for fd in list(self._open):
            self._close(fd)


class _Reader(threading.Thread):
    """Reads one pipe to its end (-1: nothing to read), keeping its first ``limit`` bytes,
    or with ``tail`` its last ones; closes it when done, never while a read may follow.
    ``cut`` says bytes past the first ``limit`` were left out (what came last is lost)."""

    def __init__(self, fd: int, limit: int, *, tail: bool = False) -> None:
        super().__init__(daemon=True)
        self.fd, self.limit, self.tail, self.data = fd, limit, tail, bytearray()
        self.cut = False
        if fd >= 0:
            self.start()

    def run(self) -> None:
        with os.fdopen(self.fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                if self.tail:
                    self.data += chunk
                    if len(self.data) > 2 * self.limit:
                        del self.data[: -self.limit]
                else:
                    self.cut = self.cut or len(self.data) + len(chunk) > self.limit
                    self.data += chunk[: max(0, self.limit - len(self.data))]


class _Readers(NamedTuple):
    """The readers of one run's output, evidence and start pipes."""

    output: _Reader
    evidence: _Reader
    started: _Reader

    @property
    def fds(self) -> set[int]:
        return {reader.fd for reader in self if reader.fd >= 0}

    def join(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for every pipe to close; whether they all did."""
        ends = time.monotonic() + seconds
        for reader in self:
            if reader.fd >= 0:
                reader.join(max(0.0, ends - time.monotonic()))
        return not any(reader.is_alive() for reader in self)
