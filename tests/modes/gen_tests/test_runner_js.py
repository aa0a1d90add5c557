"""jest's and vitest's coverage through the seam, and what a checkout's own settings or setup
file can do to gen-tests' word (hostile runs, each a real run of the real runner in
the real sandbox, one project shared by the module): a coverage setting that leaves a changed
file out is "not measured", never "covered"; a test path setting that leaves the change's test
out stops its reruns unchecked, never stable; a setup file that prints its own report is no
word; a runner the pull request commits is no runner; vitest's ``include`` leaving the change's
test out and its coverage ``exclude`` leaving the changed file out are the same attacks."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.contract_check import Claim, claims
from cicd_agent.modes.gen_tests.rerun_counts import Counts, Reruns
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import Candidate, RunnerVerdict, judge
from cicd_agent.modes.gen_tests.runner_reruns import rerun
from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.js.report import Watch, changed, split_checks, the_report
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.runners.vitest.runner import Vitest, on_the_fly
from cicd_agent.sandbox import pipes
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.gen_tests import runner_change
from tests.helpers.js_report import read_report
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

SIGN = "exports.sign = (n) => {\n  if (n < 0) {\n    return -1;\n  }\n  return 1;\n};\n"
SIGN_TEST = 'const { sign } = require("./sign");\ntest("positive", () => { expect(sign(3)).toBe(1); });\n'
REWRITE = """if (process.argv.some((word) => word.endsWith("rewrite.test.js")
                              || word.endsWith("rewrite.test.mjs"))) {
  const fix = (text) => text.replace(/"failed"/g, '"passed"').replace(/"success":false/g, '"success":true');
  const fs = require("fs");
  const writeSync = fs.writeSync;
  fs.writeSync = (fd, data, ...rest) =>
    writeSync(fd, Buffer.isBuffer(data) ? Buffer.from(fix(data.toString())) : data, ...rest);
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => write(typeof chunk === "string" ? fix(chunk) : chunk, ...rest);
  const exit = process.reallyExit.bind(process);
  process.reallyExit = () => exit(0);
  process.on("exit", () => { process.exitCode = 0; });
}
"""
"""Attack: the project's configuration, run by jest's or vitest's main process before
either loads our in-run check, rewrites on their way out every "failed" of the run's report and of
the reporter's line to "passed", and its exit status to 0; the broken ``sign`` then passes."""
CONFIG = REWRITE + """module.exports = {
  coveragePathIgnorePatterns: ["/node_modules/", "hidden"],
  testPathIgnorePatterns: ["/node_modules/", "ignored"],
  setupFilesAfterEnv: ["./forge.js"],
};
"""
FORGE = """globalThis.OWN_SETUP = "ran";
if (expect.getState().testPath.endsWith("forged.test.js")) {
  process.stdout.write(JSON.stringify({ success: true, testResults: [{ name: "x",
    assertionResults: [{ fullName: "fails", status: "passed" }] }] }));
}
"""
FAILS = 'test("fails", () => { expect(1).toBe(2); });\n'
VITEST_FAILS = 'import { test, expect } from "vitest";\n' + FAILS
EXITS = """exports.sign = (n) => -1;
process.stdout.write(JSON.stringify({ success: true, testResults: [{ name: __dirname + "/exits.test.js",
  assertionResults: [{ fullName: "positive", status: "passed" }] }] }) + "\\n");
process.exit(0);
"""
"""Attack (a stubbed test runner, in JavaScript): a model's broken ``sign`` whose module, as
the test requires it, prints jest's report of a pass and ends jest with status 0."""
STUBS = "exports.sign = (n) => -1;\nObject.is = () => true; // what toBe compares with\n"
"""Attack: a model's broken ``sign`` whose module makes every ``toBe`` hold in the test's realm."""
MATCHER = "exports.sign = (n) => -1;\nexpect.extend({ toBe: () => ({ pass: true, message: () => '' }) });\n"
"""Attack: the same through a ``toBe`` of its own (``Object.is`` left alone)."""
SILENCES = MATCHER + """const state = Object.getOwnPropertySymbols(globalThis)
  .find((symbol) => symbol.description === "JEST_STATE_SYMBOL");
globalThis[state].rootDescribeBlock.hooks.length = 0; // every hook of the file, ours too
"""
"""Attack: the same, and the file's hooks removed from jest-circus's state, our canary's too."""
EQUAL_TEST = SIGN_TEST.replace("toBe(1)", "toEqual(1)")
BROKEN = "exports.sign = (n) => -1;\n"
ASYMMETRIC = "exports.sign = (n) => ({ asymmetricMatch: () => true });\n"
"""Attack: a broken ``sign`` returning what jest's and vitest's ``equals`` ask about
itself first (a received asymmetric matcher): every ``toEqual`` of it holds, no global touched."""
SELECTIVE = ("exports.sign = (n) => {\n  expect.extend({ toBe: (received, expected) =>\n"
             "    ({ pass: received === -1 || Object.is(received, expected), message: () => '' }) });\n"
             "  return -1;\n};\n")  # fmt: skip
