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

import io
import json
import os
from pathlib import Path

import pytest

from cicd_agent.cli import main
from cicd_agent.local import test_history
from cicd_agent.modes.test_step.fixer import BUDGET, fix_flaky
from cicd_agent.modes.test_step.mode import NAME
from cicd_agent.runners.jest import sessions, set_up
from cicd_agent.runners.jest.orders import JestOrders
from cicd_agent.runners.js.report import Watch
from cicd_agent.runners.table import TABLE
from cicd_agent.sandbox import RunResult
from cicd_agent.verify.orders import OrderedRuns
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.eslint import needs_node_tool
from tests.helpers.sandbox import needs_sandbox
from tests.modes.test_step.random_flaky import assert_random_not_model_fixed

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


STORE = """let state = null;
exports.set = (value) => {
  state = value;
};
exports.describe = () => {
  if (state === null) {
    return "store is empty";
  }
  return "store is " + state;
};
"""
STORE_TESTS = """const store = require("./store");

test("setter", () => {
  store.set("ready");
  expect(store.describe()).toBe("store is ready");
});

test("brittle", () => {
  expect(store.describe()).toBe("store is ready");
});
"""


def test_a_brittle_jest_test_gets_its_state_setters_set_up(tmp_path: Path) -> None:
    """The brittle test passes after the setter (in its written order) and fails alone:
    ``order-dependent``, the setter named as its state-setter, whose statement that is no
    check is moved into it, ``verified``."""
    files = {**PROJECT, "src/store.js": STORE, "src/store.test.js": STORE_TESTS}
    repo, orders, environ = _project(tmp_path, files)
    brittle, setter = "src/store.test.js › brittle", "src/store.test.js › setter"
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET)
        fixes, why = fix_flaky(runs, [brittle], trusted=True)
    assert why == ""
    (fixed,) = fixes
    assert (fixed.kind, fixed.related_test) == ("order-dependent", setter), fixed.evidence
    assert f"{setter} sets up state it needs" in fixed.evidence
    assert fixed.status == "verified", fixed.evidence
    assert '+  store.set("ready");' in fixed.patch and "+  expect" not in fixed.patch


RANDOM = """test("sometimes", () => {
  expect(Math.random() < 0.5).toBe(true);
});
"""


def test_a_jest_test_failing_at_random_is_not_order_dependent_with_its_rate(
    tmp_path: Path,
) -> None:
    """A test that fails one run in two runs alike alone and after the others:
    ``not-order-dependent``, its k of N over reruns alone (jest's canary defines it N times in
    one file's run); with a model at hand, the model is not asked (a rewrite is read as
    Python)."""
    repo, orders, environ = _project(tmp_path, {**PROJECT, "src/random.test.js": RANDOM})
    with orders.sandbox(repo.path, environ) as sandbox:
        assert_random_not_model_fixed(OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET),
                                      "src/random.test.js › sometimes")  # fmt: skip


REVERSING = """const { TestEnvironment } = require("jest-environment-node");
module.exports = class extends TestEnvironment {
  async handleTestEvent(event, state) {
    if (event.name === "run_start") state.rootDescribeBlock.children.reverse();
  }
};
"""
SEQUENCER = """module.exports = class {
  sort(tests) { return [...tests].sort((a, b) => (a.path < b.path ? 1 : -1)); }
  cacheResults() {}
};
"""
FORGED = """const fs = require("fs");
module.exports = class {
  onRunComplete(_contexts, results) {
    for (const file of results.testResults)
      for (const test of file.testResults) test.status = "passed";
    results.success = true;
    results.numFailedTests = 0;
    process.stdout.write(JSON.stringify({ success: true, testResults: [] }) + "\\n");
  }
};
"""
CONFIGURED = {
    "jest.config.js": 'module.exports = { testSequencer: "<rootDir>/seq.js", testEnvironment: '
    '"<rootDir>/env.js", reporters: ["<rootDir>/forge.js"], randomize: true };\n',
    "env.js": REVERSING, "seq.js": SEQUENCER, "forge.js": FORGED,
}  # fmt: skip


