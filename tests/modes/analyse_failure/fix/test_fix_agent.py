"""The fix step's model loop, watched over real HTTP by the local model server's scripted tool
calls, on real failing projects (pytest, mypy, ruff) whose commands really run.

The scripted model is not smart: each test scripts what a model could do (look, run, propose;
propose something useless; try to escape; loop forever) and checks what the loop does with it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.analysis.redact import Redactor
from cicd_agent.local.audit import append
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.model.client import ModelClient
from cicd_agent.model.pricing import Price
from cicd_agent.modes.analyse_failure.fix.agent import AgentLimits, FixAgent
from cicd_agent.modes.analyse_failure.fix.judge.claims import Verdict
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.helpers.sandbox import needs_sandbox
from tests.modes.analyse_failure.fix.agent_projects import (
    TEST_CALC,
    CountingVerifier,
    FailingProject,
    failing_lint,
    failing_mypy,
    failing_pytest,
)

pytestmark = needs_sandbox
GITHUB_TOKEN = "ghp_" + "R8x2Lq9ZtY4mN7vK1pW3sD6fH0jB5cA2eG8u"


def loop(
    tmp_path: Path,
    model_server: Any,
    project: FailingProject,
    *,
    limits: AgentLimits | None = None,
    excerpt: str = "",
    failing_tests: tuple[str, ...] = (),
    **config: Any,
) -> tuple[FixAgent, CountingVerifier, list[dict[str, Any]]]:
    """Run the loop once against the scripted server with the real sandboxed verifier; the
    agent, the verifier and the audit lines its outcome holds, as publish appends them."""
    audit = tmp_path / "audit.jsonl"
    redact = Redactor([GITHUB_TOKEN]).redact
    sandbox = Sandbox(project.root, {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home")})
    verifier = CountingVerifier(
        SandboxVerifier(
            sandbox,
            project.failing,
            watched=PYTEST,
            redact=redact,
            failing_test_files=failing_tests,
            code_is_proof=True,
        )
    )
    with sandbox, ModelClient(model_server.config(max_retries=0, **config)) as model:
        agent = FixAgent(
            model,
            verifier,
            GitCheckout(project.root),
            redact=redact,
            limits=limits,
            audit_base={"mode": "analyse-failure"},
        )
        outcome = agent.run(project.failing, excerpt or project.run().stdout)
    for record in outcome.audit:
        append(audit, record, project.root, redact=redact)
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    return agent, verifier, lines


def tool_results(model_server: Any) -> list[str]:
    """The tool messages of the last request: what the model read back, in order."""
    last = model_server.chat_requests[-1]
    return [m["content"] for m in last.messages if m["role"] == "tool"]


@pytest.mark.parametrize(
    ("build", "symptom"),
    [
        (failing_pytest, "assert -1 == 5"),
        (failing_mypy, "Incompatible return value type"),
        (failing_lint, "F401"),
    ],
    ids=["pytest", "mypy", "ruff"],
)
def test_a_model_that_looks_runs_and_proposes_the_fix_gets_it_verified(
    tmp_path: Path, model_server: Any, build: Any, symptom: str
) -> None:
    project = build(tmp_path / "project")
    assert project.run().returncode != 0  # the project really fails
    (name,) = project.fix
    model_server.call_tools(("run_failing_command", {}))
    model_server.call_tools(("read_file", {"path": name}))
    model_server.call_tools(("propose_patch", {"diff": project.fix_diff, "summary": "fix it"}))

    agent, _verifier, audit = loop(tmp_path, model_server, project)

    outcome = agent.outcome
    assert outcome.offered is not None and outcome.offered.verdict is not Verdict.NOT_PASSED
    assert (
        outcome.offered.patch.source == "model" and outcome.offered.patch.diff == project.fix_diff
    )
    assert outcome.calls == 3 and outcome.stop_reason == "a patch passed the judge in the sandbox"
    assert outcome.tokens > 0 and outcome.refusals == []
    # The model saw the real failure output and the file, both fenced as data.
    ran, read = tool_results(model_server)
    assert ran.startswith("exit code 1") and symptom in ran and "<untrusted-data" in ran
    assert read.startswith('<untrusted-data label="read_file result"') and name in read
    # Tools were offered, and every step is in the audit record.
    assert {t["function"]["name"] for t in model_server.chat_requests[0].body["tools"]} >= {
        "read_file", "search", "git_log", "git_blame", "run_failing_command", "propose_patch"
    }  # fmt: skip
    kinds = [(line["kind"], line.get("call")) for line in audit]
    assert kinds == [
        ("model", None), ("tool", "run_failing_command"),
        ("model", None), ("tool", "read_file"),
        ("model", None), ("tool", "propose_patch"),
        ("stop", None),
    ]  # fmt: skip
    assert all(line["mode"] == "analyse-failure" and line["phase"] == "fix-agent" for line in audit)
    reason = "the failing command passes twice with the patch" + (
        " and pytest's report shows its tests passing" if build is failing_pytest else ""
    )
    assert audit[-2]["passed"] is True and audit[-2]["reason"] == reason
    assert audit[-2]["arguments"]["diff"] == project.fix_diff


def test_a_patch_that_fixes_nothing_is_not_offered_and_the_model_hears_why(
    tmp_path: Path, model_server: Any
) -> None:
    project = failing_pytest(tmp_path / "project")
    useless = project.diff_for(
        {"calc.py": project.fix["calc.py"].replace("return a + b", "return (a - b)")}
    )
    model_server.call_tools(("propose_patch", {"diff": useless, "summary": "parenthesise"}))
    model_server.answer("I could not find a fix.")

    agent, _verifier, audit = loop(tmp_path, model_server, project)

    outcome = agent.outcome
    assert outcome.offered is None and len(outcome.proposals) == 1
    assert outcome.proposals[0].reason.startswith("the failing command still fails with the patch")
    assert outcome.stop_reason == (
        "the model stopped without a verified patch: I could not find a fix."
    )
    (answer,) = tool_results(model_server)
    assert (
        answer.startswith("rejected: the failing command still fails")
        and "assert -1 == 5" in answer
    )
    assert [line.get("passed") for line in audit if line["kind"] == "tool"] == [False]


def test_reads_and_edits_outside_the_checkout_or_of_a_workflow_are_refused_and_audited(
    tmp_path: Path, model_server: Any
) -> None:
    project = failing_pytest(tmp_path / "project")
    secret = tmp_path / "outside.txt"
    secret.write_text("TOP-SECRET-OUTSIDE\n")
    workflow_edit = project.diff_for({".github/workflows/ci.yml": "on: push\njobs: {}\n"})
    outside_edit = project.fix_diff.replace("a/calc.py", "a/../outside.txt").replace(
        "b/calc.py", "b/../outside.txt"
    )
    (project.root / "escape").symlink_to(tmp_path)
    model_server.call_tools(("read_file", {"path": "../outside.txt"}))
    model_server.call_tools(("read_file", {"path": str(secret)}))
    model_server.call_tools(("read_file", {"path": "escape/outside.txt"}))
    model_server.call_tools(("read_file", {"path": ".git/config"}))
    model_server.call_tools(("git_log", {"path": "../"}))
    model_server.call_tools(("propose_patch", {"diff": workflow_edit, "summary": "ci"}))
    model_server.call_tools(("propose_patch", {"diff": outside_edit, "summary": "out"}))
    model_server.call_tools(("run_failing_command", {"diff": outside_edit}))
    model_server.call_tools(("propose_patch", "{not json"))
    model_server.answer("Giving up.")

    agent, verifier, audit = loop(tmp_path, model_server, project)

    outcome = agent.outcome
    assert outcome.offered is None and outcome.proposals == []
    assert verifier.runs == [] and verifier.verified == []  # nothing reached the sandbox
    assert "TOP-SECRET-OUTSIDE" not in model_server.all_prompt_text()
    assert all(text.startswith("refused: ") for text in tool_results(model_server))
    refused = [line["refused"] for line in audit if line["kind"] == "tool"]
    assert [line["call"] for line in audit if line["kind"] == "tool"] == [
        *["read_file"] * 4, "git_log", "propose_patch", "propose_patch",
        "run_failing_command", "propose_patch",
    ]  # fmt: skip
    assert all(line["tool"].startswith("cicd-agent ") for line in audit)
    assert len(refused) == 9 and all(refused)
    assert "climbs out with '..'" in refused[0] and "is absolute" in refused[1]
    assert "goes through a symbolic link (escape)" in refused[2]
    assert "inside .git" in refused[3] and "climbs out" in refused[4]
    assert refused[5] == "the patch edits a workflow file (.github/workflows/ci.yml)"
    assert refused[6] == refused[7] == "the patch writes outside the checkout (../outside.txt)"
    assert refused[8] == "the arguments are not valid JSON"
    assert len(outcome.refusals) == 9


def test_links_the_pull_request_committed_are_never_followed_by_the_models_tools(
    tmp_path: Path, model_server: Any
) -> None:
    """A PR commits ``cfg -> .git/config`` and ``env -> /proc/self/environ``: the tools read
    the link itself at most, never what it points at."""
    project = failing_pytest(tmp_path / "project")
    checkout_token = "ghs_" + "Lk7Yt2Rw9Qp4Xn1Mv6Bz3Lh8Jd5Gf0Sa2Z"  # not the step's: unredacted
    # What /proc/self/environ shows of this process (its block is fixed when it starts).
    environ = Path("/proc/self/environ").read_bytes().decode("utf-8", "replace").split("\0")
    with (project.root / ".git" / "config").open("a") as config:
        config.write(
            f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {checkout_token}\n'
        )
    (project.root / "cfg").symlink_to(".git/config")
    (project.root / "env").symlink_to("/proc/self/environ")
    (project.root / "linked").symlink_to(".git")
    subprocess.run(["git", "add", "cfg", "env", "linked"], cwd=project.root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "links"],
        cwd=project.root,
        check=True,
    )
    model_server.call_tools(("read_file", {"path": "cfg"}))
    model_server.call_tools(("read_file", {"path": "env"}))
    model_server.call_tools(("read_file", {"path": "linked/config"}))
    model_server.call_tools(("search", {"pattern": "extraheader"}))
    model_server.call_tools(("search", {"pattern": "SENTRY", "path": "env"}))
    model_server.call_tools(("git_blame", {"path": "cfg"}))
    model_server.answer("Giving up.")

    _, _, audit = loop(tmp_path, model_server, project)

    sent = model_server.all_prompt_text()
    assert checkout_token not in sent
    assert not [entry for entry in environ if len(entry) > 8 and entry in sent]
    refused = [line["refused"] for line in audit if line["kind"] == "tool"][:3]
    assert all("symbolic link" in reason for reason in refused), refused


def test_editing_the_failing_test_is_refused_by_the_verifiers_policy_before_any_run(
    tmp_path: Path, model_server: Any
) -> None:
    project = failing_pytest(tmp_path / "project")
    weaker = project.diff_for({"tests/test_calc.py": TEST_CALC.replace("== 5", "== -1")})
    model_server.call_tools(("run_failing_command", {"diff": weaker}))
    model_server.call_tools(("propose_patch", {"diff": weaker, "summary": "expect -1"}))
    model_server.answer("Giving up.")

    agent, verifier, audit = loop(
        tmp_path, model_server, project, failing_tests=("tests/test_calc.py",)
    )

    assert verifier.asked == [weaker, weaker]
    assert verifier.runs == [] and verifier.verified == [] and agent.outcome.proposals == []
    reason = "the patch edits the failing test itself (tests/test_calc.py)"
    assert tool_results(model_server) == [f"refused: {reason}"] * 2
    assert [line["refused"] for line in audit if line["kind"] == "tool"] == [reason] * 2


def test_the_call_cap_stops_a_model_that_never_finishes(tmp_path: Path, model_server: Any) -> None:
    project = failing_pytest(tmp_path / "project")
    model_server.call_tools(("search", {"pattern": "def add"}), times=None)

    agent, verifier, audit = loop(tmp_path, model_server, project, limits=AgentLimits(max_calls=4))

    outcome = agent.outcome
    assert len(model_server.chat_requests) == 4 and outcome.calls == 4
    assert outcome.offered is None and verifier.runs == []
    assert (
        outcome.stop_reason == "the call cap of 4 model calls was reached without a verified patch"
    )
    assert audit[-1] == {**audit[-1], "kind": "stop", "reason": outcome.stop_reason, "calls": 4}
    assert "calc.py:4:def add(a: int, b: int) -> int:" in tool_results(model_server)[0]


def test_the_token_cap_stops_before_sending_a_prompt_that_would_pass_it(
    tmp_path: Path, model_server: Any
) -> None:
    project = failing_pytest(tmp_path / "project")
    model_server.call_tools(("read_file", {"path": "calc.py"}), times=None)

    agent, _, _ = loop(tmp_path, model_server, project, limits=AgentLimits(max_tokens=3_000))

    outcome = agent.outcome
    assert outcome.offered is None and 1 <= outcome.calls < 12
    assert outcome.stop_reason.startswith("the token cap of 3,000 would be passed by the next call")
    assert len(model_server.chat_requests) == outcome.calls
    assert outcome.tokens <= 3_000


def test_the_cost_cap_stops_the_loop_once_spending_reaches_it(
    tmp_path: Path, model_server: Any
) -> None:
    project = failing_pytest(tmp_path / "project")
    model_server.call_tools(("read_file", {"path": "calc.py"}), times=None)
    dear = {"gpt-5.4": Price(input=100.0, output=100.0)}  # $100 per million tokens

    agent, _, _ = loop(
        tmp_path, model_server, project, limits=AgentLimits(max_cost_usd=0.5), prices=dear
    )

    outcome = agent.outcome
    assert outcome.stop_reason == "the cost cap of $0.5 was reached without a verified patch"
    assert outcome.cost_usd >= 0.5 and outcome.offered is None
    assert 1 <= outcome.calls < 12 and len(model_server.chat_requests) == outcome.calls


def test_secrets_in_the_checkout_and_the_log_never_reach_the_model(
    tmp_path: Path, model_server: Any
) -> None:
    project = failing_pytest(tmp_path / "project")
    (project.root / "settings.py").write_text(f'TOKEN = "{GITHUB_TOKEN}"\n')
    model_server.call_tools(("read_file", {"path": "settings.py"}))
    model_server.call_tools(("search", {"pattern": "ghp_"}))
    model_server.answer("Nothing to fix here.")

    _agent, _, audit = loop(
        tmp_path, model_server, project, excerpt=f"E   auth failed with {GITHUB_TOKEN}\n"
    )

    sent = model_server.all_prompt_text()
    assert GITHUB_TOKEN not in sent and "[REDACTED" in sent
    assert "settings.py" in tool_results(model_server)[0]
    assert GITHUB_TOKEN not in json.dumps(audit)


def test_a_sandbox_that_fails_is_a_refusal_the_model_reads_not_a_crash(
    tmp_path: Path, model_server: Any
) -> None:
    project = failing_pytest(tmp_path / "project")
    sandbox = Sandbox(project.root, {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home")})
    verifier = SandboxVerifier(sandbox, project.failing, watched=PYTEST, redact=str)
    sandbox.close()  # its folder is gone: the next run cannot make a workspace
    model_server.call_tools(("run_failing_command", {}))
    model_server.answer("The sandbox is broken.")

    with ModelClient(model_server.config(max_retries=0)) as model:
        agent = FixAgent(model, verifier, GitCheckout(project.root), redact=str)
        outcome = agent.run(project.failing, "E   assert -1 == 5")

    (answer,) = tool_results(model_server)
    assert answer.startswith("refused: the tool failed (")
    assert outcome.stop_reason.endswith("The sandbox is broken.") and outcome.offered is None


def test_search_log_and_blame_answer_from_the_real_repository_within_bounds(
    tmp_path: Path, model_server: Any
) -> None:
    project = failing_pytest(tmp_path / "project")
    (project.root / "big.txt").write_text("a" * 50_000 + "!\n" + "match me\n" * 500)
    model_server.call_tools(("search", {"pattern": "(a+)+$", "regex": True}))
    model_server.call_tools(("search", {"pattern": "return a", "path": "calc.py"}))
    model_server.call_tools(("git_log", {"path": "calc.py"}))
    model_server.call_tools(("git_blame", {"path": "calc.py", "start_line": 4, "end_line": 6}))
    model_server.call_tools(("read_file", {"path": "big.txt", "max_lines": 10_000}))
    model_server.answer("Seen enough.")

    loop(tmp_path, model_server, project, excerpt="E   assert -1 == 5")

    backtracking, search, log, blame, big = tool_results(model_server)
    assert "no matches" in backtracking  # a pathological pattern answers, it does not hang
    assert "calc.py:6:    return a - b" in search
    assert "Test Author: the failing change" in log
    assert "def add(a: int, b: int) -> int:" in blame and "    return a - b" in blame
    assert blame.count("\n") < 10  # the three lines asked for, fenced
    assert len(big) < 13_000 and "more characters cut" in big  # bounded output


def test_the_policy_reads_each_diff_once_however_often_the_loop_asks(
    tmp_path: Path, model_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A diff is run, then proposed: the loop asks the verifier's policy four times about it
    (before the run, in the run, before the proposal, in the verification); the policy's
    verdict is the same each time, so the patch text is parsed once."""
    from cicd_agent.modes.analyse_failure.fix.judge import verifier as verify

    read: list[str] = []
    real = verify.policy_verdict

    def counting(diff: str, *args: Any, **kwargs: Any) -> Any:
        read.append(diff)
        return real(diff, *args, **kwargs)

    monkeypatch.setattr(verify, "policy_verdict", counting)
    project = failing_pytest(tmp_path / "project")
    model_server.call_tools(("run_failing_command", {"diff": project.fix_diff}))
    model_server.call_tools(("propose_patch", {"diff": project.fix_diff, "summary": "fix it"}))

    agent, verifier, _ = loop(tmp_path, model_server, project)

    offered = agent.outcome.offered
    assert offered is not None and offered.verdict is not Verdict.NOT_PASSED
    assert verifier.asked == [project.fix_diff] * 2 and len(verifier.runs) == 1
    assert read == [project.fix_diff]


