"""At a glance, through the real CLI, the real sandbox and the real runners: offline gen-tests
on a Go change and a jest change reports what it reports for Python. The changed lines no test
runs, by the runner's own coverage (``go test -coverprofile``, jest's istanbul map); the line
coverage of the changed files; the tests the change adds, run again in their order and
shuffled with a recorded seed, a test that fails every other run named flaky; and that no test
was written in these languages. One small project per runner, one CLI run each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests.decide_runners import runners_headline
from cicd_agent.modes.gen_tests.reports import RunnerGapReport
from cicd_agent.modes.gen_tests.result import GenTestsResult
from cicd_agent.modes.gen_tests.runner_gaps import changes
from cicd_agent.runners.table import RUNNERS
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.gen_tests import run_gen_tests, runner_change
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

pytestmark = needs_sandbox

SIGN_GO = """package calc

func Sign(n int) int {
\tif n < 0 {
\t\treturn -1
\t}
\treturn 1
}
"""
SIGN_GO_TEST = """package calc

import (
\t"os"
\t"testing"
)

func TestSignPositive(t *testing.T) {
\tif Sign(3) != 1 {
\t\tt.Fatal("sign")
\t}
}

func TestEveryOtherRun(t *testing.T) {
\tseen, _ := os.ReadFile("counter.txt")
\tos.WriteFile("counter.txt", append(seen, 'x'), 0o644)
\tif len(seen)%2 == 1 {
\t\tt.Fatal("odd run")
\t}
}
"""
SIGN_JS = """exports.sign = (n) => {
  if (n < 0) {
    return -1;
  }
  return 1;
};
"""
SIGN_JS_TEST = """const fs = require("fs");
const { sign } = require("./sign");
test("positive", () => { expect(sign(3)).toBe(1); });
test("every other run", () => {
  const counter = __dirname + "/counter.txt";
  const seen = fs.existsSync(counter) ? fs.readFileSync(counter, "utf8") : "";
  fs.writeFileSync(counter, seen + "x");
  expect(seen.length % 2).toBe(0);
});
"""


def _gen_tests(tmp_path: Path, start: dict[str, str], change: dict[str, str],
               node: tuple[str, ...] = ()) -> tuple[dict[str, object], str]:  # fmt: skip
    """Offline gen-tests of ``change`` over ``start`` (``node``: runners in its node_modules)."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {".gitignore": "node_modules\n", **start})
    head = repo.commit("change", change)
    for name in node:
        (repo.path / "node_modules" / ".bin").mkdir(parents=True, exist_ok=True)
        os.symlink(TOOLS_DIR / "node" / "node_modules" / ".bin" / name,
                   repo.path / "node_modules" / ".bin" / name)  # fmt: skip
        os.symlink(TOOLS_DIR / "node" / "node_modules" / name, repo.path / "node_modules" / name)
    # the toolbox on PATH is bound into the sandbox wherever it lives (a clone under /tmp)
    where = {"PATH": needs_node_tool(node[0])} if node else {}
    # Two reruns: in order, then shuffled, the second failing the every-other-run test (the
    # hunt's six rounds are test_gen_tests_go_hunt.py's).
    code, document, _, stderr = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none",
         "--pr-test-runs", "2"], tmp_path, **where,
    )  # fmt: skip
    assert code == 0, stderr[-3000:]
    return document, (tmp_path / "summary.md").read_text(encoding="utf-8")


def assert_one_contract(
    document: dict[str, object], runner: str, uncovered: dict[str, list[int]]
) -> None:
    """The fields every runner fills as pytest does: the uncovered lines, a segment per run of
    them, the command that measured them and its exit status."""
    assert document["uncovered_lines"] == uncovered
    segments = document["segments"]
    assert isinstance(segments, list)
    assert {s["path"]: s["missing_lines"] for s in segments} == uncovered
    assert all(s["status"] == "no model configured" for s in segments)
    assert document["test_command"] == runner and document["suite_exit_code"] == 0
    assert "python" not in str(document["test_command"])


