"""The stall tests' bound is the run's CPU, not the machine's clock (``tests/helpers/bounded``)."""

from __future__ import annotations

import signal
import sys

from tests.helpers.bounded import run_bounded


def test_a_run_that_spins_is_ended_at_its_cpu_limit_and_says_so() -> None:
    done = run_bounded([sys.executable, "-c", "while True: pass"], cpu_seconds=1)
    assert done.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
    assert "more than 1 s of CPU" in done.stderr


def test_a_run_that_ends_gives_its_output_and_status() -> None:
    done = run_bounded(
        [sys.executable, "-c", "import sys; print(sys.stdin.read()[::-1])"], input="ab"
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ba\n", "")
