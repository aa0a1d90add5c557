"""A model call under a wall-clock deadline: its answer or its error as is, and abandoned (not
waited for) when the deadline passes, since the SDK's per-read timeout never trips on a server
that trickles bytes."""

from __future__ import annotations

import threading
import time

import pytest

from cicd_agent.model.http import Abandoned, run_until


def test_a_call_that_finishes_gives_its_answer() -> None:
    assert run_until(time.monotonic() + 60, lambda: "answer") == "answer"


def test_a_call_that_fails_raises_its_own_error_in_the_caller() -> None:
    def fail() -> str:
        raise ValueError("the server said no")

    with pytest.raises(ValueError, match="the server said no"):
        run_until(time.monotonic() + 60, fail)


def test_a_call_still_running_at_the_deadline_is_abandoned_not_waited_for() -> None:
    release = threading.Event()
    try:
        with pytest.raises(Abandoned) as caught:
            run_until(time.monotonic() - 1, lambda: release.wait(600))
        assert caught.value.elapsed >= 0
        assert str(caught.value).startswith("abandoned after ")
    finally:
        release.set()  # the daemon thread ends with the test