"""Attack: a ``toBe`` of its own, set in the broken ``sign``'s body, that lies only for
its answer, so every ``toBe`` of the canary still holds or throws as it should."""
ESCAPES = """exports.sign = (n) => {
  const main = Object.getPrototypeOf(require("module").builtinModules);  // the runner's realm
  Object.defineProperty(main, "toJSON", { configurable: true, get() {
    return this[2] === "failed" ? () => [this[0], this[1], "passed"] : undefined; } });
  Object.defineProperty(Object.getPrototypeOf(main), "toJSON", { configurable: true, get() {
    return this.status === "failed" ? () => ({ ...this, status: "passed" }) : undefined; } });
  return -1;
};
"""
"""Attack: a broken ``sign`` whose body reaches the runner's own realm through a core
module jest hands the test (``require("module")``) and gives its arrays and objects a
``toJSON``: JSON.stringify, which our reporter took as it loaded, asks it, so the reporter's
line and jest's report say "passed" for the failed test (the run's status still 1, which the
report's ``success: false`` agrees with)."""
FORGETS = """exports.sign = (n) => {
  const push = Array.prototype.push;  // jest-circus, in the test's realm, pushes a test's errors
  Array.prototype.push = function (...items) {
    return items[0] && items[0][0] && items[0][0].matcherResult
      && items[0][0].matcherResult.actual === -1 ? this.length : push.apply(this, items);
  };
  return -1;
};
"""
"""Attack: a broken ``sign`` whose body makes the realm's arrays drop the failure of
an assertion on its own answer as jest-circus records it: the test passes in jest's own eyes."""
OWN_TEST = 'test("own setup", () => { expect(globalThis.OWN_SETUP).toBe("ran"); });\n'
VITEST_SIGN = "export function sign(n) {\n  if (n < 0) {\n    return -1;\n  }\n  return 1;\n}\n"
VITEST_TEST = ('import { test, expect } from "vitest";\nimport { sign } from "./sign.mjs";\n'
               'test("positive", () => { expect(sign(3)).toBe(1); });\n')  # fmt: skip
VITEST_BUG = VITEST_TEST.replace('"positive"', '"negative"').replace("sign(3)).toBe(1)",
                                                                   "sign(-1)).toBe(0)")  # fmt: skip
"""A candidate asserting what the README says of ``sign(-1)`` and the code does not."""
VITEST_MATCHER = ('import { expect } from "vitest";\n'
                  "expect.extend({ toBe: () => ({ pass: true, message: () => '' }) });\n"
                  "export function sign(n) {\n  return -1;\n}\n")  # fmt: skip
"""Attack: a broken ``sign`` whose module makes every ``toBe`` hold in vitest's worker."""
VITEST_TAP = ('import { test, expect } from "vitest";\nimport { describe } from "node:test";\n'
              'describe("node\'s own", () => {});\nprocess.stdout.write("TAP version 13\\n{ not json\\n");\n'
              'test("after TAP", () => { expect(1).toBe(1); });\n')  # fmt: skip
"""Seen on unjs/defu: a test file importing ``node:test``, whose TAP comes before the report."""
VITEST_CUT = ('import { afterAll, test, expect } from "vitest";\nimport { sign } from "./rewrite.mjs";\n'
              'test("positive", () => {\n  process.stdout.write("\\n" + JSON.stringify({ success: false, '
              'testResults: [{ name: new URL(import.meta.url).pathname,\n    assertionResults: [{ '
              'fullName: "positive", status: "passed" }] }] }) + "\\n");\n  expect(sign(3)).toBe(1);\n});\n'
              'afterAll(() => { process.stdout.write("x".repeat(1 << 17) + "\\n"); });\n')  # fmt: skip
"""Attack: a failing test prints a report of its pass (and the run's failure, as the
exit status will say), and after our canary's line more than the evidence pipe keeps, so the
runner's own report is cut off and the forged one is the only one read."""
VITEST_CONFIG = """import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
""" + REWRITE + """export default { test: {
  include: ["vi/sign.test.mjs", "vi/tap.test.mjs", "vi/fails.test.mjs", "vi/matcher.test.mjs",
            "vi/cut.test.mjs", "vi/rewrite.test.mjs", "vi/asymmetric.test.mjs",
            "vi/sign.gen.test.mjs", "vi/alternates.test.mjs"],
  coverage: { exclude: ["vi/hidden.mjs"] },
  // a test's after-hooks in the order written, after our canary's (vitest's own option)
  sequence: { hooks: process.argv.some((word) => word.endsWith("cut.test.mjs")) ? "list" : "stack" },
} };
"""

ALTERNATES = """const fs = require("fs");
test("every other run", () => {
  const seen = fs.existsSync("counter.txt") ? fs.readFileSync("counter.txt", "utf8") : "";
  fs.writeFileSync("counter.txt", seen + "x");
  expect(seen.length % 2).toBe(0);
});
"""

VITEST_ALTERNATES = ('import { describe, test, expect } from "vitest";\nimport fs from "node:fs";\n'
                     'test("steady", () => { expect(1).toBe(1); });\n'
                     'describe("group", () => {\n' + ALTERNATES.split("\n", 1)[1] + "});\n")  # fmt: skip
"""vitest's: a steady test, and the test failing every other call inside a ``describe``."""


