"""The test step on a real Go module whose tests run subtests: go marks a parent failed when one
of its subtests fails, so the subtest is the unit retried and judged (a parent whose failure
only reflects its subtests is no failure of its own), and a quarantine entry naming a parent
covers the subtests it runs. A parent that fails without a word while its subtest fails is seen
on the retry where the subtest passes, and fails the step. One real run, its first attempt and
one retry, checked many ways."""

from __future__ import annotations

import os
from datetime import date

import pytest

from cicd_agent.job.repo_config import QuarantineEntry
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import Attempt
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun
from tests.helpers.toolchains import needs_go

GO_TEST = """\
package calc

import (
\t"os"
\t"testing"
)

func first(name string) bool {
\tif _, err := os.Stat(name); err != nil {
\t\tos.WriteFile(name, nil, 0o644)
\t\treturn true
\t}
\treturn false
}

func TestTable(t *testing.T) {
\tt.Run("case_1", func(t *testing.T) {
\t\tif first("table.seen") {
\t\t\tt.Fatal("first run")
\t\t}
\t})
\tt.Run("case 2", func(t *testing.T) {
\t\tif !first("case2.count") {
\t\t\tt.Fatal("case 2 ran twice: the retry ran more than the failed subtest")
\t\t}
\t})
}

func TestParentOwn(t *testing.T) {
\tt.Run("fine", func(t *testing.T) {})
\tt.Error("own check")
}

func TestSilent(t *testing.T) {
	t.Run("flaky", func(t *testing.T) {
		if first("silent.seen") {
			t.Fatal("first run")
		}
	})
	t.Fail() // a failure of its own, without a word: hidden behind its subtest's on the first run
}

func TestOdd(t *testing.T) {
\tt.Run("a(b|c)*/deeper", func(t *testing.T) {
\t\tif first("odd.seen") {
\t\t\tt.Fatal("first run")
\t\t}
\t})
\tt.Run("abc", func(t *testing.T) {
\t\tif !first("abc.count") {
\t\t\tt.Fatal("abc ran twice: a failed name was matched as a pattern")
\t\t}
\t})
\tt.Run("line\\nbreak", func(t *testing.T) {
\t\tif first("line.seen") {
\t\t\tt.Fatal("first run")
\t\t}
\t})
}

func TestQuarantined(t *testing.T) {
\tt.Run("sub", func(t *testing.T) {
\t\tt.Run("deep", func(t *testing.T) { t.Fatal("always") })
\t})
}
"""
PACKAGE = "example.com/m/calc"
TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def attempts(tmp_path_factory: pytest.TempPathFactory) -> list[Attempt]:
    if not os.environ.get("PATH"):
        pytest.skip("no PATH")
    root = tmp_path_factory.mktemp("go-subtests")
    repo = GitRepoBuilder(root / "mod")
    repo.commit("go", {"go.mod": "module example.com/m\n\ngo 1.19\n", "calc/calc_test.go": GO_TEST})
    keep = ("HOME", "GOPATH", "GOMODCACHE")
    env = {"PATH": os.environ["PATH"], "GOFLAGS": "-mod=mod", "GOPROXY": "off",
           "GOCACHE": str(root / "cache"), **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip
    return run_attempts(["go", "test", "./..."], 1, cwd=repo.path, run=JobRun(env))


@needs_go
def test_the_failed_subtest_is_the_unit_not_its_parent(attempts: list[Attempt]) -> None:
    first, retry = attempts
    assert sorted(first.failed()) == sorted(f"example.com.m.calc.{name}" for name in (
        "TestTable.case_1", "TestParentOwn", "TestSilent.flaky", "TestQuarantined.sub.deep",
        "TestOdd.a(b|c)*.deeper", "TestOdd.line_break"))  # fmt: skip
    # a parent with a failing subtest and no check of its own is no failure of its own
    assert "example.com.m.calc.TestTable" not in first.failed()
    assert "example.com.m.calc.TestQuarantined.sub" not in first.failed()
    assert first.outcomes["example.com.m.calc.TestTable.case_2"] is True
    # the retry runs the failed subtests, not their passing siblings (case 2 fails if run twice)
    assert retry.outcomes["example.com.m.calc.TestTable.case_1"] is True
    assert "example.com.m.calc.TestTable.case_2" not in retry.outcomes
    assert "example.com.m.calc.TestParentOwn.fine" not in retry.outcomes


@needs_go
def test_the_subtest_is_judged_and_a_parent_s_entry_covers_it(attempts: list[Attempt]) -> None:
    entry = QuarantineEntry(f"{PACKAGE}.TestQuarantined", "@acme/calc", date(2026, 12, 20))
    verdict = judge_step(attempts, [entry], TODAY, code_is_proof=True, policy="pass")
    again = "failed on the first run, passed on retry 1"
    assert sorted(verdict.flaky) == sorted((f"{PACKAGE}.{name}", again) for name in (
        "TestTable/case_1", "TestSilent/flaky", "TestOdd/a(b|c)*/deeper", "TestOdd/line_break"))  # fmt: skip
    assert verdict.failing == (f"{PACKAGE}.TestParentOwn", f"{PACKAGE}.TestSilent")
    assert not verdict.passed
    assert any("named no failure of their own" in line for line in verdict.said), verdict.said
    assert verdict.quarantined == ((f"{PACKAGE}.TestQuarantined/sub/deep",
                                    f"quarantined with {PACKAGE}.TestQuarantined until "
                                    "2026-12-20, owner @acme/calc"),)  # fmt: skip
    # an entry for one subtest covers neither its parent nor its siblings
    narrow = QuarantineEntry(f"{PACKAGE}.TestQuarantined/other", "@acme/calc", date(2026, 12, 20))
    assert not judge_step(attempts, [narrow], TODAY, code_is_proof=True).quarantined


@needs_go
def test_attack_subtest_names_are_names_never_patterns(attempts: list[Attempt]) -> None:
    """A subtest's name is the pull request's: regex metacharacters (``a(b|c)*``), a slash
    (a level of its own) and a newline (go prints it as ``_``) are retried as the names go
    printed, matching no sibling (``abc``, which ``a(b|c)*`` as a pattern would run twice),
    and an entry naming that odd subtest covers it and nothing beside it."""
    first, retry = attempts
    assert retry.outcomes["example.com.m.calc.TestOdd.a(b|c)*.deeper"] is True
    assert retry.outcomes["example.com.m.calc.TestOdd.line_break"] is True
    assert "example.com.m.calc.TestOdd.abc" not in retry.outcomes
    assert first.outcomes["example.com.m.calc.TestOdd.abc"] is True
    odd = QuarantineEntry(f"{PACKAGE}.TestOdd/a(b|c)*", "@acme/calc", date(2026, 12, 20))
    verdict = judge_step(attempts[:1], [odd], TODAY, code_is_proof=True, policy="pass")
    assert [test for test, _ in verdict.quarantined] == [f"{PACKAGE}.TestOdd/a(b|c)*/deeper"]
