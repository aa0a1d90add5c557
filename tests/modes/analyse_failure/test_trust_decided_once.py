"""Whether the code a run judges came from someone who can push is decided once, by
:func:`cicd_agent.github.trust.code_trust`, for the run's own checkout (``RunContext``: review's
suggestion check, gen-tests) and for the failed run analyse-failure reads (its log, its fix's
"verified"). Re-checked by an attacker of that decision: each path is driven as a run drives it,
with GitHub's validating mock answering for the commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.analyse_failure.collect import collect
from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.helpers.context import run_context
from tests.helpers.failed_run import failed_run
from tests.helpers.failure_github import REPO, GitHubState

UNNAMED_EVENTS = ("issue_comment", "workflow_dispatch", "schedule")
"""Events a later step of a failed job may run in whose payload names no commit of its own."""


@pytest.mark.parametrize("event_name", UNNAMED_EVENTS)
def test_attack_a_forks_checkout_is_no_proof_by_either_path(
    tmp_path: Path, github_api: Any, event_name: str
) -> None:
    """ATTACK: ``--logs`` from a later step of a job a comment started (``/ok-to-test``
    checks out a fork's head): analyse-failure named no failed run, and judged the log the
    operator's own, so the fork's log could excuse the run as flaky and a fix passing on the
    fork's code read "verified". Both paths now ask GitHub about the commit the checkout
    holds, and agree: on no branch of the repository, no proof; on one, proof."""
    repo = GitRepoBuilder(tmp_path / "repo")
    head = repo.commit("start", {"app.py": "x = 1\n"})
    log = tmp_path / "job.log"
    log.write_bytes(failed_run().job_log)
    payload = payloads.example("push") if event_name == "schedule" else payloads.example(event_name)
    event = payloads.write_event(tmp_path, payload)
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_WORKSPACE": str(repo.path),
        "RUNNER_TEMP": str(tmp_path),
    }
    github_api.proxy.script("GET", rf"{REPO}/commits/{head}/pulls", body=[])
    proofs = []
    for held in (False, True):  # diverged: a fork's commit, reachable through the fork network
        github_api.proxy.script(
            "GET", rf"{REPO}/compare/.*",
            edit=lambda answer, held=held: {**answer, "status": "behind" if held else "diverged"},
        )  # fmt: skip
        argv = ["--provider", "none", "--logs", str(log)]
        ctx, _ = run_context("analyse-failure", argv, environ, AnalyseFailureOptions.from_given)
        proofs.append((collect(ctx).code_is_proof, ctx.code_is_proof))
    assert proofs == [(False, False), (True, True)]


def test_attack_a_comments_failed_run_is_not_re_run_as_pushed_code(
    github_api: Any, tmp_path: Path
) -> None:
    """ATTACK: publish decided again, on its own, whether the failed run's code could be
    re-run, and asked GitHub about the commit an ``issue_comment`` run is recorded at (the
    default branch's, whatever ``/ok-to-test`` checked out): a fork's log that looked like a
    runner shutting down had its jobs re-run as "code from someone who can push". The re-run
    now rests on the one decision the log's trust is."""
    from tests.modes.analyse_failure.test_analyse_failure_github import RERUN, SHUTDOWN_LOG

    state = GitHubState(github_api, tmp_path)
    state.standard(log=SHUTDOWN_LOG)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    code, outputs, summary, _ = state.analyse(
        state.event(event="issue_comment"), "--rerun-infrastructure", "1"
    )
    assert code == 0 and outputs["failure_type"] == "infrastructure", summary
    assert state.proxy.calls("POST", RERUN) == []
    assert outputs["rerun_reason"] == (
        "the failed run's code is not known to come from someone who can push"
    ), summary


@pytest.mark.parametrize("event_name", ["check_suite", "check_run", "status", "deployment_status"])
def test_attack_a_run_recorded_at_the_default_branch_is_not_pushed_code(
    github_api: Any, tmp_path: Path, event_name: str
) -> None:
    """ATTACK: a workflow on ``check_suite``, ``check_run`` or ``status`` (a fork's
    pull request's checks finishing; an outside CI's status on a fork's commit) checks out the
    commit the payload names, a fork's head, and GitHub records its run at the default branch's
    last commit, as it records ``/ok-to-test``'s ``issue_comment`` run. The failed run's log,
    written by the fork's code, was judged by that commit: pushed code, so a log that looked
    like a runner shutting down had the fork's jobs re-run. Only the events whose recorded
    commit is the code they ran are asked about."""
    from tests.modes.analyse_failure.test_analyse_failure_github import RERUN, SHUTDOWN_LOG

    state = GitHubState(github_api, tmp_path)
    state.standard(log=SHUTDOWN_LOG)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    code, outputs, summary, _ = state.analyse(
        state.event(event=event_name), "--rerun-infrastructure", "1"
    )
    assert code == 0 and outputs["failure_type"] == "infrastructure", summary
    assert state.proxy.calls("POST", RERUN) == []
    assert outputs["rerun_reason"] == (
        "the failed run's code is not known to come from someone who can push"
    ), summary
