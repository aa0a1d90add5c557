"""Go failures judged by what they ran (DeFlaker's differential coverage), on a real module: each
failed test of the first run is run again alone under go's coverage, in the step's sandbox; a
failure that failed again there without running any line the change touched is named likely
flaky, with that evidence; one that ran a changed line never is. One real change and its runs,
checked many ways; the profile's reading is checked on a written one."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.analysis.changed_lines import Touched
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import Attempt
from cicd_agent.runners.go.coverage import PROFILE, GoTracer, sees
from cicd_agent.sandbox.step import read_change
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun
from tests.helpers.toolchains import needs_go

BASE = """\
package calc

func Add(a, b int) int {
\treturn a + b
}

func Sub(a, b int) int {
\treturn a - b
}
"""
HEAD = BASE.replace("\treturn a - b\n", "\treturn b - a // the change: a bug\n")
TESTS = """\
package calc

import "testing"

func TestAddBroken(t *testing.T) {
\tif Add(1, 1) != 3 {
\t\tt.Fatal("fails whatever the change: runs none of its lines")
\t}
}

func TestSub(t *testing.T) {
\tif Sub(3, 1) != 2 {
\t\tt.Fatal("the change broke it")
\t}
}

func TestFlakyAlone(t *testing.T) {
\tt.Run("once", func(t *testing.T) {
\t\tif Add(0, 0) == 0 && !seen() {
\t\t\tt.Fatal("first run only")
\t\t}
\t})
}
"""
SEEN = """\
package calc

import "os"

func seen() bool {
\tif _, err := os.Stat("flaky.seen"); err != nil {
\t\tos.WriteFile("flaky.seen", nil, 0o644)
\t\treturn false
\t}
\treturn true
}
"""
PACKAGE = "example.com/m/calc"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Attempt], Touched]:
    root = tmp_path_factory.mktemp("go-changed")
    repo = GitRepoBuilder(root / "mod")
    base = repo.commit("base", {"go.mod": "module example.com/m\n\ngo 1.19\n", "calc/calc.go": BASE,
                                "calc/seen_test.go": SEEN, "calc/calc_test.go": TESTS})  # fmt: skip
    head = repo.commit("head", {"calc/calc.go": HEAD})
    change, unread = read_change(base, head, repo.path, sees)
    assert change is not None, unread
    keep = ("HOME", "GOPATH", "GOMODCACHE")
    env = {"PATH": os.environ.get("PATH", ""), "GOFLAGS": "-mod=mod", "GOPROXY": "off",
           "GOCACHE": str(root / "cache"), **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip
    attempts = run_attempts(["go", "test", "./..."], 0, cwd=repo.path, run=JobRun(env),
                            change=change)
    return attempts, change


@needs_go
def test_a_go_failure_that_ran_no_changed_line_is_likely_flaky(runs: tuple[list[Attempt], Touched]) -> None:
    attempts, change = runs
    assert change.lines == {"calc/calc.go": frozenset({7, 8})} and not change.untraced  # and its header
    record = attempts[0].ran_changed
    assert record is not None and not record.blind, record
    assert record.tests == {"example.com.m.calc.TestAddBroken": False, "example.com.m.calc.TestSub": True}
    # the flaky subtest passed alone: its failing run's lines are not known, so it is not judged
    assert "passed when run alone" in record.unseen["example.com.m.calc.TestFlakyAlone.once"]
    verdict = judge_step(attempts, [], date(2026, 11, 28), code_is_proof=True, change=change)
    assert verdict.likely_flaky == ((f"{PACKAGE}.TestAddBroken",
                                     "failed without running any line this change touched (go's "
                                     "coverage of a run of it alone, which failed again)"),)  # fmt: skip
    assert not verdict.passed  # a description, never an excuse


def test_attack_a_changed_declaration_no_block_holds_leaves_no_label(tmp_path: Path) -> None:
    """A package-level ``const`` runs in no test's coverage, yet every test builds on it: a
    change to one gives no failure the label, whatever the profile says ran."""
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.19\n")
    (tmp_path / "calc").mkdir()
    (tmp_path / "calc" / "calc.go").write_text(
        "package calc\n\nconst Limit = 3 // changed\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n")
    change = Touched({"calc/calc.go": frozenset({2, 3, 6})})  # a blank line, the const, the body
    tracer = GoTracer(("go", "test", "./..."), True, change, tmp_path)
    test = f"{PACKAGE}.TestAdd"
    words, own = tracer.alone([test], tmp_path / "run")[test]
    assert f"-coverprofile={own / PROFILE}" in words and "-coverpkg=./..." in words
    (own / PROFILE).write_text("mode: set\nexample.com/m/calc/calc.go:5.24,7.2 1 0\n")
    failed = ('{"Action":"fail","Package":"example.com/m/calc","Test":"TestAdd"}\n'
              '{"Action":"fail","Package":"example.com/m/calc"}\n')  # fmt: skip
    record = tracer.record(tmp_path / "run", {test: failed})
    assert record is not None and record.tests == {"example.com.m.calc.TestAdd": False}
    assert "calc/calc.go lies outside the code go's coverage counts" in record.blind
    assert not sees("calc/calc_test.go") and sees("calc/calc.go")
