"""A change that is only a comment is no line a test runs: a new user's push added a trailing
``// touch`` to go-version's ``version.go``, their order-dependent test failed in the suite and
passed alone, and the step said "No failed test is called likely flaky for running none of the
changed lines: each ran a line the change touched". It ran none: a comment does not run, and
the test's lone run passed, so what its failing run ran was never known."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.runners.go.coverage import sees
from cicd_agent.sandbox.step import read_change
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun
from tests.helpers.toolchains import needs_go

CODE = "package calc\n\nvar Seen = []int{}\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
TESTS = """\
package calc

import "testing"

func TestAPolluter(t *testing.T) {
\tSeen = append(Seen, Add(1, 1))
}

func TestBVictim(t *testing.T) {
\tif len(Seen) != 0 {
\t\tt.Fatal("a test before this one left state")
\t}
}
"""


def _judged(tmp_path: Path, head: str) -> tuple[str, ...]:
    repo = GitRepoBuilder(tmp_path / "mod")
    base = repo.commit("base", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                                "calc/calc.go": CODE, "calc/calc_test.go": TESTS})  # fmt: skip
    after = repo.commit("head", {"calc/calc.go": head})
    change, unread = read_change(base, after, repo.path, sees)
    assert change is not None, unread
    kept = {k: os.environ[k] for k in ("HOME", "GOPATH", "GOMODCACHE") if k in os.environ}
    env = {"PATH": os.environ.get("PATH", ""), "GOFLAGS": "-mod=mod", "GOPROXY": "off",
           "GOCACHE": str(tmp_path / "cache"), **kept}  # fmt: skip
    attempts = run_attempts(["go", "test", "./..."], 1, cwd=repo.path, run=JobRun(env),
                            change=change)  # fmt: skip
    assert attempts[0].failed() == ["example.com.m.calc.TestBVictim"], attempts[0]
    verdict = judge_step(attempts, [], date(2026, 11, 30), code_is_proof=True, change=change)
    assert not any("each ran a line the change touched" in said for said in verdict.said)
    return verdict.said


@needs_go
def test_a_comment_only_change_is_no_line_a_test_ran(tmp_path: Path) -> None:
    said = _judged(tmp_path, CODE + "// touch\n")
    assert (
        "No failed test is called likely flaky for running none of the changed lines: the change "
        "touches no line a test could run."
    ) in said, said


@needs_go
def test_a_failure_that_passed_alone_says_its_lines_are_not_known(tmp_path: Path) -> None:
    said = _judged(tmp_path, CODE.replace("a + b", "b + a"))
    assert (
        "No failed test is called likely flaky for running none of the changed lines: "
        "`example.com/m/calc.TestBVictim` passed when run alone, so the lines its failing run ran "
        "are not known."
    ) in said, said
