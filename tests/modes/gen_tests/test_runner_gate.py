"""The gate for candidate tests in another language, through the runner seam, on a tiny Go
module in the real sandbox with the job's go: the hostile candidates (a file outside the test
folder or over the runner's settings, a test that rewrites the code under test at run time, one
that forges go's report, one that sleeps forever) are refused, and one that adds no coverage is
not kept; a failing one is a possible bug only where the code's contract states what it asserts.
One sandbox and one measured change for the module. A right candidate kept and a
wrong one are judged end to end in test_gen_tests_runner_models.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from hashlib import sha256

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests import candidate_runs, runner_gate
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps, changes, measure
from cicd_agent.modes.gen_tests.runner_gate import Candidate, RunnerVerdict, judge
from cicd_agent.runners.base import TestReport
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.verify import mutants
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

pytestmark = [needs_sandbox, needs_go]

CALC = """package calc

func Add(a, b int) int {
\treturn a + b
}
"""
SIGN = """
// Sign is -1 for a negative n, 0 for zero, 1 otherwise: Sign(0) returns 0.
func Sign(n int) int {
\tif n < 0 {
\t\treturn -1
\t}
\treturn 1
}
"""
CALC_TEST = """package calc

import "testing"

func TestAdd(t *testing.T) {
\tif Add(1, 2) != 3 {
\t\tt.Fatal("add")
\t}
}
"""


def _test(body: str, imports: str = "") -> str:
    return f'package calc\n\nimport (\n\t"testing"\n{imports})\n\n{body}\n'


RIGHT = _test('func TestSign(t *testing.T) {\n\tif Sign(-2) != -1 {\n\t\tt.Fatal("neg")\n\t}\n}')
NO_GAIN = _test(
    'func TestAddMore(t *testing.T) {\n\tif Add(2, 2) != 4 {\n\t\tt.Fatal("add")\n\t}\n}'
)
REWRITER = _test(
    "func TestSignRewrite(t *testing.T) {\n\tos.WriteFile(\"calc.go\", []byte(\"package calc\\n"
    "func Add(a, b int) int { return 0 }\\nfunc Sign(n int) int { return -1 }\\n\"), 0o644)\n"
    "\tif Sign(-1) != -1 {\n\t\tt.Fatal(\"neg\")\n\t}\n}", '\t"os"\n')  # fmt: skip
FORGER = _test("func TestSignForged(t *testing.T) {\n\tSign(-1)\n"
               "\tfmt.Println(\"--- PASS: TestSignForged (0.00s)\")\n\tt.Fatal(\"broken\")\n}",
               '\t"fmt"\n')  # fmt: skip
SLEEPER = _test("func TestSignSleeps(t *testing.T) {\n\tif Sign(-1) != -1 {\n\t\tt.Fatal(\"neg\")\n"
                "\t}\n\ttime.Sleep(time.Hour)\n}", '\t"time"\n')  # fmt: skip

CONSTANT = _test("func TestSignRuns(t *testing.T) {\n\t_ = Sign(-2)\n\tif want := 1; want != 1 "
                 "{\n\t\tt.Fatal(\"one\")\n\t}\n}")  # fmt: skip
"""A tautology: it runs the change (Sign) and compares a constant with itself."""
HEAD_HASH = sha256((CALC + SIGN).encode()).hexdigest()
HASHED = _test("func TestSignFile(t *testing.T) {\n\t_ = Sign(-2)\n\tdata, _ := os.ReadFile(\"calc.go\")\n"
               f"\tif fmt.Sprintf(\"%x\", sha256.Sum256(data)) != \"{HEAD_HASH}\" "
               "{\n\t\tt.Fatal(\"changed\")\n\t}\n}", '\t"crypto/sha256"\n\t"fmt"\n\t"os"\n')  # fmt: skip
"""A detector: it runs the change and fails whenever calc.go's bytes are not the head's,
so it fails on every mutant without testing what Sign computes."""
FLAKY = _test("var signRuns int\n\nfunc TestSignMostly(t *testing.T) {\n\tsignRuns++\n"
               "\tif Sign(-2) != -1 || signRuns%3 == 0 {\n\t\tt.Fatal(\"neg\")\n\t}\n}")  # fmt: skip
"""A flaky candidate, driven so that the test of it cannot be flaky: it fails every third run
in one process, so it passes each fresh run (its pass, its reruns) and only repetition shows it."""

MARKER = _test("".join(
    f"func TestSignOnce{name}(t *testing.T) {{\n\tmark := filepath.Join({folder}, \".sign-mark\")\n"
    "\tif _, err := os.Stat(mark); err == nil {\n\t\tt.Fatal(\"ran here before\")\n\t}\n"
    "\tos.WriteFile(mark, []byte(\"ran\"), 0o644)\n\tif Sign(-2) != -1 {\n\t\tt.Fatal(\"neg\")\n\t}\n}\n\n"
    for name, folder in (("Folder", '"."'), ("Tmp", "os.TempDir()"), ("Home", 'os.Getenv("HOME")'))),
    '\t"os"\n\t"path/filepath"\n')  # fmt: skip
"""Set 4's cron-parser: each test leaves a mark (in its folder, the temporary folder,
HOME) and fails where it finds one: every fresh copy passes it, a developer's second run fails."""
HONEST = _test("func TestSignWrites(t *testing.T) {\n\tout := filepath.Join(os.TempDir(), "
               "\"sign.txt\")\n\tdefer os.Remove(out)\n\tos.WriteFile(out, []byte{byte(1 + "
               "Sign(-2))}, 0o644)\n\tif got, _ := os.ReadFile(out); len(got) != 1 || got[0] != 0 "
               "{\n\t\tt.Fatal(\"neg\")\n\t}\n}", '\t"os"\n\t"path/filepath"\n')  # fmt: skip
