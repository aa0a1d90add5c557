"""Attacks on go test's per-run witness by code under test that owns its process's standard
output: it moves fd 1 onto a pipe of its own, rewrites the runner's words on the way out and
ends the process with status 0 just after the witness's own pass went by. No name or token of
the witness is read: the witness example really ran and passed. The testing package's own
verdict, which our ``TestMain`` writes to a file outside the copy, is what tells."""

from __future__ import annotations

import os

import pytest

from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.go.witness import read_events
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

GO_REWRITER = """package calc

import (
\t"strings"
\t"syscall"
)

// Sub is broken; the package's init owns fd 1 and says otherwise.
func Sub(a, b int) int { return a + b }

func init() {
\tvar p [2]int
\tif syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_DIRECT) != nil {
\t\treturn
\t}
\t// one slot of packets: the testing package is never more than one write ahead
\tsyscall.Syscall(syscall.SYS_FCNTL, uintptr(p[1]), 1031, 4096)
\treal, _ := syscall.Dup(1)
\t_ = syscall.Dup3(p[1], 1, 0)
\tgo func() {
\t\tpending := ""
\t\tbuf := make([]byte, 65536)
\t\tfor {
\t\t\tn, err := syscall.Read(p[0], buf)
\t\t\tif n <= 0 || err != nil {
\t\t\t\treturn
\t\t\t}
\t\t\tpending += string(buf[:n])
\t\t\tfor i := strings.IndexByte(pending, '\\n'); i >= 0; i = strings.IndexByte(pending, '\\n') {
\t\t\t\tline := strings.Replace(pending[:i], "--- FAIL", "--- PASS", 1)
\t\t\t\tpending = pending[i+1:]
\t\t\t\tsyscall.Write(real, []byte(line+"\\n"))
\t\t\t\tif name := strings.TrimPrefix(line, "=== RUN   "); strings.HasPrefix(name, "Example") {
\t\t\t\t\tsyscall.Write(real, []byte("--- PASS: "+name+" (0.00s)\\nPASS\\n"))
\t\t\t\t\tsyscall.Exit(0)
\t\t\t\t}
\t\t\t}
\t\t}
\t}()
}
"""
"""A model's broken ``Sub`` (steered by the pull request) whose package, as it is initialised,
puts a pipe of its own on fd 1: every ``--- FAIL`` the testing package prints reaches go as
``--- PASS``, and once the example after every test (the seam's witness) has passed, the
binary exits 0 before the testing package prints ``FAIL``."""

SUB_TEST = """package calc

import "testing"

func TestSub(t *testing.T) {
\tif Sub(3, 1) != 2 {
\t\tt.Fatal("sub")
\t}
}
"""


GO_VERDICT_REWRITER = GO_REWRITER.replace(
    """\t\t\t\tif name := strings.TrimPrefix(line, "=== RUN   "); strings.HasPrefix(name, "Example") {
\t\t\t\t\tsyscall.Write(real, []byte("--- PASS: "+name+" (0.00s)\\nPASS\\n"))
\t\t\t\t\tsyscall.Exit(0)
\t\t\t\t}""",
    """\t\t\t\tif line == "FAIL" {
\t\t\t\t\tsyscall.Write(real, []byte("PASS\\n"))
\t\t\t\t\tsyscall.Exit(0)
\t\t\t\t}""",
)
"""The same owner of fd 1, waiting instead for the testing package's closing ``FAIL`` (every
test and example has ended by then, the witness example's pass included): it answers ``PASS``
and ends the binary with status 0 as the testing package returns its verdict."""


@pytest.fixture(scope="module")
def go_rewrites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TestReport]:
    """Each Go rewriter's run, in one sandbox."""
    assert GO_VERDICT_REWRITER != GO_REWRITER
    repo = GitRepoBuilder(tmp_path_factory.mktemp("go") / "mod")
    repo.commit("start", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                          "calc/calc.go": GO_REWRITER, "calc/calc_test.go": SUB_TEST,
                          "late/calc.go": GO_VERDICT_REWRITER, "late/calc_test.go": SUB_TEST})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        return {folder: GoTest().run(sandbox, sandbox.workspace(folder),
                                     Selection((f"{folder}/calc_test.go",)), timeout=300)
                for folder in ("calc", "late")}  # fmt: skip


@needs_sandbox
@needs_go
@pytest.mark.parametrize("folder", ["calc", "late"])
def test_attack_go_code_that_rewrites_its_binarys_output_is_no_word(
    go_rewrites: dict[str, TestReport], folder: str
) -> None:
    """ATTACK: a failing ``TestSub`` reported as passed, the witness example passing in the run
    (``calc``), or every test and example ended and the closing ``FAIL`` answered ``PASS``
    (``late``). The testing package's own verdict, which our ``TestMain`` writes outside the
    copy once ``m.Run`` returns, is never written or belies the printed passes."""
    report = go_rewrites[folder]
    assert f"{folder}/calc_test.go › TestSub" not in report.passed(), (
        report.problem,
        report.output[-800:],
    )
    # no result: whichever check ends it first (our verdict file, or go's own verdict on the
    # package, which a loaded machine may reach first); the reader test below checks ours
    assert report.problem and not report.outcomes, report.problem


def test_go_s_verdict_on_a_package_must_be_the_testing_packages_own() -> None:
    """The stream of a package whose one test passed, read against what our ``TestMain``
    wrote: the same verdict, a failing one, none (the binary ended before ``m.Run``
    returned), or a package it did not run in (its own ``TestMain``: the example alone)."""
    stream = ('{"Action":"pass","Package":"m/calc","Test":"TestAdd"}\n'
              '{"Action":"pass","Package":"m/calc"}\n')  # fmt: skip
    names = {"calc/TestAdd": "calc/calc_test.go"}
    passed = {"calc/calc_test.go › TestAdd": "passed"}
    assert read_events(stream, 0, names, verdicts={"m/calc": "0"}) == (passed, "")
    assert read_events(stream, 0, names, verdicts={"m/other": ""}) == (passed, "")
    outcomes, why = read_events(stream, 0, names, verdicts={"m/calc": "1"})
    assert outcomes == {} and "not the testing package's own verdict" in why, why
    outcomes, why = read_events(stream, 0, names, verdicts={"m/calc": ""})
    assert outcomes == {} and "ended before the testing package's own verdict" in why, why


def test_two_packages_tests_of_one_name_keep_their_own_outcomes() -> None:
    """A whole-suite run of a module whose root and ``sub`` package each have a ``TestX``: the
    root's fails, the sub package's passes. Before: both were keyed by the file of whichever
    ``TestX`` was read last, so the pass read later took the failure's place."""
    stream = ('{"Action":"fail","Package":"m","Test":"TestX"}\n'
              '{"Action":"fail","Package":"m"}\n'
              '{"Action":"pass","Package":"m/sub","Test":"TestX"}\n'
              '{"Action":"pass","Package":"m/sub"}\n')  # fmt: skip
    names = {"./TestX": "x_test.go", "sub/TestX": "sub/x_test.go"}  # as the run names them
    assert read_events(stream, 1, names) == (
        {"x_test.go › TestX": "failed", "sub/x_test.go › TestX": "passed"}, "")
