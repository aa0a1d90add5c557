"""gen-tests on a checkout only its owner may enter (mode 0700, as ``mkdtemp`` makes it): the suite
runs in the sandbox, and a run bwrap could not start is named as the sandbox's, never the
project's (the sandbox's own part: tests/unit/sandbox/test_closed_checkout.py). Every run is real
bubblewrap."""

from __future__ import annotations

import sys
from pathlib import Path

from cicd_agent.modes.gen_tests.collect import cannot_run
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.runners.sessions import Evidence
from cicd_agent.sandbox import Limits, Sandbox
from tests.fixtures.gentests_project.build import make_repo
from tests.helpers.gen_tests import path_env, run_gen_tests
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox


def test_gen_tests_runs_the_suite_of_a_checkout_whose_top_folder_is_0700(tmp_path: Path) -> None:
    """Regression: the copy kept the checkout's 0700, so bwrap could not enter it and gen-tests
    exited 2 telling the user to install the project."""
    repo = tmp_path / "shop"
    base, head = make_repo(repo)
    repo.chmod(0o700)
    argv = ["--repo", str(repo), "--base", base, "--head", head, "--provider", "none"]
    code, document, _, stderr = run_gen_tests(argv, tmp_path)
    assert code == 0, stderr
    assert document["segments"], "the suite must have run in the sandbox"


def test_a_suite_the_sandbox_could_not_start_is_the_sandboxs_failure(tmp_path: Path) -> None:
    """gen-tests' reading of the run the sandbox could not start (the copy closed again to the
    run after the hand-over): the suite "could not run" because the sandbox could not start it,
    in bwrap's own words; a command that starts and fails is no sandbox failure."""
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
    suite = ProjectCommand.parse("python -m pytest")
    assert cannot_run(suite, result, Evidence(None)).startswith(
        "the sandbox could not start it (bwrap: Can't chdir"
    )
    assert not cannot_run(suite, failed, Evidence(None)).startswith("the sandbox")
