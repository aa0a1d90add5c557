"""Attacks on go test's benchmark in-run check (``runners/go/in_run_check.py``) by code written
against it: a model's Go suggestion for the code under test (no test file of the pull request's)
that makes the broken function's failing test pass in the testing package's own eyes, or that forges
the benchmark's mark. Each run goes through the real seam (``GoTest().run``) in the sandbox."""

from __future__ import annotations

import os

import pytest

from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go
from tests.unit.runners.test_runner_output_rewrite import GO_REWRITER, SUB_TEST

NO_OP_TESTS = """package calc

import (
\t"testing"
\t_ "unsafe"
)

//go:linkname mainTests main.tests
var mainTests []testing.InternalTest

// Sub is broken; its package's init makes every test of the test binary a no-op.
func Sub(a, b int) int { return a + b }

func init() {
\tfor i := range mainTests {
\t\tmainTests[i].F = func(*testing.T) {}
\t}
}
"""
"""A broken ``Sub`` whose package, as it is initialised, reaches the test binary's own list of
tests (``main.tests`` of the generated main, by ``go:linkname``) and replaces every test's body
with an empty one: the testing package itself then sees ``TestSub`` pass, runs our example and
our benchmark, and the benchmark writes its mark. Nothing printed is rewritten."""

MARK_FORGER = GO_REWRITER.replace(
    "\t\t\t\t\tsyscall.Exit(0)",
    "\t\t\t\t\tforge()\n\t\t\t\t\tsyscall.Exit(0)",
).replace(
    "import (",
    "import (\n\t\"os\"",
) + """
// forge writes the seam's mark: its path is in the in-run check file beside the tests (the binary
// runs in the package's folder).
func forge() {
\tentries, _ := os.ReadDir(".")
\tfor _, entry := range entries {
\t\tif !strings.Contains(entry.Name(), "cicdcheck") {
\t\t\tcontinue
\t\t}
\t\tsource, _ := os.ReadFile(entry.Name())
\t\ttext := string(source)
\t\tif at := strings.Index(text, "WriteFile(\\""); at >= 0 {
\t\t\ttext = text[at+len("WriteFile(\\""):]
\t\t\t_ = os.WriteFile(text[:strings.IndexByte(text, '"')], []byte("passed"), 0o644)
\t\t}
\t}
}
"""
"""The fd-1 rewriter that turns ``--- FAIL`` into ``--- PASS`` and ends the binary with status 0
as our example starts (already belied by the mark: the testing package, blocked on its one-slot
pipe, never gets to the benchmark), now also writing the mark itself, its path read from our
in-run check file in the package's folder, before it ends the binary."""


EXITS_0_MAIN = """package calc

import (
\t"os"
\t"testing"
)

func TestMain(m *testing.M) {
\tm.Run()
\tos.Exit(0)
}
"""
"""A package's own ``TestMain`` that runs the tests and ends the binary with status 0 whatever
they did: nothing printed is rewritten."""


@pytest.fixture(scope="module")
def go_attacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TestReport]:
    """Each attack's run, in one sandbox and one go home."""
    assert "forge()" in MARK_FORGER and '"os"' in MARK_FORGER
    repo = GitRepoBuilder(tmp_path_factory.mktemp("go") / "mod")
    repo.commit("start", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                          "noop/calc.go": NO_OP_TESTS, "noop/calc_test.go": SUB_TEST,
                          "mark/calc.go": MARK_FORGER, "mark/calc_test.go": SUB_TEST,
                          "exits/calc.go": "package calc\n\nfunc Sub(a, b int) int { return a + b }\n",
                          "exits/calc_test.go": SUB_TEST, "exits/main_test.go": EXITS_0_MAIN})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        space = sandbox.workspace("go")
        return {folder: GoTest().run(sandbox, space, Selection((f"{folder}/calc_test.go",)),
                                     timeout=300)
                for folder in ("noop", "mark", "exits")}  # fmt: skip


@needs_sandbox
@needs_go
@pytest.mark.xfail(strict=True, reason="open, and no in-run check in the binary can close it: code "
                   "under test shares the test binary's process, reaches the list of tests the "
                   "testing package runs (go:linkname main.tests, or its own binary's symbol table "
                   "and unsafe) and empties every test's body; every test still runs and passes, "
                   "so listing the tests before the run tells nothing, and the testing package "
                   "itself passes the package and runs our benchmark")  # fmt: skip
def test_attack_code_under_test_that_empties_the_binarys_tests_is_no_pass(
    go_attacks: dict[str, TestReport],
) -> None:
    """ATTACK: ``TestSub`` of a broken ``Sub`` must not be reported passed."""
    report = go_attacks["noop"]
    assert "noop/calc_test.go › TestSub" not in report.passed(), (report.problem,
                                                                  report.output[-800:])  # fmt: skip


@needs_sandbox
@needs_go
@pytest.mark.xfail(strict=True, reason="open, and no in-run check in the binary can close it: "
                   "whatever our benchmark writes the mark with, a path or a per-run secret, is in "
                   "the test binary's process (its source beside the tests, the binary itself, its "
                   "arguments, environment and memory), which the code under test shares: it reads "
                   "it and writes the mark itself before it ends the binary")  # fmt: skip
def test_attack_code_under_test_that_writes_the_mark_itself_is_no_pass(
    go_attacks: dict[str, TestReport],
) -> None:
    """ATTACK: ``TestSub`` of a broken ``Sub`` must not be reported passed."""
    report = go_attacks["mark"]
    assert "mark/calc_test.go › TestSub" not in report.passed(), (report.problem,
                                                                  report.output[-800:])  # fmt: skip


@needs_sandbox
@needs_go
def test_attack_a_test_main_that_exits_0_after_failing_tests_is_no_pass(
    go_attacks: dict[str, TestReport],
) -> None:
    """ATTACK: a package's own ``TestMain`` ends with status 0 after ``TestSub`` failed; go
    prints the failure, the benchmark never runs: ``TestSub`` is failed or the run is no
    result, never a pass."""
    report = go_attacks["exits"]
    assert "exits/calc_test.go › TestSub" not in report.passed(), report.outcomes
    assert report.problem or report.outcomes == {"exits/calc_test.go › TestSub": "failed"}, (
        report.problem, report.outcomes)
