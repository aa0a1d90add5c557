"""analyse-failure ``--fix suggest`` with a model: the CLI, the real sandbox, the real openai SDK
over HTTP to the scripted local server. The failure is a real pytest failure no deterministic
fixer knows, so the model's tool loop is what may fix it."""

from __future__ import annotations

import functools
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.job.context import RunContext
from cicd_agent.modes.analyse_failure import mode
from cicd_agent.modes.analyse_failure import publish as mode_publish
from cicd_agent.modes.analyse_failure.fix import publish as fix_publish
from cicd_agent.modes.analyse_failure.fix.outcome import FixOutcome
from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
from cicd_agent.modes.analyse_failure.result import FailureResult
from cicd_agent.modes.analyse_failure.types import FailureFacts, RunTarget
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import opinion, zip_of
from tests.helpers.fix_projects import (
    CALC,
    CALC_EXIT_ZERO,
    CALC_FIX,
    CALC_USELESS_FIX,
    commit_project,
    git,
    lint_failure_log,
)
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox
SCRIPT = "python -m pytest -q -p no:cacheprovider"


@functools.cache
def _failure_log() -> bytes:
    """The failed job's log: pytest really failing over :data:`CALC`, run once for the module.
    The log names no path of the checkout it ran in, so every test's own checkout of the same
    files reads as the one that failed (one pytest start, 0.34 CPU-s, instead of one a test)."""
    with tempfile.TemporaryDirectory() as folder:
        checkout = Path(folder) / "checkout"
        commit_project(checkout, CALC)
        return lint_failure_log(checkout, path_env(), SCRIPT)


