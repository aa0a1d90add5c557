"""The run's deadline: a mode not finished after ``deadline-minutes`` stops cleanly.

Every network call has a timeout, but a hostile input can make each of many calls slow without
tripping any. So a ``SIGALRM`` is armed around the mode: when it rings, the work is interrupted
and the CLI's failure path writes the fail-closed outputs and a summary and exits 3. Signals
reach only the main thread, so elsewhere the per-call timeouts are the only bound."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from cicd_agent.actions.errors import CicdError, ExitCode

DEFAULT_DEADLINE_MINUTES = 30.0
"""Long enough for gen-tests' sandboxed runs on a large repository, far below GitHub's 6 h
job limit (a stuck step otherwise burns runner minutes until then)."""


class DeadlineExceeded(CicdError):
    """The run's deadline passed (exit 3). Not an ExternalServiceError on purpose: the code
    that degrades gracefully when one service fails must not swallow the deadline."""

    exit_code = ExitCode.EXTERNAL


@contextmanager
def run_deadline(minutes: float | None) -> Iterator[None]:
    """Raise :class:`DeadlineExceeded` in the main thread once ``minutes`` have passed, or
    leave the alarm already set (an outer run's, a test runner's) when it rings sooner."""
    if (
        not minutes
        or threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "setitimer")
    ):
        yield
        return

    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer and outer <= minutes * 60:
        # An alarm already set rings first (the deadline of the run this one is nested in):
        # that is the bound, never a later one.
        yield
        return
    previous = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()

    def restore() -> None:
        """Put back the handler and what is left of the alarm this one replaced."""
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # an outer run's deadline, an embedding program's alarm (a test runner's)
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3))

    def expire(signum: int, frame: FrameType | None) -> None:
        # The outer alarm is back before the error is raised: code that catches it and
        # carries on still stops at the outer deadline.
        restore()
        raise DeadlineExceeded(
            f"the run's deadline of {minutes:g} minute(s) passed before the mode finished; "
            "it was stopped.",
            hint="Raise deadline-minutes if the run needs longer, or look for a step that hung.",
        )

    try:  # armed inside: an alarm that rings at once (a deadline the clock rounds up) is undone
        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, minutes * 60)
        yield
    finally:
        restore()