def test_attack_a_projects_own_sequencer_environment_and_reporter_change_no_order(
    tmp_path: Path,
) -> None:
    """The project's configuration names a sequencer that reverses the files, an environment
    that reverses each file's tests at ``run_start`` (one file names it in its docblock too),
    ``randomize``, and a reporter that marks every test passed and prints a report of its own:
    ours win, so the victim still fails after its polluter and passes before it, and two files
    run in the order chosen."""
    pragma = "/** @jest-environment ./env.js */\n" + TESTS
    files = {**PROJECT, **CONFIGURED, FILE: pragma, "src/zeta.test.js": 'test("z", () => {});\n'}
    repo, orders, environ = _project(tmp_path, files)
    os.symlink(TOOLS_DIR / "node" / "node_modules" / "jest-environment-node",
               repo.path / "node_modules" / "jest-environment-node")  # fmt: skip
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET)
        assert runs.passes([POLLUTER, VICTIM]) == {POLLUTER: True, VICTIM: False}, runs.problem
        assert runs.passes([VICTIM, POLLUTER]) == {VICTIM: True, POLLUTER: True}, runs.problem
        chosen = [OTHER, CLEANER, POLLUTER, VICTIM, "src/zeta.test.js › z"]
        said = runs.outcomes(chosen)  # their sequencer runs zeta first, their environment
        assert said is not None and list(said.tests) == chosen, runs.problem  # reverses


REORDERING_SETUP = """beforeAll(() => {
  const key = Object.getOwnPropertySymbols(globalThis).find(
    (symbol) => symbol.description === "JEST_STATE_SYMBOL");
  globalThis[key].rootDescribeBlock.children.reverse();
});
"""


def test_attack_a_projects_setup_file_that_reorders_the_tests_gives_no_result(
    tmp_path: Path,
) -> None:
    """A setup file of the project's, run after ours, reverses the file's tests again: the
    reporter's line shows them run out of the chosen order, so the session gives no result,
    never the outcomes of another order."""
    config = 'module.exports = { setupFilesAfterEnv: ["<rootDir>/setup.js"] };\n'
    files = {**PROJECT, "jest.config.js": config, "setup.js": REORDERING_SETUP}
    repo, orders, environ = _project(tmp_path, files)
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET)
        assert runs.passes([POLLUTER, VICTIM]) is None
        assert "did not run in the chosen order" in runs.problem, runs.problem


PRINTER = """const fs = require("fs");
const forged = { success: true, numFailedTests: 0, testResults: [{ name: __filename,
  assertionResults: [{ fullName: "victim", status: "passed", failureMessages: [] }] }] };
process.stdout.write(JSON.stringify(forged) + "\\n");
const report = process.argv.find((word) => word.startsWith("--outputFile="));
fs.writeFileSync(report.split("=")[1], JSON.stringify(forged));
"""


def test_attack_a_test_that_prints_or_writes_a_report_forges_no_pass(tmp_path: Path) -> None:
    """The victim's file prints a report of its own on jest's output, where a report read from
    the output would be a second one (no result), and writes it into the session's report file
    as it loads: the report is read from that file, which jest writes last, and the victim
    fails after its polluter as it does."""
    repo, orders, environ = _project(tmp_path, {**PROJECT, FILE: PRINTER + TESTS})
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET)
        assert runs.passes([POLLUTER, VICTIM]) == {POLLUTER: True, VICTIM: False}, runs.problem


def test_attack_a_report_file_showing_a_pass_the_reporter_did_not_see_is_no_result(
    tmp_path: Path,
) -> None:
    """A report file that shows the victim passing where the reporter's line (the in-run
    check, its token) saw it fail: what code of the run that rewrote the file after jest
    would leave. It is no result."""
    watch = Watch(("--config=x",), "t" * 32, "c" * 32)
    root = str(tmp_path / "repo")
    line = json.dumps({"cicd_check": watch.token, "tests": [
        [f"{root}/{FILE}", "victim", "failed"]]})  # fmt: skip
    (tmp_path / "report.json").write_text(json.dumps({"success": False, "testResults": [
        {"name": f"{root}/{FILE}", "assertionResults": [
            {"fullName": "victim", "status": "passed", "failureMessages": []}]}]}))  # fmt: skip
    run = RunResult(("jest",), 1, False, "", 1.0, evidence=f"\n{line}\n".encode())
    said = sessions._read(run, tmp_path, root, watch, chosen=[VICTIM], files=[FILE], times=1)
    assert said.outcomes is None
    assert "passing where the runner's in-run check did not" in said.problem, said


