"""A checkout only its owner may enter (mode 0700, as ``mkdtemp`` makes it, or a home folder
closed to others) runs in the sandbox like any other: an agent running as root lends each run
``nobody``, and the run's copy must be a folder ``nobody`` (and bwrap, which drops every
capability but two before it enters it) can pass. Every run is real bubblewrap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cicd_agent.sandbox import Limits, Sandbox
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox


def test_a_run_that_cannot_start_says_the_sandbox_could_not_start_it(tmp_path: Path) -> None:
    """When bwrap itself fails (here: the copy closed again to the run after the hand-over,
    the old regression in one run), the result names bwrap's own words and the sandbox as the
    cause, not the project; a command that starts and fails is no sandbox failure."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits()) as box:
        space = box.workspace("closed")
        space.repo.chmod(0o700)
        result = box.run([sys.executable, "-c", "print('ran')"], space, timeout=60)
        failed = box.run(
            ["sh", "-c", "echo 'bwrap: forged'; exit 1"], box.workspace("open"), timeout=60
        )
    assert failed.sandbox_failure == "", failed
    assert not result.ok
    assert result.sandbox_failure.startswith("bwrap: Can't chdir"), result.output
    assert "the sandbox could not start the command" in result.describe(), result.describe()


def test_the_jobs_virtualenv_in_a_checkout_whose_top_folder_is_0700_runs(tmp_path: Path) -> None:
    """Attack (fourth red team): the job installs the project into ``.venv`` in its checkout
    and puts ``.venv/bin`` on ``PATH``; the copy links the virtualenv, not copies it, to the
    checkout bound back whole, and a checkout closed to others kept ``nobody`` out of it:
    every tool of the project's environment was "Permission denied" (exit 126), and a suite
    could not run. The closed checkout becomes an empty folder and what is linked comes back
    into it, read-only."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "app.py").write_text("X = 1\n")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(checkout / ".venv")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    checkout.chmod(0o700)
    env = {
        "PATH": f"{checkout / '.venv' / 'bin'}:{path_env()}",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
    }
    probe = "import sys, app; print(sys.prefix, app.X)"
    with Sandbox(checkout, env) as box:
        result = box.run(["python", "-c", probe], box.workspace("venv"), timeout=60)
        hidden = box.run(["ls", str(checkout)], box.workspace("ls"), timeout=60)
    assert result.ok, (result.describe(), result.output)
    assert result.output == f"{checkout / '.venv'} 1\n", result.output
    assert hidden.output.split() in ([".venv"], []), hidden.output  # nothing else of it
