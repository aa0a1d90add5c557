"""The fix judge runs a claim with the runner its caller hands it (``watched``), not with
pytest's row by name: a runner that runs a test file as a plain script, with a guard of its
own, is judged fail-to-pass exactly as pytest is, its words and its command in the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailingCommand,
    FailsThenPasses,
    Patch,
    Verdict,
)
from cicd_agent.modes.analyse_failure.fix.judge.fail_to_pass import judge, new_test_patch
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.sessions import FileRun, StepWatch
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.helpers.fix_projects import commit_project
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

MEAN = {"calc/__init__.py": "", "calc/ops.py": "def mean(xs):\n    return sum(xs) / len(xs)\n"}
"""A script crash: ``mean([])`` divides by zero."""
MEAN_FIX = Patch(
    diff=(
        "diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py\n+++ b/calc/ops.py\n"
        "@@ -1,2 +1,2 @@\n def mean(xs):\n-    return sum(xs) / len(xs)\n"
        "+    return sum(xs) / len(xs) if xs else 0.0\n"
    ),
    source="model",
    summary="mean of nothing is 0",
)
REPORT = "python -c 'from calc.ops import mean; print(mean([]))'"
CRASH = FailingCommand(job="report", step="Report", script=REPORT, failing=REPORT)
PASSED = "script test passed"
SCRIPT_TEST = f"from calc.ops import mean\n\nassert mean([]) == 0.0\nprint({PASSED!r})\n"
"""A test as a plain script: it fails as any script does (a traceback, exit 1)."""


@dataclass
class ScriptRunner:
    """A runner that is not pytest: it runs nothing of a failed step's command."""

    name: str = "script"

    def runs(self, command: str) -> bool:
        return False


@dataclass
class ScriptWatches:
    """Its guarded run: the guard module imported first, then the test file as ``__main__``."""

    asked: list[str] = field(default_factory=list)

    def file_run(self, path: str, first: str) -> FileRun:
        self.asked.append(path)
        run = f"import runpy; runpy.run_path({path!r}, run_name='__main__')"
        return FileRun(f"python {path}", f'python -c "import {first}; {run}"', "Traceback", PASSED)

    def reads_code_guard(self) -> str:
        return "GUARDED = True\n"

    def watch(self, root: Path) -> StepWatch:
        return PYTEST.watches.watch(root)  # the failed step's own command is not its to watch


@dataclass
class Script:
    runner: Any = field(default_factory=ScriptRunner)
    watches: ScriptWatches = field(default_factory=ScriptWatches)


@needs_sandbox
def test_the_fail_to_pass_judge_runs_the_runner_it_is_handed(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    commit_project(checkout, MEAN)
    sandbox = Sandbox(checkout, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    watched = Script()
    verifier = SandboxVerifier(sandbox, CRASH, watched=watched, redact=str, code_is_proof=True)
    path = "tests/test_mean_script.py"
    patch = new_test_patch(path, SCRIPT_TEST, checkout)
    assert isinstance(patch, Patch), patch
    with sandbox:
        verdict = judge(verifier, FailsThenPasses(patch, path, MEAN_FIX, SCRIPT_TEST))
    assert watched.watches.asked == [path]
    assert verdict.verdict is Verdict.VERIFIED, verdict.reason
    before, after = verdict.runs
    assert before.exit_code == 1 and "ZeroDivisionError" in before.output, before.output
    assert PASSED in after.output and "passed" not in before.output.replace(PASSED, "")
    assert verdict.reason.startswith(f"`python {path}` fails on the failed commit"), verdict.reason