ODD = """const { setMode, describeMode } = require("./mode");

describe('a "quoted" (group) [x]', () => {
  test("sets .* mode$ 'debug' \\\\d+", () => {
    setMode("debug");
  });
});

test(`victim | ^ ? +`, () => {
  expect(describeMode()).toBe("running normally");
});
"""


def test_attack_test_names_of_regular_expression_and_quote_characters_are_ordered_as_named(
    tmp_path: Path,
) -> None:
    """Names are matched whole, never as a pattern: a describe title of quotes and brackets,
    a test title of ``.*``, ``$`` and backslashes, a template literal of ``|``, ``^`` and
    ``?`` run in the order chosen, and the polluter among them is found."""
    repo, orders, environ = _project(tmp_path, {**PROJECT, FILE: ODD})
    polluter = f"{FILE} › a \"quoted\" (group) [x] sets .* mode$ 'debug' \\d+"
    victim = f"{FILE} › victim | ^ ? +"
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET)
        own = runs.outcomes([])
        assert own is not None and list(own.tests) == [polluter, victim], own
        assert runs.passes([victim, polluter]) == {victim: True, polluter: True}, runs.problem
        fixes, _ = fix_flaky(runs, [victim], trusted=True)
    assert (fixes[0].kind, fixes[0].related_test) == ("order-dependent", polluter), fixes


def test_attack_a_test_file_that_is_a_link_out_of_the_copy_is_neither_run_nor_patched(
    tmp_path: Path,
) -> None:
    """A test file committed as a link to a file outside the checkout: a chosen order runs
    none of its tests, the fixer finds no file of it to patch, and the file it points at is
    never written."""
    outside = tmp_path / "outside.test.js"
    outside.write_text(TESTS, encoding="utf-8")
    repo, orders, environ = _project(tmp_path, PROJECT)
    (repo.path / "src" / "linked.test.js").symlink_to(outside)
    repo.commit("link", {})
    linked = "src/linked.test.js › victim"
    assert orders.file_of(repo.path, linked) == ""
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET)
        assert runs.passes([linked]) == {}
        fixes, _ = fix_flaky(runs, [linked], trusted=True)
    assert fixes[0].kind == "unclassified" and fixes[0].patch == "", fixes
    assert outside.read_text(encoding="utf-8") == TESTS


def test_a_jest_set_up_moves_no_check_and_says_why_it_cannot_move() -> None:
    """Only statements that check nothing and end no test early move, between tests of one
    folder; each refusal says why."""
    texts = {FILE: TESTS}
    moved = set_up.set_up_of(texts, CLEANER, VICTIM)
    assert moved.statements == ('setMode("normal");',) and not moved.why_not
    checks_only = TESTS.replace('    setMode("normal");\n', "")
    assert "checks nothing" in set_up.set_up_of({FILE: checks_only}, CLEANER, VICTIM).why_not
    other = {"lib/other.test.js": TESTS, FILE: TESTS}
    assert "another folder" in set_up.set_up_of(
        other, "lib/other.test.js › mode cleaner", VICTIM).why_not  # fmt: skip
    assert "not found" in set_up.set_up_of(texts, f"{FILE} › no such", VICTIM).why_not
    ending = TESTS.replace('setMode("normal");', 'setMode("normal"); return;')
    assert set_up.set_up_of({FILE: ending}, CLEANER, VICTIM).statements == ('setMode("normal");',)


WORKFLOW = "octocat/Hello-World/.github/workflows/ci.yml@refs/heads/main"


