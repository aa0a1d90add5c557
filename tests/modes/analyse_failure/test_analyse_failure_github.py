"""analyse-failure on a real failed ``workflow_run`` payload, with GitHub's validating mock.

Every GitHub call goes through PyGithub to Prism (checked against GitHub's OpenAPI description);
the proxy in front of it stands in for GitHub's state: the run's jobs, the log blobs (real runner
logs from the corpus generator), the workflow's recent runs and the comments already posted.
The change under test is read with real git from a checkout built per test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.failed_run import ROOT_CAUSE, failed_run, zip_of
from tests.helpers.failure_github import (
    FAILED_JOB,
    GREEN_JOB,
    GREEN_RUN,
    REPO,
    RUN_ID,
    RUN_MARK,
    GitHubState,
    Slack,
)


@pytest.fixture
def slack() -> Iterator[Slack]:
    server = Slack()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def state(github_api: Any, tmp_path: Path) -> GitHubState:
    return GitHubState(github_api, tmp_path)


def test_a_red_push_run_gets_one_commit_comment_naming_the_cause(state: GitHubState) -> None:
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")

    code, outputs, summary, document = state.analyse(state.event())

    assert code == 0
    assert outputs["failure_type"] == "test_failure"
    assert outputs["root_cause"] == ROOT_CAUSE
    assert outputs["comment_url"].startswith("https://github.com/octocat/Hello-World/commit/")
    (body,) = state.posted("POST", rf"{REPO}/commits/{state.head}/comments")
    assert ROOT_CAUSE in body and RUN_MARK.format(RUN_ID) in body
    assert f"/jobs/{FAILED_JOB})" in body  # the failed job links to its log
    assert body.rstrip().endswith("-->")  # the signature marker closes the comment
    # Only the failed job's log was downloaded, plus the green run's log of the same job.
    downloads = [r.api_path for r in state.proxy.requests if r.api_path.endswith("/logs")]
    assert downloads == [
        f"{REPO}/actions/jobs/{FAILED_JOB}/logs",
        f"{REPO}/actions/jobs/{GREEN_JOB}/logs",
    ]
    assert document["baseline_used"] is True
    # The change under test runs from the last green run's commit to the head.
    assert document["changed_files"] == 1
    assert document["responsible_files"][0] == {
        "path": "tests/test_failing.py", "lines": [5], "changed": True, "source": "logs",
        "line_changed": False,  # line 5 is the log's: the change wrote two lines
    }  # fmt: skip
    assert document["responsible_commit"] == state.head
    assert "The run failed with a test failure in job `test`" in summary


def test_a_rerun_updates_its_comment_instead_of_adding_one(state: GitHubState) -> None:
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.analyse(state.event())
    (first,) = state.posted("POST", rf"{REPO}/commits/{state.head}/comments")
    state.comments(rf"{REPO}/commits/{state.head}/comments", (1, "Nice commit"), (77, first))

    code, outputs, _, _ = state.analyse(state.event(run_attempt=2))

    assert code == 0
    assert len(state.posted("POST", rf"{REPO}/commits/{state.head}/comments")) == 1
    (updated,) = state.posted("PATCH", rf"{REPO}/comments/77")
    assert updated.count(RUN_MARK.format(RUN_ID)) == 1
    assert outputs["comment_url"]


def test_the_same_failure_in_the_next_run_updates_the_comment_and_slack_hears_once(
    state: GitHubState, slack: Slack
) -> None:
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.analyse(state.event(), "--slack-webhook-url", slack.url)
    (first,) = state.posted("POST", rf"{REPO}/commits/{state.head}/comments")
    assert len(slack.messages) == 1
    assert ROOT_CAUSE in slack.messages[0]["text"]

    # The next commit on the branch fails the same way: its run finds the earlier comment on
    # the commit of the earlier red run (the branch has not passed since).
    later = state.repo.commit("touch docs", {"README.md": "hello\n"})
    state.runs(
        (RUN_ID + 1, "failure", later),
        (RUN_ID, "failure", state.head),
        (GREEN_RUN, "success", state.base),
    )
    state.jobs(RUN_ID + 1, (FAILED_JOB, "test", "failure"))
    state.run(RUN_ID + 1)
    state.comments(rf"{REPO}/commits/{later}/comments")
    state.comments(rf"{REPO}/commits/{state.head}/comments", (77, first))

    code, _, _, _ = state.analyse(
        state.event(run_id=RUN_ID + 1, head=later), "--slack-webhook-url", slack.url
    )

    assert code == 0
    assert state.proxy.calls("POST", rf"{REPO}/commits/{later}/comments") == []
    (updated,) = state.posted("PATCH", rf"{REPO}/comments/77")
    assert RUN_MARK.format(RUN_ID) in updated and RUN_MARK.format(RUN_ID + 1) in updated
    assert "The same failure was seen 2 times" in updated
    assert len(slack.messages) == 1  # not a new failure: no second message

    # A different failure on the same branch is new: its own comment and a Slack message.
    other = failed_run().job_log.replace(b"test_add_small_numbers", b"test_totals_match")
    state.job_log(FAILED_JOB, other)
    state.analyse(state.event(run_id=RUN_ID + 1, head=later), "--slack-webhook-url", slack.url)
    assert len(state.proxy.calls("POST", rf"{REPO}/commits/{later}/comments")) == 1
    assert len(slack.messages) == 2
    assert "test_totals_match" in slack.messages[1]["text"]


def test_a_pull_request_run_comments_on_the_pull_request(state: GitHubState) -> None:
    state.standard()
    state.comments(rf"{REPO}/issues/2/comments")
    repo = {
        "id": 1,
        "url": "https://api.github.com/repos/octocat/Hello-World",
        "name": "Hello-World",
    }
    pull = {
        "url": "https://api.github.com/repos/octocat/Hello-World/pulls/2",
        "id": 2,
        "number": 2,
        "head": {"ref": "feature", "sha": state.head, "repo": repo},
        "base": {"ref": "main", "sha": state.base, "repo": repo},
    }

    code, outputs, _, _ = state.analyse(state.event(event="pull_request", pull_requests=[pull]))

    assert code == 0
    (body,) = state.posted("POST", rf"{REPO}/issues/2/comments")
    assert ROOT_CAUSE in body
    assert state.proxy.calls("POST", rf"{REPO}/commits/\w+/comments") == []
    assert outputs["comment_url"]


def test_a_fork_pull_request_is_found_by_its_head_commit(state: GitHubState) -> None:
    """A fork's run lists no pull request in its payload; the head commit leads to it."""
    state.standard()
    state.comments(rf"{REPO}/issues/1347/comments")

    def edit(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pull = listing[0]
        return [{**pull, "state": "open", "head": {**pull["head"], "sha": state.head}}]

    state.proxy.script("GET", rf"{REPO}/commits/{state.head}/pulls", edit=edit)

    code, _, _, _ = state.analyse(state.event(event="pull_request", pull_requests=[]))

    assert code == 0
    (body,) = state.posted("POST", rf"{REPO}/issues/1347/comments")
    assert ROOT_CAUSE in body


def test_another_attempt_passing_makes_it_flaky(state: GitHubState) -> None:
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.run(RUN_ID, attempt=2, conclusion="success")  # the re-run passed on the same commit

    code, outputs, summary, document = state.analyse(state.event(run_attempt=1))

    assert code == 0
    assert outputs["is_flaky"] == "true"
    assert outputs["failure_type"] == "flaky_test"
    assert document["deterministic_failure_type"] == "flaky_test"
    assert "another attempt of this run passed" in summary


def test_a_flaky_verdict_reads_the_failed_jobs_log_once(
    state: GitHubState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flakiness evidence is weighed on the one reading of the log: the log was streamed
    again from the start to judge the same failure with the evidence."""
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.run(RUN_ID, attempt=2, conclusion="success")
    opened: list[str] = []
    original = Path.open

    def counted(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if re.fullmatch(r"job-\d+\.log", self.name) and "r" in mode:
            opened.append(self.name)
        return original(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counted)
    code, outputs, _, _ = state.analyse(state.event(run_attempt=1))

    assert code == 0 and outputs["is_flaky"] == "true"
    assert len(opened) == 1, opened


def test_the_run_zip_is_used_when_a_job_log_cannot_be_had(state: GitHubState) -> None:
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.proxy.script("GET", r"/blobs/gone", status=410, body=b"expired", forward=False)
    state.proxy.script(
        "GET", rf"{REPO}/actions/jobs/{FAILED_JOB}/logs",
        headers={"Location": f"{state.api.base_url}/blobs/gone"},
    )  # fmt: skip
    archive = zip_of({"0_test.txt": failed_run().job_log, "1_lint.txt": b"All checks passed!\n"})
    blob = state.proxy.serve(f"/blobs/run-{RUN_ID}.zip", archive)
    state.proxy.script("GET", rf"{REPO}/actions/runs/{RUN_ID}/logs", headers={"Location": blob})

    code, outputs, _, document = state.analyse(state.event())

    assert code == 0
    assert outputs["root_cause"] == ROOT_CAUSE
    assert [job["name"] for job in document["failed_jobs"]] == ["test"]
    assert any("the run's zip was used" in note for note in document["notes"])


def test_logs_that_cannot_be_downloaded_exit_3_with_what_is_known(state: GitHubState) -> None:
    state.standard()
    state.proxy.fail(
        "GET",
        rf"{REPO}/actions/jobs/{FAILED_JOB}/logs",
        403,
        "Must have admin rights to Repository.",
    )
    state.proxy.fail(
        "GET", rf"{REPO}/actions/runs/{RUN_ID}/logs", 403, "Must have admin rights to Repository."
    )

    code, outputs, summary, _ = state.analyse(state.event())

    assert code == 3
    jobs = json.loads(outputs["failed_jobs"])
    assert [(j["name"], j["failed_step"]) for j in jobs] == [("test", "Run tests")]
    assert outputs["failure_type"] == "unknown"
    assert summary.startswith("### cicd-agent analyse-failure\n\nThe run's logs could not be read")
    assert "actions: read" in summary
    writes = [r for r in state.proxy.requests if r.method in ("POST", "PATCH")]
    assert writes == []


def test_dry_run_reads_but_writes_nothing(state: GitHubState, slack: Slack) -> None:
    state.standard()
    code, outputs, _, document = state.analyse(
        state.event(), "--dry-run", "--slack-webhook-url", slack.url
    )
    assert code == 0
    assert [r for r in state.proxy.requests if r.method in ("POST", "PATCH")] == []
    assert slack.messages == [] and outputs["comment_url"] == ""
    assert any("Dry run" in note for note in document["notes"])


def test_the_slack_message_cannot_ping_or_link(state: GitHubState, slack: Slack) -> None:
    hostile = failed_run().job_log.replace(
        b"test_add_small_numbers - assert 5 == 6",
        b"test_add_small_numbers - <!channel> <https://evil.example|login>",
    )
    state.standard(log=hostile)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.analyse(state.event(), "--slack-webhook-url", slack.url)
    (message,) = slack.messages
    assert "<!channel>" not in message["text"] and "&lt;!channel&gt;" in message["text"]
    assert re.search(r"<https?://", message["text"]) is None


def test_a_url_in_the_log_is_no_link_in_the_slack_message(state: GitHubState, slack: Slack) -> None:
    """Found by a red team: Slack links a bare URL in a message's text (and may fetch it to
    unfurl it), so the log's words linked off the repository; only our own link stays one."""
    hostile = failed_run().job_log.replace(
        b"test_add_small_numbers - assert 5 == 6",
        b"test_add_small_numbers - see https://evil.example/login or www.evil.example/x",
    )
    state.standard(log=hostile)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.analyse(state.event(), "--slack-webhook-url", slack.url)
    (message,) = slack.messages
    assert "evil.example" in message["text"]
    links = re.findall(r"(?i)(?:https?|ftp)://\S*|www\.\S*", message["text"])
    assert links and all(link.startswith("https://github.com/") for link in links), links


def test_a_run_id_alone_is_enough_with_a_token(state: GitHubState) -> None:
    state.standard()
    state.run(RUN_ID, head=state.head)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    environ = state.api.env() | {"GITHUB_WORKSPACE": str(state.repo.path)}

    done = run_cli(
        ["analyse-failure", "--provider", "none", "--run-id", str(RUN_ID), "--json"],
        state.tmp_path, environ,
    )  # fmt: skip

    assert done.code == 0
    assert done.outputs["root_cause"] == ROOT_CAUSE
    assert json.loads(done.stdout)["responsible_commit"] == state.head
    assert len(state.posted("POST", rf"{REPO}/commits/{state.head}/comments")) == 1


def test_a_failure_that_came_and_went_on_main_untouched_by_the_change_is_flaky(
    state: GitHubState,
) -> None:
    """Run 400 failed the same way before main went green again; this change only edits docs."""
    run = failed_run()
    docs = state.repo.commit("docs", {"README.md": "hello\n"})
    state.standard()
    state.runs(
        (RUN_ID, "failure", docs), (GREEN_RUN, "success", state.head), (400, "failure", state.base)
    )
    state.jobs(400, (41, run.job_name, "failure"))
    state.job_log(41, run.job_log)
    state.run(400)
    state.comments(rf"{REPO}/commits/{docs}/comments")

    code, outputs, summary, document = state.analyse(state.event(head=docs))

    assert code == 0
    assert document["changed_files"] == 1
    assert document["responsible_files"][0]["changed"] is False
    assert (outputs["is_flaky"], outputs["failure_type"]) == ("true", "flaky_test")
    assert "1 recent run(s) on the default branch" in summary
    assert f"{REPO}/actions/jobs/41/logs" in [r.api_path for r in state.proxy.requests]


def test_a_comment_by_someone_else_carrying_our_markers_is_ignored(
    state: GitHubState, slack: Slack
) -> None:
    """Anyone can paste our hidden markers into a comment of their own: the bot must neither
    edit it, nor read run ids from it, nor let it suppress the Slack alert of a new failure."""
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.analyse(state.event(), "--dry-run", "--json")  # learn the signature marker
    state.analyse(state.event())
    (ours,) = state.posted("POST", rf"{REPO}/commits/{state.head}/comments")
    forged = ours.replace(RUN_MARK.format(RUN_ID), RUN_MARK.format(424242))

    def by_mallory(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        user = {**listing[0]["user"], "login": "mallory", "id": 666, "type": "User"}
        return [{**listing[0], "id": 91, "body": forged, "user": user}]

    state.proxy.script("GET", rf"{REPO}/commits/{state.head}/comments", edit=by_mallory)
    code, _, _, _ = state.analyse(state.event(run_attempt=2), "--slack-webhook-url", slack.url)

    assert code == 0
    assert state.proxy.calls("PATCH", rf"{REPO}/comments/91") == []
    second = state.posted("POST", rf"{REPO}/commits/{state.head}/comments")[-1]
    assert RUN_MARK.format(424242) not in second
    assert len(slack.messages) == 1  # mallory's comment does not make the failure "known"


SHUTDOWN_LOG = (
    b"2026-11-27T10:00:00.0000000Z ##[group]Run python -m pytest -v tests\n"
    b"2026-11-27T10:00:00.0000000Z python -m pytest -v tests\n"
    b"2026-11-27T10:00:00.0000000Z ##[endgroup]\n"
    b"2026-11-27T10:00:01.0000000Z ============================= test session starts ====\n"
    b"2026-11-27T10:00:05.0000000Z ##[error]The runner has received a shutdown signal. This can "
    b"happen when the runner service is stopped, or a manually started runner is canceled.\n"
    b"2026-11-27T10:00:05.0000000Z ##[error]Process completed with exit code 143.\n"
)
RERUN = rf"{REPO}/actions/runs/{RUN_ID}/rerun-failed-jobs$"


def test_an_infrastructure_failure_on_pushed_code_is_re_run_once(state: GitHubState) -> None:
    """``rerun-infrastructure: 1``: every failure is the runner's, the code was pushed by a
    writer (GitHub says the commit is on the branch), so GitHub is asked once, through the
    validating mock, to re-run the failed jobs; the summary says so. A second attempt is not
    re-run again."""
    state.standard(log=SHUTDOWN_LOG)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    code, outputs, summary, document = state.analyse(state.event(), "--rerun-infrastructure", "1")
    assert code == 0, summary
    assert outputs["failure_type"] == "infrastructure"
    assert len(state.proxy.calls("POST", RERUN)) == 1
    assert document["rerun_requested"] is True and outputs["rerun_requested"] == "true"
    assert outputs["rerun_reason"] == "every failure was infrastructure, on code from someone who can push"
    assert "asked to re-run the failed jobs of run" in summary

    code, _, summary, document = state.analyse(state.event(run_attempt=2), "--rerun-infrastructure",
                                               "1")  # fmt: skip
    assert code == 0 and len(state.proxy.calls("POST", RERUN)) == 1
    assert "attempt 2 is already a re-run" in summary and document["rerun_requested"] is False


def test_a_token_without_actions_write_or_a_forks_run_is_not_re_run(state: GitHubState) -> None:
    """A token GitHub refuses the re-run (no ``actions: write``) is one line in the summary
    and the outputs, the exit code the analysis earned; a run of a fork's head is never asked
    for, whatever its failure."""
    state.standard(log=SHUTDOWN_LOG)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.proxy.fail("POST", RERUN, 403, "Resource not accessible by integration")
    code, outputs, summary, _ = state.analyse(state.event(), "--rerun-infrastructure", "1")
    assert code == 0, summary
    assert len(state.proxy.calls("POST", RERUN)) == 1
    assert outputs["rerun_requested"] == "false"
    assert outputs["rerun_reason"] == "the token may not re-run jobs (actions: write)"
    assert [line for line in summary.splitlines() if "`actions: write`" in line] == [
        "- The failed jobs were not re-run: the token may not (the job needs `actions: write`)."
    ], summary

    fork = {"full_name": "mallory/Hello-World", "fork": True, "id": 99,
            "owner": {"login": "mallory"}, "name": "Hello-World"}  # fmt: skip
    code, outputs, summary, _ = state.analyse(state.event(head_repository=fork),
                                              "--rerun-infrastructure", "1")  # fmt: skip
    assert code == 0 and len(state.proxy.calls("POST", RERUN)) == 1
    assert outputs["rerun_reason"] == ("the failed run's code is not known to come from "
                                       "someone who can push"), summary  # fmt: skip


def test_attack_a_run_whose_branch_is_named_as_its_commit_is_not_re_run(state: GitHubState) -> None:
    """A fork names its branches: one named as its head commit's hex makes compare read the
    name as that commit (``<sha>...<sha>``: identical), so asking whether "the run's branch"
    holds the commit would vouch for any code. Such a name is never asked: the run asked for
    by ``--run-id`` is not re-run. Before: GitHub was asked to re-run the fork's jobs."""
    state.standard(log=SHUTDOWN_LOG)
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.run(RUN_ID, head=state.head, head_branch=state.head, pull_requests=[])
    state.proxy.script("GET", rf"{REPO}/compare/.*", edit=lambda a: {**a, "status": "diverged"})
    state.proxy.script("GET", rf"{REPO}/compare/{state.head}\.\.\..*",
                       edit=lambda a: {**a, "status": "identical"})  # fmt: skip
    code, outputs, summary, _ = state.analyse(state.event(), "--run-id", str(RUN_ID),
                                              "--rerun-infrastructure", "1")  # fmt: skip
    assert code == 0 and outputs["failure_type"] == "infrastructure", summary
    assert state.proxy.calls("POST", RERUN) == []
    assert outputs["rerun_reason"] == ("the failed run's code is not known to come from "
                                       "someone who can push"), summary  # fmt: skip


def test_a_test_failure_is_never_re_run(state: GitHubState) -> None:
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    code, outputs, summary, _ = state.analyse(state.event(), "--rerun-infrastructure", "1")
    assert code == 0 and outputs["failure_type"] == "test_failure"
    assert state.proxy.calls("POST", RERUN) == []
    assert "not every failure is infrastructure (test_failure)" in summary
    assert outputs["rerun_requested"] == "false"
