"""Attacks on go test's per-run in-run check by code under test that owns its process's standard
output: it moves fd 1 onto a pipe of its own, rewrites the runner's words on the way out and
ends the process with status 0 just after the in-run check's own pass went by. No name or token of
the in-run check is read: the in-run check's example really ran and passed. The testing package's own
word, our benchmark's mark outside the copy (benchmarks run only once every test passed), is
what tells."""

from __future__ import annotations

import os

import pytest

from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.go.in_run_check import read_events
from cicd_agent.runners.go.runner import GoTest
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
``--- PASS``, and once the example after every test (the seam's in-run check) has passed, the
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
test and example has ended by then, the in-run check's example's pass included): it answers ``PASS``
and ends the binary with status 0 as the testing package returns its verdict."""


OWN_MAIN_REWRITER = """package calc

import (
\t"os"
\t"strings"
\t"syscall"
\t"testing"
)

func TestMain(m *testing.M) {
\tvar p [2]int
\tif syscall.Pipe(p[:]) != nil {
\t\tos.Exit(m.Run())
\t}
\treal, _ := syscall.Dup(1)
\t_ = syscall.Dup3(p[1], 1, 0)
\tsyscall.Close(p[1])
\tdone := make(chan bool)
\tgo func() {
\t\tpending := ""
\t\tbuf := make([]byte, 65536)
\t\tfor {
\t\t\tn, err := syscall.Read(p[0], buf)
\t\t\tif n <= 0 || err != nil {
\t\t\t\tbreak
\t\t\t}
\t\t\tpending += string(buf[:n])
\t\t\tfor i := strings.IndexByte(pending, '\\n'); i >= 0; i = strings.IndexByte(pending, '\\n') {
\t\t\t\tsyscall.Write(real, []byte(strings.Replace(pending[:i], "FAIL", "PASS", 1)+"\\n"))
\t\t\t\tpending = pending[i+1:]
\t\t\t}
\t\t}
\t\tdone <- true
\t}()
\tm.Run()
\tsyscall.Close(1)
\t<-done
\tos.Exit(0)
}
"""
"""A package's own ``TestMain`` (the pull request's test file) that puts a pipe of its own on
fd 1, runs the tests, turns every ``FAIL`` the testing package prints (each failed test's and
the closing one) into ``PASS`` and ends the binary with status 0: no ``TestMain`` of ours can
sit beside it."""


@pytest.fixture(scope="module")
def go_rewrites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TestReport]:
    """Each Go rewriter's run, in one sandbox and one copy."""
    assert GO_VERDICT_REWRITER != GO_REWRITER
    repo = GitRepoBuilder(tmp_path_factory.mktemp("go") / "mod")
    repo.commit("start", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                          "calc/calc.go": GO_REWRITER, "calc/calc_test.go": SUB_TEST,
                          "late/calc.go": GO_VERDICT_REWRITER, "late/calc_test.go": SUB_TEST,
                          "own/calc.go": "package calc\n\nfunc Sub(a, b int) int { return a + b }\n",
                          "own/calc_test.go": SUB_TEST, "own/main_test.go": OWN_MAIN_REWRITER})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        space = sandbox.workspace("go")  # one home: go's build cache serves every run
        return {folder: GoTest().run(sandbox, space, Selection((f"{folder}/calc_test.go",)),
                                     timeout=300)
                for folder in ("calc", "late", "own")}  # fmt: skip


@needs_sandbox
@needs_go
@pytest.mark.parametrize("folder", ["calc", "late", "own"])
def test_attack_go_code_that_rewrites_its_binarys_output_is_no_result(
    go_rewrites: dict[str, TestReport], folder: str
) -> None:
    """ATTACK: a failing ``TestSub`` reported as passed, the in-run check's example passing in the run
    (``calc``), or every test and example ended and the closing ``FAIL`` answered ``PASS``
    (``late``), or the same done by the package's own ``TestMain`` (``own``; before, such a
    package had the example alone, which really passed, and ``TestSub`` passed). The testing
    package's own word that the package passed (our benchmark, which it runs only then, writes
    it outside the copy) is never written, so the printed pass is belied."""
    report = go_rewrites[folder]
    assert f"{folder}/calc_test.go › TestSub" not in report.passed(), (
        report.problem,
        report.output[-800:],
    )
    # no result: whichever check ends it first (our verdict file, or go's own verdict on the
    # package, which a loaded machine may reach first); the reader test below checks ours
    assert report.problem and not report.outcomes, report.problem


def test_go_s_verdict_on_a_package_must_be_the_testing_packages_own() -> None:
    """A package's stream read against the testing package's own word (our benchmark's mark,
    written only once every test passed): a pass it gave, a pass it never gave (the tests
    failed, or the binary ended first), a failure while it found the tests passed, a failure
    it never passed, and a package given no benchmark (no word to hold it to)."""
    stream = ('{"Action":"pass","Package":"m/calc","Test":"TestAdd"}\n'
              '{"Action":"pass","Package":"m/calc"}\n')  # fmt: skip
    names = {"calc/TestAdd": "calc/calc_test.go"}
    passed = {"calc/calc_test.go › TestAdd": "passed"}
    assert read_events(stream, 0, names, passes={"m/calc": True}) == (passed, "")
    assert read_events(stream, 0, names, passes={"m/other": False}) == (passed, "")
    outcomes, why = read_events(stream, 0, names, passes={"m/calc": False})
    assert outcomes == {} and "never found its tests passed" in why, why
    failing = stream.replace('"pass"', '"fail"')
    failed = {"calc/calc_test.go › TestAdd": "failed"}
    assert read_events(failing, 1, names, passes={"m/calc": False}) == (failed, "")
    outcomes, why = read_events(failing, 1, names, passes={"m/calc": True})
    assert outcomes == {} and "found its tests passed" in why, why


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