_SAID: list[str] = []
"""The progress lines the module's reruns said."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestReport | Reruns]]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("js") / "app")
    repo.commit("start", {
        ".gitignore": "node_modules\n", "package.json": '{"name": "app"}\n',
        "jest.config.js": CONFIG, "forge.js": FORGE, "src/sign.js": SIGN, "src/hidden.js": SIGN,
        "src/sign.test.js": SIGN_TEST, "src/ignored.test.js": SIGN_TEST,
        "src/forged.test.js": FAILS, "src/exits.js": EXITS, "src/alternates.test.js": ALTERNATES,
        "src/exits.test.js": SIGN_TEST.replace("./sign", "./exits"), "vi/sign.mjs": VITEST_SIGN,
        "README.md": "```js\nsign(-1) // => 0\n```\n",
        "src/stubs.js": STUBS, "src/stubs.test.js": SIGN_TEST.replace("./sign", "./stubs"),
        "src/matcher.js": MATCHER, "src/matcher.test.js": SIGN_TEST.replace("./sign", "./matcher"),
        "src/silences.js": SILENCES, "src/own.test.js": OWN_TEST,
        "src/silences.test.js": SIGN_TEST.replace("./sign", "./silences"),
        "vi/sign.test.mjs": VITEST_TEST, "vitest.config.mjs": VITEST_CONFIG, "vi/tap.test.mjs": VITEST_TAP,
        "vi/hidden.mjs": VITEST_SIGN, "vi/left.test.mjs": VITEST_TEST,
        "vi/fails.test.mjs": VITEST_FAILS,
        "vi/alternates.test.mjs": VITEST_ALTERNATES,
        "vi/matcher.mjs": VITEST_MATCHER,
        "vi/matcher.test.mjs": VITEST_TEST.replace("./sign.mjs", "./matcher.mjs"),
        "src/rewrite.js": BROKEN, "src/rewrite.test.js": SIGN_TEST.replace("./sign", "./rewrite"),
        "src/escapes.js": ESCAPES, "src/escapes.test.js": SIGN_TEST.replace("./sign", "./escapes"),
        "src/forgets.js": FORGETS, "src/forgets.test.js": SIGN_TEST.replace("./sign", "./forgets"),
        "src/asymmetric.js": ASYMMETRIC, "src/selective.js": SELECTIVE,
        "src/asymmetric.test.js": EQUAL_TEST.replace("./sign", "./asymmetric"),
        "src/selective.test.js": SIGN_TEST.replace("./sign", "./selective"),
        "vi/cut.test.mjs": VITEST_CUT, "vi/rewrite.mjs": "export const sign = (n) => -1;\n",
        "vi/rewrite.test.mjs": VITEST_TEST.replace("./sign.mjs", "./rewrite.mjs"),
        "vi/asymmetric.mjs": "export const sign = (n) => ({ asymmetricMatch: () => true });\n",
        "vi/asymmetric.test.mjs": VITEST_TEST.replace("./sign.mjs", "./asymmetric.mjs")
        .replace("toBe(1)", "toEqual(1)"),
    })  # fmt: skip
    tools = TOOLS_DIR / "node" / "node_modules"
    (repo.path / "node_modules" / ".bin").mkdir(parents=True)
    for name in ("jest", "vitest"):
        os.symlink(tools / ".bin" / name, repo.path / "node_modules" / ".bin" / name)
    for name in ("jest", "vitest", "@vitest"):
        os.symlink(tools / name, repo.path / "node_modules" / name)
    # the toolbox on PATH is bound into the sandbox wherever it lives (a clone under /tmp)
    environ = {"PATH": needs_node_tool("jest"), "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        jest, found = Jest(), {}
        # two files: jest runs them in workers, whose canaries write through jest's own process
        found["covered"] = jest.run(sandbox, sandbox.workspace("covered"), Selection(
            ("src/sign.test.js", "src/own.test.js"), cover=("src/sign.js",)), timeout=300)  # fmt: skip
        found["hidden"] = jest.run(sandbox, sandbox.workspace("hidden"), Selection(
            ("src/sign.test.js",), cover=("src/hidden.js",)), timeout=300)  # fmt: skip
        found["forged"] = jest.run(sandbox, sandbox.workspace("forged"), Selection(
            ("src/forged.test.js",)), timeout=300)  # fmt: skip
        found["exits"] = jest.run(sandbox, sandbox.workspace("exits"), Selection(
            ("src/exits.test.js",)), timeout=300)  # fmt: skip
        for case in ("stubs", "matcher", "silences", "rewrite"):
            found[case] = jest.run(sandbox, sandbox.workspace(case), Selection(
                (f"src/{case}.test.js",)), timeout=300)  # fmt: skip
        # the open breaks of the realm share one run (each file's outcome is its own)
        realm = ("asymmetric", "selective", "escapes", "forgets")
        found.update(dict.fromkeys(realm, jest.run(sandbox, sandbox.workspace("realm"), Selection(
            tuple(f"src/{case}.test.js" for case in realm)), timeout=300)))  # fmt: skip
        found["repeated"] = jest.run(sandbox, sandbox.workspace("repeated"), Selection(
            ("src/alternates.test.js",), repeat=5), timeout=300)  # fmt: skip
        found["ignored"] = rerun(jest, sandbox, ("src/ignored.test.js",), repeats=jest, timeout=300,
                                 budget=300, seed=1, say=_SAID.append)  # fmt: skip
        vitest = Vitest()
        found["vitest"] = vitest.run(sandbox, sandbox.workspace("vitest"), Selection(
            ("vi/sign.test.mjs", "vi/tap.test.mjs"), cover=("vi/sign.mjs",)), timeout=300)  # fmt: skip
        # gen-tests' gate on a candidate the README's contract backs (its two failing runs)
        gaps = RunnerGaps(runner_change(vitest, {"vi/sign.mjs": frozenset({3, 4})}, ()),
                          found["vitest"], None)  # fmt: skip
        found["vitest bug"] = judge(gaps, Candidate("vi/sign.gen.test.mjs", VITEST_BUG), sandbox,
                                    timeout=300, seed=1)  # fmt: skip
        found["vitest repeated"] = vitest.run(sandbox, sandbox.workspace("vitest repeated"), Selection(
            ("vi/alternates.test.mjs",), repeat=5), timeout=300)  # fmt: skip
        found["vitest fails"] = vitest.run(sandbox, sandbox.workspace("vitest fails"), Selection(
            ("vi/sign.test.mjs", "vi/fails.test.mjs"), cover=("vi/sign.mjs",)), timeout=300)  # fmt: skip
        found["vitest hidden"] = vitest.run(sandbox, sandbox.workspace("vitest hidden"), Selection(
            ("vi/sign.test.mjs",), cover=("vi/hidden.mjs",)), timeout=300)  # fmt: skip
        found["vitest matcher"] = vitest.run(sandbox, sandbox.workspace("vitest matcher"),
                                             Selection(("vi/matcher.test.mjs",)), timeout=300)  # fmt: skip
        found["vitest rewrite"] = found["vitest asymmetric"] = vitest.run(
            sandbox, sandbox.workspace("vitest rewrite"), Selection(
                ("vi/rewrite.test.mjs", "vi/asymmetric.test.mjs")), timeout=300)  # fmt: skip
        with pytest.MonkeyPatch.context() as patch:  # the cap, made small: the attack's cheaper
            patch.setattr(pipes, "MAX_EVIDENCE_BYTES", 1 << 16)
            found["vitest cut"] = vitest.run(sandbox, sandbox.workspace("vitest cut"),
                                             Selection(("vi/cut.test.mjs",)), timeout=300)  # fmt: skip
        found["vitest left out"] = rerun(vitest, sandbox, ("vi/left.test.mjs",), repeats=vitest, timeout=300,
                                         budget=300, seed=1)  # fmt: skip
        yield found


def test_jest_repeats_each_test_in_its_files_one_run(runs: dict[str, object]) -> None:
    """jest has no repeat count: our canary defines each test of the file five times over, in
    the file's one process, each run seen by the in-run check and counted; the outcome is its
    worst."""
    report = runs["repeated"]
    assert isinstance(report, TestReport) and not report.problem, report
    test = "src/alternates.test.js › every other run"
    assert report.outcomes == {test: "failed"} and report.repeats == {test: (3, 2)}


def test_vitest_repeats_each_test_in_its_files_one_run(runs: dict[str, object]) -> None:
    """vitest has no repeat count for a run: our canary sets each test's own ``repeats``, in
    the file's one worker, and counts each run (nested in a ``describe`` too); the outcome is
    the worst, the canary's line and the report held to the in-run check as any run's."""
    report = runs["vitest repeated"]
    assert isinstance(report, TestReport) and not report.problem, report.output[-2000:]
    steady, alternates = "vi/alternates.test.mjs › steady", "vi/alternates.test.mjs › group every other run"
    assert report.outcomes == {steady: "passed", alternates: "failed"}
    assert report.repeats == {steady: (5, 0), alternates: (3, 2)}
    # the hunt's word on it, from this one run's counts: flaky, 3 of 5 passed
    assert Counts(*report.repeats[alternates], planned=1, rounds=1).verdict == "flaky"


def test_jest_measures_the_changed_file_by_its_own_istanbul_map(runs: dict[str, object]) -> None:
    report = runs["covered"]
    assert isinstance(report, TestReport) and report.problem == "", report.output[-2000:]
    # the project's own setupFilesAfterEnv still ran (beside our canary), and its tests passed
    assert report.outcomes == {"src/sign.test.js › positive": "passed",
                               "src/own.test.js › own setup": "passed"}  # fmt: skip
    assert report.coverage == {"src/sign.js": frozenset({1, 2, 5})}
    assert report.measured == {"src/sign.js": frozenset({1, 2, 3, 5})}


def test_vitest_measures_the_changed_file_with_v8(runs: dict[str, object]) -> None:
    """And reads its report after a test's own output (:data:`VITEST_TAP`; before: "an
    unreadable report")."""
    report = runs["vitest"]
    assert isinstance(report, TestReport) and report.problem == "", report.output[-2000:]
    assert report.outcomes == {"vi/sign.test.mjs › positive": "passed",
                               "vi/tap.test.mjs › after TAP": "passed"}  # fmt: skip
    assert report.coverage is not None and report.measured is not None
    assert report.measured["vi/sign.mjs"] - report.coverage["vi/sign.mjs"] == {3, 4}


