"""The GitHub client: the transport with every call of this package bound as a method. Everything
it needs is passed in, so tests and GitHub Enterprise Server are just other base URLs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from github import Auth, Github

from cicd_agent.github import (
    checks,
    comments,
    issues,
    permissions,
    pulls,
    reactions,
    review_threads,
    runs,
    threads,
)
from cicd_agent.github.retry import build_retry
from cicd_agent.github.run_history import HistoryReader, Readers
from cicd_agent.github.settings import GitHubSettings, check_api_url
from cicd_agent.github.transport import Transport
from cicd_agent.github.trust import read_commit_trust, read_trust


class GitHubClient(Transport):
    """The repository a mode works on: the transport's policy, with every call of this package
    as a method."""

    def author_of_change(self, sha: str, base: str) -> tuple[str, tuple[str, ...]] | None:
        """Who GitHub says opened the pull request that landed ``sha``, with the addresses
        that author's commits landed on ``base`` use; None without one. Only the author:
        whether they may push is trust's question (read once a run), not risk's."""
        number = pulls.pull_holding(self, sha)
        author = pulls.get_pull_request(self, number).author if number is not None else ""
        return (author, pulls.landed_emails(self, author, base)) if author else None

    # The calls of deploy-gate and command, each written in its module (pulls, runs, threads,
    # comments, reactions, permissions) as a function of the client: a read is bound here as a
    # method, so a mode holding the client imports none of those modules itself. A writer is
    # bound the same way: the inspection of every writer's parameters follows the binding to
    # its module (tests/project/test_posting_typing.py).
    review_decisions = pulls.review_decisions
    get_pull_request = pulls.get_pull_request
    workflow_runs = runs.list_workflow_runs
    recent_deployments = runs.recent_deployments
    can_write = permissions.can_write
    trust = read_trust
    commit_trust = read_commit_trust

    react = reactions.react
    thread_start = threads.thread_start
    latest_failed_run = threads.latest_failed_run
    upsert_issue_comment = comments.upsert_issue_comment
    upsert_commit_comment = comments.upsert_commit_comment
    upsert_thread_reply = comments.upsert_thread_reply

    # The calls of test-step: an issue per flaky test, and closing those of tests now stable.
    upsert_flaky_issue = issues.upsert_flaky_issue
    close_stable_issues = issues.close_stable_issues

    # The calls of analyse-failure: runs, their jobs and logs, pull requests, comments, and the
    # fix's branch, bound from the module that holds each call (as above).
    workflow_run = runs.get_workflow_run
    rerun_failed_jobs = runs.rerun_failed_jobs
    run_jobs = runs.list_jobs
    download_job_log = runs.download_job_log
    download_run_logs = runs.download_run_logs

    def run_history(
        self,
        junit_zip: Callable[[bytes], dict[str, bool]],
        log: Callable[[Path, str], tuple[tuple[str, ...], str]],
        dest: Path,
    ) -> HistoryReader:
        """A reader of a run's test history, turning reports and logs into outcomes the
        mode's way (:class:`~cicd_agent.github.run_history.Readers`)."""
        return HistoryReader(self, Readers(junit_zip, log), dest)

    changed_files = pulls.list_changed_files
    pulls_for_commit = pulls.pulls_for_commit
    our_marked_comments = comments.our_marked_comments
    branch_exists = pulls.branch_exists

    # create_review under another name: outside this package a call named like PyGithub's
    # own posters is taken for one (tests/project/test_posting_typing.py).
    post_review = pulls.create_review
    commit_files = pulls.commit_files
    create_branch = pulls.create_branch
    create_draft_pull = pulls.create_draft_pull

    # The pull request's body as GitHub answers now, with a section to place in it: the only
    # value edit_pull_body writes.
    pull_body = pulls.read_body
    edit_pull_body = pulls.edit_body

    # The calls of review (and its fork hand-off) not listed above.
    find_issue_comment = comments.find_issue_comment
    open_pulls_from = pulls.open_pulls_from
    dismissed = reactions.dismissed
    open_review_threads = review_threads.open_threads
    close_review_thread = review_threads.close_thread
    hide_earlier_reviews = review_threads.hide_earlier_reviews

    probe_review_comment = pulls.probe_review_comment
    publish_check_run = checks.publish_check_run


def connect(settings: GitHubSettings) -> GitHubClient:
    """A client for ``settings.repo``; makes no request until the first call."""
    github = Github(
        base_url=check_api_url(settings.api_url),
        auth=Auth.Token(settings.token),
        retry=build_retry(settings.retry),
        timeout=settings.timeout_seconds,
        per_page=100,
        seconds_between_requests=settings.seconds_between_requests,
        seconds_between_writes=settings.seconds_between_writes,
        lazy=True,
    )
    return GitHubClient(github, settings)