def _run(
    tmp_path: Path,
    model_server: Any,
    *extra: str,
    fixed_since: bool = False,
    on_runner: bool = True,
) -> tuple[int, dict[str, str], str, Path, str]:
    """analyse-failure --fix suggest over a real pytest failure's log; with ``fixed_since`` the
    checkout is a later commit where the test passes; without ``on_runner``, no RUNNER_TEMP."""
    checkout = tmp_path / "checkout"
    sha = commit_project(checkout, CALC)
    logs = tmp_path / "logs.zip"
    logs.write_bytes(zip_of({"0_test.txt": _failure_log()}))
    if fixed_since:
        ops = checkout / "calc" / "ops.py"
        ops.write_text(ops.read_text().replace("a - b", "a + b"))
        git(checkout, "commit", "-qam", "fixed")
        sha = git(checkout, "rev-parse", "HEAD")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    environ = {
        "PATH": path_env(),
        "HOME": str(tmp_path / "home"),
        **({"RUNNER_TEMP": str(runner_temp)} if on_runner else {}),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    done = run_cli(
        ["analyse-failure", "--provider", "openai", "--base-url", model_server.base_url,
         "--logs", str(logs), "--repo", str(checkout), "--head", sha, "--fix", "suggest", *extra],
        tmp_path, environ, on_runner=on_runner,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    audit = runner_temp / "cicd-agent" / "analyse-failure-audit.jsonl"
    return done.code, done.outputs, done.summary, audit, done.stdout


def _one_patch_not_offered(tmp_path: Path, model_server: Any, diff: str, stop: str) -> str:
    """The model proposes ``diff`` once, which is not verified, then stops saying ``stop``:
    nothing is offered and the audit records the one unverified proposal. The summary."""
    model_server.answer(opinion())
    model_server.call_tools(("propose_patch", {"diff": diff, "summary": "a patch"}))
    model_server.answer(stop)

    code, outputs, summary, audit, _ = _run(tmp_path, model_server)

    assert code == 0, summary
    assert outputs["fix_status"] == "none" and outputs["fix_patch_path"] == ""
    steps = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [s.get("passed") for s in steps if s["kind"] == "tool"] == [False]
    return summary


def test_the_model_loop_fixes_a_failing_test_and_the_verified_patch_is_offered(
    tmp_path: Path, model_server: Any
) -> None:
    model_server.answer(opinion())  # the usual root-cause question first, then the fix loop
    model_server.call_tools(("run_failing_command", {}))
    model_server.call_tools(("read_file", {"path": "calc/ops.py"}))
    model_server.call_tools(("propose_patch", {"diff": CALC_FIX, "summary": "add, not subtract"}))

    code, outputs, summary, audit, _ = _run(tmp_path, model_server)

    assert code == 0
    assert outputs["fix_status"] == "verified"
    assert Path(outputs["fix_patch_path"]).read_text() == CALC_FIX
    # the model's patch ran in one process with the tests that judged it: checked, not verified
    assert re.search(r"\*\*Fix checked: \d+ tests? pass(es)? with it\*\*", summary), summary
    assert "Verified fix" not in summary and "add, not subtract" in summary
    assert "Model fix loop: a patch passed the judge in the sandbox (3 model call(s)" in summary
    assert f"steps in {audit})" in summary  # the note names the file publish wrote
    # The loop saw the sandbox's real failure output, and every step is in the audit file.
    assert "assert -1 == 5" in model_server.chat_requests[0].text("user")
    steps = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(s["kind"], s.get("call")) for s in steps] == [
        ("model", None), ("tool", "run_failing_command"), ("model", None), ("tool", "read_file"),
        ("model", None), ("tool", "propose_patch"), ("stop", None),
    ]  # fmt: skip
    assert steps[5]["passed"] is True and steps[0]["mode"] == "analyse-failure"
    assert len(model_server.chat_requests) == 4


def test_the_fix_loops_audit_file_is_written_by_publish_not_by_the_check_step(
    tmp_path: Path, model_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Publish is where every write happens: when it starts, the check step's loop is over and
    the audit file is not there yet; the fix step's own publishing writes it, and after it the
    file holds every step of the loop."""
    model_server.answer(opinion())
    model_server.call_tools(("propose_patch", {"diff": CALC_FIX, "summary": "add, not subtract"}))
    audit = tmp_path / "runner-temp" / "cicd-agent" / "analyse-failure-audit.jsonl"
    there_at_publish: list[bool] = []
    real = mode.publish

    def publish(
        ctx: RunContext[AnalyseFailureOptions], facts: FailureFacts, decided: FailureResult
    ) -> None:
        there_at_publish.append(audit.exists())
        real(ctx, facts, decided)

    there_around_the_fix: list[bool] = []

    def publish_fix(
        ctx: RunContext[AnalyseFailureOptions], fix: FixOutcome, target: RunTarget | None
    ) -> None:
        there_around_the_fix.append(audit.exists())
        fix_publish.publish_fix(ctx, fix, target)
        there_around_the_fix.append(audit.exists())

    monkeypatch.setattr(mode, "publish", publish)
    monkeypatch.setattr(mode_publish, "publish_fix", publish_fix)
    code, outputs, summary, written, _ = _run(tmp_path, model_server)

    assert code == 0 and outputs["fix_status"] == "verified", summary
    assert written == audit and there_at_publish == [False]
    assert there_around_the_fix == [False, True]
    steps = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(s["kind"], s.get("call")) for s in steps] == [
        ("model", None), ("tool", "propose_patch"), ("stop", None),
    ]  # fmt: skip
    assert all(s["tool"].startswith("cicd-agent ") and s["time"] for s in steps)


def test_off_a_runner_the_loops_note_says_its_steps_were_not_kept(
    tmp_path: Path, model_server: Any
) -> None:
    """With no RUNNER_TEMP there is no audit file: the note says so, never "steps in None"."""
    model_server.answer(opinion())
    model_server.call_tools(("propose_patch", {"diff": CALC_FIX, "summary": "add, not subtract"}))

    code, outputs, summary, audit, _ = _run(tmp_path, model_server, on_runner=False)

    assert code == 0 and outputs["fix_status"] == "verified", summary
    assert "steps in None" not in summary and not audit.exists()
    assert "steps not kept: no RUNNER_TEMP, so no audit file)" in summary, summary


def test_a_failed_diagnosis_keeps_the_fix_loops_verified_patch(
    tmp_path: Path, model_server: Any
) -> None:
    """The ask step returns the loop's patches with the diagnosis: when the diagnosis call
    fails, the patches the loop verified after it still reach the result and are offered."""
    model_server.refuse("I can't help with that.")
    model_server.call_tools(("propose_patch", {"diff": CALC_FIX, "summary": "add, not subtract"}))

    code, outputs, summary, _, _ = _run(tmp_path, model_server)

    assert code == 0
    assert outputs["fix_status"] == "verified"
    assert Path(outputs["fix_patch_path"]).read_text() == CALC_FIX
    assert "The model gave no usable answer" in summary
    assert "from the failure type)" in summary  # the deterministic advice stands


def test_a_model_whose_patch_fixes_nothing_gets_fix_status_none_with_the_reason(
    tmp_path: Path, model_server: Any
) -> None:
    summary = _one_patch_not_offered(
        tmp_path,
        model_server,
        CALC_USELESS_FIX,
        "I cannot find the cause. @octocat ![x](https://evil.example/p.png)",
    )

    assert (
        "**No fix offered:** 1 patch(es) tried, none verified (last: the failing command still "
        "fails with the patch" in summary
    )
    assert "the model stopped without a verified patch: I cannot find the cause." in summary
    assert "@octocat" not in summary and "![x](https://evil.example" not in summary
    assert git(tmp_path / "checkout", "status", "--porcelain", "--untracked-files=no") == ""


def test_a_workflow_edit_is_refused_never_offered_and_the_refusal_is_audited(
    tmp_path: Path, model_server: Any
) -> None:
    workflow = (
        "diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml\n"
        "new file mode 100644\n--- /dev/null\n+++ b/.github/workflows/ci.yml\n"
        "@@ -0,0 +1 @@\n+on: push\n"
    )
    model_server.answer(opinion())
    model_server.call_tools(("propose_patch", {"diff": CALC_FIX + workflow, "summary": "ci"}))
    model_server.answer("Done.")

    code, outputs, summary, audit, _ = _run(tmp_path, model_server)

    assert code == 0 and outputs["fix_status"] == "none"
    assert "1 tool call(s) refused" in summary
    (refused,) = [
        json.loads(line) for line in audit.read_text().splitlines() if '"refused": "' in line
    ]
    assert refused["call"] == "propose_patch"
    assert refused["refused"] == "the patch edits a workflow file (.github/workflows/ci.yml)"


def test_a_failure_that_does_not_reproduce_starts_no_model_loop(
    tmp_path: Path, model_server: Any
) -> None:
    model_server.answer(opinion())

    code, outputs, summary, audit, _ = _run(tmp_path, model_server, fixed_since=True)

    assert code == 0 and outputs["fix_status"] == "none"
    assert "Model fix loop not started: the failing command passes in the sandbox" in summary
    (request,) = model_server.chat_requests  # only the root-cause question
    assert "tools" not in request.body
    assert not audit.exists()


def test_every_patch_the_model_proposed_is_in_the_result_not_only_the_verified_one(
    tmp_path: Path, model_server: Any
) -> None:
    model_server.answer(opinion())
    model_server.call_tools(("propose_patch", {"diff": CALC_USELESS_FIX, "summary": "a comment"}))
    model_server.call_tools(("propose_patch", {"diff": CALC_FIX, "summary": "add, not subtract"}))

    code, outputs, _, audit, stdout = _run(tmp_path, model_server, "--json")

    assert code == 0 and outputs["fix_status"] == "verified"
    steps = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [s.get("passed") for s in steps if s["kind"] == "tool"] == [False, True]
    tried = json.loads(stdout)["fix"]["tried"]
    assert [(t["summary"], t["passed"]) for t in tried] == [
        ("a comment", False),
        ("add, not subtract", True),
    ]
    assert tried[0]["reason"].startswith("the failing command still fails with the patch")


def test_a_patch_that_exits_zero_on_import_is_not_offered_and_the_summary_says_why(
    tmp_path: Path, model_server: Any
) -> None:
    """Red team, end to end: the failing test's name comes from the log, and the patch makes
    pytest's process exit 0 before it reports; the bug is still there, nothing is offered."""
    summary = _one_patch_not_offered(tmp_path, model_server, CALC_EXIT_ZERO, "Done.")

    assert (
        "none verified (last: not verified: the run gave no per-test evidence (no test report "
        "from pytest" in summary
    ), summary


LEAKED = "ghp_" + "Ab1" * 12
"""A GitHub token as the redactor knows one by its shape (the model writes it; no run gave it)."""


def test_attack_a_token_the_model_writes_as_a_tool_name_reaches_no_audit_line(
    tmp_path: Path, model_server: Any
) -> None:
    """Publish appends the loop's steps: every word a model wrote in them is redacted, the name
    of a tool it calls (refused, and listed in its turn's line) as much as its arguments."""
    model_server.answer(opinion())
    model_server.call_tools((LEAKED, {"path": LEAKED}))
    model_server.call_tools(("propose_patch", {"diff": CALC_FIX, "summary": "add, not subtract"}))

    code, outputs, summary, audit, stdout = _run(tmp_path, model_server)

    assert code == 0 and outputs["fix_status"] == "verified", summary
    text = audit.read_text()
    steps = [json.loads(line) for line in text.splitlines()]
    assert [s["kind"] for s in steps] == ["model", "tool", "model", "tool", "stop"], steps
    assert steps[1]["refused"], steps[1]
    assert LEAKED not in text and "[REDACTED" in steps[1]["call"], steps[1]
    assert LEAKED not in summary + stdout
