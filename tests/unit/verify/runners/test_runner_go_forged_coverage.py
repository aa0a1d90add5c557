"""``go test``'s coverage through the seam, attacked (atk8): the profile is a file the test
binary writes, so code of the test binary (a candidate's ``TestMain``, after the tests ran)
can add blocks it never ran. gen-tests' gate keeps a Go candidate for the changed lines its
run alone covered, by this profile, and states the coverage after from it too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.verify.runners.base import Selection
from cicd_agent.verify.runners.go import GoTest
from cicd_agent.verify.runners.pytest import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

CALC = """package calc

func Add(a, b int) int {
\treturn a + b
}

func Sub(a, b int) int {
\tif a < b {
\t\treturn -(b - a)
\t}
\treturn a - b
}
"""
CLAIMS_SUB = """package calc

import (
\t"flag"
\t"os"
\t"testing"
)

func TestAdd(t *testing.T) {
\tif Add(1, 2) != 3 {
\t\tt.Fatal("add")
\t}
}

func TestMain(m *testing.M) {
\tcode := m.Run()
\tif f := flag.Lookup("test.coverprofile"); f != nil && f.Value.String() != "" {
\t\tif out, err := os.OpenFile(f.Value.String(), os.O_APPEND|os.O_WRONLY, 0); err == nil {
\t\t\tout.WriteString("example.com/m/calc/calc.go:7.24,8.10 1 1\\n" +
\t\t\t\t"example.com/m/calc/calc.go:8.10,10.3 1 1\\nexample.com/m/calc/calc.go:11.2,11.14 1 1\\n")
\t\t\tout.Close()
\t\t}
\t}
\tos.Exit(code)
}
"""
"""A test of ``Add`` alone whose ``TestMain`` appends ``Sub``'s blocks, run once, to the profile
after the tests ran (the testing package has written it by then)."""


@needs_sandbox
@needs_go
@pytest.mark.xfail(strict=True, reason="open (atk8): the coverage profile is written by the test "
                   "binary, so a TestMain (or a process it leaves) adds blocks it never ran; "
                   "gen-tests' gate keeps such a Go candidate for coverage it did not earn")  # fmt: skip
def test_attack_coverage_a_test_binary_appends_to_its_profile_is_not_believed(
    tmp_path: Path,
) -> None:
    repo = GitRepoBuilder(tmp_path / "mod")
    repo.commit("start", {"go.mod": "module example.com/m\n\ngo 1.19\n", "calc/calc.go": CALC,
                          "calc/calc_test.go": CLAIMS_SUB})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        report = GoTest().run(sandbox, sandbox.workspace("forged"), Selection(
            ("calc/calc_test.go",), cover=("calc/calc.go",)), timeout=300)  # fmt: skip
    assert report.outcomes.get("calc/calc_test.go › TestAdd") == "passed", report
    ran = (report.coverage or {}).get("calc/calc.go", frozenset())
    assert 4 in ran  # Add's body, which TestAdd ran
    assert not ran & {8, 9, 10, 11}, f"Sub's lines {sorted(ran & {8, 9, 10, 11})} claimed"
