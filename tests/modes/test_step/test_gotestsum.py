"""The test step on gotestsum, which runs ``go test -json`` with the words after its ``--``:
recognised as go's, its events read from the file it writes into the run's folder, its failed
tests and subtests retried through go's ``-run``. One real run of the Debian package's
gotestsum on a real module, its first attempt and one retry."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.modes.test_step.attempts import run_attempts, runner_of
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import Attempt
from cicd_agent.runners.go.names import parents
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.go.step import EVENTS
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun
from tests.helpers.toolchains import needs

needs_gotestsum = needs("gotestsum")
GO_TEST = """\
package calc

import (
\t"os"
\t"testing"
)

func TestOk(t *testing.T) {}

func TestTable(t *testing.T) {
\tt.Run("flaky", func(t *testing.T) {
\t\tif _, err := os.Stat("flaky.seen"); err != nil {
\t\t\tos.WriteFile("flaky.seen", nil, 0o644)
\t\t\tt.Fatal("first run")
\t\t}
\t})
\tt.Run("fine", func(t *testing.T) {})
}

func TestBroken(t *testing.T) { t.Fatal("always") }
"""
PACKAGE = "example.com/m/calc"
COMMAND = ["gotestsum", "--format", "testname", "--", "-count=1", "./..."]


@pytest.fixture(scope="module")
def attempts(tmp_path_factory: pytest.TempPathFactory) -> list[Attempt]:
    root = tmp_path_factory.mktemp("gotestsum")
    repo = GitRepoBuilder(root / "mod")
    repo.commit("go", {"go.mod": "module example.com/m\n\ngo 1.19\n", "calc/calc_test.go": GO_TEST})
    keep = ("HOME", "GOPATH", "GOMODCACHE")
    env = {"PATH": os.environ.get("PATH", ""), "GOFLAGS": "-mod=mod", "GOPROXY": "off",
           "GOCACHE": str(root / "cache"), **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip
    return run_attempts(COMMAND, 1, cwd=repo.path, run=JobRun(env))


@needs_gotestsum
def test_gotestsum_is_go_s_and_its_failed_tests_are_retried(attempts: list[Attempt]) -> None:
    assert getattr(runner_of(COMMAND), "name", "") == "go test"
    first, retry = attempts
    assert sorted(first.failed()) == [f"example.com.m.calc.{name}"
                                      for name in ("TestBroken", "TestTable.flaky")]  # fmt: skip
    assert first.outcomes["example.com.m.calc.TestOk"] is True
    assert set(retry.outcomes) == {"example.com.m.calc.TestBroken", "example.com.m.calc.TestTable",
                                   "example.com.m.calc.TestTable.flaky"}  # its parent passed too
    verdict = judge_step(attempts, [], date(2026, 11, 28), code_is_proof=True, policy="pass")
    assert verdict.flaky == ((f"{PACKAGE}.TestTable/flaky",
                              "failed on the first run, passed on retry 1"),)  # fmt: skip
    assert verdict.failing == (f"{PACKAGE}.TestBroken",)


def test_gotestsum_s_own_flags_stay_and_go_s_words_follow_its_separator() -> None:
    go, folder = GoTest(), Path("/run")
    events = f"--jsonfile={folder / EVENTS}"
    assert go.step_command(["gotestsum"], folder, None) == [
        "gotestsum", events, "--", "-count=1", "-failfast=false"]
    again = go.step_command(["gotestsum", "./..."], folder, [f"{PACKAGE}.TestA"])
    assert again == ["gotestsum", "./...", events, "--", "-count=1", "-failfast=false",
                     "-run=^(TestA)$"]  # fmt: skip
    words = ["/usr/bin/gotestsum", "-f", "dots", "--", "./...", "-args", "-x"]
    again = go.step_command(words, folder, [f"{PACKAGE}.TestA/b"])
    assert again == ["/usr/bin/gotestsum", "-f", "dots", events, "--", "./...", "-count=1",
                     "-failfast=false", "-run=^(TestA)$/^(b)$", "-args", "-x"]  # fmt: skip
    # a whole command of the job's, a run that never ends, or no test run: run once, as written
    for words in (["gotestsum", "--raw-command", "--", "./run.sh"], ["gotestsum", "--watch"],
                  ["gotestsum", "tool", "slowest"]):  # fmt: skip
        assert go.step_command(words, folder, None) is None


def test_a_subtest_runs_within_each_test_above_it() -> None:
    """The package's last part may hold dots, and a subtest's name dots of its own."""
    assert parents("gopkg.in/yaml.v3.TestA/case.1/inner") == (
        "gopkg.in/yaml.v3.TestA", "gopkg.in/yaml.v3.TestA/case.1")  # fmt: skip
    assert parents(f"{PACKAGE}.TestA") == ()
    assert parents("no test here") == ()


def test_a_package_folder_named_like_a_test_holds_no_subtest_of_it() -> None:
    """A test runs within the tests above its last level that reads as a test: a package
    folder ``calc.TestA`` holds tests of their own, and a subtest level ``x.TestB`` is seen
    within fewer tests than it runs within, never within one it does not."""
    assert parents(f"{PACKAGE}.TestA/sub.TestNew") == ()
    assert parents(f"{PACKAGE}.TestA/sub.TestNew/case") == (f"{PACKAGE}.TestA/sub.TestNew",)
    assert parents(f"{PACKAGE}.TestA/x.TestB/y") == (f"{PACKAGE}.TestA/x.TestB",)
