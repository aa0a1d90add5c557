"""The fix judge on a failed ``go test`` step: a fix verifies only where go's own
report, read through the test-runner seam in the patched copy, shows the failing test the log
named passing; a patch to ``go.mod`` (a ``replace`` can swap the code under test) is refused
before any run. Real go, real sandbox, a tiny module with no outside dependency."""

from __future__ import annotations

import os
from pathlib import Path

from cicd_agent.analysis.unified_diff import file_diff
from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand, Patch, Verdict
from cicd_agent.modes.analyse_failure.fix.judge.passing import why_failing_tests_do_not_pass
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

BROKEN = "package calc\n\nfunc Sub(a, b int) int {\n\treturn a + b\n}\n"
FIXED = BROKEN.replace("a + b", "a - b")
TEST = ('package calc\n\nimport "testing"\n\nfunc TestSub(t *testing.T) {\n'
        '\tif Sub(3, 1) != 2 {\n\t\tt.Fatal("sub")\n\t}\n}\n')  # fmt: skip
GO_MOD = "module example.com/m\n\ngo 1.19\n"


@needs_sandbox
@needs_go
def test_a_go_fix_verifies_by_gos_report_and_a_gomod_patch_is_refused(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "mod")
    repo.commit("start", {"go.mod": GO_MOD, "calc/calc.go": BROKEN, "calc/calc_test.go": TEST})
    failing = FailingCommand("test", "Run go test", "go test ./...", "go test ./...")
    with Sandbox(repo.path, {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str,
                                   failed_test_names=("TestSub",),
                                   code_is_proof=True)  # fmt: skip
        fixed = verifier.verify(Patch(file_diff("calc/calc.go", BROKEN, FIXED), "model", "fix"))
        moved = verifier.verify(Patch(file_diff("go.mod", GO_MOD, f"{GO_MOD}// x\n"), "model", "m"))
        blind = why_failing_tests_do_not_pass(
            GoTest(), sandbox, sandbox.workspace("blind"), (), patched=("calc/calc.go",),
            timeout=60)  # fmt: skip
    assert fixed.verdict is not Verdict.NOT_PASSED, fixed.reason
    assert fixed.reason == "the failing command passes twice with the patch and its report " \
        "shows the failing tests passing"  # fmt: skip
    assert moved.verdict is Verdict.NOT_PASSED, moved.reason
    assert "go test's settings" in moved.reason, moved.reason
    assert "the log names no failing test" in blind, blind  # then no report can show it passing