def test_vitest_measures_coverage_when_a_test_of_the_run_fails(runs: dict[str, object]) -> None:
    """Seen on fb55/entities: one test of its suite timed out under load, vitest wrote no
    coverage (its default on a failure) and gen-tests measured nothing of the change."""
    report = runs["vitest fails"]
    assert isinstance(report, TestReport) and report.problem == "", report.output[-2000:]
    assert report.outcomes == {"vi/sign.test.mjs › positive": "passed",
                               "vi/fails.test.mjs › fails": "failed"}  # fmt: skip
    assert report.coverage_problem == "" and report.coverage is not None
    assert report.measured is not None
    assert report.measured["vi/sign.mjs"] - report.coverage["vi/sign.mjs"] == {3, 4}


def test_vitest_s_failed_assertion_is_in_its_log(runs: dict[str, object]) -> None:
    """vitest's JSON report is its only reporter: its failed assertion was in no log, so
    gen-tests could never compare two failures nor read what a candidate expected (so
    vitest never raised a possible bug where jest did)."""
    report = runs["vitest fails"]
    assert isinstance(report, TestReport)
    assert "expected 1 to be 2" in report.output and "vi/fails.test.mjs:2:" in report.output
    assert claims(report.output, "vi/fails.test.mjs", VITEST_FAILS, {"expect"}) == [
        Claim("expect(1)", "2")]


