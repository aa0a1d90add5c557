"""Progress lines on stderr, so minutes of work are never minutes of silence, and ``--json`` keeps
stdout to its one document.

Each stage starts with one line (a collapsible ``::group::`` on a runner). Off a runner a stage's
line waits for the first thing said inside it, so a mistake found before any work stays one line,
the error alone. Counts are throttled (the first and last always shown), so a 20,000-commit
history is a handful of lines."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

EVERY_SECONDS = 2.0
"""Least time between two lines of one count (the first and the last are always shown)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class Progress:
    """Stage and count lines for one run (a ``None`` stream says nothing: tests, library use)."""

    def __init__(
        self,
        stream: TextIO | None,
        *,
        label: str = "cicd-agent",
        grouped: bool = False,
        clock: Callable[[], float] = time.monotonic,
        every: float = EVERY_SECONDS,
    ) -> None:
        self._stream = stream
        self._label = label
        self._grouped = grouped
        self._clock = clock
        self._every = every
        self._start = clock()
        self._open = False
        self._pending = ""
        self._last: dict[str, float] = {}

    @classmethod
    def for_run(cls, stream: TextIO, mode: str, environ: Mapping[str, str]) -> Progress:
        """The progress of one run of ``mode``: grouped when a GitHub runner reads the log."""
        return cls(stream, label=mode, grouped=environ.get("GITHUB_ACTIONS") == "true")

    def stage(self, what: str) -> None:
        """A new stage begins (the previous one ends): one line, a group on a runner."""
        self.end()
        line = self._line(what)
        if self._grouped:
            self._write(f"::group::{line}")
            self._open = True
        else:
            self._pending = line

    def say(self, what: str) -> None:
        self._flush()
        self._write(self._line(what, indent=True))

    @contextmanager
    def if_slow(self, seconds: float, what: str) -> Iterator[None]:
        """Say ``what`` if the work inside takes longer than ``seconds`` (from another thread,
        once), and nothing when it is quick: loading a mode takes a fraction of a second on an
        idle machine and many seconds on two busy cores, and a mistake found at once stays
        one line on a terminal."""
        timer = threading.Timer(seconds, self.say, (what,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            timer.join()  # a line being written ends before anything else is said

    def count(self, what: str, done: int, total: int | None = None) -> None:
        """How far a long piece of work got: ``what: done of total`` (or ``done`` alone),
        shown for the first item, the last and at most every few seconds in between."""
        now = self._clock()
        last = self._last.get(what)
        final = total is not None and done >= total
        if last is not None and not final and now - last < self._every:
            return
        self._last[what] = now
        self.say(f"{what}: {done:,}" + (f" of {total:,}" if total is not None else ""))
        if final:
            self._last.pop(what, None)

    def end(self, *, finished: bool = True) -> None:
        """The current stage ends: its group closes (before the run's summary and outputs).
        Off a runner, a stage nothing was said in is shown now when it ``finished``, and not
        at all when it ended in an error (which is then the one line a mistake gets)."""
        if finished:
            self._flush()
        self._pending = ""
        if self._open:
            self._write("::endgroup::")
            self._open = False

    def _flush(self) -> None:
        if self._pending:
            self._write(self._pending)
            self._pending = ""

    def _line(self, what: str, *, indent: bool = False) -> str:
        """Our words only, on one line: a label first, so no line can start a workflow command."""
        elapsed = self._clock() - self._start
        text = _CONTROL.sub(" ", what).strip()
        return f"{self._label} [{elapsed:5.1f}s] {'  ' if indent else ''}{text}"

    def _write(self, line: str) -> None:
        if self._stream is None:
            return
        self._stream.write(line + "\n")
        self._stream.flush()
