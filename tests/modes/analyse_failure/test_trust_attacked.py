"""Whose code wrote a failed run's log, attacked as a fork would: each attack is a failed run
that looked like a runner shutting down (``--rerun-infrastructure 1``), driven through the
CLI against GitHub's validating mock. The re-run is asked only for code GitHub says someone
who can push wrote; every attack here must leave the fork's jobs as they are, and the run must
end as the analysis earned, whatever GitHub answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.failure_github import REPO, RUN_ID, GitHubState
from tests.modes.analyse_failure.test_analyse_failure_github import RERUN, SHUTDOWN_LOG

NOT_PUSHED = "the failed run's code is not known to come from someone who can push"
FORK = {"full_name": "mallory/Hello-World", "fork": True, "id": 99,
        "owner": {"login": "mallory"}, "name": "Hello-World"}  # fmt: skip


def _not_re_run(state: GitHubState, event: Path, *extra: str) -> str:
    """Analyse ``event``'s run, and check nothing was re-run: the summary, for what it says."""
    code, outputs, summary, _ = state.analyse(event, "--rerun-infrastructure", "1", *extra)
    assert code == 0 and outputs["failure_type"] == "infrastructure", summary
    assert state.proxy.calls("POST", RERUN) == []
    assert outputs["rerun_reason"] == NOT_PUSHED, summary
    return summary


def _shut_down(github_api: Any, tmp_path: Path) -> GitHubState:
    state = GitHubState(github_api, tmp_path)
    state.standard(log=SHUTDOWN_LOG)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    return state


def test_attack_a_forks_run_named_by_run_id_is_not_pushed_code(
    github_api: Any, tmp_path: Path
) -> None:
    """ATTACK: ``--run-id`` names a fork's pull request run, its branch named like the
    default branch, its pull request closed since (GitHub lists no open pull request for the
    commit) and its head merged into ``main`` with a merge commit, so GitHub's compare says
    ``main`` holds it. The API names the fork as the run's head repository: a fork's code is
    no proof whatever branch holds it, as for a ``workflow_run`` event naming the same run.
    Before: the run read by id lost its head repository, and the fork's jobs were re-run."""
    state = _shut_down(github_api, tmp_path)
    state.run(RUN_ID, event="pull_request", head_repository=FORK, head=state.head)
    state.commit_on_branches(state.head, True)
    _not_re_run(state, state.event(), "--run-id", str(RUN_ID))


def test_attack_a_commit_on_the_default_branch_and_in_a_forks_pull_request(
    github_api: Any, tmp_path: Path
) -> None:
    """ATTACK: the failed run's commit is on the default branch and also the head of a fork's
    open pull request. An open pull request of a fork's that holds the commit decides it: a
    fork's code is no proof, whichever branch also holds it."""
    state = _shut_down(github_api, tmp_path)

    def forked(answer: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pull = answer[0]
        head = {**pull["head"], "repo": {**pull["head"]["repo"], **FORK}}
        return [{**pull, "number": 7, "state": "open", "head": head}]

    state.proxy.script("GET", rf"{REPO}/commits/{state.head}/pulls", edit=forked)
    _not_re_run(state, state.event(event="push"))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", rf"{REPO}/commits/\w+/pulls", 500),
        ("GET", rf"{REPO}/commits/\w+/pulls", 422),
        ("GET", rf"{REPO}/compare/.*", 500),
        ("GET", rf"{REPO}/compare/.*", 403),
    ],
)
def test_attack_github_answering_errors_trusts_nothing_and_crashes_nothing(
    github_api: Any, tmp_path: Path, method: str, path: str, status: int
) -> None:
    """ATTACK: GitHub answers the trust reads with an error (a server error, an unknown
    commit, a token that may not read). The log is trusted with nothing, a note says why, and
    the run ends as the analysis earned."""
    state = _shut_down(github_api, tmp_path)
    state.proxy.fail(method, path, status, "refused")
    summary = _not_re_run(state, state.event(event="push"))
    assert "trusted with nothing" in summary, summary


def _pull_request_context(github_api: Any, tmp_path: Path) -> Any:
    """A ``pull_request`` run's context whose payload says the head is the base repository's
    own (as a replayed or forged event file would say of a fork's pull request)."""
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from tests.harness import payloads
    from tests.helpers.context import run_context

    payload = payloads.example("pull_request")
    pull = payload["pull_request"]
    pull["head"]["repo"] = pull["base"]["repo"] = payload["repository"]
    event = payloads.write_event(tmp_path, payload)
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_WORKSPACE": str(tmp_path),
    }
    argv = ["--provider", "none", "--logs", str(tmp_path)]
    ctx, _ = run_context("analyse-failure", argv, environ, AnalyseFailureOptions.from_given)
    return ctx, pull["number"]


def test_attack_a_payload_naming_a_forks_head_as_the_repositorys_own_is_not_believed(
    github_api: Any, tmp_path: Path
) -> None:
    """ATTACK: the event file says the pull request's head is the base repository's own; the
    API, asked by number, says it is a fork's. The checkout's code is GitHub's answer for the
    pull request, never the payload's word, so it is no proof."""
    ctx, number = _pull_request_context(github_api, tmp_path)

    def forked(pull: dict[str, Any]) -> dict[str, Any]:
        head = {**pull["head"], "repo": {**pull["head"]["repo"], **FORK}}
        return {**pull, "number": number, "head": head}

    github_api.proxy.script("GET", rf"{REPO}/pulls/{number}$", edit=forked)
    assert ctx.code_is_proof is False
    assert [c.api_path for c in github_api.proxy.calls("GET", rf"{REPO}/pulls/{number}$")]


@pytest.mark.parametrize("status", [404, 500])
def test_attack_the_pull_request_read_failing_is_no_proof_and_no_crash(
    github_api: Any, tmp_path: Path, status: int
) -> None:
    """ATTACK: GitHub answers the pull request's read with an error: trusted with nothing, a
    note says why, and asking again asks nothing more (one read a run)."""
    ctx, number = _pull_request_context(github_api, tmp_path)
    github_api.proxy.fail("GET", rf"{REPO}/pulls/{number}$", status, "gone")
    assert ctx.code_is_proof is False
    reads = len(github_api.proxy.calls("GET", rf"{REPO}/pulls/{number}$"))
    assert ctx.code_is_proof is False
    assert len(github_api.proxy.calls("GET", rf"{REPO}/pulls/{number}$")) == reads >= 1
    assert any("trusted with nothing" in note for note in ctx.notes), ctx.notes