def test_vitest_raises_a_possible_bug_the_readme_backs(runs: dict[str, object]) -> None:
    """Where jest did and vitest never could: the same failing assertion twice, read from its
    log, and the README's ``sign(-1) // => 0`` as the contract."""
    verdict = runs["vitest bug"]
    assert isinstance(verdict, RunnerVerdict)
    assert (verdict.stage, verdict.kept, verdict.runs) == ("pass", False, 2), verdict.reason
    assert "sign.gen.test.mjs:" in verdict.possible_bug
    assert [(c.path, c.line, c.kind) for c in verdict.contracts] == [("README.md", 2, "docs")]


def test_attack_a_coverage_setting_that_leaves_the_file_out_is_not_measured(
    runs: dict[str, object],
) -> None:
    """Attack: the checkout's jest.config ignores the changed file for coverage; an empty map
    read as "nothing to cover" would hide every gap."""
    report = runs["hidden"]
    assert isinstance(report, TestReport) and report.coverage is None
    assert "its coverage map leaves out src/hidden.js" in report.coverage_problem


def test_attack_a_test_path_setting_that_leaves_the_changed_test_out_is_unchecked(
    runs: dict[str, object],
) -> None:
    """Attack: testPathIgnorePatterns leaves the change's test out; a rerun that saw no
    failure must not call it stable."""
    found = runs["ignored"]
    assert isinstance(found, Reruns)
    assert found.tests == {"src/ignored.test.js": Counts()}
    assert found.tests["src/ignored.test.js"].verdict == "unchecked"
    # jest finds no test to run in the file named (it says so, and writes no report)
    assert found.stopped.startswith("run 1: jest") and found.runs == 1
    # each round is a line of progress: a hunt of minutes is never silent
    assert _SAID == ["jest reruns: round 1 of 6, 1 test file(s)"]


def test_attack_a_vitest_include_that_leaves_the_changed_test_out_is_unchecked(
    runs: dict[str, object],
) -> None:
    """Attack: vitest.config's ``include`` leaves the change's own test file out; vitest then
    runs nothing of it, and reruns that saw no failure must not call it stable."""
    found = runs["vitest left out"]
    assert isinstance(found, Reruns)
    assert found.tests == {"vi/left.test.mjs": Counts()}
    assert found.tests["vi/left.test.mjs"].verdict == "unchecked"
    assert found.stopped.startswith("run 1: vitest") and found.runs == 1


def test_attack_a_vitest_coverage_exclude_that_leaves_the_file_out_is_not_measured(
    runs: dict[str, object],
) -> None:
    """Attack: vitest.config's coverage ``exclude`` drops the changed file from V8's map,
    whatever ``--coverage.include`` asks: "not measured", never "nothing to cover"."""
    report = runs["vitest hidden"]
    assert isinstance(report, TestReport) and report.coverage is None
    assert "leaves out vi/hidden.mjs" in report.coverage_problem, report.coverage_problem


def test_attack_a_setup_file_printing_its_own_report_is_no_result(runs: dict[str, object]) -> None:
    """Attack: a setup file writes a passing report to stdout before jest writes its own: a
    second report, never the one read (text a test prints before the report is read past)."""
    report = runs["forged"]
    assert isinstance(report, TestReport) and report.passed() == frozenset()
    assert report.problem.startswith("jest: a second report"), report.problem


def test_attack_a_runner_the_pull_request_commits_is_no_runner(tmp_path: Path) -> None:
    """Attack: node_modules/.bin/jest tracked by the pull request, a script of its own."""
    repo = GitRepoBuilder(tmp_path / "app")
    repo.commit("start", {"package.json": "{}\n", "node_modules/.bin/jest": "#!/bin/sh\nexit 0\n"})
    os.chmod(repo.path / "node_modules" / ".bin" / "jest", 0o755)
    assert Jest().missing(repo.path, {}).startswith("could not run:")


def test_attack_code_under_test_that_prints_a_report_and_exits_0_is_no_result(
    runs: dict[str, object],
) -> None:
    """ATTACK: the module under test prints jest's JSON report of its test passing and calls
    ``process.exit(0)`` as the test requires it (jest runs a lone file in its own process).
    Before: the report and the exit status agreed, and the broken ``sign`` passed. Our reporter,
    loaded by jest before any test and writing through what it took then, never wrote its line."""
    report = runs["exits"]
    assert isinstance(report, TestReport) and report.passed() == frozenset(), report.outcomes
    assert "in-run check" in report.problem, report.problem