@needs_go
def test_offline_gen_tests_on_a_go_change(tmp_path: Path) -> None:
    document, summary = _gen_tests(
        tmp_path, {"go.mod": "module example.com/m\n\ngo 1.19\n", "calc/doc.go": "package calc\n"},
        {"calc/sign.go": SIGN_GO, "calc/sign_test.go": SIGN_GO_TEST},
    )
    [report] = document["runners"]  # type: ignore[misc]
    # go's blocks: 3.24-4.12 ran, 4.12-6.3 did not (a line is run when a block on it ran)
    assert report == {"runner": "go test", "coverage": 60.0, "problem": "", "coverage_after": None,
                      "no_code": [], "uncovered_lines": {"calc/sign.go": [5, 6]}}  # fmt: skip
    # one output contract: the top-level fields are filled as for pytest (before: {} and [],
    # and a test command of "python -m pytest" on a project with no Python)
    assert_one_contract(document, "go test", {"calc/sign.go": [5, 6]})
    # named by the function the lines sit in, as Python's are (before: "lines 5-6")
    assert [s["qualname"] for s in document["segments"]] == ["Sign"]  # type: ignore[index, union-attr]
    verdicts = {r["test"]: (r["verdict"], r["passed"], r["runs"]) for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    # Two rounds, the second repeating the tests in one process (go test -count) as often as
    # its share of the budget holds at the first round's pace: the count is the machine's, the
    # alternation is not (every other run of the one copy fails, its first passes).
    runs = verdicts["calc/sign_test.go › TestSignPositive"][2]
    assert runs >= 2
    assert verdicts == {"calc/sign_test.go › TestSignPositive": ("stable", runs, runs),
                        "calc/sign_test.go › TestEveryOtherRun": ("flaky", -(-runs // 2), runs)}  # fmt: skip
    assert document["tests_flaky"] == 1 and document["tests_generated"] == 0
    headline = str(document["headline"])
    # the flaky test first, with its evidence, then the runner's coverage
    assert headline.startswith("A test the change adds or changes is flaky: ")
    assert "TestEveryOtherRun" in headline.split(". ")[0]
    assert ("go test: 2 changed line(s) in 1 file(s) are not covered (line coverage of the "
            "changed files 60.00%)") in headline  # fmt: skip
    assert headline.endswith("; no model is configured, so no tests were written.")
    assert "`calc/sign.go`: line(s) 5, 6" in summary
    assert "shuffled with seed " in summary  # the failing run's order, replayable


def test_offline_gen_tests_on_a_jest_change(tmp_path: Path) -> None:
    document, summary = _gen_tests(
        tmp_path, {"package.json": '{"name": "m", "devDependencies": {"jest": "*"}}\n'},
        {"src/sign.js": SIGN_JS, "src/sign.test.js": SIGN_JS_TEST}, node=("jest",),
    )
    [report] = document["runners"]  # type: ignore[misc]
    assert report == {"runner": "jest", "coverage": 75.0, "problem": "", "coverage_after": None,
                      "no_code": [], "uncovered_lines": {"src/sign.js": [3]}}  # fmt: skip
    assert_one_contract(document, "jest", {"src/sign.js": [3]})
    verdicts = {r["test"]: (r["verdict"], r["passed"], r["runs"]) for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    # the second round defines each test again and again in the file's run (jest's canary), as
    # often as its share of the budget holds at the first round's pace
    runs = verdicts["src/sign.test.js › positive"][2]
    assert runs >= 2
    assert verdicts == {"src/sign.test.js › positive": ("stable", runs, runs),
                        "src/sign.test.js › every other run": ("flaky", -(-runs // 2), runs)}  # fmt: skip
    headline = str(document["headline"])
    assert headline.startswith("A test the change adds or changes is flaky: ")
    assert "jest: 1 changed line(s) in 1 file(s) are not covered" in headline
    assert "`src/sign.js`: line(s) 3" in summary


@needs_go
def test_a_file_of_a_runner_the_repository_does_not_configure_is_left_alone(
    tmp_path: Path,
) -> None:
    """A Python project's stray .js and .go files (no package.json naming jest or vitest, no
    go.mod) are no suite to run and no warning; a configured runner's file is measured."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n"})
    head = repo.commit("stray", {"docs/site.js": "x = 1;\n", "tools/gen.go": "package main\n"})
    environ = {"PATH": os.environ["PATH"]}
    assert changes(GitCheckout(repo.path), base, head, environ) == ([], [])
    head = repo.commit("module", {"go.mod": "module m\n", "calc/sign.go": SIGN_GO})
    [found], _ = changes(GitCheckout(repo.path), base, head, environ)
    assert found.runner.name == "go test" and set(found.sources) == {"tools/gen.go", "calc/sign.go"}


def test_a_js_project_whose_runner_gen_tests_does_not_drive_is_told_so_not_about_python(
    tmp_path: Path,
) -> None:
    """A kleur-like project tested with uvu: its change is not "no Python files" with a pytest
    command that never ran, but which files were not measured and why."""
    package = '{"name": "k", "type": "module", "scripts": {"test": "uvu test"}}\n'
    document, summary = _gen_tests(
        tmp_path, {"package.json": package, "index.mjs": "export const a = 1;\n"},
        {"index.mjs": "export const a = 2;\n"},
    )  # fmt: skip
    assert "Python" not in str(document["headline"]) and "pytest" not in summary
    assert document["headline"] == ("No changed source file gen-tests could measure: nothing to "
                                    "do (the warnings say which files were not measured).")
    assert ("Files of the change were not measured: no test runner gen-tests drives for the "
            "change's .mjs files (jest, vitest) is configured; the project tests with uvu "
            "(package.json's scripts.test), which gen-tests does not drive.") in document["warnings"]


def test_a_runner_whose_changed_lines_all_ran_says_so_in_the_headline() -> None:
    """Seen on a real commit: "0 changed line(s) in 0 file(s) are not covered" read as a gap."""
    result = GenTestsResult(mode="gen-tests", headline="", runners=[RunnerGapReport(
        runner="go test", coverage=96.3, uncovered_lines={})])  # fmt: skip
    assert runners_headline(result, offline=False).startswith(
        "go test: every changed line it counts as code ran in its tests (line coverage of the "
        "changed files 96.30%)")  # fmt: skip


def test_the_docs_table_names_each_runner_gen_tests_measures() -> None:
    """The gen-tests page's runner table is the runners that measure coverage (not pytest's
    path, not cargo's or Maven's "could not run"), each by its seam name."""
    page = (Path(__file__).parents[3] / "docs" / "modes" / "gen-tests.md").read_text("utf-8")
    rows = {line.split("|")[1].strip() for line in page.splitlines()
            if line.startswith("  | ") and not line.startswith("  | runner")
            and not line.startswith("  |---")}  # fmt: skip
    assert rows == {"jest", "vitest", "go test"}
    assert rows <= {runner.name for runner in RUNNERS}


if not os.environ.get("CI") and not (TOOLS_DIR / "node" / ".installed").is_file():
    pytestmark = [needs_sandbox, pytest.mark.skip(reason="no toolbox: run tests/harness/setup.sh")]


def test_coverage_that_could_not_run_is_said_once() -> None:
    """cargo without cargo-llvm-cov, as the gate and Tools said it: "coverage could not run:
    coverage could not run: install …"."""
    from cicd_agent.job.context import ToolRun
    from cicd_agent.modes.gen_tests.not_run import could_not_run, not_run_reason

    problem = ("coverage could not run: install cargo-llvm-cov or cargo-tarpaulin before this "
               "step; targets are the changed lines, not measured gaps (src/lib.rs: line 7)")  # fmt: skip
    said = could_not_run(problem)
    assert said.startswith("could not run: install cargo-llvm-cov") and said.count("could not run") == 1
    line = ToolRun(tool="cargo test coverage", could_not_run=not_run_reason(problem)).line()
    assert line.count("could not run") == 1
    assert could_not_run("could not run: install go") == "could not run: install go"


def test_a_vitest_that_cannot_start_is_said_in_its_own_words_and_not_as_ran(
    tmp_path: Path,
) -> None:
    """vitest stopped by its configuration writes no report: Tools says it could not run and
    quotes its last lines, never "vitest: ran" over an empty "see its output"."""
    broken = 'throw new Error("cannot load the plugin named vite-plugin-foo");\n'
    document, summary = _gen_tests(
        tmp_path, {"package.json": '{"name": "m", "devDependencies": {"vitest": "*"}}\n',
                   "vitest.config.mjs": broken},
        {"src/sign.js": SIGN_JS.replace("exports.sign =", "export const sign =")},
        node=("vitest",),
    )  # fmt: skip
    tools = summary.split("Tools", 1)[1]
    assert "`vitest`: ran" not in tools, tools
    assert "`vitest`: could not run: " in tools and "vite-plugin-foo" in tools, tools
    assert "see its output" not in summary
    assert "vite-plugin-foo" in str(document["headline"])


def test_a_flaky_tests_annotation_is_on_its_own_file_or_on_none(tmp_path: Path) -> None:
    """Each runner's flaky test is annotated on the test file the change holds, the one its id
    starts with; a test whose id names no file (cargo's ``module::test``, a Go test known by its
    package) gets an annotation without a file. Before: the id cut at its first ``::``, so
    jest's ``file › name`` and cargo's ``tests`` were annotated as paths no check run places."""
    from cicd_agent.modes.gen_tests.decide_runners import add_runner
    from cicd_agent.modes.gen_tests.rerun_counts import Counts, Reruns
    from cicd_agent.modes.gen_tests.result import GenTestsResult
    from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
    from cicd_agent.runners.table import RUNNERS

    flaky = Counts(passed=1, failed=1, planned=2)
    ran = {"jest": ("src/sign.test.js", "src/sign.test.js › every other run"),
           "go test": ("calc/sign_test.go", "calc/sign_test.go › TestEveryOtherRun"),
           "cargo test": ("src/lib.rs", "tests::every_other_run")}  # fmt: skip
    result = GenTestsResult(mode="gen-tests", headline="")
    for runner in RUNNERS:
        if runner.name in ran:
            file, test = ran[runner.name]
            word = RunnerGaps(runner_change(runner, {}, (file,)), None, Reruns({test: flaky}))
            add_runner(result, word, None, str, lambda _path, _line: False, offline=True, repo=tmp_path)

    placed = {a.message.split(" ", 1)[0]: a.file for a in result.annotations()}
    assert placed == {"src/sign.test.js": "src/sign.test.js", "calc/sign_test.go": "calc/sign_test.go",
                      "tests::every_other_run": None}  # fmt: skip


def test_a_suite_after_that_gave_no_coverage_is_said_and_hides_no_gap(tmp_path: Path) -> None:
    """The suite run again with the accepted tests can fail to report (a runner stalled by the
    machine's load): the warnings say why, and the gaps at head stay shown. Before: the after
    run's problem was dropped, so ``coverage_after`` was missing without a word and every
    uncovered line read as covered."""
    from cicd_agent.modes.gen_tests.decide_runners import add_runner
    from cicd_agent.modes.gen_tests.runner_ask import RunnerOpinion
    from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
    from cicd_agent.runners.base import TestReport

    jest = next(runner for runner in RUNNERS if runner.name == "jest")
    lines = frozenset({1, 2, 3})
    change = runner_change(jest, {"src/sign.js": lines}, ())
    before = TestReport(runner="jest", coverage={"src/sign.js": frozenset({1})},
                        measured={"src/sign.js": lines}, returncode=0)  # fmt: skip
    stalled = TestReport(runner="jest", problem="jest timed out after 600 s", returncode=None)
    word = RunnerGaps(change, before, None)
    written = RunnerOpinion(word, (), (), RunnerGaps(change, stalled, None))
    result = GenTestsResult(mode="gen-tests", headline="")
    add_runner(result, word, written, str, lambda _path, _line: False, offline=False, repo=tmp_path)

    assert result.uncovered_lines == {"src/sign.js": [2, 3]}
    (row,) = result.runners
    assert row.coverage_after is None and row.coverage == 33.33
    assert any("jest timed out after 600 s" in text for text in result.warnings), result.warnings


def test_attack_a_suite_afters_last_words_are_posted_inert(tmp_path: Path) -> None:
    """The suite run again with the accepted (model-written) tests stopped: its problem quotes
    the suite's last words, which the change's tests and the model's print. The warning carries
    them into the job summary, where a mention, a link, an image or HTML stays text."""
    from cicd_agent.actions.markdown import posted
    from cicd_agent.actions.rendered import live_in_post
    from cicd_agent.modes.gen_tests.decide_runners import add_runner
    from cicd_agent.modes.gen_tests.runner_ask import RunnerOpinion
    from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
    from cicd_agent.runners.base import TestReport

    jest = next(runner for runner in RUNNERS if runner.name == "jest")
    lines = frozenset({1, 2})
    change = runner_change(jest, {"src/sign.js": lines}, ())
    before = TestReport(runner="jest", coverage={"src/sign.js": frozenset({1})},
                        measured={"src/sign.js": lines}, returncode=0)  # fmt: skip
    words = ("Error: @octo-org/admins merge now [click](https://evil.example/x) "
             "![x](https://evil.example/i.png) <img src=x onerror=alert(1)> <details open>\u2028"
             "### cicd-agent gen-tests\rall covered")  # fmt: skip
    stalled = TestReport(runner="jest", problem="jest exited with status 1", returncode=1,
                         output=words)  # fmt: skip
    word = RunnerGaps(change, before, None)
    written = RunnerOpinion(word, (), (), RunnerGaps(change, stalled, None))
    result = GenTestsResult(mode="gen-tests", headline="")
    add_runner(result, word, written, str, lambda _path, _line: False, offline=False, repo=tmp_path)
    assert any("evil.example" in text for text in result.warnings), result.warnings
    shown = posted(result.summary_markdown())
    assert live_in_post(str(shown)) == [], live_in_post(str(shown))
    assert "\n### cicd-agent gen-tests" not in str(shown)
