"""The flaky hunt for a Go change's own tests, through the runner seam, on a tiny
real Go module with no outside dependency: a test that passes only when the file's other tests
ran before it, in their written order (a package variable they fill), is named flaky by the
reruns gen-tests makes (in order, then shuffled with ``go test -shuffle``), every failure under
a shuffled order with its seed recorded, and that seed replayed fails it again; a test that
assumes the job's time zone (UTC here) is named flaky by the rounds run under another ``TZ``
(the selection's zone, which every runner puts in the run's environment); a test failing
every third call is named flaky by the rounds that run it many times in one process
(``go test -count``), the first round's single run having passed."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from cicd_agent.modes.gen_tests.runner_reruns import ROUNDS, rerun
from cicd_agent.runners.base import Selection
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

ORDER_TEST = """package calc

import (
\t"strings"
\t"testing"
)

var ran []string

func TestA(t *testing.T) { ran = append(ran, "A") }
func TestB(t *testing.T) { ran = append(ran, "B") }
func TestC(t *testing.T) { ran = append(ran, "C") }
func TestD(t *testing.T) { ran = append(ran, "D") }

func TestAfterTheOthers(t *testing.T) {
\tif got := strings.Join(ran, ""); got != "ABCD" {
\t\tt.Fatalf("ran after %q, not after ABCD", got)
\t}
}
"""
LAST = "calc/order_test.go › TestAfterTheOthers"
ZONE_TEST = """package calc

import (
	"testing"
	"time"
)

func TestLocalTimeIsUTC(t *testing.T) {
	if _, offset := time.Now().Zone(); offset != 0 {
		t.Fatalf("local time is UTC%+d s", offset)
	}
}
"""
ZONED = "calc/zone_test.go › TestLocalTimeIsUTC"
THIRD_TEST = """package calc

import "testing"

var calls int

func TestEveryThirdCall(t *testing.T) {
	calls++
	if calls%3 == 0 {
		t.Fatalf("call %d", calls)
	}
}
"""
THIRD = "calc/third_test.go › TestEveryThirdCall"
OTHER_TEST = "package calc\n\nimport \"testing\"\n\nfunc TestOther(t *testing.T) {}\n"


@needs_sandbox
@needs_go
def test_an_order_dependent_go_test_is_named_flaky_with_a_replayable_seed(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "mod")
    repo.commit("start", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                          "calc/order_test.go": ORDER_TEST,
                          "calc/zone_test.go": ZONE_TEST,
                          "calc/third_test.go": THIRD_TEST,
                          "calc/other_test.go": OTHER_TEST})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        files = ("calc/order_test.go", "calc/zone_test.go", "calc/third_test.go")
        found = rerun(go := GoTest(), sandbox, files, repeats=go, timeout=120, budget=300, seed=5)
        assert found.stopped == "" and found.runs == ROUNDS
        # go runs the package's other tests too; they are no test of these files, and a new
        # user read forty of them listed as "passed 1 of 1 run(s): unchecked"
        assert [test for test in found.tests if test.split(" › ")[0] not in files] == []
        counts = found.tests[LAST]
        # in its written order it passes (3 runs); shuffled, the others did not all run first
        # (a shuffle keeping A, B, C, D then the last test has odds 1 in 120 a run)
        # (after the first round, each round runs the tests many times in one process: go test
        # -count, with one shuffled order for all of a round's runs)
        assert (counts.rounds, counts.verdict) == (ROUNDS, "flaky") and counts.runs >= ROUNDS
        assert {found.tests[f"calc/order_test.go › Test{n}"].verdict for n in "ABCD"} == {"stable"}
        # a flake one process shows: passes its first run, fails a later one of the same binary
        third = found.tests[THIRD]
        assert third.verdict == "flaky" and third.passed > third.failed > 0, third
        assert any(u.startswith("in their order, ") and "runs in one process" in u
                   for u in found.failed_under[THIRD]), found.failed_under[THIRD]
        under = found.failed_under[LAST]
        # every shuffled round, and any round whose repetitions ran it after the others' first
        assert sum(u.startswith("shuffled with seed ") for u in under) == 3
        assert all(u.startswith("shuffled with seed ") or "runs in one process" in u for u in under)
        # the replay is a command a person pastes in the checkout
        match = re.fullmatch(r"go test -count=\d+ -shuffle=(\d+)( '-run=\^\(\w+(\|\w+)*\)\$')? "
                             r"\./calc", found.replays[LAST])  # fmt: skip
        assert match is not None, found.replays[LAST]
        pasted = subprocess.run(["bash", "-c", found.replays[LAST]], cwd=repo.path, text=True,
                                capture_output=True, timeout=120,
                                env={**environ, "HOME": str(tmp_path)})  # fmt: skip
        assert pasted.returncode == 1 and "--- FAIL: TestAfterTheOthers" in pasted.stdout, pasted
        seed = int(match[1])
        # the replay's seed is one the failing runs had, and it fails the test again
        assert any(u.startswith(f"shuffled with seed {seed}") for u in under)
        again = GoTest().run(sandbox, sandbox.workspace("replay"),
                             Selection(("calc/order_test.go",), seed=seed), timeout=120)  # fmt: skip
        assert again.problem == "" and again.outcomes[LAST] == "failed", again.output[-2000:]
        # the zone: passes in the job's (the first two rounds), fails under each other one
        zoned = found.tests[ZONED]
        assert zoned.verdict == "flaky" and len(found.failed_under[ZONED]) == 4
        assert [u.split(", ")[-1] for u in found.failed_under[ZONED]] == [
            "TZ=Pacific/Kiritimati", "TZ=Pacific/Kiritimati", "TZ=America/St_Johns",
            "TZ=America/St_Johns"]  # fmt: skip
        assert found.replays[ZONED].startswith("TZ=Pacific/Kiritimati go test "), found.replays
        replayed = GoTest().run(sandbox, sandbox.workspace("zone"),
                                Selection(files[1:2], zone="Pacific/Kiritimati"), timeout=120)  # fmt: skip
        assert replayed.outcomes[ZONED] == "failed", replayed.output[-2000:]