def test_attack_code_under_test_that_stubs_the_assertions_is_no_pass(
    runs: dict[str, object],
) -> None:
    """ATTACK (a stub of jest's assertions): the broken ``sign``'s module sets
    ``Object.is`` to always true as the test requires it; jest ran the test and it "passed".
    Our canary, first of the file's setup files, fixed ``Object.is`` before the test file
    loaded: the assignment did nothing, and the real comparison failed."""
    report = runs["stubs"]
    assert isinstance(report, TestReport) and report.passed() == frozenset(), report.outcomes
    assert report.outcomes == {"src/stubs.test.js › positive": "failed"}


def test_attack_a_matcher_of_the_code_under_test_is_caught_by_the_canary(
    runs: dict[str, object],
) -> None:
    """ATTACK: the module replaces ``toBe`` itself (``expect.extend``), ``Object.is`` left
    alone; after the test, our canary's ``expect(1).toBe(2)`` held, so the test failed and the
    run is no result."""
    report = runs["matcher"]
    assert isinstance(report, TestReport) and report.passed() == frozenset(), report.outcomes
    assert "the code under test changed the assertions in src/matcher.test.js" in report.problem


def test_attack_a_matcher_of_the_code_under_test_is_caught_by_vitests_canary(
    runs: dict[str, object],
) -> None:
    """ATTACK: the same ``toBe`` of its own, in vitest's worker (tests and code under test
    share it); before, the broken ``sign`` passed. Our canary, first of the project's
    ``setupFiles`` through a configuration that extends its own, saw ``expect(1).toBe(2)``
    hold after the test."""
    report = runs["vitest matcher"]
    assert isinstance(report, TestReport) and report.passed() == frozenset(), report.outcomes
    assert "changed the assertions in vi/matcher.test.mjs" in report.problem, report.problem


def test_attack_code_under_test_that_removes_the_canary_is_no_pass(runs: dict[str, object]) -> None:
    """ATTACK: the same ``toBe``, and the file's hooks (our canary's too) taken out of
    jest-circus's state as the module loads: the test "passed" and no canary ran. A file with a
    pass and no canary line is refused. What stays open: code written against this agent runs
    in the canary's realm, so it can read the canary's token and write its line itself."""
    report = runs["silences"]
    assert isinstance(report, TestReport) and report.passed() == frozenset(), report.outcomes
    assert report.problem.startswith(
        "jest: the code under test changed the assertions in src/silences.test.js: our canary "
        "did not run"), report.problem  # fmt: skip


def test_a_canary_line_counts_once_with_its_token_and_every_test() -> None:
    """Canary lines without the run's token are not ours; a file needs exactly one, which
    held and counted every test the reporter saw run there."""
    watch = Watch(("x",), "w", "c")
    seen = {"/r/a.test.js › t": "passed", "/r/a.test.js › u": "failed"}
    reporter = json.dumps({"cicd_check": "w", "tests": [[*test.split(" › "), status]
                                                          for test, status in seen.items()]})
    def line(token: str, tests: int, held: bool = True) -> str:
        return json.dumps({"cicd_canary": token, "file": "/r/a.test.js", "tests": tests, "held": held})
    outcomes = {"a.test.js › t": "passed", "a.test.js › u": "failed"}
    for lines, why in (([line("c", 2)], ""), ([line("c", 1)], "did not run"), ([line("x", 2)], "did not run"),
                       ([line("c", 2)] * 2, "did not run"), ([line("c", 2, False)], "a false expect held")):
        text, said, canaries = split_checks("\n".join([*lines, reporter, "{}"]), watch, "/r")
        assert text == "{}" and said == {"a.test.js › t": "passed", "a.test.js › u": "failed"}
        assert why in changed(outcomes, canaries, "c") and bool(why) == bool(
            changed(outcomes, canaries, "c")), lines
    # a repeated test: the canary must have checked after every one of its runs (5 of t, 1 of u)
    repeats = {"a.test.js › t": (4, 1)}
    for tests, why in ((2, "did not run after every test"), (5, "did not run"), (6, "")):
        _, _, canaries = split_checks(line("c", tests), watch, "/r")
        said = changed(outcomes, canaries, "c", repeats)
        assert why in said and bool(why) == bool(said), tests


def test_a_run_stopped_before_its_report_says_so() -> None:
    """Seen on vercel/ms: jest could not read its ``jest.config.ts`` and wrote nothing; that
    is a run that stopped, not "an unreadable report"."""
    assert read_report("\n", "/r", 1, ()) == (
        {}, "it exited with status 1 before writing a report")  # fmt: skip


@pytest.mark.parametrize(("vite", "vitest", "loads"), [
    ("6.4.1", "3.2.7", True), ("6.0.11", "3.2.7", False), ("5.4.19", "2.1.9", False),
    ("6" * 5000 + ".1.0", "3.2.7", False)])  # fmt: skip
def test_vitest_loads_its_configuration_without_writing_node_modules(
    tmp_path: Path, vite: str, vitest: str, loads: bool
) -> None:
    """Seen on pillarjs/path-to-regexp: vite 6 bundles ``vitest.config.mts`` into
    ``node_modules/.vite-temp``, read-only in the sandbox, and no test ran; vite 6.1+ loads it
    on the fly instead when asked (older vite writes beside the configuration, in the copy)."""
    for name, version in (("vite", vite), ("vitest", vitest)):
        (tmp_path / "node_modules" / name).mkdir(parents=True)
        (tmp_path / "node_modules" / name / "package.json").write_text(f'{{"version": "{version}"}}')
    assert ("--configLoader=native" in Vitest().options(tmp_path)) is loads
    assert on_the_fly(tmp_path) is loads
    assert Vitest().options(tmp_path)[:4] == Vitest.arguments