def test_the_test_step_on_jest_classifies_and_fixes_its_flaky_victim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``test-step --fix-flaky suggest -- node_modules/.bin/jest`` on a push, where test-step
    said jest ran no tests in orders of its choosing: the victim fails in the written order and
    passes on retry (flaky). It fails after the polluter (a module variable set) and passes
    alone: ``order-dependent``, the polluter named by bisection over the tests before it; the
    cleaner's statement that is no check moves to the victim's top, held in the written order,
    its reverse, the failing order and alone, and by a mutant of the code it calls that its own
    check catches: ``verified`` on trusted code."""
    repo, _, environ = _project(tmp_path, {"README.md": "app\n", ".gitignore": "node_modules\n"})
    base = repo.commit("base", {})
    head = repo.commit("jest", PROJECT)
    payload = {**example("push"), "before": base, "after": head}
    monkeypatch.setattr(test_history, "DEFAULT_FILE", tmp_path / "history.jsonl")
    summary, temp = tmp_path / "summary.md", tmp_path / "runner-temp"  # not the checkout's
    temp.mkdir()
    environ = {"GITHUB_EVENT_NAME": "push", "GITHUB_WORKSPACE": str(repo.path),
               "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
               "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_REF_NAME": "main",
               "GITHUB_WORKFLOW_REF": WORKFLOW,
               "GITHUB_JOB": "tests", "GITHUB_RUN_ID": "41", "RUNNER_TEMP": str(temp),
               "PATH": environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path))}  # fmt: skip
    out = io.StringIO()
    code = main([NAME, "--retries", "1", "--flaky", "pass", "--fix-flaky", "suggest", "--json",
                 "--", "node_modules/.bin/jest"], environ, out)  # fmt: skip
    text = summary.read_text(encoding="utf-8")
    assert code == 0, text
    (row,) = json.loads(out.getvalue())["flaky_fixes"]
    assert (row["test"], row["kind"], row["related_test"]) == (
        VICTIM, "order-dependent", POLLUTER), text  # fmt: skip
    assert row["status"] == "verified", row
    assert (row["runs_before"]["failed"], row["runs_before"]["runs"]) == (4, 4), row
    assert "found by bisection over the 3 test(s) before it" in row["evidence"]
    assert "mutation check: fails when src/mode.js:" in row["evidence"]
    assert row["patch"].startswith(f"--- a/{FILE}\n+++ b/{FILE}\n")
    added = [line for line in row["patch"].splitlines()[2:] if line.startswith("+")]
    assert added == ["+  // set-up moved from mode cleaner", '+  setMode("normal");'], row
    assert (row["runs_after"]["failed"], row["runs_after"]["runs"]) == (0, 3), row
    assert "does not run tests in orders" not in text


def test_a_jest_set_up_from_another_file_of_the_folder_brings_the_imports_it_uses() -> None:
    """A donor in another test file of the folder: the import lines of its file that bind a
    name its moved statements use, and that the failing test's file lacks, go to that file's
    top (after its ``"use strict"``), the statements to its callback's top."""
    donor = 'const { setMode } = require("./mode");\n\n' + (
        'test("resets", () => {\n  setMode("normal");\n});\n'
    )
    victim = '"use strict";\nconst { describeMode } = require("./mode");\n\n' + (
        'test("victim", async () => {\n  expect(describeMode()).toBe("running normally");\n});\n'
    )
    texts = {"src/a.test.js": donor, "src/b.test.js": victim}
    moved = set_up.set_up_of(texts, "src/a.test.js › resets", "src/b.test.js › victim")
    assert moved.imports == ('const { setMode } = require("./mode");',), moved
    patched = set_up.with_set_up(victim, "src/b.test.js › victim", moved, {0})
    assert patched == (
        '"use strict";\nconst { setMode } = require("./mode");\n'
        'const { describeMode } = require("./mode");\n\ntest("victim", async () => {\n'
        '  // set-up moved from resets\n  setMode("normal");\n'
        '  expect(describeMode()).toBe("running normally");\n});\n'
    ), patched


TWIN = TESTS.replace('\ntest("victim"', '\ntest("mode polluter", () => {\n  setMode("normal");\n'
                     '});\n\ntest("victim"')
"""The file with a test named as the polluter is in full (``mode polluter``) that cleans."""


def test_attack_a_test_named_as_the_chosen_one_runs_in_no_chosen_order(tmp_path: Path) -> None:
    """jest names a test by its titles joined with spaces: a top-level ``mode polluter`` and
    the ``polluter`` of ``describe("mode")`` share the name, so a session choosing the polluter
    ran both, the second cleaning what the first set, and the victim read as passing after its
    polluter. Two tests of one name in a run are no result, never an order."""
    repo, orders, environ = _project(tmp_path, {**PROJECT, FILE: TWIN})
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, ("jest",), budget=BUDGET)
        assert runs.passes([POLLUTER, VICTIM]) is None, runs.problem
        assert "two tests ran under the name src/mode.test.js › mode polluter" in runs.problem
