"""pytest's cache in the sandbox: every run has a fresh one of its own, outside the copy.

A project whose ``addopts`` need pytest's cache plugin (``--failed-first``, ``--last-failed``)
collects and runs under gen-tests and the verifier (they used to disable the plugin, and pytest
stopped on those options before collecting). The cache a checkout ships (``.pytest_cache``, or
the folder its ``cache_dir`` names) is never read: a forged ``lastfailed`` naming only a passing
test would make ``--last-failed`` run that test alone and hide the failing one from the report.
Nor does one run's cache steer the next in the same copy; the test step's runs alone share
one (its retries run again what failed). One project, real bubblewrap runs, shared."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from cicd_agent.runners.junit import outcomes, read_report
from cicd_agent.runners.pytest.evidence import pytest_addopts
from cicd_agent.runners.pytest.runner import COMMAND, PytestSandbox
from cicd_agent.sandbox import Workspace
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

NAMED = "tests/test_mod.py::test_named"
HIDDEN = "tests/test_mod.py::test_hidden_failure"
FORGED = json.dumps({NAMED: True})
"""A ``lastfailed`` naming only the passing test: ``--last-failed`` would run it alone."""
PROJECT = {
    "pyproject.toml": "[project]\nname = 'p'\n\n[tool.pytest.ini_options]\n"
    'addopts = "--failed-first --last-failed"\ncache_dir = "shipped"\n',
    "tests/test_mod.py": "def test_named():\n    pass\n\n\n"
    "def test_hidden_failure():\n    assert False\n",
    ".pytest_cache/v/cache/lastfailed": FORGED,
    "shipped/v/cache/lastfailed": FORGED,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PytestSandbox, Workspace]]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("cache") / "project")
    repo.commit("a project whose addopts need the cache, shipping a forged one", PROJECT)
    with PytestSandbox(repo.path, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        yield sandbox, sandbox.workspace("cache")


def test_attack_a_shipped_cache_and_an_earlier_run_steer_no_run(
    project: tuple[PytestSandbox, Workspace],
) -> None:
    sandbox, space = project
    result, evidence = sandbox.session([*COMMAND, "tests"], space, timeout=120)
    assert evidence.outcomes is not None, result.output  # collected: --failed-first is known
    assert evidence.outcomes.tests == {NAMED: "passed", HIDDEN: "failed"}, result.output
    # the fix step's way (the project's command, our options in PYTEST_ADDOPTS), in the same
    # copy after a run whose cache would now name the failing test alone
    folder = space.root / "report"
    folder.mkdir()
    again = sandbox.run(["python", "-m", "pytest", "-q"], space, timeout=120, shared=(folder,),
                        extra_env={"PYTEST_ADDOPTS": pytest_addopts(folder / "report.xml")})  # fmt: skip
    report = read_report(folder)
    assert report is not None, again.output
    assert outcomes(report) == {"tests.test_mod.test_named": True,
                                "tests.test_mod.test_hidden_failure": False}  # fmt: skip
    # nothing written into the copy: its shipped cache as it came, no .pytest_cache made
    assert (space.repo / "shipped/v/cache/lastfailed").read_text() == FORGED
    assert not (space.repo / ".pytest_cache").exists()
    assert sorted(path.name for path in space.live.iterdir()) == ["home", "repo", "tmp"]


def test_the_test_steps_runs_share_one_cache_so_a_retry_runs_what_failed(
    project: tuple[PytestSandbox, Workspace],
) -> None:
    sandbox, _ = project
    space = sandbox.workspace("step")
    kept = space.live / "pytest-cache"
    first = sandbox.run(["python", "-m", "pytest", "-q"], space, timeout=120, pytest_cache=kept)
    assert "1 failed, 1 passed" in first.output, first.output
    retry = sandbox.run(["python", "-m", "pytest", "-q"], space, timeout=120, pytest_cache=kept)
    assert "\n1 failed in " in retry.output, retry.output  # the failed one alone