"""A right test that writes a file of a fixed name in the temporary folder and removes it."""

DEPENDENCE = {"right": Candidate("calc/sign_test.go", HONEST),
              "marker": Candidate("calc/sign_once_test.go", MARKER),
              "constant": Candidate("calc/sign_runs_test.go", CONSTANT),
              "hashed": Candidate("calc/sign_file_test.go", HASHED),
              "flaky": Candidate("calc/sign_mostly_test.go", FLAKY)}  # fmt: skip
"""Judged without reruns and with one mutant run each: stage 6 is the claim."""

BUG = _test('func TestSignZero(t *testing.T) {\n\tif got := Sign(0); got != 0 {\n'
            '\t\tt.Errorf("Sign(0) = %d, want 0", got)\n\t}\n}')  # fmt: skip
"""What the doc comment says and the code does not: a possible bug (a wrong test that nothing
states is dropped, end to end in test_gen_tests_runner_models.py)."""

CANDIDATES = {
    "bug": Candidate("calc/zero_test.go", BUG),
    "no gain": Candidate("calc/add_more_test.go", NO_GAIN),
    "rewriter": Candidate("calc/rewrite_test.go", REWRITER),
    "forger": Candidate("calc/forged_test.go", FORGER),
    "sleeper": Candidate("calc/sleep_test.go", SLEEPER),
    "outside": Candidate("other/sign_test.go", RIGHT),
    "climbs out": Candidate("calc/../../sign_test.go", RIGHT),
    "settings": Candidate("calc/go.mod", "module evil\n"),
    "existing": Candidate("calc/calc_test.go", RIGHT),
    "not a test": Candidate("calc/sign_helper.go", RIGHT),
}


@pytest.fixture(scope="module")
def verdicts(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunnerGaps, dict[str, RunnerVerdict]]]:
    """The change measured once, every candidate judged once, in one sandbox."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("gate") / "mod")
    base = repo.commit("start", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                                 "calc/calc.go": CALC, "calc/calc_test.go": CALC_TEST})  # fmt: skip
    head = repo.commit("sign", {"calc/calc.go": CALC + SIGN})
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    [change], _ = changes(GitCheckout(repo.path), base, head, environ)
    with PytestSandbox(repo.path, environ) as sandbox:
        gaps = measure(change, sandbox, suite_timeout=300, timeout=300, budget=300, seed=1)
        # a generous time for a busy machine's go build; the sleeper's is all it waits
        found = {label: judge(gaps, candidate, sandbox, seed=11,
                              timeout=20 if label == "sleeper" else 240)
                 for label, candidate in CANDIDATES.items()}  # fmt: skip
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(runner_gate, "RERUNS", 0)
            patch.setattr(mutants, "BUDGET", 1)
            found |= {label: judge(gaps, candidate, sandbox, seed=11, timeout=240)
                      for label, candidate in DEPENDENCE.items()}  # fmt: skip
        yield gaps, found


def test_the_change_leaves_sign_uncovered(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    gaps, _ = verdicts
    assert gaps.uncovered() == {"calc/calc.go": frozenset({8, 9, 10, 11, 12})}, gaps.problem


def test_a_candidate_adding_no_coverage_is_not_kept(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    assert verdicts[1]["no gain"].stage == "coverage_gain"


@pytest.mark.parametrize(("label", "stage", "words"), [
    ("rewriter", "pass", "calc/calc.go"),
    ("forger", "pass", "no result"),
    ("sleeper", "pass", "no result"),
    ("outside", "path", "outside the folders"),
    ("climbs out", "path", "not a path"),
    ("settings", "path", "settings"),
    ("existing", "path", "already holds"),
    ("not a test", "path", "not a test file"),
])  # fmt: skip
def test_attack_a_hostile_candidate_is_refused(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]], label: str, stage: str, words: str
) -> None:
    """Attack: each hostile candidate stops at the named stage, for the named reason, never kept
    and never a possible bug."""
    verdict = verdicts[1][label]
    assert (verdict.stage, verdict.possible_bug) == (stage, ""), verdict
    assert words in verdict.reason, verdict.reason


def test_a_go_test_comparing_a_constant_with_itself_is_dropped_for_not_depending_on_the_change(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    """It runs Sign's lines and calls t.Fatal, so every earlier stage passes; with
    Sign's condition mutated it passes still, so it is dropped, naming the mutant."""
    verdict = verdicts[1]["constant"]
    assert (verdict.stage, verdict.runs) == ("depends", 4), verdict  # same copy, repeat
    assert verdict.reason == (
        "does not depend on the change: passed with calc/calc.go:9 `<` mutated to `>=` "
        "(budget: 1 mutant run)"
    )


