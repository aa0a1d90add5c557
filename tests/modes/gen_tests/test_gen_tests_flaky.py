"""Existing tests rerun without the candidate (``modes/gen_tests/flaky.py``), in the real
sandbox: a test that fails there is not the candidate's fault and is remembered as flaky; one
that passes there stays held against the candidate; an id that reads as an option is never put
on the command line."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.gen_tests.flaky import FlakyTests
from cicd_agent.modes.gen_tests.gate import PLUGIN, ProjectCommand
from cicd_agent.modes.gen_tests.sandbox import Sandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

TESTS = """\
def test_passes():
    assert True


def test_always_fails():
    assert False
"""


def test_a_test_failing_without_the_candidate_is_flaky_one_passing_is_not(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"tests/test_things.py": TESTS, "pyproject.toml": "[project]\nname='p'\n"})
    with Sandbox(repo.path, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        known = frozenset({"tests/test_other.py::test_known"})
        pytest = [*ProjectCommand.parse("python -m pytest").pytest, *PLUGIN]
        flaky = FlakyTests(sandbox, pytest, timeout=120, known=known)
        failing = flaky.without_candidate(
            ["tests/test_things.py::test_passes", "tests/test_things.py::test_always_fails"]
        )
        assert failing == {"tests/test_things.py::test_always_fails"}
        assert flaky.found == known | failing
        assert flaky.without_candidate(["--collect-only"]) == frozenset()
        assert flaky.found == known | failing