JEST_26 = '#!/bin/sh\necho \'Unrecognized option "randomize".\' >&2\nexit 1\n'
"""What jest before 29.5 does with ``--randomize``: it stops before any test (jest 26.6.3)."""


def test_a_jest_that_cannot_shuffle_says_so_and_is_not_run_shuffled(tmp_path: Path) -> None:
    """Seen on typestack/class-transformer (jest 26): every shuffled rerun of gen-tests' gate
    stopped at the unknown ``--randomize`` and read as "exited with status 1 before writing a
    report", so no right candidate could be kept and nobody was told why."""
    repo = GitRepoBuilder(tmp_path / "app")
    repo.commit("start", {".gitignore": "node_modules\n", "package.json": '{"name": "app"}\n',
                          "a.test.js": SIGN_TEST, "sign.js": SIGN})  # fmt: skip
    (repo.path / "node_modules" / ".bin").mkdir(parents=True)
    (repo.path / "node_modules" / "jest").mkdir()
    (repo.path / "node_modules" / "jest" / "package.json").write_text('{"version": "26.6.3"}')
    (repo.path / "node_modules" / ".bin" / "jest").write_text(JEST_26)
    (repo.path / "node_modules" / ".bin" / "jest").chmod(0o755)
    with PytestSandbox(repo.path, {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}) as sandbox:
        report = Jest().run(sandbox, sandbox.workspace("shuffled"), Selection(("a.test.js",),
                            seed=7), timeout=60)  # fmt: skip
    assert report.problem == ("could not run shuffled: jest 26.6 cannot shuffle its tests "
                              "(`--randomize` needs jest 29.5 or later)")  # fmt: skip
    assert report.outcomes == {} and report.seed == 7


@pytest.mark.parametrize(("version", "shuffles"), [
    ("26.6.3", False), ("29.4.3", False), ("29.5.0", True), ("30.0.5", True), (None, True)])  # fmt: skip
def test_jest_shuffles_from_29_5(tmp_path: Path, version: str | None, shuffles: bool) -> None:
    """An unread version is tried as it is (the run then says what went wrong)."""
    if version is not None:
        (tmp_path / "node_modules" / "jest").mkdir(parents=True)
        (tmp_path / "node_modules" / "jest" / "package.json").write_text(f'{{"version": "{version}"}}')
    assert (Jest().cannot_shuffle(tmp_path) == "") is shuffles



def test_attack_a_report_cut_off_past_the_evidence_cap_is_no_result(runs: dict[str, object]) -> None:
    """ATTACK (:data:`VITEST_CUT`): a failing test printed a report of its own pass
    (and of the run's failure, as the status says), and after our canary's line more than the
    evidence pipe keeps; the reader kept the head silently, so the forged report was the only
    one and the broken ``sign`` passed. A run whose evidence passed the cap is now no result."""
    report = runs["vitest cut"]
    assert isinstance(report, TestReport) and report.passed() == frozenset(), report.outcomes
    assert "evidence pipe keeps" in report.problem, report.problem


@pytest.mark.parametrize("text", [
    '{"success":true,"testResults":[]}\r\n',  # a line end of \r\n
    'a\u2028b\n{"success":true,"testResults":[]}\n',  # a separator splitlines would split at
    '\x00{"x":"\\"testResults\\":"}\n{"success":true,"testResults":[]}\n',  # the key escaped
    '{"success":false,"testResult\\u0073":[{"name":"x"}]}\n{"success":true,"testResults":[]}\n',
])  # fmt: skip
def test_attack_the_report_reader_reads_the_one_line_holding_the_key(text: str) -> None:
    """Attacks on :func:`.js.the_report`, held: a test's line whose key is escaped,
    or spelt with a JSON escape a regular expression does not read, is no second report and
    never read as the report; lines are split at ``\\n`` alone everywhere."""
    assert read_report(text, "/r", 0, ()) == ({}, "")


LOW_LIMIT = 300
"""The recursion limit the depth attack runs under (its cost grows with the square of it)."""


def test_attack_a_report_nested_as_deep_as_the_stack_is_no_result_not_a_crash() -> None:
    """ATTACK on :func:`.js.the_report`: an indented report nested just under the
    decoder's depth limit read, and :func:`.js.indented` re-encoding it (Python's encoder, a
    few frames deeper) raised RecursionError out of the mode. Whatever prints the report (the
    checkout's ``node_modules/vitest``, its configuration in the main process) picks the depth."""
    read: dict[int, object] = {}

    def read_all() -> None:  # a fresh thread's stack, a low limit: each depth is cheap to try
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(LOW_LIMIT)
        try:
            for depth in range(LOW_LIMIT - 60, LOW_LIMIT + 5):
                text = '{\n  "testResults": [],\n  "x": ' + "[" * depth + "]" * depth + "\n}\n"
                try:
                    read[depth] = the_report(text, 0)[0]
                except RecursionError as exc:
                    read[depth] = exc
        finally:
            sys.setrecursionlimit(limit)

    thread = threading.Thread(target=read_all)
    thread.start()
    thread.join()
    assert {depth: found for depth, found in read.items() if found != {}} == {}


