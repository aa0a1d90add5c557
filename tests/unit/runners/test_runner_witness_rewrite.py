"""Attacks on the per-run witnesses of the non-Python runners (go's example, cargo's module,
jest's reporter) by code under test that owns its process's standard output: it moves fd 1
onto a pipe of its own, rewrites the runner's words on the way out and ends the process with
status 0 just after the witness's own pass went by. No name or token of the witness is read:
the witness really ran and passed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.runners.base import Selection
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


@needs_sandbox
@needs_go
def test_attack_go_code_that_rewrites_its_binarys_output_is_no_word(tmp_path: Path) -> None:
    """ATTACK: a failing ``TestSub`` reported as passed, the witness example passing in the run."""
    repo = GitRepoBuilder(tmp_path / "mod")
    repo.commit("start", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                          "calc/calc.go": GO_REWRITER, "calc/calc_test.go": SUB_TEST})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        report = GoTest().run(sandbox, sandbox.workspace("rw"),
                              Selection(("calc/calc_test.go",)), timeout=300)  # fmt: skip
    assert "calc/calc_test.go › TestSub" not in report.passed(), (
        report.problem,
        report.output[-800:],
    )
