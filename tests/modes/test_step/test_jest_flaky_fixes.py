"""The flaky-test fixer on jest, on small real jest projects (the toolbox's jest), every run in
the sandbox: chosen tests run in a chosen order in one ``jest --runInBand`` (a module variable
one test sets reaches the next test of its file), each file's tests as chosen, across
``describe`` blocks; a victim of a module variable is ``order-dependent`` with its polluter
found by bisection and gets its cleaner's set-up (never its checks) moved into it, proven in
every order, alone and by the mutation check; a brittle test gets its state-setter's; a test
that fails at random is ``not-order-dependent`` with its rate. The attacks: a project's own
test sequencer, environment, setup file and reporter, a test printing a report of its own,
test names of regular-expression and quote characters, a test file that is a link."""

from __future__ import annotations

import os
from pathlib import Path

from cicd_agent.modes.test_step.dependence import Runs
from cicd_agent.modes.test_step.fixer import BUDGET, fix_flaky
from cicd_agent.runners.jest.orders import JestOrders
from cicd_agent.runners.table import TABLE
from cicd_agent.verify.orders import OrderedRuns
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

MODE = """let mode = "normal";
exports.setMode = (next) => {
  mode = next;
};
exports.describeMode = () => {
  if (mode === "normal") {
    return "running normally";
  }
  return "running in " + mode;
};
"""
TESTS = """const { setMode, describeMode } = require("./mode");

describe("mode", () => {
  test("cleaner", () => {
    setMode("normal");
    expect(describeMode()).toBe("running normally");
  });
  test("polluter", () => {
    setMode("debug");
    expect(describeMode()).toBe("running in debug");
  });
  test("other", () => {});
});

test("victim", () => {
  expect(describeMode()).toBe("running normally");
});
"""
FILE = "src/mode.test.js"
VICTIM, POLLUTER = f"{FILE} › victim", f"{FILE} › mode polluter"
CLEANER, OTHER = f"{FILE} › mode cleaner", f"{FILE} › mode other"
PROJECT = {".gitignore": "node_modules\n",
           "package.json": '{"name": "app", "devDependencies": {"jest": "*"}}\n',
           "src/mode.js": MODE, FILE: TESTS}  # fmt: skip


def _project(
    tmp_path: Path, files: dict[str, str]
) -> tuple[GitRepoBuilder, JestOrders, dict[str, str]]:
    environ = {"PATH": needs_node_tool("jest"), "HOME": "/nonexistent"}
    repo = GitRepoBuilder(tmp_path / "app")
    repo.commit("jest", files)
    (repo.path / "node_modules" / ".bin").mkdir(parents=True)
    os.symlink(TOOLS_DIR / "node" / "node_modules" / ".bin" / "jest",
               repo.path / "node_modules" / ".bin" / "jest")  # fmt: skip
    os.symlink(TOOLS_DIR / "node" / "node_modules" / "jest", repo.path / "node_modules" / "jest")
    (orders,) = [row.in_order for row in TABLE if row.name == "jest"]
    assert isinstance(orders, JestOrders)
    return repo, orders, environ


def test_jest_runs_the_chosen_tests_in_the_chosen_order_in_one_process(tmp_path: Path) -> None:
    """jest runs a file's tests in declaration order: the victim passes before its polluter
    and fails after it only if the order chosen is the order run, across ``describe`` blocks,
    in one file's module registry (the module variable carries over)."""
    repo, orders, environ = _project(tmp_path, PROJECT)
    command = orders.command(["npx", "jest", "--randomize"])
    assert command == ("jest",)
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        own = runs.outcomes([])
        assert own is not None, runs.problem
        assert list(own.tests) == [CLEANER, POLLUTER, OTHER, VICTIM]
        assert own.tests[VICTIM] == "failed"
        assert own.checks[VICTIM].startswith(f"{FILE}:16: "), own.checks
        assert runs.passes([VICTIM, POLLUTER]) == {VICTIM: True, POLLUTER: True}
        assert runs.passes([POLLUTER, VICTIM]) == {POLLUTER: True, VICTIM: False}, runs.problem
        cleaned = [POLLUTER, OTHER, VICTIM, CLEANER]
        assert runs.passes([POLLUTER, CLEANER, VICTIM]) == {POLLUTER: True, CLEANER: True,
                                                             VICTIM: True}  # fmt: skip
        assert runs.passes(cleaned) == {POLLUTER: True, OTHER: True, VICTIM: False,
                                        CLEANER: True}  # fmt: skip
        assert runs.reruns(VICTIM, 3) == (0, 3)
        assert runs.passes([f"{FILE} › no such test"]) == {}


def test_a_jest_victim_is_order_dependent_with_its_polluter_found_by_bisection(
    tmp_path: Path,
) -> None:
    """The victim fails after the polluter (a module variable set) and passes alone:
    ``order-dependent``, the polluter named by bisection over the tests before it; the
    cleaner's statement that is no check moved to the victim's top, held in the written
    order, its reverse, the failing order and alone, and by a mutant of the code it calls that
    its own check catches: ``verified`` on trusted code."""
    repo, orders, environ = _project(tmp_path, PROJECT)
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET)
        fixes, why = fix_flaky(runs, [VICTIM], trusted=True)
    assert why == ""
    (fixed,) = fixes
    assert (fixed.test, fixed.kind, fixed.related_test) == (VICTIM, "order-dependent", POLLUTER)
    assert fixed.runs_before == Runs(4, 4, (POLLUTER, VICTIM))
    assert "found by bisection over the 3 test(s) before it" in fixed.evidence
    assert fixed.status == "verified", fixed.evidence
    assert fixed.patch.startswith(f"--- a/{FILE}\n+++ b/{FILE}\n")
    added = [line for line in fixed.patch.splitlines()[2:] if line.startswith("+")]
    assert added == ["+  // set-up moved from mode cleaner", '+  setMode("normal");'], fixed.patch
    assert "mutation check: fails when src/mode.js:" in fixed.evidence
    assert fixed.runs_after.failed == 0 and fixed.runs_after.runs == 3