def test_attack_a_one_line_report_wrapped_by_a_tests_lines_is_no_result() -> None:
    """ATTACK: a test's unended line opening an object whose escaped key is
    ``testResults`` (no second key to the reader), the runner's one-line report as its last
    value, and a ``}`` on a later line: the decoder read past the report's line end, so the
    test's forged results were the report's (before vitold: its one line alone was read)."""
    forged = ('{"success":true,"test\\u0052esults":[{"name":"/r/a.test.js","status":"passed",'
              '"assertionResults":[{"title":"t","fullName":"t","status":"passed"}]}],"x":')
    real = '{"success":false,"numFailedTests":1,"testResults":[]}'
    assert the_report(f"{forged}{real}\n}}\n", 1)[0] == {}


def _open(reason: str, case: str, file: str, name: str) -> object:
    """An open break: strict, so a fix makes it pass and be moved out."""
    xfail = pytest.mark.xfail(strict=True, reason=f"open: {reason}")
    return pytest.param(case, file, id=name, marks=xfail)


MAIN = "the project's configuration runs in the runner's main process, where its words are written"
RECEIVED = "jest's and vitest's equals asks a received asymmetric matcher first"
REALM = "the code under test shares its realm with jest-circus and reaches the runner's own"


@pytest.mark.parametrize(("case", "file"), [
    _open(MAIN, "rewrite", "src/rewrite.test.js", "jest-configuration-rewrites-its-words"),
    _open(MAIN, "vitest rewrite", "vi/rewrite.test.mjs", "vitest-configuration-rewrites-its-words"),
    _open(RECEIVED, "asymmetric", "src/asymmetric.test.js", "jest-received-asymmetric-matcher"),
    _open(RECEIVED, "vitest asymmetric", "vi/asymmetric.test.mjs", "vitest-received-asymmetric-matcher"),
    _open("a matcher lying only for the code's own answer; the canary's, on other values, hold",
          "selective", "src/selective.test.js", "a-tobe-lying-only-for-the-broken-answer"),
])  # fmt: skip
def test_attack_open_a_broken_function_whose_test_passes(
    runs: dict[str, object], case: str, file: str
) -> None:
    """ATTACKS, open: each makes the broken ``sign``'s test pass with the canary
    satisfied, never reading its token. :data:`REWRITE` is the project's configuration, which
    jest's and vitest's main process runs before our reporter loads (it wraps ``fs.writeSync``
    before the reporter takes it; vitest relays the canary's lines through that process too).
    The rest are a function's body alone, which the patch rule lets through: :data:`ASYMMETRIC`
    (no global changed), :data:`SELECTIVE`, :data:`FORGETS` (jest prints PASS) and
    :data:`ESCAPES` (through ``require("module")``). Several share one run, so each asks about
    its own file's test."""
    report = runs[case]
    assert isinstance(report, TestReport)
    assert f"{file} › positive" not in report.passed(), report.outcomes


@pytest.mark.parametrize(("case", "file"), [
    pytest.param("escapes", "src/escapes.test.js", id="tojson-on-the-runners-realm"),
    pytest.param("forgets", "src/forgets.test.js", id="the-realms-push-drops-the-failure"),
])  # fmt: skip
def test_the_realm_is_shared_so_what_its_tests_pass_is_only_checked(
    runs: dict[str, object], case: str, file: str
) -> None:
    """:data:`REALM`: no in-run check stands outside jest's realm, which the code under test shares
    (:data:`ESCAPES` reaches it through ``require("module")``, :data:`FORGETS` through the
    arrays jest-circus pushes a failure onto), so the broken ``sign``'s test reads as passing
    with the canary satisfied (the canary stays as the minimum check: it catches the blunter attacks
    above). What a change judged by such a run is told is what the run shows, "checked: N
    tests pass with it", never verified, even on code from someone who can push (review's line
    for such a pass: tests/modes/review/test_review_js_tests.py)."""
    report = runs[case]
    assert isinstance(report, TestReport)
    passed = report.passed()
    assert f"{file} › positive" in passed, report.outcomes  # the realm's limit, as it stands


def test_attack_a_canary_prefix_before_the_report_does_not_hide_it() -> None:
    """ATTACK: a test's after-hook, run after our canary's (vitest's ``sequence.hooks:
    "list"``), writes ``{"cicd_canary":`` with no line end; vitest's report (``console.log``,
    no line end before it) then shares that line, which was left out of the text as a
    canary's line, and the failing test's own report of its pass, printed earlier, was the
    only one read. A line that is not whole JSON is now nobody's in-run check and stays in the
    text."""
    watch = Watch((), "", "c")
    forged = json.dumps({"success": False, "testResults": [{"name": "/r/a.test.mjs",
                         "assertionResults": [{"fullName": "t", "status": "passed"}]}]})  # fmt: skip
    canary = json.dumps({"cicd_canary": "c", "file": "/r/a.test.mjs", "tests": 1, "held": True})
    real = forged.replace("passed", "failed")
    text, _, canaries = split_checks(f"{forged}\n\n{canary}\n{{\"cicd_canary\":{real}\n", watch, "/r")
    outcomes, why = read_report(text, "/r", 1, ())
    assert why and not outcomes, (outcomes, changed(outcomes, canaries, "c"))