def test_each_turn_of_the_conversation_is_tokenised_once(
    tmp_path: Path, model_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before each call the loop checks its token cap and the client its prompt budget: one
    count serves both, and a message counted on an earlier turn is not counted again."""
    from cicd_agent.model.tokens import TokenCounter

    counted: list[str] = []
    real = TokenCounter.count

    def counting(self: TokenCounter, text: str) -> int:
        counted.append(text)
        return real(self, text)

    monkeypatch.setattr(TokenCounter, "count", counting)
    project = failing_pytest(tmp_path / "project")
    model_server.call_tools(("read_file", {"path": "calc.py"}))
    model_server.call_tools(("search", {"pattern": "def add"}))
    model_server.answer("I give up.")

    agent, _, _ = loop(tmp_path, model_server, project, excerpt="assert -1 == 5")

    assert agent.outcome.calls == 3
    opening = "You are fixing a failed CI step."
    assert sum(text.count(opening) for text in counted) == 1
    assert sum(text.count("calc.py:4:def add") for text in counted) == 1


def test_arguments_that_do_not_fit_the_tools_model_are_a_refusal_not_a_crash(
    tmp_path: Path, model_server: Any
) -> None:
    """``"²".isdigit()`` is True but ``int("²")`` raises, a NUL cannot go into argv, and
    ``json.loads`` raises a plain ValueError (not JSONDecodeError) for an integer of more than
    4,300 digits: a model's arguments must not end the run with a traceback (attack1). Each is
    checked against the tool's typed model, so a wrong type, a boolean line number,
    a field the tool does not take or a tool that does not exist is refused too, and the model
    reads why; a good call after them still runs."""
    project = failing_pytest(tmp_path / "project")
    (name,) = project.fix
    model_server.call_tools(("read_file", {"path": name, "start_line": "²"}))
    model_server.call_tools(("search", {"pattern": "a\0b"}))  # subprocess: "embedded null byte"
    model_server.call_tools(("search", '{"pattern": "\\ud800"}'))  # a lone surrogate: no bytes
    model_server.call_tools(("read_file", '{"path": "\\ud800.py"}'))
    model_server.call_tools(
        ("git_blame", '{"path": "' + name + '", "end_line": ' + "9" * 5000 + "}")
    )
    model_server.call_tools(("read_file", {"path": name, "start_line": True}))
    model_server.call_tools(("read_file", {"path": name, "mode": "w"}))
    model_server.call_tools(("git_log", {"path": name, "max_count": 10**30}))
    model_server.call_tools(("delete_file", {"path": name}))
    model_server.call_tools(("read_file", {"path": name, "start_line": "2"}))
    model_server.answer("Giving up.")

    agent, _verifier, audit = loop(tmp_path, model_server, project)

    calls = [line["call"] for line in audit if line["kind"] == "tool"]
    assert calls == [
        "read_file", "search", "search", "read_file", "git_blame",
        "read_file", "read_file", "git_log", "delete_file", "read_file",
    ]  # fmt: skip
    *refused, last = tool_results(model_server)
    assert all(text.startswith("refused: ") for text in refused), refused
    assert "start_line: Input should be a valid integer" in refused[0]
    assert "pattern: Value error, must not hold a NUL character" in refused[1]
    assert refused[2] == refused[3] == refused[4] == "refused: the arguments are not valid JSON"
    assert "start_line: Value error, must be a whole number, not a boolean" in refused[5]
    assert "mode: Extra inputs are not permitted" in refused[6]
    assert "max_count: Value error, must be from 1 to 10,000,000" in refused[7]
    assert refused[8] == "refused: there is no tool named 'delete_file'"
    assert name in last and "def add" in last  # a number as a string is still a number
    assert agent.outcome.stop_reason and len(agent.outcome.refusals) == 9


def test_a_patch_that_turns_a_file_into_a_folder_is_refused_not_a_crash(
    tmp_path: Path, model_server: Any
) -> None:
    """``_read_back`` reads each patched path after ``git apply``; a diff that deletes
    ``calc.py`` and adds ``calc.py/x.py`` leaves a folder there, which the checkout
    reader refuses as not a file: the model hears a refusal, the run goes on."""
    project = failing_pytest(tmp_path / "project")
    git = ["git", "-c", "user.name=a", "-c", "user.email=a@b"]
    subprocess.run([*git, "rm", "-q", "calc.py"], cwd=project.root, check=True)
    (project.root / "calc.py").mkdir()
    (project.root / "calc.py" / "x.py").write_text("x = 1\n")
    subprocess.run([*git, "add", "-A"], cwd=project.root, check=True)
    diff = subprocess.run(
        [*git, "diff", "--cached", "--no-color"],
        cwd=project.root, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    subprocess.run([*git, "reset", "-q", "--hard"], cwd=project.root, check=True)
    subprocess.run([*git, "clean", "-qfd"], cwd=project.root, check=True)
    assert "deleted file mode" in diff and "calc.py/x.py" in diff
    model_server.call_tools(("propose_patch", {"diff": diff, "summary": "folder"}))
    model_server.answer("Giving up.")

    agent, _verifier, _audit = loop(tmp_path, model_server, project)

    assert agent.outcome.offered is None and agent.outcome.stop_reason
    [result] = tool_results(model_server)
    assert "accepted" not in result and "is not a regular file" in result
