"""The run's deadline: a real alarm interrupts the mode once it passes, only in the main
thread, and the alarm and handler the embedding program had (pytest's own timeout here) are
put back afterwards."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from cicd_agent.actions.deadline import DeadlineExceeded, run_deadline
from cicd_agent.actions.errors import ExitCode


def test_work_still_running_at_the_deadline_is_interrupted_as_exit_3() -> None:
    handler = signal.getsignal(signal.SIGALRM)
    with pytest.raises(DeadlineExceeded) as caught, run_deadline(0.0005):  # 30 ms
        while True:
            time.sleep(0.01)
    assert caught.value.exit_code == ExitCode.EXTERNAL
    assert "deadline of 0.0005 minute(s) passed" in str(caught.value)
    assert signal.getsignal(signal.SIGALRM) is handler


def test_the_deadline_replaces_the_handler_only_while_the_mode_runs() -> None:
    handler = signal.getsignal(signal.SIGALRM)
    with run_deadline(1):  # sooner than the test runner's own alarm, which it would leave
        assert signal.getsignal(signal.SIGALRM) is not handler
    assert signal.getsignal(signal.SIGALRM) is handler


def test_no_deadline_or_another_thread_arms_nothing() -> None:
    handler = signal.getsignal(signal.SIGALRM)
    seen: list[object] = []

    def in_thread() -> None:
        with run_deadline(10):
            seen.append(signal.getsignal(signal.SIGALRM))

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    with run_deadline(None):
        seen.append(signal.getsignal(signal.SIGALRM))
    assert seen == [handler, handler]


def test_an_outer_alarm_is_put_back_after_the_run() -> None:
    rang: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: rang.append(signum))
    outer = signal.getitimer(signal.ITIMER_REAL)
    try:
        signal.setitimer(signal.ITIMER_REAL, 600)
        with run_deadline(10):
            assert signal.getitimer(signal.ITIMER_REAL)[0] <= 600
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left <= 600
    finally:
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, *outer)
    assert rang == []


def test_a_nested_deadline_never_outlasts_the_one_it_runs_in() -> None:
    """A run a command starts has a deadline of its own: inside the command's, the sooner of
    the two stops it. The nested one set its alarm to its own minutes, past the outer's."""
    with pytest.raises(DeadlineExceeded) as caught, run_deadline(0.0005), run_deadline(10):
        _wait(seconds=10)  # and no more: the 30 ms deadline was left unarmed
    assert "deadline of 0.0005 minute(s) passed" in str(caught.value)
    with pytest.raises(DeadlineExceeded) as caught, run_deadline(10), run_deadline(0.0005):
        _wait(seconds=10)
    assert "deadline of 0.0005 minute(s) passed" in str(caught.value)


def _wait(*, seconds: float) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        time.sleep(0.01)


def test_a_nested_deadline_the_mode_swallows_still_leaves_the_outer_one_armed() -> None:
    """Attack: the nested run's own (sooner) deadline rings inside code that catches the
    error and carries on. The nested alarm had replaced the outer one, so nothing rang again
    until the nested run ended of its own accord: the command's step outlived its deadline.
    The outer deadline still rings, within the nested run."""
    swallowed: list[str] = []
    with pytest.raises(DeadlineExceeded) as caught, run_deadline(0.001), run_deadline(0.0005):
        try:
            _wait(seconds=10)
        except DeadlineExceeded as exc:
            swallowed.append(exc.message)
        _wait(seconds=10)  # the outer deadline (60 ms) stops this, not its end
    assert swallowed and "0.0005 minute(s)" in swallowed[0]
    assert "deadline of 0.001 minute(s) passed" in str(caught.value)


def test_a_deadline_too_small_for_the_clock_still_rings_and_keeps_the_outer_one() -> None:
    """Attack: the base commit's settings give a deadline of a few hundred seconds' worth of
    the smallest float: in seconds it rounds below what the clock can hold, where a zero
    would disarm the alarm, the outer one with it. It rings at once, and the outer alarm
    is put back."""
    rang: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: rang.append(signum))
    outer = signal.getitimer(signal.ITIMER_REAL)
    try:
        signal.setitimer(signal.ITIMER_REAL, 600)
        with pytest.raises(DeadlineExceeded), run_deadline(1e-320):
            _wait(seconds=10)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left <= 600
    finally:
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, *outer)
    assert rang == []
