"""Attacks on the words of a run's command through the exec'd chain that sets its limits (the
system's shell, then ``prlimit``): no word may become an option of ``prlimit`` or ``bwrap``
or shell code, and a run that ends at once, by a signal or by its own status, is reported as
it ended, sandboxed (real bubblewrap) or not."""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

import pytest

from cicd_agent.sandbox import Sandbox
from cicd_agent.sandbox.isolation import Isolation
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

UNCONFINED = Isolation(False, "unconfined on purpose")

WORDS = ["--", "-x", "--data=1", "--nproc=100000", "--core=unlimited", "a b", "q'\"", "",
         "line\nnext", "$(touch MARK)", "`touch MARK`", "; touch MARK", "-- --help"]  # fmt: skip

_ECHO = "import json, sys; print('argv=' + json.dumps(sys.argv[1:]))"


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}


@pytest.mark.parametrize("isolation", [None, UNCONFINED], ids=["sandboxed", "unconfined"])
def test_attack_a_commands_words_reach_it_as_words(
    tmp_path: Path, isolation: Isolation | None
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    with Sandbox(checkout, _env(tmp_path), isolation=isolation) as box:
        space = box.workspace("words")
        result = box.run([sys.executable, "-c", _ECHO, *WORDS], space, timeout=120)
        planted = list(space.root.rglob("MARK")) + list(tmp_path.rglob("MARK"))
    assert result.ok, (result.describe(), result.output)
    line = next(x for x in result.output.splitlines() if x.startswith("argv="))
    assert json.loads(line.removeprefix("argv=")) == WORDS
    assert not planted, planted


@pytest.mark.parametrize("isolation", [None, UNCONFINED], ids=["sandboxed", "unconfined"])
@pytest.mark.parametrize(("code", "ended"), [
    ("import os; os.kill(os.getpid(), 9)", "was killed by signal 9"),
    ("import sys; sys.exit(7)", "exited with status 7")])  # fmt: skip
def test_attack_a_run_that_ends_at_once_is_said_as_it_ended(
    tmp_path: Path, isolation: Isolation | None, code: str, ended: str
) -> None:
    """``prlimit`` execs the run's program in its place, so its status is the program's own;
    bwrap, a sandboxed run's parent inside, reports a signal as a shell does (128 + 9)."""
    if isolation is None and "signal" in ended:
        ended = "exited with status 137"
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    with Sandbox(checkout, _env(tmp_path), isolation=isolation) as box:
        result = box.run([sys.executable, "-c", code], box.workspace("end"), timeout=120)
    assert not result.ok and not result.sandbox_failure, result
    assert result.describe() == ended, (result.describe(), result.output)


def test_attack_a_run_started_by_a_process_with_many_files_open_is_waited_for(
    tmp_path: Path,
) -> None:
    """Failed before: the wait selected on the run's pidfd with ``select``, which refuses a
    descriptor past 1023 (``FD_SETSIZE``): an agent holding a thousand files open (a runner's
    limit is 65536) crashed at the first run's end with a ValueError."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this machine's open files are limited to {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    held = []
    try:
        while not held or held[-1] < 1100:
            held.append(os.open(os.devnull, os.O_RDONLY))
        with Sandbox(checkout, _env(tmp_path), isolation=UNCONFINED) as box:
            result = box.run([sys.executable, "-c", "pass"], box.workspace("many"), timeout=120)
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert result.ok, (result.describe(), result.output)
