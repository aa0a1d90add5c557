"""What the model is asked for a Go or JavaScript change, in the repository's own layout, and
how its answer is read; the gate's assertion stage; and the loop's stop before any call once
the budget is spent. No test runs here: the jobs are read from real checkouts, the gaps from a
report as a runner makes it (the end-to-end runs are test_gen_tests_runner_models.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.analysis.redact import Redactor
from cicd_agent.model.tokens import TokenCounter
from cicd_agent.modes.gen_tests.runner_ask import RunnerWriter
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import Candidate, judge
from cicd_agent.modes.gen_tests.runner_prompt import RunnerJob, RunnerPrompts, RunnerTest, job
from cicd_agent.runners.base import TestReport
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.js import layout as js_layout
from cicd_agent.runners.js import tests as js_tests
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.runners.table import RUNNERS
from cicd_agent.runners.vitest.runner import Vitest
from tests.helpers.gen_tests import Runner, runner_change


def _gaps(runner: Runner, source: str, lines: frozenset[int]) -> RunnerGaps:
    """A suite report that measured ``lines`` of ``source`` and ran none of them."""
    report = TestReport(runner.name, coverage={source: frozenset()}, measured={source: lines})
    return RunnerGaps(runner_change(runner, {source: lines}, ()), report, None)


def _job(tmp_path: Path, runner: Runner, source: str, files: dict[str, str]) -> RunnerJob:
    for name, text in {source: "x\n", **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return job(_gaps(runner, source, frozenset({1})), source, tmp_path,
               lambda path: (tmp_path / path).exists(), js_layout.layout(runner, tmp_path))  # fmt: skip


@pytest.mark.parametrize(("runner", "source", "files", "expected"), [
    (GoTest(), "calc/calc.go", {"calc/calc_test.go": ""}, "calc/calc_generated_test.go"),
    (GoTest(), "calc/calc.go", {"calc/calc_generated_test.go": ""}, "calc/calc_generated2_test.go"),
    (Jest(), "src/calc.ts", {"src/__tests__/calc.test.ts": ""}, "src/__tests__/calc.generated.test.ts"),
    (Jest(), "src/calc.js", {"src/calc.spec.js": ""}, "src/calc.generated.spec.js"),
    (Vitest(), "lib/sum.mjs", {"lib/test/other.test.mjs": ""}, "lib/test/sum.generated.test.mjs"),
    (Vitest(), "lib/sum.ts", {}, "lib/sum.generated.test.ts"),
])  # fmt: skip
def test_the_test_goes_where_the_repository_keeps_its_tests(
    tmp_path: Path, runner: Runner, source: str, files: dict[str, str], expected: str
) -> None:
    assert _job(tmp_path, runner, source, files).test_path == expected


def test_each_runner_says_how_its_generated_test_is_written() -> None:
    """The style sentence is the runner's own (its module, not gen-tests'): Go's names the
    package under test and follows a table of cases; vitest's imports its functions, jest's
    does not; a runner gen-tests writes nothing for says nothing. JavaScript's test folders are
    the gate's, which confines the proposed path."""
    table = "func TestX(t *testing.T) {\n\tcases := []struct {\n"
    go = GoTest().test_style("// a comment\npackage calc\n", table)
    assert "`package calc`" in go and "table-driven" in go
    assert "table-driven" not in GoTest().test_style("package calc\n", "func TestX")
    assert '"vitest"' in Vitest().test_style("", "") and "vitest" not in Jest().test_style("", "")
    assert Jest().test_style("", "") == js_tests.STYLE
    assert Vitest().test_style("", "").startswith(js_tests.STYLE)
    assert [runner.name for runner in RUNNERS if runner.test_style("package x\n", "")] == [
        "jest", "vitest", "go test", "cargo test"]


def test_a_linked_test_folder_is_not_read_for_style(tmp_path: Path) -> None:
    """A ``__tests__`` that is a link to elsewhere shows nothing and places nothing."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "calc.test.js").write_text("secret\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "__tests__").symlink_to(tmp_path / "elsewhere")
    work = _job(tmp_path, Jest(), "src/calc.js", {})
    assert (work.test_path, work.related, work.related_text) == ("src/calc.generated.test.js", "", "")


def test_the_answer_is_unfenced_and_its_path_only_stripped() -> None:
    """The path is a proposal: stripped of blanks, never normalised (the gate confines it)."""
    answer = RunnerTest(path=" src/../x.test.js\n", test_file="```js\nit();\n```", rationale="")
    candidate = answer.candidate()
    assert (candidate.path, candidate.text) == ("src/../x.test.js", "it();\n")


def test_a_spent_budget_stops_the_loop_before_any_call(tmp_path: Path) -> None:
    (tmp_path / "calc").mkdir()
    (tmp_path / "calc" / "calc.go").write_text("package calc\n", encoding="utf-8")
    asked: list[str] = []

    def ask(system: str, user: str) -> RunnerTest:
        asked.append(user)
        raise AssertionError("asked over budget")

    with PytestSandbox(tmp_path, {"PATH": "/usr/bin:/bin"}) as sandbox:
        writer = RunnerWriter(
            sandbox=sandbox, ask=ask, refuses=lambda tokens: f"the budget ({tokens} wanted)",
            prompts=RunnerPrompts(Redactor(), TokenCounter.for_model("gpt-4o-mini"), 4_000), attempts=3,
            timeout=10, report=asked.append,
        )  # fmt: skip
        opinions, stop = writer.run([_gaps(GoTest(), "calc/calc.go", frozenset({1}))])
    assert asked == [] and stop is not None and stop.startswith("the budget (")
    assert [(o.attempts, o.accepted, o.after) for o in opinions] == [((), (), None)]


GO_IDLE = """package calc

import "testing"

func TestSignChecks(t *testing.T) {
\tif Sign(-1) != -1 {
\t\tt.Errorf("neg")
\t}
}

func TestSignRuns(t *testing.T) {
\tt.Run("neg", func(t *testing.T) { Sign(-1) })
}
"""


@pytest.mark.parametrize(("runner", "source", "candidate", "idle"), [
    (GoTest(), "calc/calc.go", Candidate("calc/calc_generated_test.go", GO_IDLE), "TestSignRuns"),
    (GoTest(), "calc/calc.go", Candidate("calc/calc_generated_test.go", "package calc\n"),
     "the file holds no TestX"),
    (Jest(), "src/calc.js", Candidate("src/calc.generated.test.js",
                                      'it("runs", () => { sign(-1); });\n'), 'the test "runs"'),
])  # fmt: skip
def test_attack_a_candidate_that_asserts_nothing_is_refused_before_it_runs(
    tmp_path: Path, runner: Runner, source: str, candidate: Candidate, idle: str
) -> None:
    """Attack: a test that only calls the code adds coverage and checks nothing; it is refused
    at the assertion stage, with no runner in this job at all (nothing ran)."""
    (tmp_path / source).parent.mkdir(parents=True)
    (tmp_path / source).write_text("x\n", encoding="utf-8")
    with PytestSandbox(tmp_path, {"PATH": "/nonexistent"}) as sandbox:
        verdict = judge(_gaps(runner, source, frozenset({1})), candidate, sandbox, timeout=10,
                        seed=1)  # fmt: skip
    assert (verdict.stage, verdict.kept) == ("assertion", False)
    assert verdict.reason.startswith(idle) and "asserts nothing" in verdict.reason