def test_a_right_go_test_is_kept_naming_the_mutant_it_fails_on(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    verdict = verdicts[1]["right"]
    # again in its copy, repeated, and the control: the file it wrote and removed in
    # the temporary folder is no mark
    assert (verdict.kept, verdict.runs) == (True, 5), verdict
    assert verdict.reason == ("fails when calc/calc.go:9 `<` mutated to `>=` (its check "
                              "calc/sign_test.go:14: neg)")  # its own t.Errorf, as go marks it
    assert verdict.covered == {"calc/calc.go": frozenset({8, 9, 10, 11})}


def test_a_failure_the_doc_comment_states_is_a_possible_bug_naming_it(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    """The change's own doc comment says ``Sign(0) returns 0`` (weaker evidence: decide says
    so, test_contract_check.py)."""
    verdict = verdicts[1]["bug"]
    assert (verdict.stage, verdict.kept, verdict.runs) == ("pass", False, 2)
    assert "zero_test.go:" in verdict.possible_bug and "Sign(0) = 1, want 0" in verdict.possible_bug
    [contract] = verdict.contracts
    assert (contract.path, contract.line, contract.kind) == ("calc/calc.go", 7, "doc comment")
    assert contract.quoted.endswith("Sign(0) returns 0.")



def test_attack_a_go_test_that_fails_on_any_change_of_the_file_is_not_kept(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    """Attack: it compares calc.go's hash with the head's, so it failed on the mutant
    and was kept as depending on the change; it fails on the control as well (calc.go with a
    blank line added), so it is dropped, saying why."""
    verdict = verdicts[1]["hashed"]
    assert (verdict.stage, verdict.runs) == ("depends", 5), verdict
    assert verdict.reason.endswith("a blank line is added at the end of calc/calc.go, which "
                                   "changes no behaviour (it checks the file, not the code)")


def test_a_flaky_go_test_passing_its_fresh_runs_is_dropped_at_repeat(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    """A candidate that fails one run in three passed its run alone and its reruns
    (each a fresh process; none here) and was kept by chance; ``go test -count=20`` in one
    build shows its failure."""
    verdict = verdicts[1]["flaky"]
    assert (verdict.stage, verdict.runs) == ("repeat", 3), verdict
    assert verdict.reason.startswith("fails 1 or more of 20 repeated runs in one process "
                                     "(go test -count=N, one build"), verdict.reason
    assert "1 of its 1 tests did not pass: calc/sign_mostly_test.go › TestSignMostly" \
        in verdict.reason


def test_a_mutant_runs_word_is_a_kill_only_by_the_candidates_own_check() -> None:
    """Per runner report: a failed check of the candidate's kills; a failure of no
    check, or a report that is no result but names the candidate's test crashed (go's panic),
    is a crash; another file's tests and a no-word report naming none say nothing."""
    path, other = "calc/sign_test.go", "calc/calc_test.go"
    failed = {f"{path} › TestSign": "failed", f"{other} › TestAdd": "failed"}
    check = {f"{path} › TestSign": "calc/sign_test.go:9: neg"}
    said = candidate_runs.mutant_result
    assert said(TestReport("go test", failed, checks=check), path) == mutants.MutantResult(
        mutants.Outcome.KILLED, "calc/sign_test.go:9: neg")
    assert said(TestReport("go test", failed), path).outcome is mutants.Outcome.CRASHED
    assert said(TestReport("go test", failed, checks={f"{other} › TestAdd": "x"}), path) \
        .outcome is mutants.Outcome.CRASHED  # fmt: skip
    panicked = TestReport("go test", problem="ended before the in-run check",
                          crashed=(f"{path} › TestSign",))  # fmt: skip
    assert said(panicked, path) == mutants.MutantResult(mutants.Outcome.CRASHED, f"{path} › TestSign")
    assert said(TestReport("go test", problem="x", crashed=(f"{other} › TestAdd",)), path) == \
        mutants.MutantResult(mutants.Outcome.NO_RESULT, "x")  # fmt: skip  # why, for the label


def test_a_go_test_failing_where_it_ran_before_is_dropped_at_same_copy(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    """Set 4's cron-parser: it passes its run alone in a fresh copy; run again in
    that copy, each of its three tests finds the mark its first run left (its folder, the
    temporary folder, HOME) and fails, so it is dropped before the fresh reruns, saying so."""
    verdict = verdicts[1]["marker"]
    assert (verdict.stage, verdict.runs) == ("same_copy", 2), verdict
    assert verdict.reason.startswith("fails when run again where it ran before: it depends on "
                                     "what an earlier run left: 3 of its 3 tests did not pass"), \
        verdict.reason
